/**
 * Cooperative time slicing for long synchronous work on the event loop the API shares.
 *
 * Why: `kubereach serve` answers GraphQL from the same event loop that commits generations. A
 * generation that batches a few dozen policy changes moves ~100,000 connections at 10,000 pods:
 * the recompute, the store's delta and the content digest are each hundreds of milliseconds of CPU,
 * and run in one go they stalled every reader for seconds (whoCanReach p99 3.7 s in the sync
 * benchmark). Work written as a generator that `yield`s at safe points is run here in slices of
 * `budgetMs`, giving the event loop a turn (setImmediate: timers, I/O and queued requests run) in
 * between. The same generator runs in one go with `drain` (tests, CLI), so the result never
 * depends on how it was sliced.
 *
 * No I/O: a turn of the event loop is scheduling, not input or output.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { performance } from "node:perf_hooks";
// The leaf module, not the engine index: whoever slices work (the store, the CLI) need not load the engine.
import { runSteps, type Steps } from "../engine/util/steps.js";

/** Work that yields (nothing) at points where giving the event loop a turn is safe (the engine's Steps). */
export type SlicedWork<T> = Steps<T>;

/** The default slice: long enough to amortise a turn, short against a reader's 25 ms budget. */
export const DEFAULT_SLICE_MS = 8;

export class TimeSlicer {
  private since = performance.now();
  /** Turns given so far (tests). */
  turns = 0;

  constructor(private readonly budgetMs = DEFAULT_SLICE_MS) {}

  /** True when the current slice has used its budget: the caller should `await turn()`. */
  due(): boolean {
    return performance.now() - this.since >= this.budgetMs;
  }

  /** Gives the event loop a turn now and starts a new slice. */
  async turn(): Promise<void> {
    await nextTurn();
    this.turns++;
    this.since = performance.now();
  }

  /** Gives the event loop a turn when the slice is used up (cheap when it is not). */
  async pause(): Promise<void> {
    if (this.due()) await this.turn();
  }

  /** Runs `work` to its end, a turn of the event loop whenever a slice is used up. */
  async run<T>(work: SlicedWork<T>): Promise<T> {
    for (;;) {
      const step = work.next();
      if (step.done) return step.value;
      if (this.due()) await this.turn();
    }
  }
}

/** Runs `work` to its end in one go (no turns). */
export const drain: <T>(work: SlicedWork<T>) => T = runSteps;

/**
 * How often sliced loops yield: every this many items. Yielding costs a generator resume (tens of
 * nanoseconds); checking the clock at every yield would cost more than the items.
 */
export const YIELD_EVERY = 512;
