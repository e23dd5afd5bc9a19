/**
 * The API's one cache (src/api/query/caches.ts): least recently used entries go first, by count or
 * by weight; concurrent loads of a key are shared; a failed load is forgotten (only that load, never
 * a newer one of the same key).
 */
import { describe, expect, it } from "vitest";
import { cacheKey, lruCache, sharedLoad, weighedCache } from "../../../src/api/query/caches.js";

describe("caches", () => {
  it("lruCache forgets the least recently used entry beyond its size", () => {
    const c = lruCache<number>(2);
    c.set("a", 1);
    c.set("b", 2);
    expect(c.get("a")).toBe(1); // a is now the most recently used
    c.set("c", 3);
    expect([...c.keys()].sort()).toEqual(["a", "c"]);
  });

  it("weighedCache forgets by total weight; an entry without a weight weighs 1", () => {
    const c = weighedCache<string>(10);
    c.set("a", "A", { size: 6 });
    c.set("b", "B", { size: 3 });
    c.set("c", "C");
    expect(c.calculatedSize).toBe(10);
    c.set("d", "D", { size: 2 });
    expect(c.has("a")).toBe(false);
    expect([...c.keys()].sort()).toEqual(["b", "c", "d"]);
    // Re-weighing an entry in place (a load's weight is known once it resolves).
    c.set("c", "C", { size: 5 });
    expect(c.calculatedSize).toBe(10);
  });

  it("sharedLoad shares a load between callers and keeps its value", async () => {
    const c = lruCache<Promise<number>>(4);
    let loads = 0;
    const load = async () => ++loads;
    const [x, y] = await Promise.all([sharedLoad(c, "k", load), sharedLoad(c, "k", load)]);
    expect([x, y, await sharedLoad(c, "k", load)]).toEqual([1, 1, 1]);
    expect(loads).toBe(1);
  });

  it("sharedLoad forgets a failed load, so the next caller loads again", async () => {
    const c = lruCache<Promise<number>>(4);
    let calls = 0;
    const flaky = async () => {
      if (++calls === 1) throw new Error("connection reset");
      return calls;
    };
    await expect(sharedLoad(c, "k", flaky)).rejects.toThrow("connection reset");
    expect(c.has("k")).toBe(false);
    expect(await sharedLoad(c, "k", flaky)).toBe(2);
    expect(c.has("k")).toBe(true);
  });

  it("a failed load never removes a newer load of the same key", async () => {
    const c = lruCache<Promise<string>>(4);
    let fail!: (e: Error) => void;
    const first = sharedLoad(c, "k", () => new Promise<string>((_, reject) => (fail = reject)));
    first.catch(() => undefined);
    const newer = Promise.resolve("newer");
    c.set("k", newer);
    fail(new Error("late failure"));
    await expect(first).rejects.toThrow("late failure");
    await Promise.resolve();
    expect(c.get("k")).toBe(newer);
  });

  it("cacheKey joins parts with NUL, which names never contain", () => {
    expect(cacheKey("c1", 3, "ns")).toBe("c1\u00003\u0000ns");
    expect(cacheKey("c1", 12)).not.toBe(cacheKey("c11", 2));
  });
});
