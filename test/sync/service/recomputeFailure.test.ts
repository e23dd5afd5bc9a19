/**
 * A recompute that fails (the analysis throws: an input too large for the engine, a bug) is a sync
 * error with lag, never a fencing conflict; the changes it held wait for the next recompute, which
 * commits them with their revisions' impacts once the offending object is gone (issue 12 item 9).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/app/logger.js";
import { IN_MEMORY, openStore } from "../../../src/store/index.js";
import type { Store } from "../../../src/domain/repositories.js";
import { toClusterObject } from "../../../src/sync/kube/toClusterObject.js";
import { scriptedSource } from "../../helpers/scriptedSource.js";
import { SyncService, type GenerationEvent } from "../../../src/sync/SyncService.js";
import type { SyncStore } from "../../../src/sync/ports.js";
import { namespace, networkPolicy, pod, type KubeObject } from "../../helpers/fakeKubeApi.js";
import { poisonPod } from "../../helpers/poisonPod.js";
import { waitFor } from "../kube/helpers.js";

let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: IN_MEMORY });
}, 120_000);
afterAll(async () => {
  await store?.close();
});

const withIds = (o: KubeObject, uid: string, rv: number): KubeObject => ({ ...o, metadata: { ...o.metadata, uid, resourceVersion: String(rv) } });

describe("SyncService: a failed recompute", () => {
  it("is a sync error with lag, holds no generation number, and its changes and impacts land with the next successful recompute", async () => {
    const id = "recompute-failure";
    const policy = (port: number, rv: number) =>
      toClusterObject("NetworkPolicy", withIds(networkPolicy({ namespace: "shop", name: "p", spec: { podSelector: { matchLabels: { app: "a" } }, ingress: [{ ports: [{ port }] }] } }), "np", rv));
    const { source, handler } = scriptedSource([
      ["Namespace", [toClusterObject("Namespace", withIds(namespace("shop"), "ns", 1))]],
      ["Pod", [toClusterObject("Pod", withIds(pod({ namespace: "shop", name: "a", labels: { app: "a" }, ip: "10.0.0.1" }), "pod-a", 2))]],
      ["NetworkPolicy", [policy(80, 3)]],
    ]);
    const events: GenerationEvent[] = [];
    let fenced = false;
    const svc = new SyncService({ clusterId: id, source, store, logger: silentLogger(), debounceMs: 50, maxWaitMs: 300, onGeneration: (e) => events.push(e), onFenced: () => (fenced = true) });
    await svc.start();
    expect(events.map((e) => e.generation)).toEqual([1]);
    expect(svc.status().behindSince).toBeUndefined();

    // The poison pod: the recompute fails. A policy change then: it fails again, holding that change.
    await handler().upsert(poisonPod(4));
    await waitFor(() => svc.status().recomputeError !== undefined, "the recompute to fail", 10_000);
    await handler().upsert(policy(81, 5));
    const failed = svc.status();
    expect(failed.recomputeError).toMatch(/^recompute failed: Invalid array length/);
    expect(failed.behindSince).toBeInstanceOf(Date); // lag grows from the first change not committed
    expect(failed.generation).toBe(1);
    expect(fenced).toBe(false);
    // Another change while failing: still failing, still not fenced.
    await handler().upsert(policy(82, 6));
    await new Promise((r) => setTimeout(r, 500));
    expect(svc.status().recomputeError).toBeDefined();
    expect(fenced).toBe(false);

    // The offending pod goes: the next recompute commits generation 2 (not 3: the failed ones held no number).
    await handler().remove(poisonPod(7));
    await waitFor(() => events.length === 2, "generation 2", 10_000);
    expect(events[1]!.generation).toBe(2);
    expect(fenced).toBe(false);
    const ok = svc.status();
    expect(ok.recomputeError).toBeUndefined();
    expect(ok.behindSince).toBeUndefined();
    // Both policy revisions belong to generation 2 and have their impact, the one from the failed window included.
    const revisions = (await store.revisions.list(id, { limit: 10 })).filter((r) => r.operation === "UPDATE");
    expect(revisions).toHaveLength(2);
    for (const r of revisions) expect((await store.impacts.forRevisions([r.id])).length, `impacts of revision ${r.resourceVersion}`).toBeGreaterThan(0);
    await svc.stop();
  });

  it("one that failed before taking anything (settling the open generation) is tried again without a new change", async () => {
    const id = "recompute-failure-settle";
    let failSettle = false;
    let settles = 0;
    const flaky: SyncStore = {
      ...store,
      objects: {
        loadObjects: (c) => store.objects.loadObjects(c),
        loadObjectsAt: (c, g) => store.objects.loadObjectsAt(c, g),
        listWorkloads: (c, o) => store.objects.listWorkloads(c, o),
        applyChanges: (c, changes, o) => store.objects.applyChanges(c, changes, o),
        settleOpenGeneration: (c, o) => (settles++, failSettle ? Promise.reject(new Error("connection refused")) : store.objects.settleOpenGeneration(c, o)),
      },
    };
    const { source, handler } = scriptedSource([
      ["Namespace", [toClusterObject("Namespace", withIds(namespace("shop"), "ns", 1))]],
      ["Pod", [toClusterObject("Pod", withIds(pod({ namespace: "shop", name: "a", labels: { app: "a" }, ip: "10.0.0.1" }), "pod-a", 2))]],
    ]);
    const events: GenerationEvent[] = [];
    const svc = new SyncService({ clusterId: id, source, store: flaky, logger: silentLogger(), debounceMs: 50, maxWaitMs: 300, recomputeRetryMs: 300, onGeneration: (e) => events.push(e) });
    await svc.start();
    // The poison fails the recompute; its number is released, so the next one settles first, and that fails too.
    failSettle = true;
    await handler().upsert(poisonPod(4));
    await waitFor(() => settles >= 2, "the retried recompute to try to settle", 10_000);
    // No new change from here: the retries keep coming while the changes wait.
    const before = settles;
    await waitFor(() => settles >= before + 2, "more retries without a new change", 10_000);
    failSettle = false;
    await handler().remove(poisonPod(5));
    await waitFor(() => events.length === 2, "generation 2", 10_000);
    await svc.stop();
    expect(events.map((e) => e.generation)).toEqual([1, 2]);
  });
});
