/**
 * Splicing changed NetworkPolicies into a world is linear in its policies (10-15 ms at 15,000), and
 * the sync's incremental recompute did it in one piece at every policy change. spliceWorldSteps
 * yields every STEP_ITEMS policies and gives spliceWorld's result; IncrementalMatrix.applySteps
 * yields while it splices (not only while it evaluates class pairs), and still gives apply()'s
 * answer.
 */
import { describe, expect, it } from "vitest";
import { compileWorld, type NetworkPolicyInput, type WorldInput } from "../../src/engine/index.js";
import { spliceWorld, spliceWorldSteps } from "../../src/engine/whatif/splice.js";
import { runSteps, STEP_ITEMS } from "../../src/engine/util/steps.js";
import { fromScratch } from "../helpers/worldChanges.js";
import { pod, policy } from "../helpers/worldBuilders.js";

const POLICIES = 4 * STEP_ITEMS;

function input(): WorldInput {
  const pods = Array.from({ length: 40 }, (_, i) => pod({ ns: `ns${i % 4}`, name: `p${i}`, labels: { app: `a${i % 10}` } }));
  const networkPolicies = Array.from({ length: POLICIES }, (_, i) =>
    policy(`ns${i % 4}`, `np${i}`, { podSelector: { matchLabels: { app: `a${i % 10}` } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: `a${(i + 3) % 10}` } } }], ports: [{ port: 80 }] }] }),
  );
  return { namespaces: [], pods, networkPolicies };
}

/** Runs steps, counting their yields. */
function counted<T>(steps: Generator<void, T, void>): { value: T; yields: number } {
  let yields = 0;
  for (;;) {
    const s = steps.next();
    if (s.done) return { value: s.value, yields };
    yields++;
  }
}

describe("spliceWorldSteps", () => {
  it("yields through the base's policies and splices as spliceWorld does", () => {
    const base = compileWorld(input()).world;
    const edited = policy("ns1", "np5", { podSelector: { matchLabels: { app: "a5" } }, ingress: [{ ports: [{ port: 443 }] }] });
    const upserts = compileWorld({ namespaces: [], pods: [], networkPolicies: [edited] }).world.networkPolicies;
    const edit = { upserts, deletes: [base.networkPolicies[7]!.key] };
    const { value, yields } = counted(spliceWorldSteps(base, edit));
    expect(yields).toBeGreaterThanOrEqual(POLICIES / STEP_ITEMS);
    expect(value).toEqual(spliceWorld(base, edit));
    expect(value.changes.map((c) => c.kind)).toEqual(["modified", "deleted"]);
    expect(value.world.networkPolicies).toHaveLength(POLICIES - 1);
  });

  it("IncrementalMatrix.applySteps yields while it splices a policy change into a world of many policies, and answers as apply()", () => {
    const before = input().networkPolicies[5]! as NetworkPolicyInput;
    // 40 pods: the pairs this change evaluates are far fewer than STEP_ITEMS, so the yields are the splice's.
    const after = { ...before, spec: { ...(before.spec as object), ingress: [{ from: [{ podSelector: { matchLabels: { app: "nobody" } } }], ports: [{ port: 81 }] }] } } as NetworkPolicyInput;
    const change = { networkPolicies: [{ before, after }] };
    const stepped = counted(fromScratch(input()).applySteps(change));
    expect(stepped.yields).toBeGreaterThanOrEqual(POLICIES / STEP_ITEMS);
    const whole = fromScratch(input()).apply(change);
    expect(stepped.value.method).toBe("incremental");
    expect(runSteps(fromScratch(input()).applySteps(change))).toEqual(whole);
    expect(stepped.value).toEqual(whole);
  });
});
