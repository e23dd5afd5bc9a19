/** The per-request GraphQL context: who is asking, what they may see, and the read services. */
import DataLoader from "dataloader";
import type { Logger } from "pino";
import type { Store, StoredImpact } from "../../domain/repositories.js";
import type { ApiEvents } from "../events.js";
import type { QueryService } from "../query/QueryService.js";
import type { Scope } from "../../domain/scope.js";
import type { RuntimeStatus } from "../runtime.js";

export interface GraphQLContext {
  readonly scope: Scope;
  readonly requestId: string;
  readonly logger: Logger;
  readonly query: QueryService;
  readonly store: Store;
  readonly events: ApiEvents;
  readonly runtime: RuntimeStatus;
  /** Batches impact lookups of every revision in a response into one query. */
  readonly impacts: DataLoader<bigint, StoredImpact | null>;
}

export function impactLoader(store: Store): DataLoader<bigint, StoredImpact | null> {
  return new DataLoader<bigint, StoredImpact | null, string>(
    async (ids) => {
      const impacts = await store.impacts.forRevisions(ids);
      // An impact covering several revisions answers for each of them; the newest wins.
      const byRevision = new Map<bigint, StoredImpact>();
      for (const i of impacts) for (const r of i.revisionIds) byRevision.set(r, i);
      return ids.map((id) => byRevision.get(id) ?? null);
    },
    { cacheKeyFn: (id) => id.toString() },
  );
}
