/**
 * Matrix generations: only deltas are written, every committed generation reads back exactly as it
 * was (time travel), a failed commit leaves nothing behind, a wrong `previous` cannot corrupt.
 * Run on every backend by store.test.ts.
 */
import { beforeAll, expect, it } from "vitest";
import type { ClassKey, GenerationMeta, MatrixClass, MatrixSnapshot, Store } from "../../../src/domain/repositories.js";
import type { SuiteContext } from "../helpers/context.js";
import { splitClassPairKey, type ClassPairKey } from "../../../src/domain/keys.js";
import { DIGEST_BESIDE_WRITES_KEYS } from "../../../src/store/PrismaMatrixRepository.js";
import { at, classKey, cloneSnapshot, connectionKey, makeSnapshot, normalizeSnapshot } from "../helpers/fixtures.js";

const meta = (minutes: number): GenerationMeta => ({ stats: { classes: 0 }, sourceVersions: { pods: `rv${minutes}` }, computedAt: at(minutes) });

export function matrixSuite(ctx: SuiteContext): void {
  let store: Store;
  beforeAll(() => {
    store = ctx.store;
  });

  const rowCounts = async (cluster: string) => {
    const [row] = await ctx.backend.sql<{ classes: number; members: number; connections: number; generations: number }>(
      `SELECT (SELECT count(*)::int FROM matrix_classes WHERE cluster_id = $1) AS classes,
              (SELECT count(*)::int FROM matrix_class_members WHERE cluster_id = $1) AS members,
              (SELECT count(*)::int FROM matrix_connections WHERE cluster_id = $1) AS connections,
              (SELECT count(*)::int FROM matrix_generations WHERE cluster_id = $1) AS generations`,
      [cluster],
    );
    return row!;
  };
  const expectSnapshot = async (cluster: string, g: number, expected: MatrixSnapshot) =>
    expect(normalizeSnapshot(await store.matrix.snapshotAt(cluster, g))).toEqual(normalizeSnapshot(expected));

  /** s1: 20 pod classes (2 workloads each) + 2 external, 66 connections; s2: one connection changed. */
  const twoGenerations = async () => {
    const c = await ctx.newCluster();
    const s1 = makeSnapshot({ classes: 20, externals: 2 });
    const s2 = cloneSnapshot(s1);
    s2.connections.set(connectionKey("pod|class-0", "pod|class-1"), "TCP 8080");
    expect(await store.matrix.commitGeneration(c, undefined, s1, meta(0))).toBe(1);
    expect(await store.matrix.commitGeneration(c, s1, s2, meta(10))).toBe(2);
    return { c, s1, s2 };
  };

  it("commits a first generation and reads it back", async () => {
    const c = await ctx.newCluster();
    expect(await store.matrix.loadLatestSnapshot(c)).toBeUndefined();
    expect(await store.matrix.latestGeneration(c)).toBeUndefined();
    const s1 = makeSnapshot({ classes: 20, externals: 2 });
    expect(await store.matrix.commitGeneration(c, undefined, s1, meta(0))).toBe(1);
    const latest = await store.matrix.loadLatestSnapshot(c);
    expect(latest?.generation).toBe(1);
    expect(normalizeSnapshot(latest!.snapshot)).toEqual(normalizeSnapshot(s1));
    expect(await store.matrix.getGeneration(c, 1)).toMatchObject({
      generation: 1,
      createdAt: at(0),
      classCount: 22,
      connectionCount: 66,
      sourceVersions: { pods: "rv0" },
      delta: { classesOpened: 22, membersOpened: 42, connectionsOpened: 66, classesClosed: 0, base: "none" },
    });
    expect(await rowCounts(c)).toEqual({ classes: 22, members: 42, connections: 66, generations: 1 });
  });

  it("writes only the rows that changed", async () => {
    const { c, s2 } = await twoGenerations();
    // One connection changed: one row closed, one row opened; nothing else touched.
    expect(await rowCounts(c)).toEqual({ classes: 22, members: 42, connections: 67, generations: 2 });
    expect((await store.matrix.getGeneration(c, 2))?.delta).toEqual({
      classesClosed: 0,
      classesOpened: 0,
      membersClosed: 0,
      membersOpened: 0,
      connectionsClosed: 1,
      connectionsOpened: 1,
      base: "previous",
    });

    // A class disappears (its 2 members and 6 connections with it), a workload's pod count
    // changes, a connection is removed, a class appears.
    const s3 = cloneSnapshot(s2);
    s3.classes.delete(classKey("pod|class-5"));
    for (const k of [...s3.connections.keys()]) if (k.includes("pod|class-5")) s3.connections.delete(k);
    const c7 = s3.classes.get(classKey("pod|class-7"))!;
    s3.classes.set(classKey("pod|class-7"), { ...c7, members: [{ ...c7.members[0]!, pods: 9 } as (typeof c7.members)[number], c7.members[1]!] });
    s3.connections.delete(connectionKey("pod|class-9", "pod|class-10"));
    s3.classes.set(classKey("pod|class-new"), { key: classKey("pod|class-new"), kind: "pod", members: [{ type: "workload", namespace: "ns-0", kind: "Job", name: "batch", pods: 1 }] });
    s3.connections.set(connectionKey("pod|class-new", "pod|class-0"), "TCP 80");
    expect(await store.matrix.commitGeneration(c, s2, s3, meta(20))).toBe(3);
    expect((await store.matrix.getGeneration(c, 3))?.delta).toEqual({
      classesClosed: 1,
      classesOpened: 1,
      membersClosed: 3,
      membersOpened: 2,
      connectionsClosed: 7,
      connectionsOpened: 1,
      base: "previous",
    });
    expect(await rowCounts(c)).toEqual({ classes: 23, members: 44, connections: 68, generations: 3 });
    await expectSnapshot(c, 3, s3);
  });

  it("reads every generation exactly as committed, before and after the next one (time travel)", async () => {
    const { c, s1, s2 } = await twoGenerations();
    await expectSnapshot(c, 1, s1);
    await expectSnapshot(c, 2, s2);
    const changed = { srcClass: "pod|class-0", dstClass: "pod|class-1" };
    expect(await store.matrix.outgoing(c, 1, [classKey("pod|class-0")])).toContainEqual({ ...changed, conn: "TCP 80" });
    expect(await store.matrix.outgoing(c, 2, [classKey("pod|class-0")])).toContainEqual({ ...changed, conn: "TCP 8080" });
    expect(await store.matrix.incoming(c, 1, [classKey("pod|class-1")])).toContainEqual({ ...changed, conn: "TCP 80" });
    expect(await store.matrix.incoming(c, 2, [classKey("pod|class-1")])).toEqual([
      { srcClass: "external|block-0", dstClass: "pod|class-1", conn: "TCP 80" },
      { srcClass: "external|block-1", dstClass: "pod|class-1", conn: "TCP 443,UDP 53" },
      { ...changed, conn: "TCP 8080" },
    ]);
    expect(await store.matrix.generationAt(c, at(-1))).toBeUndefined();
    expect(await store.matrix.generationAt(c, at(5))).toBe(1);
    expect(await store.matrix.generationAt(c, at(10))).toBe(2);

    // A workload moves to a new class in generation 3; generations 1 and 2 still place it where it was.
    const s3 = cloneSnapshot(s2);
    const c3 = s3.classes.get(classKey("pod|class-3"))!;
    s3.classes.set(classKey("pod|class-3"), { ...c3, members: c3.members.slice(1) });
    s3.classes.set(classKey("pod|class-3b"), { key: classKey("pod|class-3b"), kind: "pod", members: c3.members.slice(0, 1) });
    await store.matrix.commitGeneration(c, s2, s3, meta(30));
    const moved = c3.members[0]!;
    if (moved.type !== "workload") throw new Error("fixture: expected a workload");
    expect(await store.matrix.classesOfWorkload(c, 2, moved.namespace, moved.name)).toEqual([
      { classKey: "pod|class-3", workloadKind: "Deployment", pods: moved.pods },
    ]);
    expect(await store.matrix.classesOfWorkload(c, 3, moved.namespace, moved.name, "Deployment")).toEqual([
      { classKey: "pod|class-3b", workloadKind: "Deployment", pods: moved.pods },
    ]);
    expect(await store.matrix.classesOfWorkload(c, 3, moved.namespace, moved.name, "StatefulSet")).toEqual([]);
    expect((await store.matrix.members(c, 2, [classKey("pod|class-3")])).get(classKey("pod|class-3"))).toHaveLength(2);
    expect((await store.matrix.members(c, 3, [classKey("pod|class-3"), classKey("pod|class-3b")])).get(classKey("pod|class-3"))).toHaveLength(1);
    await expectSnapshot(c, 1, s1);
    await expectSnapshot(c, 2, s2);
    await expectSnapshot(c, 3, s3);
  });

  it("streams and pages connections, optionally by namespace", async () => {
    const { c, s1 } = await twoGenerations();
    const all = [];
    for await (const row of store.matrix.allConnections(c, 1, { pageSize: 7 })) all.push(row);
    expect(new Map(all.map((r) => [connectionKey(r.srcClass, r.dstClass), r.conn]))).toEqual(s1.connections);
    const page = await store.matrix.connectionsPage(c, 1, { limit: 5 });
    expect(page.rows).toHaveLength(5);
    const nextPage = await store.matrix.connectionsPage(c, 1, { limit: 5, after: page.next! });
    expect(nextPage.rows[0]!.srcClass >= page.rows[4]!.srcClass).toBe(true);

    // Namespace ns-1 holds classes 1, 4, 7, ... (i % 3 === 1).
    const inNs = new Set([...s1.classes.values()].filter((k) => k.members.some((m) => m.type === "workload" && m.namespace === "ns-1")).map((k) => k.key));
    const expected = [...s1.connections.keys()].filter((k) => [...inNs].some((cls) => Object.values(splitClassPairKey(k)).includes(cls)));
    const filtered = [];
    for await (const row of store.matrix.allConnections(c, 1, { namespace: "ns-1", pageSize: 4 })) filtered.push(connectionKey(row.srcClass, row.dstClass));
    expect(filtered.sort()).toEqual(expected.sort());
  });

  it("leaves the generation unchanged when a commit fails half-way (rolled back)", async () => {
    const { c, s2 } = await twoGenerations();
    const before = await rowCounts(c);
    const s3 = cloneSnapshot(s2);
    s3.connections.clear();
    s3.classes.delete(classKey("pod|class-2"));
    // Fault injection: the last statement of the commit (the generation row) fails.
    await ctx.backend.sql(
      `CREATE OR REPLACE FUNCTION test_fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected commit failure'; END $$;
       CREATE TRIGGER test_fail_commit BEFORE INSERT ON matrix_generations FOR EACH ROW WHEN (NEW.cluster_id = '${c}') EXECUTE FUNCTION test_fail_commit()`,
    );
    try {
      await expect(store.matrix.commitGeneration(c, s2, s3, meta(30))).rejects.toMatchObject({
        name: "DatabaseError",
        sqlState: "P0001",
        message: expect.stringContaining("injected commit failure"),
      });
    } finally {
      await ctx.backend.sql("DROP TRIGGER test_fail_commit ON matrix_generations");
    }
    expect(await store.matrix.latestGeneration(c)).toBe(2);
    expect(await rowCounts(c)).toEqual(before);
    await expectSnapshot(c, 2, s2);
    expect(await store.matrix.commitGeneration(c, s2, s3, meta(30))).toBe(3);
    await expectSnapshot(c, 3, s3);
    await expectSnapshot(c, 2, s2);
  });

  it("diffs against the stored generation when `previous` is unknown or stale", async () => {
    const { c, s1, s2 } = await twoGenerations();
    const s3 = cloneSnapshot(s2);
    s3.connections.set(connectionKey("pod|class-2", "pod|class-3"), "SCTP 9");
    // An equal copy the store has never seen: read from the database, same minimal delta.
    expect(await store.matrix.commitGeneration(c, cloneSnapshot(s2), s3, meta(30))).toBe(3);
    expect((await store.matrix.getGeneration(c, 3))?.delta).toMatchObject({ connectionsClosed: 1, connectionsOpened: 1, base: "database" });
    // A stale one (generation 1 while 3 is stored): still correct.
    const s4 = cloneSnapshot(s1);
    expect(await store.matrix.commitGeneration(c, s1, s4, meta(40))).toBe(4);
    expect((await store.matrix.getGeneration(c, 4))?.delta).toMatchObject({ connectionsClosed: 2, connectionsOpened: 2, base: "database" });
    await expectSnapshot(c, 4, s1);
    // No previous at all on a cluster that has generations: also read from the database.
    expect(await store.matrix.commitGeneration(c, undefined, s4, meta(50))).toBe(5);
    expect((await store.matrix.getGeneration(c, 5))?.delta).toMatchObject({ connectionsClosed: 0, connectionsOpened: 0, base: "database" });
    await expectSnapshot(c, 5, s1);
  });

  it("numbers generations per cluster", async () => {
    const a = await ctx.newCluster();
    const b = await ctx.newCluster();
    const s = makeSnapshot({ classes: 2 });
    expect(await store.matrix.commitGeneration(a, undefined, s, meta(0))).toBe(1);
    expect(await store.matrix.commitGeneration(b, undefined, s, meta(0))).toBe(1);
    expect(await store.matrix.commitGeneration(a, s, s, meta(1))).toBe(2);
    expect(await store.matrix.latestGeneration(b)).toBe(1);
  });

  it("refreshes the planner's statistics after a bulk commit (10,000 rows or more), not after a small one", async () => {
    // Every table the sync writes, each analyzed once more (one ANALYZE statement: a column it lacks would fail it all).
    const tables = ["object_versions", "matrix_classes", "matrix_class_members", "matrix_connections", "pods", "network_policies", "namespaces", "workloads", "policy_revisions"];
    const analyzed = async () => {
      const rows = await ctx.backend.sql<{ t: string; n: number }>(`SELECT relname AS t, analyze_count::int AS n FROM pg_stat_user_tables WHERE relname = ANY($1)`, [tables]);
      return Object.fromEntries(tables.map((t) => [t, rows.find((r) => r.t === t)?.n ?? 0]));
    };
    const c = await ctx.newCluster();
    const small = makeSnapshot({ classes: 20 });
    const before = await analyzed();
    expect(await store.matrix.commitGeneration(c, undefined, small, meta(0))).toBe(1);
    expect(await analyzed()).toEqual(before);
    // 2,000 pod classes with 5 connections each: 10,000 connection rows opened in one commit.
    const bulk = makeSnapshot({ classes: 2000, fanOut: 5 });
    expect(await store.matrix.commitGeneration(c, small, bulk, meta(1))).toBe(2);
    const after = await analyzed();
    for (const t of tables) expect(after[t], t).toBeGreaterThan(before[t]!);
  });

  it("writes and closes more rows than one statement carries (several statements in one commit)", async () => {
    const c = await ctx.newCluster();
    const bulk = makeSnapshot({ classes: 2500, externals: 3, fanOut: 3 });
    expect(await store.matrix.commitGeneration(c, undefined, bulk, meta(0))).toBe(1);
    await expectSnapshot(c, 1, bulk);
    // Every connection changed and most classes gone: thousands of rows closed and opened.
    const next = makeSnapshot({ classes: 300, externals: 1, fanOut: 2 });
    for (const k of [...next.connections.keys()]) next.connections.set(k, "UDP 53");
    expect(await store.matrix.commitGeneration(c, bulk, next, meta(1))).toBe(2);
    await expectSnapshot(c, 1, bulk);
    await expectSnapshot(c, 2, next);
    expect(await store.matrix.getGeneration(c, 2)).toMatchObject({ classCount: next.classes.size, connectionCount: next.connections.size });
  });

  it("derives each change's digest from its base's, before the writes for a small change and beside them for a large one: every generation verifies", async () => {
    const c = await ctx.newCluster();
    const s1 = makeSnapshot({ classes: 2500, externals: 3, fanOut: 3 });
    expect(await store.matrix.commitGeneration(c, undefined, s1, meta(0))).toBe(1);
    // What an incremental generation carries: its base and the keys it changed, with their new values.
    const changed = (base: MatrixSnapshot, next: MatrixSnapshot): MatrixSnapshot => {
      const classes = new Map<ClassKey, MatrixClass | undefined>();
      const connections = new Map<ClassPairKey, string | undefined>();
      for (const k of new Set([...base.classes.keys(), ...next.classes.keys()])) if (JSON.stringify(base.classes.get(k)) !== JSON.stringify(next.classes.get(k))) classes.set(k, next.classes.get(k));
      for (const k of new Set([...base.connections.keys(), ...next.connections.keys()])) if (base.connections.get(k) !== next.connections.get(k)) connections.set(k, next.connections.get(k));
      return { ...next, changedSince: { base, classes, connections } };
    };
    // Large: thousands of connections changed, some removed, one class gone.
    const large = cloneSnapshot(s1);
    const keys = [...large.connections.keys()];
    keys.forEach((k, i) => (i % 3 === 0 ? large.connections.delete(k) : i % 3 === 1 ? large.connections.set(k, "UDP 53") : undefined));
    large.classes.delete(classKey("pod|class-7"));
    for (const k of [...large.connections.keys()]) if (k.includes("pod|class-7")) large.connections.delete(k);
    const s2 = changed(s1, large);
    expect(s2.changedSince!.connections.size).toBeGreaterThanOrEqual(DIGEST_BESIDE_WRITES_KEYS);
    expect(await store.matrix.commitGeneration(c, s1, s2, meta(1))).toBe(2);
    // Small: three connections.
    const small = cloneSnapshot(s2);
    [...small.connections.keys()].slice(0, 3).forEach((k) => small.connections.set(k, "TCP 1"));
    const s3 = changed(s2, small);
    expect(s3.changedSince!.connections.size).toBe(3);
    expect(await store.matrix.commitGeneration(c, s2, s3, meta(2))).toBe(3);
    expect(await store.matrix.verifyGenerations(c)).toMatchObject({ ok: true, verified: 3 });
    await expectSnapshot(c, 2, large);
    await expectSnapshot(c, 3, small);
  });
}
