/**
 * EventPoller announces a new generation to subscribers once readers are answered from it: a
 * generation this process is still indexing (QueryService.visibleGeneration holds it back) is
 * announced at the first poll after it is published, never before.
 */
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { EventPoller } from "../../src/api/EventPoller.js";
import { ApiEvents } from "../../src/api/events.js";
import type { Store } from "../../src/domain/repositories.js";

let poller: EventPoller | undefined;
afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

describe("EventPoller", () => {
  it("announces a generation once it is visible to readers", async () => {
    let latest = 1;
    let visible = (g: number) => g;
    // Only what the poller reads of the store.
    const store = {
      clusters: { listClusters: async () => [{ id: "c" }] },
      matrix: { latestGeneration: async () => latest },
      revisions: { head: async () => ({ seq: 0n, hash: "" }), list: async () => [] },
    } as unknown as Store;
    const events = new ApiEvents();
    const announced: number[] = [];
    const abort = new AbortController();
    void (async () => {
      for await (const e of events.listen("generation", abort.signal)) announced.push(e.generation);
    })();
    poller = new EventPoller({ store, events, logger: pino({ level: "silent" }), intervalMs: 5, visibleGeneration: (_c, g) => visible(g) });
    await poller.start();
    // Generation 2 is committed but still being indexed: readers get 1, and nothing is announced.
    latest = 2;
    visible = (g) => (g === 2 ? 1 : g);
    await new Promise((r) => setTimeout(r, 60));
    expect(announced).toEqual([]);
    // Published: the next poll announces it.
    visible = (g) => g;
    await new Promise((r) => setTimeout(r, 60));
    expect(announced).toEqual([2]);
    abort.abort();
  });
});
