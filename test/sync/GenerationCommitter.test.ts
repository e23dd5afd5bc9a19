/**
 * The committer's invariant: a generation's matrix is the engine's for the objects stamped with it.
 * A recompute that queues on the apply lock while a batch is written must take that batch's state
 * and its log together (the incremental matrix reads the log): an earlier version logged the batch
 * after releasing the lock, and the generation missed the change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/app/logger.js";
import { IN_MEMORY, openStore } from "../../src/store/index.js";
import type { MatrixSnapshot, Store } from "../../src/domain/repositories.js";
import { ClusterState } from "../../src/domain/ClusterState.js";
import { OBJECT_KINDS, type ClusterObject } from "../../src/domain/objects.js";
import { analyze } from "../../src/sync/analysis.js";
import { changesForBatch, type SyncEvent } from "../../src/sync/batchChanges.js";
import { GenerationCommitter, type GenerationEvent } from "../../src/sync/GenerationCommitter.js";
import { toClusterObject } from "../../src/sync/kube/toClusterObject.js";
import { toMatrixSnapshot } from "../../src/sync/matrixSnapshot.js";
import { namespace, networkPolicy, pod, type KubeObject } from "../helpers/fakeKubeApi.js";
import { poisonPod } from "../helpers/poisonPod.js";

const CLUSTER = "committer";
let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: IN_MEMORY });
  await store.clusters.ensureCluster(CLUSTER, "test");
}, 120_000);
afterAll(async () => {
  await store?.close();
});

const withIds = (o: KubeObject, uid: string, rv: number): KubeObject => ({ ...o, metadata: { ...o.metadata, uid, resourceVersion: String(rv) } });
const podObject = (name: string, app: string, rv: number, ip: string): ClusterObject => toClusterObject("Pod", withIds(pod({ namespace: "shop", name, labels: { app }, ip }), `pod-${name}`, rv));
const text = (s: MatrixSnapshot) => ({
  classes: [...s.classes.values()].map((c) => `${c.key} ${c.kind} ${c.members.map((m) => JSON.stringify(m)).sort().join(" ")}`).sort(),
  connections: [...s.connections.entries()].map(([k, v]) => `${k.replace("\u0000", " -> ")} : ${v}`).sort(),
});

async function apply(committer: GenerationCommitter, events: SyncEvent[]): Promise<void> {
  const { changes, working, material } = changesForBatch(committer.state, events, { sourceRef: () => null, namespaceSelectors: () => committer.namespaceSelectors });
  await committer.apply(changes, working, { events: events.length, firstAt: events[0]!.at, material });
}

describe("GenerationCommitter", () => {
  it("a recompute queued behind a write takes the write's state and log together", async () => {
    const generations: GenerationEvent[] = [];
    const committer = new GenerationCommitter({
      clusterId: CLUSTER,
      store,
      logger: silentLogger(),
      clock: () => new Date(),
      halted: new AbortController().signal,
      onFenced: () => undefined,
      onGeneration: (e) => generations.push(e),
    });
    expect(await committer.load()).toBe(false);
    const at = new Date();
    const spec = { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 5432 }] }] };
    await apply(committer, [
      { type: "list", kind: "Namespace", objects: [toClusterObject("Namespace", withIds(namespace("shop"), "ns", 1))], via: "list", at },
      { type: "list", kind: "Pod", objects: [podObject("db", "db", 10, "10.0.0.1"), podObject("web", "web", 11, "10.0.0.2")], via: "list", at },
      { type: "list", kind: "NetworkPolicy", objects: [toClusterObject("NetworkPolicy", withIds(networkPolicy({ namespace: "shop", name: "db", spec }), "np", 20))], via: "list", at },
    ]);
    await committer.recompute(Date.now());
    expect(committer.settle()).toBe(true);

    // web loses its label while a recompute waits for the lock.
    const writing = apply(committer, [{ type: "upsert", object: podObject("web", "other", 30, "10.0.0.2"), at: new Date() }]);
    const recomputing = committer.recompute(Date.now());
    await Promise.all([writing, recomputing]);
    expect(committer.settle()).toBe(true);

    expect(generations.map((g) => [g.generation, g.method])).toEqual([
      [1, "full"],
      [2, "incremental"],
    ]);
    expect(committer.uncommittedSince, "nothing is left behind for a later generation").toBeUndefined();
    const objects = await store.objects.loadObjectsAt(CLUSTER, 2);
    expect(objects.find((o) => o.meta.name === "web")?.meta.resourceVersion).toBe("30");
    const engine = text(toMatrixSnapshot(analyze(ClusterState.from(objects)).matrix));
    expect(text(await store.matrix.snapshotAt(CLUSTER, 2)), "generation 2 is the engine's matrix for its objects").toEqual(engine);
    // Each event carries the objects of its generation (the API builds that world without reading it back).
    const versions = (objs: Iterable<ClusterObject>) => [...objs].map((o) => `${o.kind}/${o.meta.name}@${o.meta.resourceVersion}`).sort();
    for (const g of generations) {
      const noted = OBJECT_KINDS.flatMap((k) => [...g.state!.all(k)]);
      expect(versions(noted), `generation ${g.generation}`).toEqual(versions(await store.objects.loadObjectsAt(CLUSTER, g.generation)));
    }
  });

  it("a writer that takes over from one that died while computing a generation commits that number with the versions of every change in it", async () => {
    const cluster = "takeover";
    await store.clusters.ensureCluster(cluster, "test");
    const committer = (generations: GenerationEvent[]) =>
      new GenerationCommitter({ clusterId: cluster, store, logger: silentLogger(), clock: () => new Date(), halted: new AbortController().signal, onFenced: () => undefined, onGeneration: (e) => generations.push(e) });
    const at = new Date();
    const ns = toClusterObject("Namespace", withIds(namespace("shop"), "ns", 1));
    const spec = { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }] };
    const policy = toClusterObject("NetworkPolicy", withIds(networkPolicy({ namespace: "shop", name: "db", spec }), "np", 20));
    const first: GenerationEvent[] = [];
    const a = committer(first);
    await a.load();
    await apply(a, [
      { type: "list", kind: "Namespace", objects: [ns], via: "list", at },
      { type: "list", kind: "Pod", objects: [podObject("db", "db", 10, "10.0.0.1"), podObject("web", "web", 11, "10.0.0.2"), podObject("cli", "web", 12, "10.0.0.3")], via: "list", at },
      { type: "list", kind: "NetworkPolicy", objects: [policy], via: "list", at },
    ]);
    await a.recompute(Date.now());
    expect(first.map((g) => g.generation)).toEqual([1]);
    // The first writer reserved generation 2 for a recompute, and while it ran applied changes that
    // belong to generation 3 (as GenerationCommitter.apply stamps them); then it died, 2 uncommitted.
    const died = changesForBatch(a.state, [
      { type: "upsert", object: podObject("web", "other", 30, "10.0.0.2"), at },
      { type: "upsert", object: podObject("db", "other", 31, "10.0.0.1"), at },
      { type: "remove", object: podObject("cli", "web", 12, "10.0.0.3"), at },
    ], { sourceRef: () => null, namespaceSelectors: () => [] });
    await store.objects.applyChanges(cluster, died.changes, { generation: 3 });

    // The next writer loads, relists (db changed once more meanwhile) and commits generation 2.
    const second: GenerationEvent[] = [];
    const b = committer(second);
    await b.load();
    await apply(b, [{ type: "list", kind: "Pod", objects: [podObject("db", "db", 41, "10.0.0.1"), podObject("web", "other", 30, "10.0.0.2")], via: "list", at }]);
    await b.recompute(Date.now());
    expect(b.settle()).toBe(true);
    expect(second.map((g) => g.generation)).toEqual([2]);
    const versions = (objs: Iterable<ClusterObject>) => [...objs].map((o) => `${o.kind}/${o.meta.name}@${o.meta.resourceVersion}`).sort();
    const objects = await store.objects.loadObjectsAt(cluster, 2);
    expect(versions(objects), "generation 2's objects are those it was computed from").toEqual(versions(OBJECT_KINDS.flatMap((k) => [...second[0]!.state!.all(k)])));
    expect(versions(objects)).toEqual(["Namespace/shop@1", "NetworkPolicy/db@20", "Pod/db@41", "Pod/web@30"]);
    expect(text(await store.matrix.snapshotAt(cluster, 2)), "generation 2 is the engine's matrix for its objects").toEqual(text(toMatrixSnapshot(analyze(ClusterState.from(objects)).matrix)));
    // Generation 1 is as it was committed.
    expect(versions(await store.objects.loadObjectsAt(cluster, 1))).toEqual(["Namespace/shop@1", "NetworkPolicy/db@20", "Pod/cli@12", "Pod/db@10", "Pod/web@11"]);
  });

  it("after a recompute that failed and released its number, the changes applied while it ran belong to the generation committed under that number", async () => {
    const cluster = "released";
    await store.clusters.ensureCluster(cluster, "test");
    const generations: GenerationEvent[] = [];
    const c = new GenerationCommitter({ clusterId: cluster, store, logger: silentLogger(), clock: () => new Date(), halted: new AbortController().signal, onFenced: () => undefined, onGeneration: (e) => generations.push(e) });
    await c.load();
    const at = new Date();
    await apply(c, [
      { type: "list", kind: "Namespace", objects: [toClusterObject("Namespace", withIds(namespace("shop"), "ns", 1))], via: "list", at },
      { type: "list", kind: "Pod", objects: [podObject("web", "web", 11, "10.0.0.2")], via: "list", at },
    ]);
    await c.recompute(Date.now());
    expect(c.settle()).toBe(true);
    // Generation 2's recompute fails on a pod the engine cannot process; while it ran, a change was
    // applied for generation 3 (the open one then). Its number is released (SyncService does this).
    await apply(c, [{ type: "upsert", object: poisonPod(20), at }]);
    await expect(c.recompute(Date.now())).rejects.toThrow(/Invalid array length/);
    const during = changesForBatch(c.state, [{ type: "upsert", object: podObject("web", "other", 21, "10.0.0.2"), at }], { sourceRef: () => null, namespaceSelectors: () => [] });
    await store.objects.applyChanges(cluster, during.changes, { generation: 3 });
    c.putBack();
    // The poison goes; the next recompute commits generation 2 with every change since generation 1.
    await apply(c, [{ type: "remove", object: poisonPod(22), at }, { type: "upsert", object: podObject("web", "other", 21, "10.0.0.2"), at }]);
    await c.recompute(Date.now());
    expect(c.settle()).toBe(true);
    expect(generations.map((g) => g.generation)).toEqual([1, 2]);
    const versions = (objs: Iterable<ClusterObject>) => [...objs].map((o) => `${o.kind}/${o.meta.name}@${o.meta.resourceVersion}`).sort();
    expect(versions(await store.objects.loadObjectsAt(cluster, 2))).toEqual(["Namespace/shop@1", "Pod/web@21"]);
  });
});
