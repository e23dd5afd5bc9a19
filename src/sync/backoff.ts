/**
 * Jittered exponential backoff with a reset after a quiet period or a success (`reset()`), after
 * client-go's `NewExponentialBackoffManager(800ms, 30s, 2min, 2.0, jitter)` (RELIABILITY.md 1.2),
 * capped at 10 s rather than 30 s: one process watches a handful of collections, and a 30 s cap
 * left every kind blind for up to 30 s after the API server came back. The nominal
 * delay doubles from `initialMs` to `maxMs`; each delay is drawn in [(1 - jitter) * nominal, nominal],
 * so it never exceeds `maxMs` and concurrent clients spread out. When no failure happened for
 * `resetAfterMs`, the next delay starts again from `initialMs`.
 */
export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly factor?: number;
  /** 0..1: the share of the nominal delay that is randomised away. */
  readonly jitter?: number;
  readonly resetAfterMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 800, maxMs: 10_000, factor: 2, jitter: 0.2, resetAfterMs: 120_000 };

export class Backoff {
  private readonly o: Required<BackoffOptions>;
  private nominal: number;
  private lastFailureAt: number | undefined;

  constructor(
    options: BackoffOptions = {},
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.o = { ...DEFAULT_BACKOFF, ...options };
    this.nominal = this.o.initialMs;
  }

  /** A list or watch succeeded: the next failure starts again from `initialMs`. */
  reset(): void {
    this.nominal = this.o.initialMs;
    this.lastFailureAt = undefined;
  }

  /** The delay before the next attempt, advancing the sequence. */
  next(): number {
    const now = this.now();
    if (this.lastFailureAt !== undefined && now - this.lastFailureAt >= this.o.resetAfterMs) this.nominal = this.o.initialMs;
    this.lastFailureAt = now;
    const nominal = Math.min(this.nominal, this.o.maxMs);
    this.nominal = Math.min(this.nominal * this.o.factor, this.o.maxMs);
    return Math.round(nominal * (1 - this.o.jitter * this.random()));
  }
}
