/**
 * QueryService's caches behind whoCanReach/reachableFrom (the GraphQL hot path), on a fake store
 * that counts its calls and a controllable clock:
 * - answers are read from the database once per (generation, workload, direction), and every
 *   request still gets its own scope and port filter applied;
 * - the latest generation is read after every request began, so a new generation is visible at
 *   once; concurrent requests share reads (one in flight, the next one queued for all who came meanwhile);
 * - failures are not cached;
 * - a cluster once seen needs no lookup (clusters are never deleted); a list of one cluster is
 *   reused for at most a second by requests without `cluster`; anything else reads the database.
 */
import { describe, expect, it } from "vitest";
import { QueryService } from "../../../src/api/query/QueryService.js";
import { FULL_SCOPE, type Scope } from "../../../src/domain/scope.js";
import type { ClassMember, MatrixConnectionRow, Store, WorkloadClassRow } from "../../../src/domain/repositories.js";
import { classPairKey, storedClassKey as k } from "../../../src/domain/keys.js";

const SHOP_ONLY: Scope = { all: false, principal: "shop-team", namespaces: new Set(["shop"]) };

function fakeStore(init: { clusters: string[]; latest: number }) {
  const calls: Record<string, number> = {};
  const state = { ...init };
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const wl = (namespace: string, name: string): ClassMember => ({ type: "workload", namespace, kind: "Deployment", name, pods: 1 });
  const store = {
    clusters: {
      listClusters: async () => (count("listClusters"), state.clusters.map((id) => ({ id, source: "fake", createdAt: new Date(0), updatedAt: new Date(0) }))),
    },
    matrix: {
      latestGeneration: async () => (count("latestGeneration"), state.latest),
      generationAt: async () => (count("generationAt"), 1),
      getGeneration: async (_c: string, g: number) => (count("getGeneration"), { generation: g, createdAt: new Date(Date.UTC(2026, 0, g)), stats: {}, sourceVersions: {}, classCount: 4, connectionCount: g >= 2 ? 4 : 3, delta: {} }),
      classesOfWorkload: async (_c: string, _g: number, namespace: string, name: string): Promise<WorkloadClassRow[]> => {
        count("classesOfWorkload");
        if (namespace === "shop" && name === "backend") return [{ classKey: k("backend"), workloadKind: "Deployment", pods: 1 }];
        if (namespace === "shop" && name === "broken") throw new Error("connection reset");
        return [];
      },
      incoming: async (_c: string, g: number): Promise<MatrixConnectionRow[]> => {
        count("incoming");
        // Generation 2 also admits the cache.
        return [
          { srcClass: k("frontend"), dstClass: k("backend"), conn: "TCP 80" },
          { srcClass: k("payments"), dstClass: k("backend"), conn: "TCP 443" },
          ...(g >= 2 ? [{ srcClass: k("cache"), dstClass: k("backend"), conn: "All Connections" }] : []),
        ];
      },
      outgoing: async (): Promise<MatrixConnectionRow[]> => (count("outgoing"), [{ srcClass: k("backend"), dstClass: k("payments"), conn: "TCP 8443" }]),
      snapshotAt: async (_c: string, g: number) => {
        count("snapshotAt");
        const cls = (key: string, members: ClassMember[]) => [k(key), { key: k(key), kind: "pod", members }] as const;
        return {
          classes: new Map([cls("backend", [wl("shop", "backend")]), cls("frontend", [wl("shop", "frontend")]), cls("payments", [wl("payments", "api")]), cls("cache", [wl("shop", "cache")])]),
          connections: new Map([
            [classPairKey(k("frontend"), k("backend")), "TCP 80"],
            [classPairKey(k("payments"), k("backend")), "TCP 443"],
            [classPairKey(k("backend"), k("payments")), "TCP 8443"],
            ...(g >= 2 ? [[classPairKey(k("cache"), k("backend")), "All Connections"] as const] : []),
          ]),
        };
      },
      members: async (_c: string, _g: number, classes: readonly string[]) => {
        count("members");
        const all: Record<string, ClassMember[]> = { frontend: [wl("shop", "frontend")], payments: [wl("payments", "api")], cache: [wl("shop", "cache")] };
        return new Map(classes.map((k) => [k, all[k] ?? []]));
      },
    },
  };
  return { store: store as unknown as Store, calls, state };
}

const peers = (a: { rows: readonly { src: unknown; dst: unknown; conn: { key: string } }[] }, side: "src" | "dst" = "src") =>
  a.rows.map((r) => {
    const e = r[side] as { kind: string; ref: { namespace: string; name: string } };
    return `${e.ref.namespace}/${e.ref.name} ${r.conn.key}`;
  });

