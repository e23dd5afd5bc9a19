/**
 * RowEstimate keeps the connectivity row estimate of an IncrementalMatrix across its changes,
 * counting again only what the updates touched. Whatever the changes, and however many of them
 * come between two counts, a count must equal a count from scratch of a matrix recomputed from
 * scratch: random worlds and random change streams (as incrementalMatrixProperty.test.ts), counted
 * after some changes and not after others. test/sync/recompute.test.ts compares the sync's estimate
 * with analysis.ts's, which counts from the class matrix another way.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RowEstimate, type IncrementalMatrix, type WorldInput } from "../../src/engine/index.js";
import { runSteps } from "../../src/engine/util/steps.js";
import { worldArb, worldWithTiersArb } from "../helpers/randomWorld.js";
import { applyStep, fromScratch, modelOf, stepArb, toInput } from "../helpers/worldChanges.js";

const fromScratchCount = (inc: IncrementalMatrix) => runSteps(new RowEstimate(inc).count());

const counts = { counted: 0, changedBetweenCounts: 0, skipped: 0 };

function check(worlds: fc.Arbitrary<WorldInput>) {
  fc.assert(
    fc.property(worlds, fc.array(fc.tuple(stepArb, worldWithTiersArb, fc.boolean()), { minLength: 1, maxLength: 8 }), (start, steps) => {
      const model = modelOf(start);
      let inc = fromScratch(toInput(model));
      let estimate = new RowEstimate(inc);
      let last = runSteps(estimate.count());
      steps.forEach(([step, donor, countNow], n) => {
        const change = applyStep(model, step, donor, n);
        const result = inc.apply(change);
        if (result.method === "fallback") {
          // As the sync does: a new matrix from scratch, and a new estimate of it.
          inc = fromScratch(toInput(model));
          estimate = new RowEstimate(inc);
        } else estimate.note(result);
        if (!countNow) {
          counts.skipped++;
          return;
        }
        const now = runSteps(estimate.count());
        counts.counted++;
        if (now !== last) counts.changedBetweenCounts++;
        last = now;
        expect(now, `after step ${n} (${step.kind}, ${result.method})`).toBe(fromScratchCount(fromScratch(toInput(model))));
      });
    }),
    { numRuns: 300 },
  );
}

describe("RowEstimate", () => {
  it("equals a count from scratch after any changes, counted after some of them", () => {
    check(worldArb);
    check(worldWithTiersArb);
    // Not vacuous: the estimate moved between counts, and changes accumulated between counts.
    expect(counts.changedBetweenCounts).toBeGreaterThan(100);
    expect(counts.skipped).toBeGreaterThan(100);
  });

  it("counts workloads per class: pods of one workload count once", () => {
    const pod = (name: string, workload: string, app: string) => ({ namespace: "a", name, labels: { app }, ip: `10.0.0.${name.length + name.charCodeAt(name.length - 1)}`, workload: { namespace: "a", kind: "Deployment", name: workload } });
    const world: WorldInput = {
      namespaces: [{ name: "a", labels: {} }],
      pods: [pod("web-1", "web", "web"), pod("web-2", "web", "web"), pod("db-1", "db", "db")],
      networkPolicies: [{ namespace: "a", name: "db", spec: { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }] } }],
    };
    const inc = fromScratch(world);
    const estimate = new RowEstimate(inc);
    const before = runSteps(estimate.count());
    // Another pod of web: web's class keeps one workload, so no row is added.
    const update = inc.apply({ pods: [{ before: undefined, after: pod("web-3", "web", "web") }] });
    if (update.method !== "incremental") throw new Error(update.reason);
    estimate.note(update);
    expect(runSteps(estimate.count())).toBe(before);
    // A pod of another workload joins web's class: every connection into or out of it counts twice over.
    const second = inc.apply({ pods: [{ before: undefined, after: pod("web-4", "web-canary", "web") }] });
    if (second.method !== "incremental") throw new Error(second.reason);
    estimate.note(second);
    const after = runSteps(estimate.count());
    expect(after).toBeGreaterThan(before);
    expect(after).toBe(fromScratchCount(inc));
  });
});
