/** Changes waiting for a generation: taken by a recompute with a reserved number, put back if it fails. */
import { describe, expect, it } from "vitest";
import { PendingChanges } from "../../src/sync/PendingChanges.js";
import type { LoggedBatch } from "../../src/sync/impact.js";

const batch = (): LoggedBatch => ({ changes: [], revisions: [] });
const at = (s: number) => new Date(s * 1000);

describe("PendingChanges", () => {
  it("opens the generation after the last committed one", () => {
    expect(new PendingChanges().openGeneration).toBe(1);
    expect(new PendingChanges(7).openGeneration).toBe(8);
  });

  it("a recompute takes every batch and reserves the number; changes applied meanwhile belong to the next", () => {
    const p = new PendingChanges(3);
    const [a, b] = [batch(), batch()];
    p.add(a, at(10));
    p.add(b, at(20));
    const taken = p.take(500);
    expect(taken).toEqual({ log: [a, b], since: at(10), dirtySince: 500, expectedGeneration: 4 });
    expect(p.openGeneration).toBe(5);
    p.add(batch(), at(30));
    expect(p.oldestSince).toEqual(at(10)); // still behind: the recompute has not committed
    p.committed();
    expect(p.oldestSince).toEqual(at(30));
    expect(p.settle()).toBe(true);
  });

  it("a failed recompute puts its changes back in front and releases its number", () => {
    const p = new PendingChanges();
    const [a, b] = [batch(), batch()];
    p.add(a, at(10));
    p.take(500);
    p.add(b, at(20));
    expect(p.putBack()).toBe(500);
    expect(p.openGeneration).toBe(1);
    expect(p.oldestSince).toEqual(at(10));
    expect(p.take(600)).toMatchObject({ log: [a, b], since: at(10), expectedGeneration: 1 });
  });

  it("keeps the number reserved when a later recompute already took the next one", () => {
    const p = new PendingChanges();
    p.take(1);
    p.committed();
    p.take(2); // generation 2 reserved
    expect(p.putBack()).toBe(2);
    expect(p.openGeneration).toBe(2);
    expect(p.putBack()).toBeUndefined();
  });

  it("a recompute that returned without committing (stopped, fenced) settles as not committed", () => {
    const p = new PendingChanges();
    p.take(1);
    expect(p.settle()).toBe(false);
    expect(p.settle()).toBe(true);
  });

  it("a batch the engine does not read is kept without making the state behind", () => {
    const p = new PendingChanges();
    p.add(batch(), undefined);
    expect(p.oldestSince).toBeUndefined();
    expect(p.take(1).log).toHaveLength(1);
  });
});
