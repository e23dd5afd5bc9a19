/**
 * The one retry-with-backoff loop of the sync: an operation is attempted until it succeeds or the
 * caller, told of each failure and of the delay before the next attempt, says to stop (a shutdown, a
 * fencing conflict). The delays come from Backoff (backoff.ts), the same sequence the Kubernetes
 * source's restarts use; only the options differ.
 */
import { Backoff, type BackoffOptions } from "./backoff.js";

/** What the caller decides after a failure: attempt again after the delay, or give up now. */
export type RetryDecision = "retry" | "stop";

export type RetryOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export interface RetryOptions {
  readonly backoff: BackoffOptions;
  /** Called after each failed attempt with the delay the next one would wait; logs, and decides. */
  readonly onFailure: (err: unknown, retryInMs: number) => RetryDecision;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Database writes of the sync: 0.5 s doubling to 30 s, no jitter (one writer per cluster), and the
 * sequence starts over with each new operation (a write that worked says the database is back).
 */
export const WRITE_RETRY_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0, resetAfterMs: Infinity };

export async function retryWithBackoff<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<RetryOutcome<T>> {
  const backoff = new Backoff(options.backoff);
  const sleep = options.sleep ?? defaultSleep;
  for (;;) {
    try {
      return { ok: true, value: await attempt() };
    } catch (err) {
      const delayMs = backoff.next();
      if (options.onFailure(err, delayMs) === "stop") return { ok: false, error: err };
      await sleep(delayMs);
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
