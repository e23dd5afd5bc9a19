/**
 * Object versions stamped with generations: the world behind any committed generation can be read
 * back exactly (time travel), changes applied after a generation belong to the next one, and a
 * writer that is behind is refused. Run on every backend by store.test.ts.
 */
import { beforeAll, expect, it } from "vitest";
import type { ClusterObject } from "../../../src/domain/objects.js";
import type { Store } from "../../../src/domain/repositories.js";
import { makeSnapshot, ns, pod, policy, remove, upsert } from "../helpers/fixtures.js";
import type { SuiteContext } from "../helpers/context.js";

const names = (objects: readonly ClusterObject[]) => objects.map((o) => `${o.kind}/${o.meta.name}@${o.meta.resourceVersion}`).sort();
const meta = { stats: {}, sourceVersions: {}, computedAt: new Date("2026-11-27T10:00:00Z") };

export function versionsSuite(ctx: SuiteContext): void {
  let store: Store;
  beforeAll(() => {
    store = ctx.store;
  });
  const commit = (c: string, expectedGeneration?: number) =>
    store.matrix.commitGeneration(c, undefined, makeSnapshot({ classes: 2 }), { ...meta, expectedGeneration });

  it("reads back the exact objects of every committed generation", async () => {
    const c = await ctx.newCluster();
    await store.objects.applyChanges(c, [upsert(ns("shop")), upsert(pod("shop", "web")), upsert(policy("shop", "p", "1"))]);
    expect(await commit(c)).toBe(1);
    await store.objects.applyChanges(c, [upsert(policy("shop", "p", "2"), "UPDATE"), upsert(pod("shop", "api"))]);
    expect(await commit(c)).toBe(2);
    await store.objects.applyChanges(c, [remove(pod("shop", "web"))]);
    expect(await commit(c)).toBe(3);

    expect(names(await store.objects.loadObjectsAt(c, 1))).toEqual(["Namespace/shop@1", "NetworkPolicy/p@1", "Pod/web@1"]);
    expect(names(await store.objects.loadObjectsAt(c, 2))).toEqual(["Namespace/shop@1", "NetworkPolicy/p@2", "Pod/api@1", "Pod/web@1"]);
    expect(names(await store.objects.loadObjectsAt(c, 3))).toEqual(["Namespace/shop@1", "NetworkPolicy/p@2", "Pod/api@1"]);
    // The latest generation's world equals the current objects.
    expect(names(await store.objects.loadObjectsAt(c, 3))).toEqual(names(await store.objects.loadObjects(c)));
  });

  it("reads a generation of more objects than one page of its cursor (2,000 rows), each once, ordered by kind, namespace and name", async () => {
    const c = await ctx.newCluster();
    const pods = Array.from({ length: 4500 }, (_, i) => pod("shop", `p${String(i).padStart(4, "0")}`));
    await store.objects.applyChanges(c, [upsert(ns("shop")), ...pods.map((p) => upsert(p))]);
    expect(await commit(c)).toBe(1);
    await store.objects.applyChanges(c, [remove(pods[0]!)]);
    expect(await commit(c)).toBe(2);
    const at1 = await store.objects.loadObjectsAt(c, 1);
    expect(at1.map((o) => `${o.kind}/${o.meta.name}`)).toEqual(["Namespace/shop", ...pods.map((p) => `Pod/${p.meta.name}`)]);
    const at2 = await store.objects.loadObjectsAt(c, 2);
    expect(at2).toHaveLength(4500);
    expect(at2[1]!.meta.name).toBe("p0001");
  });

  it("changes applied before the next commit belong to it, however many batches, and replays add nothing", async () => {
    const c = await ctx.newCluster();
    await store.objects.applyChanges(c, [upsert(pod("shop", "web", { rv: "1" }))]);
    await commit(c);
    await store.objects.applyChanges(c, [upsert(pod("shop", "web", { rv: "2" }))], { generation: 2 });
    await store.objects.applyChanges(c, [upsert(pod("shop", "web", { rv: "3" }))], { generation: 2 });
    await store.objects.applyChanges(c, [upsert(pod("shop", "web", { rv: "3" }))], { generation: 2 }); // replayed batch
    await commit(c, 2);
    expect(names(await store.objects.loadObjectsAt(c, 1))).toEqual(["Pod/web@1"]);
    expect(names(await store.objects.loadObjectsAt(c, 2))).toEqual(["Pod/web@3"]);
  });

  it("settles versions stamped past the open generation (a writer that died computing it) into it: opened, closed, superseded and deleted alike", async () => {
    const c = await ctx.newCluster();
    await store.objects.applyChanges(c, [upsert(ns("shop")), upsert(pod("shop", "web")), upsert(pod("shop", "db")), upsert(pod("shop", "cli"))]);
    expect(await commit(c)).toBe(1);
    expect(await store.objects.settleOpenGeneration(c)).toEqual({ generation: 2, rows: 0 });
    // Generation 2: api appears before the writer's recompute takes it; then, stamped 3 while it
    // computes: api and web change, db goes, cache appears. The writer dies before committing 2.
    await store.objects.applyChanges(c, [upsert(pod("shop", "api"))], { generation: 2 });
    await store.objects.applyChanges(c, [upsert(pod("shop", "api", { rv: "2" }), "UPDATE"), upsert(pod("shop", "web", { rv: "2" }), "UPDATE"), remove(pod("shop", "db")), upsert(pod("shop", "cache"))], { generation: 3 });
    // Dropped: api@1 (opened at 2, replaced at 3); closed at 2: web@1, db@1; opened at 2: api@2, web@2, cache@1.
    expect(await store.objects.settleOpenGeneration(c)).toEqual({ generation: 2, rows: 6 });
    expect(await store.objects.settleOpenGeneration(c)).toEqual({ generation: 2, rows: 0 });
    // The next writer changes web once more, for generation 2, and commits it.
    await store.objects.applyChanges(c, [upsert(pod("shop", "web", { rv: "3" }), "UPDATE")], { generation: 2 });
    expect(await commit(c, 2)).toBe(2);
    expect(names(await store.objects.loadObjectsAt(c, 1))).toEqual(["Namespace/shop@1", "Pod/cli@1", "Pod/db@1", "Pod/web@1"]);
    expect(names(await store.objects.loadObjectsAt(c, 2))).toEqual(["Namespace/shop@1", "Pod/api@2", "Pod/cache@1", "Pod/cli@1", "Pod/web@3"]);
    expect(names(await store.objects.loadObjectsAt(c, 2))).toEqual(names(await store.objects.loadObjects(c)));
  });

  it("refuses changes for a generation that is already committed (a writer that is behind)", async () => {
    const c = await ctx.newCluster();
    await commit(c);
    await expect(store.objects.applyChanges(c, [upsert(pod("shop", "late"))], { generation: 1 })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await store.objects.loadObjects(c)).toEqual([]);
  });

  it("refuses a commit that would not be the expected generation", async () => {
    const c = await ctx.newCluster();
    await commit(c);
    await expect(commit(c, 1)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await store.matrix.latestGeneration(c)).toBe(1);
  });
}
