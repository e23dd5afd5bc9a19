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

describe("spliceWorld's policies by namespace and peers", () => {
  const base = compileWorld(input()).world;
  const compiled = (...ps: NetworkPolicyInput[]) => compileWorld({ namespaces: [], pods: [], networkPolicies: ps }).world.networkPolicies;
  const modified = policy("ns1", "np5", { podSelector: { matchLabels: { app: "a5" } }, ingress: [{ ports: [{ port: 443 }] }] });
  const added = policy("ns2", "extra", { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: "a1" } } }] }] });
  const elsewhere = policy("fresh", "first", { podSelector: {}, egress: [{ to: [{ namespaceSelector: {} }] }] });

  it.each([
    { name: "a policy modified", upserts: [modified], deletes: [] as number[] },
    { name: "a policy added", upserts: [added], deletes: [] },
    { name: "a policy added in a namespace without policies", upserts: [elsewhere], deletes: [] },
    { name: "modified and added together", upserts: [modified, added, elsewhere], deletes: [] },
    { name: "a policy deleted (later ones move down)", upserts: [], deletes: [7] },
    { name: "deleted, modified and added together", upserts: [modified, added], deletes: [3] },
  ])("$name: each namespace lists its policies in index order, as the world's policies say", ({ upserts, deletes }) => {
    const edit = { upserts: compiled(...upserts), deletes: deletes.map((i) => base.networkPolicies[i]!.key) };
    const { world } = spliceWorld(base, edit);
    // What compileWorld would group: the spliced policies, by namespace, in index order.
    const expected = new Map<string, string[]>();
    for (const p of world.networkPolicies) expected.set(p.namespace, [...(expected.get(p.namespace) ?? []), p.key]);
    const actual = new Map([...world.policiesByNamespace].map(([ns, list]) => [ns, list.map((p) => p.key)]));
    expect(new Map([...actual].sort())).toEqual(new Map([...expected].sort()));
    // Every listed object is the world's own policy at its index.
    for (const list of world.policiesByNamespace.values()) for (const p of list) expect(world.networkPolicies[p.index]).toBe(p);
    // Peers: the base's, then the new versions', each numbered by its position.
    expect(world.peers.slice(0, base.peers.length)).toEqual(base.peers);
    world.peers.forEach((x, i) => expect(x.id).toBe(i));
    if (deletes.length === 0) {
      // Namespaces no new version is in keep the base's own lists.
      const touched = new Set(edit.upserts.map((p) => p.namespace));
      for (const [ns, list] of base.policiesByNamespace) if (!touched.has(ns)) expect(world.policiesByNamespace.get(ns)).toBe(list);
    }
  });
});
