/**
 * MatrixReaders.noteSnapshot: a generation this process committed is indexed from memory, derived
 * (in time slices) from the previous generation's index, and published to readers of the latest
 * generation once indexed; until then they keep the previous generation (visibleGeneration).
 */
import { describe, expect, it } from "vitest";
import { MatrixReaders } from "../../../src/api/query/matrixReaders.js";
import { DEFAULT_CACHE_SIZES } from "../../../src/domain/config.js";
import { classPairKey, storedClassKey, type ClassKey } from "../../../src/domain/keys.js";
import type { MatrixClass, MatrixSnapshot, Store } from "../../../src/domain/repositories.js";

const key = (k: string) => storedClassKey(k);
const cls = (k: string, name: string): MatrixClass => ({ key: key(k), kind: "pod", members: [{ type: "workload", namespace: "ns", kind: "Deployment", name, pods: 1 }] });

/** A snapshot of `n` classes, each connected to the next. */
function chain(n: number): MatrixSnapshot {
  const classes = new Map<ClassKey, MatrixClass>();
  const connections = new Map<ReturnType<typeof classPairKey>, string>();
  for (let i = 0; i < n; i++) classes.set(key(`c${i}`), cls(`c${i}`, `w${i}`));
  for (let i = 0; i + 1 < n; i++) connections.set(classPairKey(key(`c${i}`), key(`c${i + 1}`)), "TCP 80");
  return { classes, connections };
}

/** `base` with every connection's port changed, and the hint an incremental recompute gives. */
function changedAll(base: MatrixSnapshot): MatrixSnapshot {
  const connections = new Map([...base.connections].map(([k]) => [k, "TCP 8080"] as const));
  return { classes: base.classes, connections, changedSince: { base, classes: new Map(), connections } };
}

// No store read happens for noted generations.
const store = {} as Pick<Store, "matrix">;

describe("MatrixReaders.noteSnapshot", () => {
  it("publishes a derived generation to readers of the latest once its index is built", async () => {
    const readers = new MatrixReaders(store, 1_000_000, DEFAULT_CACHE_SIZES);
    const g1 = chain(60_000);
    readers.noteSnapshot("c", 1, g1);
    // The first generation of the process is indexed from the whole snapshot: visible at once.
    expect(readers.visibleGeneration("c", 1)).toBe(1);
    const g2 = changedAll(g1);
    readers.noteSnapshot("c", 2, g2);
    // Being derived (60,000 changed rows: several time slices): readers keep generation 1.
    expect(readers.visibleGeneration("c", 2)).toBe(1);
    const index = await readers.index({ cluster: "c", generation: 2, computedAt: new Date() });
    expect(readers.visibleGeneration("c", 2)).toBe(2);
    expect(index!.connections("outgoing", [key("c0")])).toEqual([{ srcClass: key("c0"), dstClass: key("c1"), conn: "TCP 8080" }]);
    // The previous generation's index still answers for its own generation.
    const before = await readers.index({ cluster: "c", generation: 1, computedAt: new Date() });
    expect(before!.connections("outgoing", [key("c0")])[0]!.conn).toBe("TCP 80");
    expect(readers.generationOf(index!)).toBe(2);
  });

  it("derives a generation whose hint the sync dropped before the previous index was ready (it computed the next one on it)", async () => {
    const readers = new MatrixReaders(store, 1_000_000, DEFAULT_CACHE_SIZES);
    const g1 = chain(60_000);
    readers.noteSnapshot("c", 1, g1); // indexed in time slices: not ready yet
    const g2 = changedAll(g1);
    readers.noteSnapshot("c", 2, g2);
    // The next generation's computation starts on g2 and drops its hint (recompute.ts) at once.
    (g2 as { changedSince?: MatrixSnapshot["changedSince"] }).changedSince = undefined;
    const first = await readers.index({ cluster: "c", generation: 1, computedAt: new Date() });
    const index = await readers.index({ cluster: "c", generation: 2, computedAt: new Date() });
    // Derived from generation 1's index (not built again from the whole snapshot), and right.
    expect(index!.derived?.from).toBe(first);
    expect(index!.connections("outgoing", [key("c0")])).toEqual([{ srcClass: key("c0"), dstClass: key("c1"), conn: "TCP 8080" }]);
  });

  it("a generation before the last noted one, its index evicted, is read from the store per question, not loaded whole", async () => {
    let snapshotReads = 0;
    const counting = { matrix: { getGeneration: async () => (snapshotReads++, undefined), snapshotAt: async () => (snapshotReads++, chain(10)) } } as unknown as Pick<Store, "matrix">;
    const readers = new MatrixReaders(counting, 1_000_000, { generationIndexes: 2 });
    for (let g = 1; g <= 3; g++) readers.noteSnapshot("c", g, chain(10));
    const latest = await readers.index({ cluster: "c", generation: 3, computedAt: new Date() });
    // Generation 1's index was evicted by 2 and 3 (two are kept): undefined, so its readers use the store's reader.
    expect(await readers.index({ cluster: "c", generation: 1, computedAt: new Date() })).toBeUndefined();
    expect(snapshotReads).toBe(0);
    // And the latest generation's index was not evicted by that question.
    expect(await readers.index({ cluster: "c", generation: 3, computedAt: new Date() })).toBe(latest);
    expect(await readers.index({ cluster: "c", generation: 2, computedAt: new Date() })).toBeDefined();
  });

  it("never holds back a generation it does not derive", () => {
    const readers = new MatrixReaders(store, 1_000_000, DEFAULT_CACHE_SIZES);
    expect(readers.visibleGeneration("c", 7)).toBe(7);
    readers.noteSnapshot("c", 1, chain(10));
    readers.noteSnapshot("c", 2, chain(10)); // no hint: indexed from the whole snapshot
    expect(readers.visibleGeneration("c", 2)).toBe(2);
  });

  it("a load of the generation after the last noted one waits for its note instead of reading the store", async () => {
    let storeReads = 0;
    const counting = { matrix: { getGeneration: async () => (storeReads++, undefined) } } as unknown as Pick<Store, "matrix">;
    const readers = new MatrixReaders(counting, 1_000_000, DEFAULT_CACHE_SIZES);
    const g1 = chain(100);
    readers.noteSnapshot("c", 1, g1);
    // Generation 2 is visible in the database a moment before this process notes it.
    const loading = readers.index({ cluster: "c", generation: 2, computedAt: new Date() });
    await new Promise((r) => setTimeout(r, 20));
    readers.noteSnapshot("c", 2, changedAll(g1));
    const index = await loading;
    expect(storeReads).toBe(0);
    expect(index!.connections("outgoing", [key("c0")])[0]!.conn).toBe("TCP 8080");
    // Another writer's generation (never noted here) is read from the store after the wait.
    expect(await readers.index({ cluster: "c", generation: 3, computedAt: new Date() })).toBeUndefined();
    expect(storeReads).toBe(1);
  });

  it("keeps the last noted generation visible for a moment when the database is one ahead (this process's commit, not yet noted)", () => {
    let now = 1_000;
    const readers = new MatrixReaders(store, 1_000_000, DEFAULT_CACHE_SIZES, () => now);
    readers.noteSnapshot("c", 1, chain(10));
    expect(readers.visibleGeneration("c", 2)).toBe(1);
    now += 400;
    expect(readers.visibleGeneration("c", 2)).toBe(1);
    // Not noted within the wait: another writer's generation, visible.
    now += 200;
    expect(readers.visibleGeneration("c", 2)).toBe(2);
    // Two ahead is never this process's next commit.
    expect(readers.visibleGeneration("c", 3)).toBe(3);
  });
});

