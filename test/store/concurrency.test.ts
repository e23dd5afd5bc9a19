/**
 * Concurrent writers on PostgreSQL (PGlite has a single connection, so it cannot race): two stores,
 * as two replicas would be, append to one cluster's history and commit its matrix at the same
 * time. The chain must stay gapless and intact, and generations must not collide.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../src/domain/audit/hashChain.js";
import type { Store } from "../../src/domain/repositories.js";
import { postgresBackend } from "./helpers/backends.js";
import { at, cloneSnapshot, connectionKey, makeSnapshot, normalizeSnapshot, policy, upsert } from "./helpers/fixtures.js";

describe("concurrent writers on PostgreSQL", () => {
  const backend = postgresBackend("concurrency");
  let a: Store;
  let b: Store;

  beforeAll(async () => {
    await backend.setup();
    [a, b] = [await backend.open(), await backend.open()];
    await a.clusters.ensureCluster("shared", "test");
  });
  afterAll(() => backend.teardown());

  it("keeps seq gapless and the chain intact under two concurrent appenders", async () => {
    const batches = (writer: string) =>
      Array.from({ length: 15 }, (_, i) => [0, 1, 2, 3].map((j) => upsert(policy(`ns-${writer}`, `p-${i}-${j}`), "CREATE", at(i))));
    // Both writers also race on the same revisions: each must be stored once.
    const shared = Array.from({ length: 15 }, (_, i) => upsert(policy("ns-shared", `s-${i}`), "CREATE", at(i)));
    const run = (store: Store, writer: string) =>
      Promise.all(batches(writer).map((batch, i) => store.objects.applyChanges("shared", [...batch, shared[i]!])));
    const [fromA, fromB] = await Promise.all([run(a, "a"), run(b, "b")]);
    const appended = [...fromA.flat(), ...fromB.flat()];
    expect(appended).toHaveLength(15 * 4 * 2 + 15);
    const seqs = appended.map((r) => r.seq).sort((x, y) => (x < y ? -1 : 1));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => BigInt(i + 1)));
    expect(await verifyChain(a.revisions.iterate("shared", { pageSize: 50 }))).toMatchObject({ ok: true, count: 135, head: { seq: 135n } });
  });

  it("gives concurrent matrix commits distinct, consecutive generations and a consistent result", async () => {
    await a.clusters.ensureCluster("matrix", "test");
    const base = makeSnapshot({ classes: 30 });
    await a.matrix.commitGeneration("matrix", undefined, base, { stats: {}, sourceVersions: {}, computedAt: at(0) });
    const variants = Array.from({ length: 6 }, (_, i) => {
      const s = cloneSnapshot(base);
      s.connections.set(connectionKey("pod|class-0", "pod|class-1"), `TCP ${1000 + i}`);
      return s;
    });
    // Each writer believes `base` is the latest: all but the first commit find a newer generation
    // and diff against the database instead.
    const generations = await Promise.all(
      variants.map((s, i) => (i % 2 ? a : b).matrix.commitGeneration("matrix", base, s, { stats: {}, sourceVersions: {}, computedAt: at(i + 1) })),
    );
    expect([...generations].sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7]);
    for (const [i, g] of generations.entries()) {
      expect(normalizeSnapshot(await a.matrix.snapshotAt("matrix", g))).toEqual(normalizeSnapshot(variants[i]!));
    }
    const open = await backend.sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM matrix_connections WHERE cluster_id = 'matrix' AND valid_to IS NULL",
    );
    expect(open[0]!.n).toBe(base.connections.size);
  });
});
