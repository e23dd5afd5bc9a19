/**
 * What `serve` tells the API about its own sync (api/runtime.ts's RuntimeStatus, read by /readyz,
 * syncStatus and the metrics): the cluster sync runner's status, mapped to the API's terms. A
 * standby replica, which does not sync, reports readiness from the generations it sees in the
 * database (the event poller).
 */
import type { Diagnostic } from "../engine/index.js";
import type { EventPoller } from "../api/EventPoller.js";
import type { ClusterRuntime, KindRuntime, RuntimeStatus } from "../api/runtime.js";
import type { KindStatus } from "../sync/source.js";
import type { ClusterSyncRunner } from "./ClusterSyncRunner.js";

/** What the status reads of the runner: its status, and the current term's analysis. */
export type RunnerView = Pick<ClusterSyncRunner, "status" | "sync">;
/** What the status reads of the event poller: whether a generation of the cluster is in the database. */
export type PollerView = Pick<EventPoller, "hasGeneration">;

/** The runtime status of one cluster's runner; `accepting` turns false when shutdown begins. */
export function runtimeStatus(runner: RunnerView, poller: PollerView, accepting: () => boolean): RuntimeStatus {
  return { accepting, clusters: () => [clusterRuntime(runner, poller)] };
}

/** The runner's status now, as the API reports it. */
function clusterRuntime(runner: RunnerView, poller: PollerView): ClusterRuntime {
  const r = runner.status();
  const s = r.sync;
  const kinds = r.sourceStatus?.kinds ?? [];
  return {
    clusterId: r.clusterId,
    source: r.source,
    role: r.role,
    // A standby is ready once the leader has committed a generation it can serve.
    initialSyncDone: s ? s.initialSyncDone : poller.hasGeneration(r.clusterId),
    lastAppliedAt: s?.lastAppliedAt,
    lastGenerationAt: s?.lastGenerationAt,
    generation: s?.generation,
    pendingEvents: s?.pendingEvents ?? 0,
    errors: [
      ...(s?.lastError ? [s.lastError] : []),
      ...(s?.recomputeError ? [s.recomputeError] : []),
      ...(r.sourceStatus?.lastError ? [r.sourceStatus.lastError] : []),
      ...kinds.flatMap((k) => (k.lastError ? [`${k.kind}: ${k.lastError}`] : [])),
    ],
    invalidObjects: invalidObjectErrors(runner.sync?.currentAnalysis()?.diagnostics),
    informerRestarts: kinds.reduce((n, k) => n + k.restarts, 0),
    ...(s?.behindSince && { behindSince: s.behindSince }),
    ...(s && sourceDownSince(kinds) && { sourceDownSince: sourceDownSince(kinds) }),
    kinds: s ? kinds.map(kindRuntime) : [],
  };
}

/** The oldest time a required kind stopped being current (see runtime.ts clusterHealth). */
function sourceDownSince(kinds: readonly KindStatus[]): Date | undefined {
  let oldest: Date | undefined;
  for (const k of kinds) if (!k.optional && k.unhealthySince && (!oldest || k.unhealthySince < oldest)) oldest = k.unhealthySince;
  return oldest;
}

function kindRuntime(k: KindStatus): KindRuntime {
  return {
    kind: k.kind,
    // Sources without a state (manifests) report whether their watcher runs.
    state: k.state ?? (k.watching ? "watching" : "stopped"),
    ...(k.stateSince && { since: k.stateSince }),
    ...(k.unhealthySince && { behindSince: k.unhealthySince }),
    optional: k.optional ?? false,
    ...(k.lastError !== undefined && { lastError: k.lastError }),
    ...(k.lastFailure !== undefined && { lastFailure: k.lastFailure }),
    ...(k.lastFailureAt && { lastFailureAt: k.lastFailureAt }),
    ...(k.lastEventAt && { lastEventAt: k.lastEventAt }),
    restarts: k.restarts,
    relists: k.relists,
  };
}

/**
 * Objects of the latest generation that kubereach cannot use (the API server accepted them, but
 * they are invalid: a port 70000, an unknown selector operator): one error per object, its first
 * problem, whatever the number of its problems or kinds, so operators see them where they look.
 */
function invalidObjectErrors(diagnostics: readonly Diagnostic[] | undefined): string[] {
  const first = new Map<string, Diagnostic>();
  for (const d of diagnostics ?? []) if (d.severity === "error" && !first.has(d.object)) first.set(d.object, d);
  return [...first.values()].map((d) => `invalid ${d.object}: ${d.field}: ${d.message} (left out of the analysis; answers about the pods it selects are UNKNOWN)`);
}
