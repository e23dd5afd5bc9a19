/** The kind loop's phases: every transition KindSupervisor makes, and what a phase remembers of the last watch. */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { KindState } from "../../../src/sync/source.js";
import { INITIAL_PHASE, nextPhase, watchOpenedAt, type KindPhase, type PhaseEvent } from "../../../src/sync/kube/kindPhase.js";

const run = (events: readonly PhaseEvent[], from: KindPhase = INITIAL_PHASE) => events.reduce(nextPhase, from);

describe("kind phases", () => {
  it("are exactly the states KindStatus reports", () => {
    expectTypeOf<KindPhase["state"]>().toEqualTypeOf<KindState>();
  });

  it("starts listing, watches, re-watches after a normal end and relists after a 410", () => {
    expect(INITIAL_PHASE.state).toBe("listing");
    expect(run([{ type: "watchOpened", at: 5 }])).toEqual({ state: "watching", watchOpenedAt: 5 });
    expect(run([{ type: "watchOpened", at: 5 }, { type: "watchEnded", expired: false }])).toEqual({ state: "reconnecting" });
    expect(run([{ type: "watchOpened", at: 5 }, { type: "watchEnded", expired: true }])).toEqual({ state: "listing" });
  });

  it("goes to backoff on a failure, and through backoff to forbidden when a required kind is refused", () => {
    expect(run([{ type: "watchOpened", at: 5 }, { type: "failed" }])).toEqual({ state: "backoff" });
    expect(run([{ type: "failed" }, { type: "refused" }])).toEqual({ state: "forbidden" });
    expect(run([{ type: "failed" }, { type: "listStarted" }])).toEqual({ state: "listing" });
  });

  it("reports an optional kind the cluster does not serve, or RBAC refuses, as notServed or forbidden", () => {
    expect(run([{ type: "listStarted" }, { type: "notServed" }])).toEqual({ state: "notServed" });
    expect(run([{ type: "listStarted" }, { type: "optionalForbidden" }])).toEqual({ state: "forbidden" });
  });

  it("remembers the watch a periodic relist interrupted, until a failure or a normal end", () => {
    const relisting = run([{ type: "watchOpened", at: 7 }, { type: "listStarted" }]);
    expect(relisting).toEqual({ state: "listing", watchOpenedAt: 7 });
    expect(watchOpenedAt(relisting)).toBe(7);
    expect(watchOpenedAt(nextPhase(relisting, { type: "notServed" }))).toBe(7);
    expect(watchOpenedAt(nextPhase(relisting, { type: "failed" }))).toBeUndefined();
    expect(watchOpenedAt(run([{ type: "watchEnded", expired: false }], relisting))).toBeUndefined();
  });

  it("stays stopped whatever comes after stop", () => {
    const stopped = run([{ type: "watchOpened", at: 1 }, { type: "stopped" }]);
    for (const e of [{ type: "listStarted" }, { type: "watchOpened", at: 2 }, { type: "failed" }, { type: "refused" }] as const) expect(nextPhase(stopped, e)).toEqual({ state: "stopped" });
  });
});
