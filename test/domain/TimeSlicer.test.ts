import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { drain, TimeSlicer, type SlicedWork } from "../../src/domain/TimeSlicer.js";
import { sortSliced } from "../../src/domain/audit/matrixDigestState.js";

function* counting(n: number, seen: number[]): SlicedWork<number> {
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += i;
    seen.push(i);
    yield;
  }
  return total;
}

describe("TimeSlicer", () => {
  it("runs sliced work to the same result as drain, giving the event loop turns when a slice is used up", async () => {
    const slicer = new TimeSlicer(0); // every yield is a turn
    const seen: number[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const result = await slicer.run(counting(200, seen));
    clearInterval(timer);
    expect(result).toBe(drain(counting(200, [])));
    expect(seen).toHaveLength(200);
    expect(slicer.turns).toBe(200);
    // Other callbacks ran while the work was in progress.
    expect(ticks).toBeGreaterThan(0);
  });

  it("takes no turn while the slice lasts", async () => {
    const slicer = new TimeSlicer(60_000);
    expect(await slicer.run(counting(1000, []))).toBe(499_500);
    expect(slicer.turns).toBe(0);
  });
});

describe("sortSliced", () => {
  it("sorts as Array.prototype.sort with < does, across the run size", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 20_000 }), fc.nat(3), (keys, extra) => {
        const input = [...new Set(keys)];
        // Large inputs exercise the runs and their merges.
        for (let i = 0; i < extra * 3000; i++) input.push(`k${i}`);
        const unique = [...new Set(input)];
        const expected = [...unique].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(drain(sortSliced([...unique]))).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });
});
