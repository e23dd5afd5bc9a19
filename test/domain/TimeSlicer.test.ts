import { describe, expect, it } from "vitest";
import { drain, TimeSlicer, type SlicedWork } from "../../src/domain/TimeSlicer.js";

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

  it("shares a turn's slice between works running at once: one work's steps per turn, the others first at the next", async () => {
    // A tick per turn of the event loop (an immediate re-queued from an immediate runs at the next turn).
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    /** Steps of 2 ms (a 5 ms slice is spent after three), recording the turn each ran in. */
    function* work(name: string, steps: number, log: [number, string][]): SlicedWork<void> {
      for (let i = 0; i < steps; i++) {
        busy(2);
        log.push([turn, name]);
        yield;
      }
    }
    const log: [number, string][] = [];
    await Promise.all(["a", "b", "c"].map((name) => new TimeSlicer(5).run(work(name, 24, log))));
    ticking = false;
    const byTurn = new Map<number, Set<string>>();
    for (const [t, name] of log) byTurn.set(t, (byTurn.get(t) ?? new Set()).add(name));
    // Each work starts in the caller's turn (its first step runs before it can wait); from then on,
    // one work per turn, except where a work ran out of steps before the slice was spent.
    const shared = [...byTurn].filter(([t, names]) => t !== log[0]![0] && names.size > 1);
    expect(shared.length).toBeLessThanOrEqual(2);
    // Every work got turns of its own (no work starved).
    for (const name of ["a", "b", "c"]) expect([...byTurn.values()].some((names) => names.size === 1 && names.has(name))).toBe(true);
  });

  it("takes no turn while the slice lasts", async () => {
    const slicer = new TimeSlicer(60_000);
    expect(await slicer.run(counting(1000, []))).toBe(499_500);
    expect(slicer.turns).toBe(0);
  });
});
