/**
 * WorldCache: the compiled world of a generation, for the workload, namespace and policy views and
 * explanations.
 * - A generation this process committed is built from the objects the sync noted (noteState),
 *   without reading them back; the world is the one the store's objects give.
 * - A noted state stands only for its own generation; an older note never replaces a newer one.
 * - The world is built in time slices: the event loop gets turns while a large one is built
 *   (150,000 pods held every reader for seconds in one piece).
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { WorldCache } from "../../../src/api/query/WorldCache.js";
import { ClusterState } from "../../../src/domain/ClusterState.js";
import type { ClusterObject } from "../../../src/domain/objects.js";
import type { Store } from "../../../src/domain/repositories.js";
import { ns, pod, policy } from "../../store/helpers/fixtures.js";

function objects(pods: number): ClusterObject[] {
  const out: ClusterObject[] = [ns("shop"), ns("pay"), policy("shop", "web"), policy("pay", "api")];
  for (let i = 0; i < pods; i++) {
    const namespace = i % 2 === 0 ? "shop" : "pay";
    const name = i % 3 === 0 ? "web" : "api";
    out.push(pod(namespace, `${name}-${i}`, { workload: { kind: "Deployment", name }, labels: { app: name, tier: `t${i % 5}` }, ip: `10.0.${Math.floor(i / 250)}.${i % 250}` }));
  }
  return out;
}

/** A store whose objects are `byGeneration[g]`, counting loadObjectsAt calls. */
function fakeStore(byGeneration: Record<number, ClusterObject[]>) {
  const reads: number[] = [];
  const store = { objects: { loadObjectsAt: async (_c: string, g: number) => (reads.push(g), byGeneration[g] ?? []) } } as unknown as Pick<Store, "objects">;
  return { store, reads };
}

/** What a world snapshot answers the views with, comparable across two builds. */
function view(s: Awaited<ReturnType<WorldCache["get"]>>) {
  return {
    workloads: s.workloads.map((w) => ({ ref: w.ref, pods: w.pods.map((p) => p.key), labels: w.labels })),
    pods: s.world.pods.map((p) => p.key),
    namespaces: s.world.namespaces.map((n) => n.name),
    policies: [...s.policyObjects.keys()].sort(), // looked up by key only
  };
}

describe("WorldCache", () => {
  it("builds a noted generation's world from the noted objects, equal to the world of the same objects read from the store", async () => {
    const objs = objects(40);
    const { store, reads } = fakeStore({ 3: objs });
    const fromStore = await new WorldCache(store).get("c1", 3);
    expect(reads).toEqual([3]);

    const noted = new WorldCache(store);
    noted.noteState("c1", 3, ClusterState.from([...objs].reverse()));
    const fromState = await noted.get("c1", 3);
    expect(reads).toEqual([3]); // no read for the noted generation
    expect(view(fromState)).toEqual(view(fromStore));
    expect(fromState.workloads.map((w) => `${w.ref.namespace}/${w.ref.name}`)).toEqual(["pay/api", "pay/web", "shop/api", "shop/web"]);
    expect(fromState.workloads.find((w) => w.ref.name === "web")!.labels).toEqual({ app: "web" });
  });

  it("uses a note only for its own generation, and never an older note over a newer one", async () => {
    const { store, reads } = fakeStore({ 1: objects(2), 2: objects(4), 3: objects(6) });
    const cache = new WorldCache(store);
    cache.noteState("c1", 3, ClusterState.from(objects(6)));
    cache.noteState("c1", 2, ClusterState.from(objects(4))); // late: generation 3 is noted already
    expect((await cache.get("c1", 3)).world.pods).toHaveLength(6);
    expect(reads).toEqual([]);
    expect((await cache.get("c1", 2)).world.pods).toHaveLength(4);
    expect((await cache.get("c1", 1)).world.pods).toHaveLength(2);
    expect(reads).toEqual([2, 1]);
    // Another cluster's generation 3 is not this note's.
    await cache.get("c2", 3);
    expect(reads).toEqual([2, 1, 3]);
  });

  it("gives the event loop turns while it builds a large world", async () => {
    const { store } = fakeStore({ 1: objects(20_000) });
    const cache = new WorldCache(store);
    let done = false;
    const loading = cache.get("c1", 1).then((s) => ((done = true), s));
    let turns = 0;
    while (!done) {
      await nextTurn();
      turns++;
    }
    expect((await loading).world.pods).toHaveLength(20_000);
    // In one piece, the build would be one turn: the read's promise, then the whole build.
    expect(turns).toBeGreaterThan(5);
  });
});
