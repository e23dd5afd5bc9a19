/** The reconnect delay after a watch that ended at once: waited out once, skipped when retired, cut short by stop. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReconnectPacer } from "../../../src/sync/kube/ReconnectPacer.js";

describe("ReconnectPacer", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("delays the next request once, then lets requests go at once", async () => {
    const p = new ReconnectPacer();
    p.delayNext(800);
    let done = false;
    const first = p.pace(false).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(799);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await first;
    expect(done).toBe(true);
    let second = false;
    await p.pace(false).then(() => (second = true));
    expect(second).toBe(true);
  });

  it("does not wait for a retired informer, and keeps the delay for the next one", async () => {
    const p = new ReconnectPacer();
    p.delayNext(500);
    await p.pace(true);
    let done = false;
    const next = p.pace(false).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await next;
  });

  it("cancel() ends every wait at once", async () => {
    const p = new ReconnectPacer();
    p.delayNext(60_000);
    let done = false;
    const waiting = p.pace(false).then(() => (done = true));
    p.cancel();
    await waiting;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
