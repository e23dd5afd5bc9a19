/**
 * A generation that batches many changes is applied to the engine in steps (recompute.ts stepsOf:
 * namespaces created first, each policy on its own, pods a few at a time, namespaces deleted last),
 * so the event loop gets turns in between. Applying the steps one after the other must equal a
 * recomputation from scratch of the batch's end state: random worlds, random batches of 2 to 8
 * changes of every kind folded into one change per object (as the sync's log is, by uid: an object
 * deleted and recreated under its name is two objects), compared batch by batch.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChangePair, WorldChange } from "../../src/engine/index.js";
import { stepsOf } from "../../src/sync/recompute.js";
import { worldArb, worldWithTiersArb } from "../helpers/randomWorld.js";
import { applyStep, canonical, fromScratch, modelOf, podId, stepArb, toInput } from "../helpers/worldChanges.js";

type Kind = keyof WorldChange;
interface Pair {
  before: unknown;
  after: unknown;
}

/** The changes of a batch, one pair per object (first before, last after), in first-seen order. */
class Batch {
  private readonly pairs = new Map<Kind, Pair[]>();
  /** The open pair of each object: a deleted object's next creation is another object (another uid). */
  private readonly open = new Map<string, Pair>();

  add(change: WorldChange): void {
    const ids: Record<Kind, (o: never) => string> = {
      namespaces: (o: { name: string }) => o.name,
      pods: (o: Parameters<typeof podId>[0]) => podId(o),
      networkPolicies: (o: { namespace: string; name: string }) => `${o.namespace}/${o.name}`,
      tieredPolicies: (o: { kind: string; name: string }) => `${o.kind}/${o.name}`,
    };
    for (const kind of Object.keys(ids) as Kind[])
      for (const p of (change[kind] ?? []) as ChangePair<never>[]) {
        const id = `${kind}:${ids[kind]((p.before ?? p.after)!)}`;
        const current = this.open.get(id);
        if (current && current.after !== undefined) {
          current.after = p.after;
          continue;
        }
        const pair: Pair = { before: p.before, after: p.after };
        this.open.set(id, pair);
        const list = this.pairs.get(kind) ?? [];
        list.push(pair);
        this.pairs.set(kind, list);
      }
  }

  change(): WorldChange {
    const out: Record<string, Pair[]> = {};
    for (const [kind, list] of this.pairs) out[kind] = list.filter((p) => p.before !== p.after && (p.before !== undefined || p.after !== undefined));
    return out as unknown as WorldChange;
  }
}

const counts = { batches: 0, incremental: 0, fallback: 0, steps: 0 };

function check(worlds: typeof worldArb) {
  fc.assert(
    fc.property(worlds, fc.array(fc.array(fc.tuple(stepArb, worldWithTiersArb), { minLength: 2, maxLength: 8 }), { minLength: 1, maxLength: 3 }), (start, batches) => {
      const model = modelOf(start);
      let inc = fromScratch(toInput(model));
      let n = 0;
      batches.forEach((batch, b) => {
        const folded = new Batch();
        for (const [step, donor] of batch) folded.add(applyStep(model, step, donor, n++));
        const input = toInput(model);
        const steps = stepsOf(folded.change());
        counts.batches++;
        counts.steps += steps.length;
        let fellBack = false;
        for (const s of steps) {
          if (inc.apply(s).method === "fallback") {
            fellBack = true;
            break;
          }
        }
        if (fellBack) {
          counts.fallback++;
          inc = fromScratch(input);
        } else counts.incremental++;
        const full = fromScratch(input);
        expect(canonical(inc), `after batch ${b} (${batch.map(([s]) => s.kind).join(", ")}; ${steps.length} steps)`).toEqual(canonical(full));
        expect(inc.stats).toEqual(full.stats);
      });
    }),
    { numRuns: 200 },
  );
}

describe("a batched change applied in steps equals a recomputation from scratch", () => {
  it("NetworkPolicies, pods and namespaces", () => {
    check(worldArb);
    // Not vacuous: batches are cut into several steps, and most stay incremental.
    expect(counts.steps).toBeGreaterThan(counts.batches * 2);
    expect(counts.incremental).toBeGreaterThan(counts.fallback);
  });

  it("with cluster-scoped policies", () => {
    check(worldWithTiersArb);
    // Not vacuous: tiered changes fall back more often (priority ties), and over both tests about
    // 51-55 % of ~780 batches stay incremental; "more than fell back" failed one run in a few dozen
    // (380 against 386). 40 % is several standard deviations below what any seed gives.
    expect(counts.incremental).toBeGreaterThan(counts.batches * 0.4);
  });
});

describe("stepsOf", () => {
  const ns = (name: string) => ({ name, labels: {} });
  const pod = (namespace: string, name: string) => ({ namespace, name, labels: {} });
  const np = (namespace: string, name: string) => ({ namespace, name, spec: {} });

  it.each([
    {
      name: "a namespace created with its pod: the namespace first",
      change: { namespaces: [{ after: ns("a") }], pods: [{ after: pod("a", "p") }] },
      steps: [{ namespaces: [{ after: ns("a") }] }, { pods: [{ after: pod("a", "p") }] }],
    },
    {
      name: "a namespace deleted with its pods and policies: the namespace last",
      change: { namespaces: [{ before: ns("a") }], pods: [{ before: pod("a", "p") }], networkPolicies: [{ before: np("a", "x") }] },
      steps: [{ networkPolicies: [{ before: np("a", "x") }] }, { pods: [{ before: pod("a", "p") }] }, { namespaces: [{ before: ns("a") }] }],
    },
    {
      name: "a pod recreated under its name: the deletion first",
      change: { pods: [{ after: pod("a", "p") }, { before: pod("a", "p") }] },
      steps: [{ pods: [{ before: pod("a", "p") }, { after: pod("a", "p") }] }],
    },
    {
      name: "each policy its own step, deletions, then updates, then creations",
      change: { networkPolicies: [{ after: np("a", "new") }, { before: np("a", "x"), after: np("a", "x") }, { before: np("a", "gone") }] },
      steps: [{ networkPolicies: [{ before: np("a", "gone") }] }, { networkPolicies: [{ before: np("a", "x"), after: np("a", "x") }] }, { networkPolicies: [{ after: np("a", "new") }] }],
    },
    { name: "nothing changed: one empty step", change: {}, steps: [{}] },
  ])("$name", ({ change, steps }) => {
    expect(stepsOf(change as unknown as WorldChange)).toEqual(steps);
  });

  it("cuts pods into steps of a few pods", () => {
    const pods = Array.from({ length: 100 }, (_, i) => ({ after: pod("a", `p${i}`) }));
    const steps = stepsOf({ pods } as unknown as WorldChange);
    expect(steps.length).toBeGreaterThan(1);
    expect(steps.flatMap((s) => s.pods ?? [])).toEqual(pods);
  });
});
