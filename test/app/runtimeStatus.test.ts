/**
 * app/runtimeStatus.ts: the cluster sync runner's status as the API reports it (/readyz,
 * syncStatus, metrics), on hand-made runner and poller views: a leader's errors, invalid objects
 * and kinds; a standby's readiness from the generations the poller saw.
 */
import { describe, expect, it } from "vitest";
import { runtimeStatus, type PollerView, type RunnerView } from "../../src/app/runtimeStatus.js";
import type { SyncRuntimeStatus } from "../../src/app/ClusterSyncRunner.js";
import type { KindStatus } from "../../src/sync/source.js";
import type { SyncServiceStatus } from "../../src/sync/SyncService.js";
import type { Diagnostic } from "../../src/engine/index.js";

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

function kind(over: Partial<KindStatus> & Pick<KindStatus, "kind">): KindStatus {
  return { watching: true, synced: true, restarts: 0, relists: 0, ...over };
}

function runner(status: Omit<SyncRuntimeStatus, "holder" | "source">, diagnostics: readonly Diagnostic[] = []): RunnerView {
  return {
    status: () => ({ holder: "me", source: "manifests", ...status }),
    sync: status.sync ? ({ currentAnalysis: () => ({ diagnostics }) } as unknown as RunnerView["sync"]) : undefined,
  };
}

const poller = (seen: boolean): PollerView => ({ hasGeneration: () => seen });

const syncStatus: SyncServiceStatus = {
  clusterId: "c1" as SyncServiceStatus["clusterId"],
  initialSyncDone: true,
  generation: 3,
  lastGenerationAt: t(2),
  lastAppliedAt: t(1),
  pendingEvents: 4,
  lastError: "apply failed",
  recomputeError: "recompute failed",
  behindSince: t(0),
  counts: {} as SyncServiceStatus["counts"],
};

describe("runtimeStatus", () => {
  it("reports a leader's sync: errors from sync, source and kinds; one invalid object per object; the oldest required kind down", () => {
    const kinds = [
      kind({ kind: "Pod", lastError: "watch refused", restarts: 2, unhealthySince: t(5), state: "backoff", stateSince: t(5) }),
      kind({ kind: "NetworkPolicy", restarts: 1, unhealthySince: t(3) }),
      kind({ kind: "AdminNetworkPolicy", optional: true, unhealthySince: t(1), watching: false }),
    ];
    const diagnostics = [
      { severity: "error", object: "NetworkPolicy a/p", field: "spec.ingress[0].ports[0].port", message: "70000 is not a port" },
      { severity: "error", object: "NetworkPolicy a/p", field: "spec.podSelector", message: "unknown operator" },
      { severity: "warning", object: "NetworkPolicy a/q", field: "spec", message: "only a warning" },
    ] as unknown as Diagnostic[];
    const status = runtimeStatus(runner({ clusterId: "c1", role: "leader", sync: syncStatus, sourceStatus: { lastError: "source broken", kinds } as never }, diagnostics), poller(false), () => true);
    expect(status.accepting()).toBe(true);
    const [c] = status.clusters();
    expect(c).toMatchObject({ clusterId: "c1", source: "manifests", role: "leader", initialSyncDone: true, generation: 3, pendingEvents: 4, informerRestarts: 3, behindSince: t(0) });
    expect(c!.errors).toEqual(["apply failed", "recompute failed", "source broken", "Pod: watch refused"]);
    expect(c!.invalidObjects).toEqual(["invalid NetworkPolicy a/p: spec.ingress[0].ports[0].port: 70000 is not a port (left out of the analysis; answers about the pods it selects are UNKNOWN)"]);
    // The optional kind's outage is older, but only required kinds count.
    expect(c!.sourceDownSince).toEqual(t(3));
    expect(c!.kinds!.map((k) => [k.kind, k.state, k.optional])).toEqual([
      ["Pod", "backoff", false],
      ["NetworkPolicy", "watching", false],
      ["AdminNetworkPolicy", "stopped", true],
    ]);
    expect(c!.kinds![0]).toMatchObject({ since: t(5), behindSince: t(5), lastError: "watch refused", restarts: 2 });
  });

  it("reports a standby as ready once the poller saw a generation, with no kinds and no sync errors", () => {
    for (const seen of [false, true]) {
      const [c] = runtimeStatus(runner({ clusterId: "c1", role: "standby", sync: undefined, sourceStatus: undefined }), poller(seen), () => false).clusters();
      expect(c).toMatchObject({ role: "standby", initialSyncDone: seen, pendingEvents: 0, errors: [], invalidObjects: [], informerRestarts: 0, kinds: [] });
      expect(c!.sourceDownSince).toBeUndefined();
    }
  });

  it("reads accepting at each call (shutdown turns it off)", () => {
    let accepting = true;
    const status = runtimeStatus(runner({ clusterId: "c1", role: "standby", sync: undefined, sourceStatus: undefined }), poller(false), () => accepting);
    expect(status.accepting()).toBe(true);
    accepting = false;
    expect(status.accepting()).toBe(false);
  });
});
