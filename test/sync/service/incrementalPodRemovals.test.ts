/**
 * A generation that removes several pods at once (a relist, a scale-down, a burst of deletions
 * debounced into one recompute) is computed incrementally, on the engine's patched pod list: every
 * committed generation must equal the engine's from-scratch matrix for the objects it was computed
 * from. The patch once filled the removed pods' slots lowest first with the last pod of the list,
 * which could itself be a removed pod: it came back into the world, kept its class (and its
 * connections), and every later incremental generation built on it (found by the HA stall test,
 * where load made generations larger).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/app/logger.js";
import { IN_MEMORY, openStore } from "../../../src/store/index.js";
import type { MatrixSnapshot, Store } from "../../../src/domain/repositories.js";
import { analyze } from "../../../src/sync/analysis.js";
import { ClusterState } from "../../../src/domain/ClusterState.js";
import { toClusterObject } from "../../../src/sync/kube/toClusterObject.js";
import { toMatrixSnapshot } from "../../../src/sync/matrixSnapshot.js";
import type { ClusterObject } from "../../../src/domain/objects.js";
import { scriptedSource } from "../../helpers/scriptedSource.js";
import { SyncService, type GenerationEvent } from "../../../src/sync/SyncService.js";
import { namespace, networkPolicy, pod, type KubeObject } from "../../helpers/fakeKubeApi.js";

let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: IN_MEMORY });
}, 120_000);
afterAll(async () => {
  await store?.close();
});

const CLUSTER = "pod-removals";
const withIds = (o: KubeObject, uid: string, rv: number): KubeObject => ({ ...o, metadata: { ...o.metadata, uid, resourceVersion: String(rv) } });
const podObject = (name: string, rv: number, ip: string): ClusterObject => toClusterObject("Pod", withIds(pod({ namespace: "shop", name, labels: { app: name }, ip }), `pod-${name}`, rv));

const text = (s: MatrixSnapshot) => ({
  classes: [...s.classes.values()].map((c) => `${c.key} ${c.kind} ${c.members.map((m) => JSON.stringify(m)).sort().join(" ")}`).sort(),
  connections: [...s.connections.entries()].map(([k, v]) => `${k.replace("\u0000", " -> ")} : ${v}`).sort(),
});

/** The committed generation's matrix and the engine's, from scratch, for the objects of that generation. */
async function storedAndEngine(generation: number): Promise<{ stored: ReturnType<typeof text>; engine: ReturnType<typeof text> }> {
  const objects = await store.objects.loadObjectsAt(CLUSTER, generation);
  return { stored: text(await store.matrix.snapshotAt(CLUSTER, generation)), engine: text(toMatrixSnapshot(analyze(ClusterState.from(objects)).matrix)) };
}

describe("SyncService: incremental generations that remove several pods", () => {
  it("removing three of four pods in one generation leaves none of them in the matrix, then or later", async () => {
    const names = ["db", "web", "api", "job"];
    const spec = { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }, { podSelector: { matchLabels: { app: "job" } } }], ports: [{ port: 5432 }] }] };
    const { source, handler } = scriptedSource([
      ["Namespace", [toClusterObject("Namespace", withIds(namespace("shop"), "ns", 1))]],
      ["Pod", names.map((n, i) => podObject(n, 10 + i, `10.0.0.${i + 1}`))],
      ["NetworkPolicy", [toClusterObject("NetworkPolicy", withIds(networkPolicy({ namespace: "shop", name: "db", spec }), "np-db", 20))]],
    ]);
    const events: GenerationEvent[] = [];
    const svc = new SyncService({ clusterId: CLUSTER, source, store, logger: silentLogger(), debounceMs: 20, maxWaitMs: 100, onGeneration: (e) => events.push(e) });
    await svc.start();
    try {
      expect(events.map((e) => e.method)).toEqual(["full"]);
      // One relist that keeps only db: three removals in one batch, so in one generation (whatever
      // the pods' order in the engine's list, a removed pod is last when the first slot is filled).
      await handler().list("Pod", [podObject("db", 10, "10.0.0.1")], "list");
      await svc.flush();
      const g2 = await storedAndEngine(2);
      expect(g2.stored, "generation 2 is the engine's matrix for its objects").toEqual(g2.engine);
      expect(g2.stored.classes.filter((c) => / pod /.test(c))).toHaveLength(1); // db alone
      // A later single change builds on that generation.
      await handler().upsert(podObject("web", 30, "10.0.0.9"));
      await svc.flush();
      expect(events.map((e) => [e.generation, e.method])).toEqual([
        [1, "full"],
        [2, "incremental"],
        [3, "incremental"],
      ]);
      for (const g of [1, 3]) {
        const { stored, engine } = await storedAndEngine(g);
        expect(stored, `generation ${g} is the engine's matrix for its objects`).toEqual(engine);
      }
    } finally {
      await svc.stop();
    }
  });
});
