/** syncStatus: per cluster, from this process's sync (when it runs one) and the database. */
import type { KindSyncState, KindSyncStatus, QueryResolvers } from "../../../generated/graphql.js";
import { seesAllNamespaces, type Scope } from "../../../domain/scope.js";
import { clusterHealth, type KindRuntime, type KindRuntimeState } from "../../runtime.js";

export const statusQueries: Pick<QueryResolvers, "syncStatus"> = {
  async syncStatus(_, __, ctx) {
    const clusters = await ctx.store.clusters.listClusters();
    const local = new Map(ctx.runtime.clusters().map((c) => [c.clusterId, c]));
    const now = Date.now();
    return Promise.all(
      clusters.map(async (c) => {
        const [generation, run] = await Promise.all([ctx.store.matrix.latestGeneration(c.id), ctx.store.syncRuns.latest(c.id)]);
        const stored = generation === undefined ? undefined : await ctx.store.matrix.getGeneration(c.id, generation);
        const rt = local.get(c.id);
        // One model with /readyz and the metrics (runtime.ts clusterHealth).
        const health = rt && clusterHealth(rt, now);
        const errors = [...(rt?.errors ?? []), ...(rt?.invalidObjects ?? []), ...(run?.outcome === "failed" ? asStrings(run.errors) : [])];
        return {
          cluster: c.id,
          source: c.source,
          ready: health ? health.ready : generation !== undefined,
          lastSuccessfulSync: run && run.outcome === "succeeded" ? (run.finishedAt ?? null) : null,
          generation: generation ?? null,
          generationAt: stored?.createdAt ?? null,
          lagSeconds: health ? health.lagSeconds : null,
          errors: visibleErrors(ctx.scope, errors),
          kinds: (rt?.kinds ?? []).map((k) => kindStatus(ctx.scope, k)),
        };
      }),
    );
  },
};

const STATES: Record<KindRuntimeState, KindSyncState> = {
  listing: "LISTING",
  watching: "WATCHING",
  reconnecting: "RECONNECTING",
  backoff: "BACKOFF",
  notServed: "NOT_SERVED",
  forbidden: "FORBIDDEN",
  stopped: "STOPPED",
};

function kindStatus(scope: Scope, k: KindRuntime): KindSyncStatus {
  // Error texts may name objects (a handler failure); scoped tokens see that there is one, as for `errors`.
  const text = (t: string | undefined) => (t === undefined ? null : seesAllNamespaces(scope) ? t : "an error (its text is shown to unscoped tokens only)");
  return {
    kind: k.kind,
    state: STATES[k.state],
    since: k.since ?? null,
    behindSince: k.behindSince ?? null,
    optional: k.optional,
    lastError: text(k.lastError),
    lastFailure: text(k.lastFailure),
    lastFailureAt: k.lastFailureAt ?? null,
    lastEventAt: k.lastEventAt ?? null,
    restarts: k.restarts,
    relists: k.relists,
  };
}

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((e) => (typeof e === "string" ? e : JSON.stringify(e))) : [];
}

/**
 * Sync errors name objects of any namespace (a bad policy, a failed listing), so a token scoped to
 * namespaces learns only that there are errors, not what they say.
 */
export function visibleErrors(scope: Scope, errors: readonly string[]): string[] {
  if (seesAllNamespaces(scope) || errors.length === 0) return [...errors];
  return [`${errors.length} sync error${errors.length === 1 ? "" : "s"}; their text names objects outside this token's namespaces and is shown to unscoped tokens only`];
}
