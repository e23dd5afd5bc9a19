/**
 * IncrementalMatrix.applySteps collects the class pairs a change can move as steps too: a policy
 * whose peers match every class pairs its subjects with all of them (186,762 pairs for one change
 * at 150,000 pods, 83 ms in one piece). The steps yield while the pairs are collected, not only
 * while they are evaluated, and the answer is apply()'s. A class paired with every class (the subject
 * of a rule without a peer list; a new class, both ways) is named once, not pair by pair, and each
 * of its pairs is evaluated once.
 */
import { describe, expect, it } from "vitest";
import type { NetworkPolicyInput, WorldInput } from "../../src/engine/index.js";
import { STEP_ITEMS } from "../../src/engine/util/steps.js";
import { fromScratch } from "../helpers/worldChanges.js";
import { pod, policy } from "../helpers/worldBuilders.js";

/** Pods of distinct classes: each is the subject of a policy of its own. */
const CLASSES = 4 * STEP_ITEMS;

function input(): WorldInput {
  // Every tenth pod is a client; each policy admits the clients.
  const pods = Array.from({ length: CLASSES }, (_, i) => pod({ ns: "shop", name: `p${i}`, labels: { app: `a${i}`, ...(i % 10 === 0 && { role: "client" }) } }));
  const networkPolicies = pods.map((_, i) => policy("shop", `np${i}`, { podSelector: { matchLabels: { app: `a${i}` } }, ingress: [CLIENTS_ON(80)] }));
  // A peer of every pod already (in a namespace without pods: it isolates nothing), so that the
  // change below opens np0 to a group every class is in, and no class is split or renamed.
  networkPolicies.push(policy("empty", "probe", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }));
  return { namespaces: [], pods, networkPolicies };
}

const CLIENTS_ON = (port: number) => ({ from: [{ podSelector: { matchLabels: { role: "client" } } }], ports: [{ port }] });

/** Runs np0's change as steps: its answer and how many times it yielded. */
function stepped(ingress: readonly unknown[]) {
  const before = input().networkPolicies[0]! as NetworkPolicyInput;
  const after = policy("shop", "np0", { podSelector: { matchLabels: { app: "a0" } }, ingress }) as NetworkPolicyInput;
  const change = { networkPolicies: [{ before, after }] };
  const steps = fromScratch(input()).applySteps(change);
  let yields = 0;
  let step = steps.next();
  for (; !step.done; step = steps.next()) yields++;
  const value = step.value;
  if (value.method !== "incremental") throw new Error(`expected an incremental change, got ${value.reason}`);
  expect(value).toEqual(fromScratch(input()).apply(change));
  return { value, yields, evaluated: value.stats.evaluatedPairs };
}

describe("IncrementalMatrix.applySteps with a policy open to every class", () => {
  it("yields while it collects the pairs as while it evaluates them, and answers as apply()", () => {
    // np0 admits its clients on 443 too (a tenth of the classes), or every pod of every namespace.
    const narrow = stepped([CLIENTS_ON(80), CLIENTS_ON(443)]);
    const wide = stepped([CLIENTS_ON(80), { from: [{ namespaceSelector: {} }], ports: [{ port: 443 }] }]);
    expect(wide.evaluated).toBeGreaterThanOrEqual(CLASSES);
    // The extra pairs cost a yield per STEP_ITEMS evaluated, and as many again while collected.
    const extra = Math.floor((wide.evaluated - narrow.evaluated) / STEP_ITEMS);
    expect(wide.yields - narrow.yields).toBeGreaterThanOrEqual(2 * extra - 1);
    expect(wide.value.connections.length).toBeGreaterThan(0);
  });
});

describe("IncrementalMatrix: a class paired with every class", () => {
  /** Applies `change` to the input's matrix: its answer, which must be apply()'s, and the classes after. */
  const applied = (change: Parameters<ReturnType<typeof fromScratch>["apply"]>[0]) => {
    const m = fromScratch(input());
    const value = m.apply(change);
    if (value.method !== "incremental") throw new Error(`expected an incremental change, got ${value.reason}`);
    return { value, classes: m.stats.classes };
  };

  it("evaluates each pair once: a rule without a peer list pairs its subject with every class as a source", () => {
    const before = input().networkPolicies[0]! as NetworkPolicyInput;
    const after = policy("shop", "np0", { podSelector: { matchLabels: { app: "a0" } }, ingress: [CLIENTS_ON(80), { ports: [{ port: 443 }] }] }) as NetworkPolicyInput;
    const { value, classes } = applied({ networkPolicies: [{ before, after }] });
    // np0's subject (one class) with every class as its source, each once.
    expect(value.stats.evaluatedPairs).toBe(classes);
    expect(value.connections.length).toBeGreaterThan(0);
  });

  it("evaluates each pair once: a new class is paired with every class both ways, itself once", () => {
    const { value, classes } = applied({ pods: [{ before: undefined, after: pod({ ns: "shop", name: "newcomer", labels: { app: "unselected" } }) }] });
    expect(value.addedClasses).toHaveLength(1);
    expect(value.stats.evaluatedPairs).toBe(2 * classes - 1);
  });
});
