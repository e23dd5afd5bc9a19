/**
 * QueryService as a facade over the query modules, on a fake store that counts its calls:
 * - the matrix and graph pages start from a cursor the same way (one helper): the cursor's
 *   generation, from the row after the cursor's, whatever was committed since; a cursor naming a
 *   generation the cluster lacks is BAD_INPUT;
 * - cache sizes come from the options (server.cache in a running service): a reach answer heavier
 *   than server.cache.reachRows is not kept, one within it is; connectivity lists and worlds are
 *   kept per generation up to their sizes.
 */
import { describe, expect, it } from "vitest";
import { QueryService } from "../../../src/api/query/QueryService.js";
import { FULL_SCOPE } from "../../../src/domain/scope.js";
import { storedClassKey } from "../../../src/domain/keys.js";
import type { ClassMember, MatrixConnectionRow, Store, WorkloadClassRow } from "../../../src/domain/repositories.js";

const wl = (namespace: string, name: string): ClassMember => ({ type: "workload", namespace, kind: "Deployment", name, pods: 1 });
const MEMBERS: Record<string, ClassMember[]> = { a: [wl("shop", "a")], b: [wl("shop", "b")], c: [wl("shop", "c")], d: [wl("pay", "d")] };

/** Generation g connects a -> b, a -> c, a -> d, and with g >= 2 also b -> c. */
function fakeStore(latest: { generation: number }) {
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const connections = (g: number): MatrixConnectionRow[] => [
    { srcClass: storedClassKey("a"), dstClass: storedClassKey("b"), conn: "TCP 80" },
    { srcClass: storedClassKey("a"), dstClass: storedClassKey("c"), conn: "TCP 80" },
    { srcClass: storedClassKey("a"), dstClass: storedClassKey("d"), conn: "TCP 443" },
    ...(g >= 2 ? [{ srcClass: storedClassKey("b"), dstClass: storedClassKey("c"), conn: "UDP 53" }] : []),
  ];
  const store = {
    clusters: { listClusters: async () => [{ id: "c1", source: "fake", createdAt: new Date(0), updatedAt: new Date(0) }] },
    objects: { loadObjectsAt: async () => (count("loadObjectsAt"), []) },
    matrix: {
      latestGeneration: async () => latest.generation,
      getGeneration: async (_c: string, g: number) =>
        g <= latest.generation ? { generation: g, createdAt: new Date(Date.UTC(2026, 0, g)), stats: {}, sourceVersions: {}, classCount: 4, connectionCount: 4, delta: {} } : undefined,
      classesOfWorkload: async (_c: string, _g: number, namespace: string, name: string): Promise<WorkloadClassRow[]> => {
        count("classesOfWorkload");
        return MEMBERS[name]?.[0]?.type === "workload" && namespace === "shop" ? [{ classKey: storedClassKey(name), workloadKind: "Deployment", pods: 1 }] : [];
      },
      outgoing: async (_c: string, g: number, classes: readonly string[]) => (count("outgoing"), connections(g).filter((r) => classes.includes(r.srcClass))),
      incoming: async (_c: string, g: number, classes: readonly string[]) => (count("incoming"), connections(g).filter((r) => classes.includes(r.dstClass))),
      members: async (_c: string, _g: number, classes: readonly string[]) => (count("members"), new Map(classes.map((k) => [k, MEMBERS[k] ?? []]))),
      allConnections: async function* (_c: string, g: number) {
        count("allConnections");
        yield* connections(g);
      },
    },
  };
  return { store: store as unknown as Store, calls };
}

const row = (r: { src: unknown; dst: unknown }) => `${(r.src as { ref: { name: string } }).ref.name}->${(r.dst as { ref: { name: string } }).ref.name}`;

