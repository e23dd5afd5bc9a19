/**
 * The revision history of a cluster's objects, paged by seq, under the caller's scope: a scoped
 * caller's page is filtered after reading, so reads go on until the page is full or history ends.
 */
import type { Store, StoredRevision } from "../../domain/repositories.js";
import { assertVisible } from "./filters.js";
import type { GenerationResolver } from "./generations.js";
import { checkPageSize, decodeSeqCursor } from "./pagination.js";
import { canSeeObject, type Scope } from "../../domain/scope.js";

export interface RevisionPage {
  readonly revisions: readonly StoredRevision[];
  readonly hasNextPage: boolean;
}

export interface RevisionQuery {
  readonly cluster?: string | null;
  readonly namespace?: string | null;
  readonly name?: string | null;
  readonly since?: Date | null;
  readonly until?: Date | null;
  readonly first: number;
  readonly after?: string | null;
}

/** Largest page of revisions. */
const MAX_REVISION_PAGE = 500;

export async function revisions(
  deps: { readonly generations: GenerationResolver; readonly store: Pick<Store, "revisions"> },
  scope: Scope,
  options: RevisionQuery,
): Promise<{ cluster: string } & RevisionPage> {
  checkPageSize(options.first, MAX_REVISION_PAGE);
  const cluster = await deps.generations.resolveCluster(options.cluster);
  if (options.namespace) assertVisible(scope, options.namespace, `namespace ${options.namespace}`);
  let afterSeq = options.after ? decodeSeqCursor(options.after) : undefined;
  const out: StoredRevision[] = [];
  for (;;) {
    const batch = await deps.store.revisions.list(cluster, {
      namespace: options.namespace ?? undefined,
      name: options.name ?? undefined,
      since: options.since ?? undefined,
      until: options.until ?? undefined,
      afterSeq,
      limit: options.first + 1,
    });
    for (const r of batch) {
      if (out.length > options.first) break;
      if (canSeeObject(scope, r)) out.push(r);
    }
    if (out.length > options.first || batch.length < options.first + 1) break;
    afterSeq = batch[batch.length - 1]!.seq;
  }
  return { cluster, revisions: out.slice(0, options.first), hasNextPage: out.length > options.first };
}
