/** The one retry-with-backoff loop: delays from Backoff, the caller decides after each failure. */
import { describe, expect, it } from "vitest";
import { retryWithBackoff, WRITE_RETRY_BACKOFF } from "../../src/sync/retry.js";

describe("retryWithBackoff", () => {
  it("retries with the write backoff (0.5 s doubling to 30 s) until the attempt succeeds", async () => {
    const slept: number[] = [];
    const seen: number[] = [];
    let n = 0;
    const outcome = await retryWithBackoff(
      async () => {
        if (++n < 9) throw new Error(`fail ${n}`);
        return "ok";
      },
      { backoff: WRITE_RETRY_BACKOFF, onFailure: (_err, ms) => (seen.push(ms), "retry"), sleep: async (ms) => void slept.push(ms) },
    );
    expect(outcome).toEqual({ ok: true, value: "ok" });
    expect(slept).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(seen).toEqual(slept);
  });

  it("stops when the caller says so, without sleeping, and returns the error", async () => {
    const slept: number[] = [];
    const err = new Error("conflict");
    const outcome = await retryWithBackoff(
      async () => {
        throw err;
      },
      { backoff: WRITE_RETRY_BACKOFF, onFailure: () => "stop", sleep: async (ms) => void slept.push(ms) },
    );
    expect(outcome).toEqual({ ok: false, error: err });
    expect(slept).toEqual([]);
  });
});