describe("QueryService", () => {
  it("starts matrix and graph pages from a cursor the same way, in the cursor's generation", async () => {
    const latest = { generation: 1 };
    const { store } = fakeStore(latest);
    const q = new QueryService(store);
    const first = await q.matrixPage(FULL_SCOPE, { first: 1 });
    expect(first).toMatchObject({ generation: 1, offset: 0, totalCount: 3, hasNextPage: true });
    const after = q.cursorFor(first, first.offset + first.rows.length - 1);
    latest.generation = 2; // a new generation since: the cursor keeps walking generation 1
    const matrix = await q.matrixPage(FULL_SCOPE, { first: 5, after });
    const graph = await q.graphPage(FULL_SCOPE, { first: 5, after });
    expect(matrix).toMatchObject({ generation: 1, offset: 1, totalCount: 3, hasNextPage: false });
    expect(graph).toMatchObject({ generation: 1, offset: 1, totalCount: 3, hasNextPage: false });
    expect(matrix.rows.map(row)).toEqual(graph.edges.map((e) => `${row({ src: graph.nodes[e.src], dst: graph.nodes[e.dst] })}`));
    expect([first.rows.map(row), matrix.rows.map(row)].flat().sort()).toEqual(["a->b", "a->c", "a->d"]);
    // Without a cursor: the latest generation.
    expect((await q.graphPage(FULL_SCOPE, { first: 10 })).totalCount).toBe(4);

    const lost = q.cursorFor({ cluster: "c1", generation: 9, computedAt: new Date(0) }, 0);
    for (const page of [q.matrixPage(FULL_SCOPE, { first: 1, after: lost }), q.graphPage(FULL_SCOPE, { first: 1, after: lost })])
      await expect(page).rejects.toMatchObject({ code: "BAD_INPUT", message: "the cursor refers to generation 9, which cluster c1 does not have" });
    for (const page of [q.matrixPage(FULL_SCOPE, { first: 1, after: "nope" }), q.graphPage(FULL_SCOPE, { first: 1, after: "nope" })])
      await expect(page).rejects.toMatchObject({ code: "BAD_INPUT", message: "after: not a cursor this API returned" });
  });

  it("keeps a reach answer only within server.cache.reachRows (weighed in rows + 1)", async () => {
    const a = { namespace: "shop", name: "a" };
    // a reaches b, c and d: 3 rows, weight 4.
    const small = fakeStore({ generation: 1 });
    const tight = new QueryService(small.store, Date.now, { cacheSizes: { reachRows: 3 } });
    for (let i = 0; i < 3; i++) expect((await tight.reachableFrom(FULL_SCOPE, a, {})).rows.map(row).sort()).toEqual(["a->b", "a->c", "a->d"]);
    expect(small.calls["outgoing"]).toBe(3);

    const roomy = fakeStore({ generation: 1 });
    const enough = new QueryService(roomy.store, Date.now, { cacheSizes: { reachRows: 4 } });
    for (let i = 0; i < 3; i++) await enough.reachableFrom(FULL_SCOPE, a, {});
    expect(roomy.calls["outgoing"]).toBe(1);
  });

  it("keeps connectivity lists and worlds per generation, up to their configured sizes", async () => {
    const latest = { generation: 2 };
    const { store, calls } = fakeStore(latest);
    const q = new QueryService(store, Date.now, { cacheSizes: { connectivityLists: 1, worlds: 1 } });
    const at1 = new Date(Date.UTC(2026, 0, 1, 12));
    // generationAt is not faked: a past generation is reached through a cursor instead.
    const g1 = q.cursorFor({ cluster: "c1", generation: 1, computedAt: at1 }, 0);
    await q.graphPage(FULL_SCOPE, { first: 1 }); // generation 2
    await q.graphPage(FULL_SCOPE, { first: 1 }); // generation 2 again: both cached
    expect(calls).toMatchObject({ allConnections: 1, loadObjectsAt: 1 });
    await q.graphPage(FULL_SCOPE, { first: 1, after: g1 }); // generation 1 pushes generation 2 out
    await q.graphPage(FULL_SCOPE, { first: 1 });
    expect(calls).toMatchObject({ allConnections: 3, loadObjectsAt: 3 });

    const roomy = fakeStore(latest);
    const r = new QueryService(roomy.store);
    for (const after of [undefined, g1, undefined, g1]) await r.graphPage(FULL_SCOPE, { first: 1, after });
    expect(roomy.calls).toMatchObject({ allConnections: 2, loadObjectsAt: 2 });
  });
});
