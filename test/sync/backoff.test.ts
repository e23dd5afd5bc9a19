/** The restart backoff: 0.8 s -> 10 s doubling, jitter below the nominal delay, reset after 2 min quiet or a success. */
import { describe, expect, it } from "vitest";
import { Backoff } from "../../src/sync/backoff.js";

describe("Backoff", () => {
  it("doubles from 0.8 s and caps at 10 s (no jitter drawn)", () => {
    const b = new Backoff({}, () => 0, () => 0);
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([800, 1600, 3200, 6400, 10000, 10000, 10000]);
  });

  it("starts over after a success (reset), however recent the last failure", () => {
    const b = new Backoff({}, () => 0, () => 0);
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(800);
  });

  it("draws each delay in [(1 - jitter) * nominal, nominal], never above the cap", () => {
    const b = new Backoff({ jitter: 0.2 }, () => 0, () => 0.999);
    expect(b.next()).toBe(640);
    const capped = new Backoff({ jitter: 0.2, maxMs: 30_000 }, () => 0, Math.random);
    for (let i = 0; i < 50; i++) {
      const d = capped.next();
      expect(d).toBeLessThanOrEqual(30_000);
      if (i > 10) expect(d).toBeGreaterThanOrEqual(24_000);
    }
  });

  it("starts over after resetAfterMs without failures", () => {
    let now = 0;
    const b = new Backoff({ resetAfterMs: 120_000 }, () => now, () => 0);
    b.next();
    b.next();
    now += 119_999;
    expect(b.next()).toBe(3200); // still within the window of the previous failure
    now += 120_000;
    expect(b.next()).toBe(800);
  });
});
