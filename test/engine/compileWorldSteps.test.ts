/**
 * compileWorldSteps: compileWorld as Steps that yield every STEP_ITEMS pods and policies, so that
 * the API can build a generation's world in time slices. It must give compileWorld's result
 * exactly, invalid and duplicate objects included, whether it is run in one go or step by step.
 */
import { describe, expect, it } from "vitest";
import { compileWorld, compileWorldSteps, type WorldInput } from "../../src/engine/index.js";
import { STEP_ITEMS } from "../../src/engine/util/steps.js";
import { pod, policy } from "../helpers/worldBuilders.js";

function bigInput(): WorldInput {
  const pods = Array.from({ length: 3 * STEP_ITEMS + 17 }, (_, i) => pod({ ns: `ns${i % 7}`, name: `p${i}`, labels: { app: `a${i % 13}` } }));
  // An invalid pod (bad label) and a duplicate: left out and reported, in the same places either way.
  pods.push(pod({ ns: "ns1", name: "bad", labels: { "-no": "x" } }), pod({ ns: "ns0", name: "p0" }));
  const networkPolicies = Array.from({ length: 2 * STEP_ITEMS + 5 }, (_, i) =>
    policy(`ns${i % 7}`, `np${i}`, { podSelector: { matchLabels: { app: `a${i % 13}` } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: `a${(i + 1) % 13}` } } }] }] }),
  );
  networkPolicies.push(policy("ns2", "invalid", { podSelector: { matchExpressions: [{ key: "app", operator: "Nope" }] } }));
  return { namespaces: [], pods, networkPolicies };
}

describe("compileWorldSteps", () => {
  it("yields while it compiles pods and policies, and returns compileWorld's world and diagnostics", () => {
    const input = bigInput();
    const steps = compileWorldSteps(input);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    // 785 pods and 517 valid policies: at least one yield per STEP_ITEMS of each.
    expect(yields).toBeGreaterThanOrEqual(3 + 2);
    const whole = compileWorld(input);
    expect(step.value).toEqual(whole);
    expect(step.value.world.pods).toHaveLength(3 * STEP_ITEMS + 17);
    expect(step.value.diagnostics.map((d) => d.code)).toEqual(whole.diagnostics.map((d) => d.code));
    expect(step.value.diagnostics.length).toBeGreaterThanOrEqual(3);
  });
});
