/** syncStatus: per cluster, from this process's sync (when it runs one) and the database. */
import type { QueryResolvers } from "../../../generated/graphql.js";
import type { Scope } from "../../query/scope.js";

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
        // Lag: how long the oldest change not yet in a committed generation has waited (0 when caught up).
        const behind = rt && rt.lastAppliedAt && (!rt.lastGenerationAt || rt.lastAppliedAt > rt.lastGenerationAt);
        const errors = [...(rt?.errors ?? []), ...(rt?.invalidObjects ?? []), ...(run?.outcome === "failed" ? asStrings(run.errors) : [])];
        return {
          cluster: c.id,
          source: c.source,
          ready: rt ? rt.initialSyncDone : generation !== undefined,
          lastSuccessfulSync: run && run.outcome === "succeeded" ? (run.finishedAt ?? null) : null,
          generation: generation ?? null,
          generationAt: stored?.createdAt ?? null,
          lagSeconds: rt ? (behind ? (now - (rt.lastGenerationAt ?? rt.lastAppliedAt!).getTime()) / 1000 : 0) : null,
          errors: visibleErrors(ctx.scope, errors),
        };
      }),
    );
  },
};

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((e) => (typeof e === "string" ? e : JSON.stringify(e))) : [];
}

/**
 * Sync errors name objects of any namespace (a bad policy, a failed listing), so a token scoped to
 * namespaces learns only that there are errors, not what they say.
 */
export function visibleErrors(scope: Scope, errors: readonly string[]): string[] {
  if (scope.all || errors.length === 0) return [...errors];
  return [`${errors.length} sync error${errors.length === 1 ? "" : "s"}; their text names objects outside this token's namespaces and is shown to unscoped tokens only`];
}
