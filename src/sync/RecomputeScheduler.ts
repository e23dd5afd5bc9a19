/**
 * When the sync recomputes the matrix (the timing half of client-go's rate-limited work queue):
 * applied changes mark the matrix dirty, and a recompute follows
 * - at once for the first watch event after a quiet period (the leading edge: a lone policy change
 *   reaches a committed generation without waiting),
 * - otherwise after `debounceMs` of quiet, but no later than `maxWaitMs` after the oldest change
 *   not yet recomputed (a steady stream still gets generations).
 * Runs are serialised: at most one runs at a time, and one asked for meanwhile waits for it. What a
 * run does (take the dirty mark, compute, commit) is the caller's `run`; this class only keeps time.
 */

export interface RecomputeSchedulerOptions {
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  /** One recompute. Never called while another call has not settled. */
  readonly run: () => Promise<void>;
  /** A recompute this scheduler started by itself failed (callers of runNow() get their own error). */
  readonly onError: (err: unknown) => void;
  /** Milliseconds, for the quiet-period and deadline arithmetic (default Date.now). */
  readonly now?: () => number;
}

export class RecomputeScheduler {
  /** When the oldest change not yet taken by a recompute was applied (ms); undefined when clean. */
  private dirtyAt: number | undefined;
  /** When a change was last applied: the first change after a debounce period of quiet skips the debounce. */
  private lastChangeAt = 0;
  private debounceTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The last run asked for (never rejects); undefined once it settled and none followed. */
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: RecomputeSchedulerOptions) {
    this.now = options.now ?? Date.now;
  }

  get dirtySince(): number | undefined {
    return this.dirtyAt;
  }

  /**
   * A change was applied. `leadingEdge`: it may take the leading edge (watch events; listings come
   * kind by kind and belong in one generation). `schedule` false: only mark dirty (the initial
   * listing is still arriving, or the sync stops), a later flush recomputes.
   */
  changed(leadingEdge: boolean, schedule: boolean): void {
    const now = this.now();
    const quiet = leadingEdge && this.dirtyAt === undefined && !this.running && !this.debounceTimer && now - this.lastChangeAt >= this.options.debounceMs;
    this.lastChangeAt = now;
    this.dirtyAt ??= now;
    if (!schedule) return;
    if (quiet) {
      void this.runNow().catch(this.options.onError);
      return;
    }
    const due = Math.min(now + this.options.debounceMs, this.dirtyAt + this.options.maxWaitMs);
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.runNow().catch(this.options.onError);
    }, Math.max(0, due - now));
  }

  /** Marks the matrix dirty since `at` (ms), unless it already is since earlier; nothing is scheduled. */
  markDirty(at: number): void {
    this.dirtyAt = Math.min(this.dirtyAt ?? Infinity, at);
  }

  /** A run takes the dirty mark: changes applied from now on make it dirty again. */
  takeDirty(): number | undefined {
    const at = this.dirtyAt;
    this.dirtyAt = undefined;
    return at;
  }

  /** Runs a recompute after the one running (if any); rejects with this run's error. */
  runNow(): Promise<void> {
    const run = (this.running ?? Promise.resolve()).then(() => this.options.run());
    // The tracked promise never rejects: a failed run must neither skip the next one nor surface as
    // an unhandled rejection. It clears itself when it is the last.
    const tracked: Promise<void> = run.then(
      () => undefined,
      () => undefined,
    );
    this.running = tracked;
    void tracked.then(() => {
      if (this.running === tracked) this.running = undefined;
    });
    return run;
  }

  /** Cancels a pending debounced run and waits for the running one: the caller decides what runs next. */
  async settle(): Promise<void> {
    this.cancelDebounce();
    await this.running;
  }

  /** After a failed run: try again in `ms` if still dirty then (one retry pending at most; a change recomputes sooner). */
  retryAfter(ms: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.dirtyAt !== undefined) void this.runNow().catch(() => undefined);
    }, ms);
    this.retryTimer.unref();
  }

  cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  cancelDebounce(): void {
    clearTimeout(this.debounceTimer);
    this.debounceTimer = undefined;
  }
}
