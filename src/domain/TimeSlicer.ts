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

/**
 * The default slice: long enough to amortise a turn, short against a reader's 25 ms budget. A turn
 * can hold a slice, the I/O callbacks of a commit and a scavenge (5-15 ms) at once: with 8 ms slices
 * the event loop's delay p99 was 25-29 ms under churn at 10k pods, with 4 ms 19 ms.
 */
export const DEFAULT_SLICE_MS = 4;

/**
 * The event loop's turns, shared by every TimeSlicer, so that a turn holds one slice whoever spends
 * it. Several sliced works often run at once (a generation's recompute, the API's index of the
 * previous generation, the impacts' row estimate): each timing its own slice, they resumed one
 * after the other in the same turn and held the event loop for a slice each (16-24 ms). A work
 * that needs a turn waits here; at the next turn the waiting works resume in order, and one that
 * finds the turn's slice already spent by the works before it waits again, first in line.
 */
class SharedTurns {
  /** When the current (or last) turn began. */
  startedAt = performance.now();
  /** Works resumed so far in the current turn. */
  resumed = 0;
  private waiting: (() => void)[] = [];
  /** Works that found the slice spent: first at the next turn. */
  private first: (() => void)[] = [];
  private scheduled = false;

  /** Resolves at a later turn of the event loop, with this work's position in it (0: first). */
  wait(first: boolean): Promise<number> {
    return new Promise((resolve) => {
      (first ? this.first : this.waiting).push(() => resolve(this.resumed++));
      if (!this.scheduled) {
        this.scheduled = true;
        nextTurn().then(() => this.turn(), () => undefined);
      }
    });
  }

  private turn(): void {
    this.scheduled = false;
    const resume = [...this.first, ...this.waiting];
    this.first = [];
    this.waiting = [];
    this.startedAt = performance.now();
    this.resumed = 0;
    for (const r of resume) r();
  }
}

const turns = new SharedTurns();

export class TimeSlicer {
  private since = performance.now();
  /** Turns given so far (tests). */
  turns = 0;

  constructor(private readonly budgetMs = DEFAULT_SLICE_MS) {}

  /** True when the current slice has used its budget: the caller should `await turn()`. */
  due(): boolean {
    return performance.now() - this.since >= this.budgetMs;
  }

  /**
   * Gives the event loop a turn now and starts a new slice: the turn's, which works resumed before
   * this one may have spent already (then it waits for the next turn, first in line). The check
   * runs a microtask before the caller resumes, so a caller may overrun the turn by one step.
   */
  async turn(): Promise<void> {
    for (let first = false; ; first = true) if (this.resumedWithSlice(await turns.wait(first))) return;
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
      // turn() inlined: the slice is checked in the same microtask that goes on with the work.
      if (this.due()) for (let first = false; ; first = true) if (this.resumedWithSlice(await turns.wait(first))) break;
    }
  }

  /** Resumed at `position` in a turn: true when the turn's slice is not spent yet (the first always gets it). */
  private resumedWithSlice(position: number): boolean {
    this.turns++;
    this.since = turns.startedAt;
    return position === 0 || !this.due();
  }
}

/** Runs `work` to its end in one go (no turns). */
export const drain: <T>(work: SlicedWork<T>) => T = runSteps;

/**
 * How often sliced loops yield: every this many items. Yielding costs a generator resume (tens of
 * nanoseconds); checking the clock at every yield would cost more than the items.
 */
export const YIELD_EVERY = 512;
