/** Reading the policy history. Writing happens only in applyChanges (appendRevisions.ts). */
import type { PolicyRevision } from "../generated/prisma/client.js";
import type { JsonValue, ObjectKind, ObservedVia } from "../domain/objects.js";
import { readChainHead } from "./appendRevisions.js";
import { mapStoreErrors } from "./errors.js";
import type { Db } from "./prisma.js";
import type { ChainHead, ClusterId, RevisionOperation, RevisionQuery, RevisionRepository, StoredRevision } from "../domain/repositories.js";

const DEFAULT_PAGE = 1000;

export class PrismaRevisionRepository implements RevisionRepository {
  constructor(private readonly db: Db) {}

  list(cluster: ClusterId, q: RevisionQuery): Promise<StoredRevision[]> {
    return mapStoreErrors(`revisions.list(${cluster})`, async () => {
      const rows = await this.db.policyRevision.findMany({
        where: {
          clusterId: cluster,
          ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
          ...(q.name !== undefined ? { name: q.name } : {}),
          ...(q.since || q.until ? { observedAt: { ...(q.since ? { gte: q.since } : {}), ...(q.until ? { lt: q.until } : {}) } } : {}),
          ...(q.afterSeq !== undefined ? { seq: { gt: q.afterSeq } } : {}),
        },
        orderBy: { seq: "asc" },
        take: q.limit,
      });
      return rows.map(toStoredRevision);
    });
  }

  head(cluster: ClusterId): Promise<ChainHead> {
    return mapStoreErrors(`revisions.head(${cluster})`, () => readChainHead(this.db, cluster));
  }

  async *iterate(cluster: ClusterId, options: { readonly afterSeq?: bigint; readonly pageSize?: number } = {}): AsyncIterable<StoredRevision> {
    const limit = options.pageSize ?? DEFAULT_PAGE;
    let afterSeq = options.afterSeq ?? 0n;
    for (;;) {
      const page = await this.list(cluster, { afterSeq, limit });
      yield* page;
      if (page.length < limit) return;
      afterSeq = page[page.length - 1]!.seq;
    }
  }
}

export function toStoredRevision(r: PolicyRevision): StoredRevision {
  return {
    id: r.id,
    clusterId: r.clusterId,
    seq: r.seq,
    objectKind: r.objectKind as ObjectKind,
    namespace: r.namespace,
    name: r.name,
    uid: r.uid,
    resourceVersion: r.resourceVersion,
    operation: r.operation as RevisionOperation,
    before: (r.before ?? null) as JsonValue | null,
    after: (r.after ?? null) as JsonValue | null,
    diff: r.diff as JsonValue,
    observedAt: r.observedAt,
    observedVia: r.observedVia as ObservedVia,
    finalStateUnknown: r.finalStateUnknown,
    sourceRef: r.sourceRef,
    canonical: r.canonical,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}
