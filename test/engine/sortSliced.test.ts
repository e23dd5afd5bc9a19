import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { drain, type SlicedWork } from "../../src/domain/TimeSlicer.js";
import { compareUtf16, sortSliced } from "../../src/engine/util/sortSliced.js";

describe("sortSliced", () => {
  it("sorts as Array.prototype.sort with < does, across the run size", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 20_000 }), fc.nat(3), (keys, extra) => {
        const input = [...new Set(keys)];
        // Large inputs exercise the runs and their merges.
        for (let i = 0; i < extra * 3000; i++) input.push(`k${i}`);
        const unique = [...new Set(input)];
        const expected = [...unique].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        // Strings by the engine's own comparison, and through a comparator.
        expect(drain(sortSliced([...unique]))).toEqual(expected);
        expect(drain(sortSliced([...unique], compareUtf16))).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });

  it("sorts strings that share their first characters (one bucket larger than a run) and the empty string", () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `aa${(i * 7919) % 10_000}`);
    keys.push("", "a", "a\u0000", "b", "\u0000");
    const expected = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(drain(sortSliced([...keys]))).toEqual(expected);
  });

  it("sorts by any comparator and keeps equal items in input order (stable), across the run size", () => {
    // Few distinct keys over many items: most comparisons are ties, which only a stable merge keeps in order.
    const item = fc.record({ key: fc.integer({ min: 0, max: 20 }), id: fc.nat() });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 12_000 }), (items) => {
        const input = items.map((x, i) => ({ key: x.key, id: i }));
        const byKey = (a: { key: number }, b: { key: number }) => a.key - b.key;
        // Array.prototype.sort is stable (ES2019).
        expect(drain(sortSliced([...input], byKey))).toEqual([...input].sort(byKey));
      }),
      { numRuns: 20 },
    );
  });

  it("yields while sorting a large array, and not for one run", () => {
    const yields = (work: SlicedWork<unknown>) => {
      let n = 0;
      while (!work.next().done) n++;
      return n;
    };
    expect(yields(sortSliced(Array.from({ length: 4096 }, (_, i) => 4096 - i), (a, b) => a - b))).toBe(0);
    expect(yields(sortSliced(Array.from({ length: 50_000 }, (_, i) => 50_000 - i), (a, b) => a - b))).toBeGreaterThan(10);
  });
});
