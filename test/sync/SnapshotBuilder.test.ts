/**
 * SnapshotBuilder (src/sync/SnapshotBuilder.ts) names every class and connection an incremental
 * step changed: a step that changes thousands of them must give the event loop turns while it does
 * (it yields every YIELD_EVERY units of work: a class costs its pods, a connection one), and the
 * snapshot it builds must not depend on how it was sliced.
 */
import { describe, expect, it } from "vitest";
import type { IncrementalUpdate } from "../../src/engine/index.js";
import type { MatrixSnapshot } from "../../src/domain/repositories.js";
import { drain, YIELD_EVERY } from "../../src/domain/TimeSlicer.js";
import { SnapshotBuilder } from "../../src/sync/SnapshotBuilder.js";
import { namespace, pod, policy, worldInput, type WorldParts } from "../helpers/worldBuilders.js";
import { fromScratch } from "../helpers/worldChanges.js";

const empty: MatrixSnapshot = { classes: new Map(), connections: new Map() };

/** The engine's update for adding `added` to the world of `parts`. */
function updateFor(parts: WorldParts, added: ReturnType<typeof policy>): IncrementalUpdate {
  const update = fromScratch(worldInput(parts)).apply({ networkPolicies: [{ before: undefined, after: added }] });
  if (update.method !== "incremental") throw new Error(`expected an incremental update, got a fallback: ${update.reason}`);
  return update;
}

/** Runs add() a step at a time; the number of times it yielded. */
function yieldsOf(builder: SnapshotBuilder, update: IncrementalUpdate): number {
  const steps = builder.add(update);
  let yields = 0;
  while (!steps.next().done) yields++;
  return yields;
}

/** A snapshot as plain sorted entries, to compare two builds. */
function entries(s: MatrixSnapshot) {
  return { classes: [...s.classes].sort(([a], [b]) => (a < b ? -1 : 1)), connections: [...s.connections].sort(([a], [b]) => (a < b ? -1 : 1)) };
}

describe("SnapshotBuilder.add", () => {
  it("yields while naming thousands of changed connections, and builds the same snapshot as in one go", () => {
    // 40 pods in one namespace, each selected by its own allow-all policy: 40 classes, all connected.
    // A default deny of egress for the whole namespace then cuts every connection from them.
    const parts: WorldParts = {
      namespaces: [namespace("a")],
      pods: Array.from({ length: 40 }, (_, i) => pod({ ns: "a", name: `p${i}`, labels: { app: `a${i}` } })),
      policies: Array.from({ length: 40 }, (_, i) => policy("a", `allow-${i}`, { podSelector: { matchLabels: { app: `a${i}` } }, ingress: [{}] })),
    };
    const update = updateFor(parts, policy("a", "deny-egress", { podSelector: {}, policyTypes: ["Egress"] }));
    expect(update.connections.length).toBeGreaterThan(3 * YIELD_EVERY);

    const sliced = new SnapshotBuilder(empty);
    expect(yieldsOf(sliced, update)).toBeGreaterThanOrEqual(Math.floor(update.connections.length / YIELD_EVERY));
    const whole = new SnapshotBuilder(empty);
    drain(whole.add(update));
    expect(entries(drain(sliced.build()))).toEqual(entries(drain(whole.build())));
    // On an empty base, the removed connections (no connection set any more) leave nothing behind.
    expect(drain(whole.build()).connections.size).toBe(update.connections.filter((c) => c.conn).length);
  });

  it("yields while reading the pods of a large class that changed, even when few connections did", () => {
    // 1,200 identical pods form one class; a policy selecting half of them splits it in two.
    const parts: WorldParts = {
      namespaces: [namespace("b")],
      pods: Array.from({ length: 1200 }, (_, i) => pod({ ns: "b", name: `p${i}`, labels: { app: "web", half: String(i % 2) } })),
    };
    const update = updateFor(parts, policy("b", "allow-half", { podSelector: { matchLabels: { half: "1" } }, ingress: [{}] }));
    const classPods = [...update.addedClasses, ...update.changedMembers].reduce((n, c) => n + (c.kind === "pod" ? c.pods.size : 0), 0);
    expect(classPods).toBeGreaterThanOrEqual(2 * YIELD_EVERY);
    expect(update.connections.length).toBeLessThan(YIELD_EVERY);

    expect(yieldsOf(new SnapshotBuilder(empty), update)).toBeGreaterThanOrEqual(2);
  });
});
