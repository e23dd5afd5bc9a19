/** The sync's event queue: arrival order, micro-batches bounded by objects, one worker, dropping on abort. */
import { describe, expect, it } from "vitest";
import { EventQueue, type BatchOutcome } from "../../src/sync/EventQueue.js";

interface Ev {
  readonly id: string;
  readonly weight: number;
  readonly at: Date;
}

const ev = (id: string, weight = 1): Ev => ({ id, weight, at: new Date(0) });

function queueOf(options: { maxBatch: number; apply?: (batch: readonly Ev[]) => Promise<BatchOutcome> }) {
  const batches: string[][] = [];
  let running = 0;
  let maxRunning = 0;
  let halted = false;
  const queue = new EventQueue<Ev>({
    maxBatch: options.maxBatch,
    weigh: (e) => e.weight,
    apply: async (batch) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      batches.push(batch.map((e) => e.id));
      await new Promise((r) => setTimeout(r, 1));
      running--;
      return options.apply ? options.apply(batch) : "applied";
    },
    halted: () => halted,
  });
  return { queue, batches, maxRunning: () => maxRunning, halt: () => (halted = true) };
}

describe("EventQueue", () => {
  it("coalesces the events that arrive while a batch is applied into the next batch, in arrival order", async () => {
    const { queue, batches, maxRunning } = queueOf({ maxBatch: 100 });
    const done = [queue.push(ev("a"))];
    for (const id of ["b", "c", "d"]) done.push(queue.push(ev(id)));
    await Promise.all(done);
    expect(batches).toEqual([["a"], ["b", "c", "d"]]);
    expect(maxRunning()).toBe(1);
    expect(queue.length).toBe(0);
  });

  it("bounds a batch by objects, not events (a listing weighs its objects), but always takes one event", async () => {
    const { queue, batches } = queueOf({ maxBatch: 3 });
    const done = [queue.push(ev("first"))];
    for (const [id, w] of [["l1", 5], ["u1", 1], ["u2", 1], ["u3", 1], ["u4", 1], ["l2", 2]] as const) done.push(queue.push(ev(id, w)));
    await Promise.all(done);
    expect(batches).toEqual([["first"], ["l1"], ["u1", "u2", "u3"], ["u4", "l2"]]);
  });

  it("resolves each event's promise only once its batch was applied", async () => {
    const { queue } = queueOf({ maxBatch: 10 });
    let resolved = false;
    const p = queue.push(ev("a")).then(() => (resolved = true));
    expect(resolved).toBe(false);
    expect(queue.oldestAt).toBeUndefined(); // taken by the worker at once
    await p;
    expect(resolved).toBe(true);
  });

  it("drops every queued event when the worker gives up on a batch (their promises resolve, nothing more is applied)", async () => {
    let calls = 0;
    const { queue, batches, halt } = queueOf({
      maxBatch: 1,
      apply: async () => {
        calls++;
        halt();
        return "aborted";
      },
    });
    const done = ["a", "b", "c"].map((id) => queue.push(ev(id)));
    await Promise.all(done);
    await queue.drain();
    expect(calls).toBe(1);
    expect(batches).toEqual([["a"]]);
    expect(queue.length).toBe(0);
  });

  it("reports the arrival time of the oldest event still waiting", async () => {
    const { queue } = queueOf({ maxBatch: 1 });
    const first = queue.push({ id: "a", weight: 1, at: new Date(1000) });
    const second = queue.push({ id: "b", weight: 1, at: new Date(2000) });
    expect(queue.length).toBe(1);
    expect(queue.oldestAt).toEqual(new Date(2000));
    await Promise.all([first, second]);
    expect(queue.oldestAt).toBeUndefined();
  });
});
