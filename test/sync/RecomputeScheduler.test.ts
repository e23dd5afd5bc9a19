/** When the sync recomputes: leading edge after quiet, debounce, max wait, one run at a time, retry after a failure. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RecomputeScheduler } from "../../src/sync/RecomputeScheduler.js";

function scheduler(options: { debounceMs?: number; maxWaitMs?: number; runMs?: number; fail?: () => boolean } = {}) {
  const runs: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const errors: unknown[] = [];
  const s: RecomputeScheduler = new RecomputeScheduler({
    debounceMs: options.debounceMs ?? 200,
    maxWaitMs: options.maxWaitMs ?? 2000,
    run: async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs.push(Date.now());
      s.takeDirty();
      await new Promise((r) => setTimeout(r, options.runMs ?? 0));
      running--;
      if (options.fail?.()) throw new Error("boom");
    },
    onError: (err) => errors.push(err),
  });
  return { s, runs, errors, maxRunning: () => maxRunning };
}

describe("RecomputeScheduler", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 100_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs at once for the first watch change after a quiet period (leading edge)", async () => {
    const { s, runs } = scheduler();
    s.changed(true, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([100_000]);
    expect(s.dirtySince).toBeUndefined();
  });

  it("debounces a burst: one trailing run after the debounce period of quiet", async () => {
    const { s, runs } = scheduler();
    for (let i = 0; i < 5; i++) {
      s.changed(false, true); // listings never take the leading edge
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(149);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([100_000 + 250 + 150]);
  });

  it("runs no later than maxWaitMs after the oldest change, however steady the stream", async () => {
    const { s, runs } = scheduler({ debounceMs: 200, maxWaitMs: 1000 });
    for (let i = 0; i < 12; i++) {
      s.changed(false, true);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(runs).toEqual([101_000]);
  });

  it("only marks dirty while scheduling is off (the initial listing); the dirty time is the oldest change", async () => {
    const { s, runs } = scheduler();
    s.changed(true, false);
    await vi.advanceTimersByTimeAsync(5000);
    s.changed(true, false);
    expect(runs).toEqual([]);
    expect(s.dirtySince).toBe(100_000);
    s.markDirty(99_000);
    expect(s.takeDirty()).toBe(99_000);
    expect(s.dirtySince).toBeUndefined();
  });

  it("runs one recompute at a time: one asked for meanwhile waits for the running one", async () => {
    const { s, runs, maxRunning } = scheduler({ runMs: 500 });
    const first = s.runNow();
    const second = s.runNow();
    const third = s.runNow();
    await vi.advanceTimersByTimeAsync(1500);
    await Promise.all([first, second, third]);
    expect(runs).toEqual([100_000, 100_500, 101_000]);
    expect(maxRunning()).toBe(1);
  });

  it("a change while a recompute runs does not take the leading edge: it is debounced", async () => {
    const { s, runs } = scheduler({ runMs: 1000 });
    s.changed(true, true);
    await vi.advanceTimersByTimeAsync(100);
    s.changed(true, true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toEqual([100_000, 101_000]); // the trailing run waits for the first to finish
  });

  it("settle() cancels the debounced run and waits for the running one", async () => {
    const { s, runs } = scheduler({ runMs: 300 });
    void s.runNow();
    await vi.advanceTimersByTimeAsync(0); // the run took the (empty) dirty mark
    s.changed(false, true);
    const settled = s.settle();
    await vi.advanceTimersByTimeAsync(300);
    await settled;
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toEqual([100_000]);
    expect(s.dirtySince).toBe(100_000);
  });

  it("a failed run rejects its caller, reports a self-started failure, and does not stop the next run", async () => {
    let fail = true;
    const { s, runs, errors } = scheduler({ fail: () => fail });
    const failed = expect(s.runNow()).rejects.toThrow("boom");
    await vi.advanceTimersByTimeAsync(0);
    await failed;
    s.changed(true, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    fail = false;
    const third = s.runNow();
    await vi.advanceTimersByTimeAsync(0);
    await third;
    expect(runs).toHaveLength(3);
  });

  it("retries after a failure only if still dirty, with one retry pending at most", async () => {
    const { s, runs } = scheduler();
    s.markDirty(Date.now());
    s.retryAfter(60_000);
    s.retryAfter(60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toEqual([160_000]);
    s.retryAfter(1000); // clean now: nothing runs
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(1);
    s.markDirty(Date.now());
    s.retryAfter(1000);
    s.cancelRetry();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(1);
  });
});
