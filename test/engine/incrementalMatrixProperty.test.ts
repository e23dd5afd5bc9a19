/**
 * IncrementalMatrix must equal a recomputation from scratch after every change: random worlds
 * (test/helpers/randomWorld.ts), then random streams of changes of every kind (pods created,
 * relabelled, re-addressed, deleted; NetworkPolicies created, replaced, deleted; namespaces
 * relabelled; cluster-scoped policies replaced), applied both ways and compared generation by
 * generation: the same classes (by signature) with the same member pods, the same connections.
 * A fallback is followed by a rebuild from scratch, as the sync service does.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WorldInput } from "../../src/engine/index.js";
import { worldArb, worldWithTiersArb } from "../helpers/randomWorld.js";
import { applyStep, canonical, fromScratch, modelOf, nth, retune, stepArb, toInput } from "../helpers/worldChanges.js";

const counts = { incremental: 0, fallback: 0, tieredIncremental: 0, namespaceCreatedOrDeleted: 0 };

function check(worlds: fc.Arbitrary<WorldInput>) {
  fc.assert(
    fc.property(worlds, fc.array(fc.tuple(stepArb, worldWithTiersArb), { minLength: 1, maxLength: 6 }), (start, steps) => {
      const model = modelOf(start);
      let inc = fromScratch(toInput(model));
      steps.forEach(([step, donor], n) => {
        const change = applyStep(model, step, donor, n);
        const input = toInput(model);
        const result = inc.apply(change);
        if (result.method === "fallback") {
          counts.fallback++;
          inc = fromScratch(input);
        } else {
          counts.incremental++;
          if (change.tieredPolicies?.length) counts.tieredIncremental++;
          if (change.namespaces?.some((p) => !p.before || !p.after)) counts.namespaceCreatedOrDeleted++;
        }
        const full = fromScratch(input);
        expect(canonical(inc), `after step ${n} (${step.kind}, ${result.method})`).toEqual(canonical(full));
        expect(inc.stats).toEqual(full.stats);
        // The patched world stays consistent: positions are indexes, pods point at their namespace's current object.
        const w = inc.currentWorld;
        w.namespaces.forEach((ns, i) => expect(ns.index).toBe(i));
        for (const ns of w.namespaces) expect(w.namespaceByName.get(ns.name)).toBe(ns);
        expect(w.namespaceByName.size).toBe(w.namespaces.length);
        w.pods.forEach((p, i) => {
          expect(p.index).toBe(i);
          expect(w.namespaceByName.get(p.namespace.name)).toBe(p.namespace);
        });
      });
    }),
    { numRuns: 300 },
  );
}

describe("IncrementalMatrix equals a recomputation from scratch", () => {
  it("after every change of a random change stream (NetworkPolicies only)", () => {
    check(worldArb);
    // Not vacuous: most steps are answered incrementally, namespaces created and deleted too.
    expect(counts.incremental).toBeGreaterThan(counts.fallback);
    expect(counts.namespaceCreatedOrDeleted).toBeGreaterThan(50);
  });

  it("after a cluster-scoped policy's actions, ports or priority change (same subject and peers: no pod changes class)", () => {
    // The pairs such a change moves are found only from the policy's subjects and peers, never
    // from reclassified pods: the case a stream of random replacements rarely isolates.
    let moved = 0;
    fc.assert(
      fc.property(worldWithTiersArb, fc.nat(5), fc.nat(11), (start, i, j) => {
        const tiered = start.tieredPolicies!;
        const t = nth(tiered, i)!;
        const after = { ...t, spec: retune(t.spec as Record<string, unknown>, j) };
        const inc = fromScratch(start);
        const result = inc.apply({ tieredPolicies: [{ before: t, after }] });
        const input = { ...start, tieredPolicies: tiered.map((x) => (x === t ? after : x)) };
        if (result.method === "fallback") return;
        if (result.connections.length > 0) moved++;
        expect(canonical(inc)).toEqual(canonical(fromScratch(input)));
      }),
      // 800 runs: the non-vacuity count below (moved > 10) fell to 9 once in 400 runs (CI, 2026-12-06).
      { numRuns: 800 },
    );
    expect(moved).toBeGreaterThan(10);
  });

  it("after every change of a random change stream (with cluster-scoped policies)", () => {
    check(worldWithTiersArb);
    // Not vacuous: changes of cluster-scoped policies are answered incrementally too.
    expect(counts.tieredIncremental).toBeGreaterThan(50);
  });
});