describe("QueryService caches", () => {
  it("reads an answer once per generation and filters it per request by scope and port", async () => {
    const { store, calls } = fakeStore({ clusters: ["c1"], latest: 1 });
    const q = new QueryService(store);
    const backend = { namespace: "shop", name: "backend" };
    expect(peers(await q.whoCanReach(FULL_SCOPE, backend, {}))).toEqual(["payments/api TCP 443", "shop/frontend TCP 80"]);
    expect(peers(await q.whoCanReach(SHOP_ONLY, backend, {}))).toEqual(["shop/frontend TCP 80"]);
    expect(peers(await q.whoCanReach(FULL_SCOPE, backend, { port: 443 }))).toEqual(["payments/api TCP 443"]);
    expect(peers(await q.whoCanReach(FULL_SCOPE, backend, { port: 80, protocol: "UDP" }))).toEqual([]);
    expect(calls).toMatchObject({ latestGeneration: 4, getGeneration: 1, classesOfWorkload: 1, incoming: 1, members: 1 });

    // The other direction is another answer.
    expect(peers(await q.reachableFrom(FULL_SCOPE, backend, {}), "dst")).toEqual(["payments/api TCP 8443"]);
    expect(peers(await q.reachableFrom(SHOP_ONLY, backend, {}), "dst")).toEqual([]);
    expect(calls).toMatchObject({ classesOfWorkload: 2, outgoing: 1 });
  });

  it("sees a new generation at once, and an earlier one through `at` from its own cache entry", async () => {
    const { store, calls, state } = fakeStore({ clusters: ["c1"], latest: 1 });
    const q = new QueryService(store);
    const backend = { namespace: "shop", name: "backend" };
    const g1 = await q.whoCanReach(FULL_SCOPE, backend, {});
    state.latest = 2;
    const g2 = await q.whoCanReach(FULL_SCOPE, backend, {});
    expect([g1.generation, g2.generation]).toEqual([1, 2]);
    expect(g2.computedAt.toISOString()).toBe("2026-01-02T00:00:00.000Z");
    expect(peers(g2)).toEqual(["payments/api TCP 443", "shop/cache All Connections", "shop/frontend TCP 80"]);
    const past = await q.whoCanReach(FULL_SCOPE, backend, { at: new Date("2026-01-01T12:00:00Z") });
    expect(past.generation).toBe(1);
    expect(peers(past)).toEqual(peers(g1));
    expect(calls).toMatchObject({ classesOfWorkload: 2, incoming: 2, getGeneration: 2 });
  });

  it("does not keep failures", async () => {
    const { store, calls } = fakeStore({ clusters: ["c1"], latest: 1 });
    const q = new QueryService(store);
    for (let i = 0; i < 2; i++) await expect(q.whoCanReach(FULL_SCOPE, { namespace: "shop", name: "ghost" }, {})).rejects.toMatchObject({ code: "NOT_FOUND" });
    for (let i = 0; i < 2; i++) await expect(q.whoCanReach(FULL_SCOPE, { namespace: "shop", name: "broken" }, {})).rejects.toThrow("connection reset");
    expect(calls["classesOfWorkload"]).toBe(4);
    // Scope is checked before any cached answer is used.
    await q.whoCanReach(FULL_SCOPE, { namespace: "shop", name: "backend" }, {});
    await expect(q.whoCanReach({ all: false, principal: "p", namespaces: new Set(["payments"]) }, { namespace: "shop", name: "backend" }, {})).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("looks clusters up once seen, reuses the list for a second, and reads it for a name it has not seen", async () => {
    let now = 1_000_000;
    const { store, calls, state } = fakeStore({ clusters: ["c1"], latest: 1 });
    const q = new QueryService(store, () => now);
    expect(await q.resolveCluster(undefined)).toBe("c1");
    expect(await q.resolveCluster("c1")).toBe("c1");
    expect(await q.resolveCluster(undefined)).toBe("c1");
    expect(calls["listClusters"]).toBe(1);

    state.clusters = ["c1", "c2"];
    // A name not seen yet: read at once.
    expect(await q.resolveCluster("c2")).toBe("c2");
    expect(calls["listClusters"]).toBe(2);
    await expect(q.resolveCluster("c3")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(q.resolveCluster("c3")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(calls["listClusters"]).toBe(4);
    // The list just read has both: a request without `cluster` is ambiguous.
    await expect(q.resolveCluster(undefined)).rejects.toMatchObject({ code: "BAD_INPUT" });

    // A list at most a second old serves requests without `cluster`; then it is read again.
    const fresh = fakeStore({ clusters: ["c1"], latest: 1 });
    const q2 = new QueryService(fresh.store, () => now);
    expect(await q2.resolveCluster(undefined)).toBe("c1");
    fresh.state.clusters = ["c1", "c2"];
    now += 999;
    expect(await q2.resolveCluster(undefined)).toBe("c1");
    now += 2;
    await expect(q2.resolveCluster(undefined)).rejects.toMatchObject({ code: "BAD_INPUT" });
    expect(fresh.calls["listClusters"]).toBe(2);
  });

  it("reads the list again while there is no cluster, or several", async () => {
    const { store, calls, state } = fakeStore({ clusters: [], latest: 1 });
    const q = new QueryService(store, () => 0);
    await expect(q.resolveCluster(undefined)).rejects.toMatchObject({ code: "NOT_FOUND", message: "no cluster has been synced yet" });
    state.clusters = ["c1"];
    expect(await q.resolveCluster(undefined)).toBe("c1");
    state.clusters = ["c1", "c2"];
    expect(await q.resolveCluster("c2")).toBe("c2");
    await expect(q.resolveCluster(undefined)).rejects.toMatchObject({ code: "BAD_INPUT" });
    await expect(q.resolveCluster(undefined)).rejects.toMatchObject({ code: "BAD_INPUT" });
    expect(calls["listClusters"]).toBe(5);
  });

  it("shares latest-generation reads between concurrent requests, never with a read older than the request", async () => {
    const { store, calls } = fakeStore({ clusters: ["c1"], latest: 1 });
    const pending: { resolve: (g: number) => void; reject: (e: Error) => void }[] = [];
    (store.matrix as unknown as { latestGeneration: () => Promise<number> }).latestGeneration = () => {
      calls["latestGeneration"] = (calls["latestGeneration"] ?? 0) + 1;
      return new Promise<number>((resolve, reject) => pending.push({ resolve, reject }));
    };
    const q = new QueryService(store);
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const a = q.generation({});
    await tick();
    expect(pending).toHaveLength(1);
    // b and c arrive while a's read is in flight: they wait for a read that starts after it.
    const b = q.generation({});
    const c = q.generation({});
    await tick();
    expect(pending).toHaveLength(1);
    pending[0]!.resolve(1);
    expect((await a).generation).toBe(1);
    await tick();
    expect(pending).toHaveLength(2);
    // d arrives while the second read is in flight: it gets a third one.
    const d = q.generation({});
    pending[1]!.resolve(2);
    expect([(await b).generation, (await c).generation]).toEqual([2, 2]);
    await tick();
    expect(pending).toHaveLength(3);
    pending[2]!.reject(new Error("connection reset"));
    await expect(d).rejects.toThrow("connection reset");
    // A failed read is not kept: the next request reads again.
    const e = q.generation({});
    await tick();
    pending[3]!.resolve(3);
    expect((await e).generation).toBe(3);
    expect(calls["latestGeneration"]).toBe(4);
  });
  it("with latestGenerationTtlMs, takes a latest generation read or committed within that time without waiting for a read", async () => {
    const { store, calls, state } = fakeStore({ clusters: ["c1"], latest: 1 });
    let now = 1_000;
    const q = new QueryService(store, () => now, { latestGenerationTtlMs: 100 });
    expect((await q.generation({})).generation).toBe(1);
    state.latest = 2;
    now += 49;
    // Within the first half of the TTL of the read: no read, the generation read before.
    expect((await q.generation({})).generation).toBe(1);
    expect(calls["latestGeneration"]).toBe(1);
    now += 1;
    // In its second half: still the generation read before, without waiting, and a read in the background.
    expect((await q.generation({})).generation).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(calls["latestGeneration"]).toBe(2);
    expect((await q.generation({})).generation).toBe(2);
    // The TTL is over (no request refreshed it meanwhile): the request waits for a read.
    state.latest = 3;
    now += 100;
    expect((await q.generation({})).generation).toBe(3);
    expect(calls["latestGeneration"]).toBe(3);
    // A generation committed in this process is the latest at once, and never replaced by an older one.
    q.noteGeneration("c1", 4);
    expect((await q.generation({})).generation).toBe(4);
    q.noteGeneration("c1", 3);
    expect((await q.generation({})).generation).toBe(4);
    expect(calls["latestGeneration"]).toBe(3);
  });

  it("a background refresh that fails leaves the known generation to expire, and nothing unhandled", async () => {
    const { store, calls } = fakeStore({ clusters: ["c1"], latest: 1 });
    let now = 1_000;
    const q = new QueryService(store, () => now, { latestGenerationTtlMs: 100 });
    expect((await q.generation({})).generation).toBe(1);
    store.matrix.latestGeneration = async () => {
      calls["latestGeneration"] = (calls["latestGeneration"] ?? 0) + 1;
      throw new Error("database is down");
    };
    now += 60;
    expect((await q.generation({})).generation).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(calls["latestGeneration"]).toBe(2);
    now += 40;
    await expect(q.generation({})).rejects.toThrow("database is down");
  });

  it("a generation committed here (noteCommit) is the latest at once, with its commit time: no read", async () => {
    const { store, calls } = fakeStore({ clusters: ["c1"], latest: 1 });
    const q = new QueryService(store, () => 1_000, { latestGenerationTtlMs: 100 });
    expect((await q.generation({})).generation).toBe(1);
    const createdAt = new Date(Date.UTC(2026, 11, 6, 20, 15));
    q.noteCommit("c1", 2, createdAt);
    expect(await q.generation({})).toEqual({ cluster: "c1", generation: 2, computedAt: createdAt });
    expect(calls).toMatchObject({ latestGeneration: 1, getGeneration: 1 });
  });

  it("without it (the default), every request reads the latest generation", async () => {
    const { store, calls } = fakeStore({ clusters: ["c1"], latest: 1 });
    const q = new QueryService(store, () => 5);
    for (let i = 0; i < 3; i++) await q.generation({});
    expect(calls["latestGeneration"]).toBe(3);
  });
  it("with generationIndexMaxConnections, loads each generation once and answers every workload from memory, as the database reads would", async () => {
    const perWorkload = fakeStore({ clusters: ["c1"], latest: 1 });
    const indexed = fakeStore({ clusters: ["c1"], latest: 1 });
    const a = new QueryService(perWorkload.store);
    const b = new QueryService(indexed.store, Date.now, { generationIndexMaxConnections: 10 });
    const backend = { namespace: "shop", name: "backend" };
    for (const state of [perWorkload.state, indexed.state]) state.latest = 2;
    for (const [scope, opts] of [[FULL_SCOPE, {}], [SHOP_ONLY, {}], [FULL_SCOPE, { port: 443 }]] as const) {
      expect(peers(await b.whoCanReach(scope, backend, opts))).toEqual(peers(await a.whoCanReach(scope, backend, opts)));
    }
    expect(peers(await b.reachableFrom(FULL_SCOPE, backend, {}), "dst")).toEqual(peers(await a.reachableFrom(FULL_SCOPE, backend, {}), "dst"));
    await expect(b.whoCanReach(FULL_SCOPE, { namespace: "shop", name: "ghost" }, {})).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(indexed.calls).toMatchObject({ snapshotAt: 1 });
    expect(indexed.calls).not.toHaveProperty("classesOfWorkload");
    expect(indexed.calls).not.toHaveProperty("incoming");
    expect(indexed.calls).not.toHaveProperty("members");
    // A past generation (`at`) is read per workload, never indexed (time travel would reload snapshots).
    const at = new Date("2026-01-01T12:00:00Z");
    expect(peers(await b.whoCanReach(FULL_SCOPE, backend, { at }))).toEqual(peers(await a.whoCanReach(FULL_SCOPE, backend, { at })));
    expect(indexed.calls).toMatchObject({ snapshotAt: 1, classesOfWorkload: 1, incoming: 1, members: 1 });
  });

  it("does not keep a failed index load: the request fails, the next one loads again", async () => {
    const { store, calls } = fakeStore({ clusters: ["c1"], latest: 1 });
    const snapshotAt = store.matrix.snapshotAt.bind(store.matrix);
    let failures = 1;
    (store.matrix as { snapshotAt: typeof snapshotAt }).snapshotAt = (c, g) => (failures-- > 0 ? Promise.reject(new Error("connection reset")) : snapshotAt(c, g));
    const q = new QueryService(store, Date.now, { generationIndexMaxConnections: 10 });
    const backend = { namespace: "shop", name: "backend" };
    await expect(q.whoCanReach(FULL_SCOPE, backend, {})).rejects.toThrow("connection reset");
    expect(peers(await q.whoCanReach(FULL_SCOPE, backend, {}))).toEqual(["payments/api TCP 443", "shop/frontend TCP 80"]);
    expect(calls).toMatchObject({ snapshotAt: 1 });
    expect(calls).not.toHaveProperty("classesOfWorkload");
  });

  it("keeps the per-workload reads for a generation larger than generationIndexMaxConnections", async () => {
    const { store, calls } = fakeStore({ clusters: ["c1"], latest: 1 });
    // Generation 1 has 3 connections.
    const q = new QueryService(store, Date.now, { generationIndexMaxConnections: 2 });
    await q.whoCanReach(FULL_SCOPE, { namespace: "shop", name: "backend" }, {});
    expect(calls).not.toHaveProperty("snapshotAt");
    expect(calls).toMatchObject({ classesOfWorkload: 1, incoming: 1, members: 1 });
  });
});
