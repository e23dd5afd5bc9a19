/**
 * PersistentMap must behave as a Map for every reader (get, has, size, iteration, forEach), and a
 * new version must leave the one it came from exactly as it was: random edit streams against a
 * native Map, every earlier version checked again at the end.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PersistentMap } from "../../src/domain/PersistentMap.js";
import { drain } from "../../src/domain/TimeSlicer.js";

const sorted = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Applies edit operations to a native map or a version's draft (both set and delete). */
function applyOps(target: { set(k: string, v: number): unknown; delete(k: string): unknown }, ops: readonly (readonly ["set" | "delete", string, number])[]): void {
  for (const [kind, k, v] of ops) {
    if (kind === "set") target.set(k, v);
    else target.delete(k);
  }
}

describe("PersistentMap", () => {
  it("reads as a Map: get, has, size, entries, keys, values, forEach, spread", () => {
    const m = PersistentMap.from<string, number>([["a", 1], ["b", 2]]);
    expect(m.get("a")).toBe(1);
    expect(m.get("z")).toBeUndefined();
    expect(m.has("b")).toBe(true);
    expect(m.size).toBe(2);
    expect(sorted(m)).toEqual([["a", 1], ["b", 2]]);
    expect([...m.keys()].sort()).toEqual(["a", "b"]);
    expect([...m.values()].sort()).toEqual([1, 2]);
    const seen: [string, number][] = [];
    m.forEach((v, k, self) => {
      seen.push([k, v]);
      expect(self).toBe(m);
    });
    expect(seen.sort()).toEqual([["a", 1], ["b", 2]]);
    expect(new Map(m).get("b")).toBe(2);
  });

  it("forEach visits every entry even when the callback returns false (immutable.js would stop)", () => {
    const m = PersistentMap.from<string, number>([["a", 1], ["b", 2], ["c", 3]]);
    let n = 0;
    m.forEach((() => {
      n++;
      return false;
    }) as () => void);
    expect(n).toBe(3);
  });

  it("over() keeps a PersistentMap as it is; from() copies a native Map", () => {
    const p = PersistentMap.from<string, number>([["a", 1]]);
    expect(PersistentMap.over(p)).toBe(p);
    const native = new Map([["a", 1]]);
    const copy = PersistentMap.from(native);
    native.set("b", 2);
    expect(copy.has("b")).toBe(false);
  });

  it("over() lies over a native map without copying it: reads go through, edits leave it as it was", () => {
    const native = new Map([["a", 1], ["b", 2], ["c", 3]]);
    const o = PersistentMap.over(native);
    expect(PersistentMap.over(o)).toBe(o);
    expect(o.size).toBe(3);
    expect(o.get("b")).toBe(2);
    const next = o.delete("b").set("d", 4).set("a", 10);
    expect(sorted(next)).toEqual([["a", 10], ["c", 3], ["d", 4]]);
    expect(next.has("b")).toBe(false);
    expect(next.get("b")).toBeUndefined();
    expect(next.size).toBe(3);
    // A key removed, then set again, is back; one removed twice is counted once.
    const back = next.delete("b").set("b", 20);
    expect(back.get("b")).toBe(20);
    expect(back.size).toBe(4);
    expect(next.delete("zz")).toBe(next);
    expect(next.set("a", 10)).toBe(next);
    expect(sorted(native)).toEqual([["a", 1], ["b", 2], ["c", 3]]);
    expect(sorted(o)).toEqual([["a", 1], ["b", 2], ["c", 3]]);
    const seen: [string, number][] = [];
    back.forEach((v, k, self) => {
      seen.push([k, v]);
      expect(self).toBe(back);
    });
    expect(seen.sort()).toEqual([["a", 10], ["b", 20], ["c", 3], ["d", 4]]);
    expect([...back.keys()].sort()).toEqual(["a", "b", "c", "d"]);
    expect([...back.values()].sort((x, y) => x - y)).toEqual([3, 4, 10, 20]);
  });

  it("builder() is filled in place (get sees earlier edits), then frozen: later versions leave it as it was", () => {
    const b = PersistentMap.builder<string, number>();
    b.set("a", 1);
    b.set("b", 2);
    b.delete("a");
    b.set("c", b.get("b")! + 1);
    expect(b.get("a")).toBeUndefined();
    const m = b.build();
    expect(sorted(m)).toEqual([
      ["b", 2],
      ["c", 3],
    ]);
    const next = m.set("d", 4).delete("b");
    expect(sorted(m)).toEqual([
      ["b", 2],
      ["c", 3],
    ]);
    expect(sorted(next)).toEqual([
      ["c", 3],
      ["d", 4],
    ]);
  });

  const op = fc.oneof(
    fc.tuple(fc.constant("set" as const), fc.constantFrom(..."abcdefghijklmnop".split("")), fc.integer()),
    fc.tuple(fc.constant("delete" as const), fc.constantFrom(..."abcdefghijklmnop".split("")), fc.constant(0)),
  );

  it("every version equals the native Map built by the same edits, and older versions never change", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.array(op, { maxLength: 20 })), { maxLength: 12 }), (steps) => {
        let current = PersistentMap.empty<string, number>();
        let native = new Map<string, number>();
        const versions: [PersistentMap<string, number>, Map<string, number>][] = [[current, new Map(native)]];
        for (const [batched, ops] of steps) {
          native = new Map(native);
          applyOps(native, ops);
          if (batched)
            current = current.update((d) => applyOps(d, ops));
          else for (const [kind, k, v] of ops) current = kind === "set" ? current.set(k, v) : current.delete(k);
          versions.push([current, new Map(native)]);
        }
        for (const [p, n] of versions) {
          expect(p.size).toBe(n.size);
          expect(sorted(p)).toEqual(sorted(n));
          for (const k of "abcdefghijklmnop") {
            expect(p.get(k)).toBe(n.get(k));
            expect(p.has(k)).toBe(n.has(k));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  // Enough keys that the trie has several levels and versions share deep paths.
  const manyOps = fc.array(
    fc.oneof(
      fc.tuple(fc.constant("set" as const), fc.integer({ min: 0, max: 5000 }).map((i) => `key-${i}`), fc.integer()),
      fc.tuple(fc.constant("delete" as const), fc.integer({ min: 0, max: 5000 }).map((i) => `key-${i}`), fc.constant(0)),
    ),
    { maxLength: 3000 },
  );

  /** Every reader of `p` (size, entries, forEach, keys, values, get, has) agrees with the native map `n`. */
  const expectSameAs = (p: PersistentMap<string, number>, n: ReadonlyMap<string, number>) => {
    expect(p.size).toBe(n.size);
    expect(sorted(p)).toEqual(sorted(n));
    let visited = 0;
    p.forEach((v, k) => {
      visited++;
      expect(n.get(k)).toBe(v);
    });
    expect(visited).toBe(n.size);
    expect([...p.keys()].length).toBe(n.size);
    expect([...p.values()].length).toBe(n.size);
    for (let i = 0; i <= 5000; i += 7) {
      expect(p.get(`key-${i}`)).toBe(n.get(`key-${i}`));
      expect(p.has(`key-${i}`)).toBe(n.has(`key-${i}`));
    }
  };

  it("with thousands of keys (a trie of several levels), every version equals its native Map, and older versions never change", () => {
    fc.assert(
      fc.property(fc.array(manyOps, { minLength: 1, maxLength: 6 }), (batches) => {
        let current = PersistentMap.empty<string, number>();
        let native = new Map<string, number>();
        const versions: [PersistentMap<string, number>, Map<string, number>][] = [];
        for (const ops of batches) {
          native = new Map(native);
          applyOps(native, ops);
          current = current.update((d) => applyOps(d, ops));
          versions.push([current, new Map(native)]);
        }
        for (const [p, n] of versions) expectSameAs(p, n);
      }),
      { numRuns: 60 },
    );
  });

  it("over() a native map of thousands of keys: every version equals its native Map, older versions and the native map never change", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.array(fc.tuple(fc.boolean(), manyOps), { minLength: 1, maxLength: 6 }), (baseSize, batches) => {
        const frozen = new Map(Array.from({ length: baseSize }, (_, i): [string, number] => [`key-${(i * 3) % 5001}`, -i]));
        const frozenCopy = sorted(frozen);
        let current = PersistentMap.over(frozen);
        let native = new Map(frozen);
        const versions: [PersistentMap<string, number>, Map<string, number>][] = [[current, new Map(native)]];
        for (const [batched, ops] of batches) {
          native = new Map(native);
          applyOps(native, ops);
          if (batched)
            current = drain(PersistentMap.withEditsSliced(current, new Map(ops.map(([kind, k, v]) => [k, kind === "set" ? v : undefined]))));
          else for (const [kind, k, v] of ops) current = kind === "set" ? current.set(k, v) : current.delete(k);
          versions.push([current, new Map(native)]);
        }
        for (const [p, n] of versions) expectSameAs(p, n);
        expect(sorted(frozen)).toEqual(frozenCopy);
      }),
      { numRuns: 25 },
    );
  });

  it("a set of the value a key already has, or a delete of a missing key, keeps the version", () => {
    const m = PersistentMap.from(Array.from({ length: 1000 }, (_, i): [string, number] => [`k${i}`, i]));
    expect(m.set("k5", 5)).toBe(m);
    expect(m.delete("absent")).toBe(m);
    expect(m.set("k5", 6)).not.toBe(m);
    expect(m.size).toBe(1000);
    const builder = PersistentMap.builder<string, number>();
    for (let i = 0; i < 1000; i++) builder.set(`k${i}`, i);
    const built = builder.build();
    builder.set("k1", -1);
    builder.delete("k2");
    expect(built.get("k1")).toBe(1);
    expect(built.get("k2")).toBe(2);
    expect(built.size).toBe(1000);
  });

  it("withEditsSliced applies sets and deletes (undefined) in slices, yielding between them, and leaves the map it started from", () => {
    const base = PersistentMap.from(Array.from({ length: 1000 }, (_, i): [string, number] => [`k${i}`, i]));
    const edits = new Map<string, number | undefined>(Array.from({ length: 600 }, (_, i): [string, number | undefined] => [`k${i * 2}`, i % 3 === 0 ? undefined : -i]));
    edits.set("new", 7);
    const work = PersistentMap.withEditsSliced(base, edits);
    let yields = 0;
    let step = work.next();
    for (; !step.done; step = work.next()) yields++;
    const next = step.value;
    expect(yields).toBeGreaterThan(1);
    const expected = new Map(base);
    for (const [k, v] of edits) {
      if (v === undefined) expected.delete(k);
      else expected.set(k, v);
    }
    expect(sorted(next)).toEqual(sorted(expected));
    expect(next.size).toBe(expected.size);
    expect(base.size).toBe(1000);
    expect(base.get("k0")).toBe(0);
    expect(drain(PersistentMap.withEditsSliced(base, new Map()))).toBe(base);
    // An update without edits is the version it started from.
    expect(base.update(() => undefined)).toBe(base);
  });
});
