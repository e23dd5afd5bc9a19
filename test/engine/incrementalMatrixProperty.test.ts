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
import { buildMatrix, compileWorld, IncrementalMatrix, type ChangePair, type NamespaceInput, type NetworkPolicyInput, type PodInput, type WorldChange, type WorldInput } from "../../src/engine/index.js";
import { worldArb, worldWithTiersArb } from "../helpers/randomWorld.js";

type Step =
  | { kind: "relabelPod" | "readdressPod" | "removePod"; i: number; j: number }
  | { kind: "addPod"; j: number }
  | { kind: "replacePolicy" | "removePolicy"; i: number; j: number }
  | { kind: "addPolicy"; j: number }
  | { kind: "relabelNamespace"; i: number; j: number }
  | { kind: "replaceTiered"; i: number; j: number }
  | { kind: "rollout"; i: number; j: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom("relabelPod", "readdressPod", "removePod", "replacePolicy", "removePolicy", "relabelNamespace", "replaceTiered", "rollout"), i: fc.nat(20), j: fc.nat(20) }) as fc.Arbitrary<Step>,
  fc.record({ kind: fc.constantFrom("addPod", "addPolicy"), j: fc.nat(20) }) as fc.Arbitrary<Step>,
);

interface Model {
  namespaces: Map<string, NamespaceInput>;
  pods: Map<string, PodInput>;
  policies: Map<string, NetworkPolicyInput>;
  tiered: NonNullable<WorldInput["tieredPolicies"]>;
}

const toInput = (m: Model): WorldInput => ({ namespaces: [...m.namespaces.values()], pods: [...m.pods.values()], networkPolicies: [...m.policies.values()], ...(m.tiered.length ? { tieredPolicies: m.tiered } : {}) });
const nth = <T,>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
const podId = (p: PodInput) => `${p.namespace}/${p.name}`;

/** Applies one step to the model; returns the change as the sync service would describe it. */
function applyStep(m: Model, step: Step, donor: WorldInput, n: number): WorldChange {
  const pods: ChangePair<PodInput>[] = [];
  const networkPolicies: ChangePair<NetworkPolicyInput>[] = [];
  const namespaces: ChangePair<NamespaceInput>[] = [];
  const setPod = (before: PodInput | undefined, after: PodInput | undefined) => {
    if (before) m.pods.delete(podId(before));
    if (after) m.pods.set(podId(after), after);
    pods.push({ before, after });
  };
  const dp = nth(donor.pods, "j" in step ? step.j : 0);
  const dn = nth(donor.networkPolicies, "j" in step ? step.j : 0);
  const existingPods = [...m.pods.values()];
  const existingPolicies = [...m.policies.values()];
  switch (step.kind) {
    case "relabelPod": {
      const p = nth(existingPods, step.i);
      if (p && dp) setPod(p, { ...p, labels: dp.labels ?? {} });
      break;
    }
    case "readdressPod": {
      const p = nth(existingPods, step.i);
      if (p && dp) {
        const { ip: _ip, hostNetwork: _h, ...rest } = p;
        setPod(p, { ...rest, ...(dp.ip !== undefined ? { ip: dp.ip } : {}), ...(dp.hostNetwork ? { hostNetwork: true } : {}), containerPorts: dp.containerPorts ?? [] });
      }
      break;
    }
    case "removePod": {
      const p = nth(existingPods, step.i);
      if (p) setPod(p, undefined);
      break;
    }
    case "addPod":
      if (dp) setPod(undefined, { ...dp, name: `new${n}` });
      break;
    case "rollout": {
      // A Deployment-like rollout: every pod of one namespace replaced by a pod with new labels.
      const ns = nth([...new Set(existingPods.map((p) => p.namespace))], step.i);
      for (const p of existingPods.filter((q) => q.namespace === ns)) {
        setPod(p, undefined);
        setPod(undefined, { ...p, name: `${p.name}-r${n}`, labels: { ...p.labels, ...(dp?.labels ?? {}) } });
      }
      break;
    }
    case "replacePolicy": {
      const p = nth(existingPolicies, step.i);
      if (p && dn) {
        const after = { ...p, spec: dn.spec };
        m.policies.set(`${p.namespace}/${p.name}`, after);
        networkPolicies.push({ before: p, after });
      }
      break;
    }
    case "removePolicy": {
      const p = nth(existingPolicies, step.i);
      if (p) {
        m.policies.delete(`${p.namespace}/${p.name}`);
        networkPolicies.push({ before: p, after: undefined });
      }
      break;
    }
    case "addPolicy":
      if (dn) {
        const after = { ...dn, name: `np-new${n}` };
        m.policies.set(`${after.namespace}/${after.name}`, after);
        networkPolicies.push({ before: undefined, after });
      }
      break;
    case "relabelNamespace": {
      const ns = nth([...m.namespaces.values()], step.i);
      const labels = nth(donor.namespaces, step.j)?.labels ?? { env: "c" };
      if (ns) {
        const after = { ...ns, labels };
        m.namespaces.set(ns.name, after);
        namespaces.push({ before: ns, after });
      }
      break;
    }
    case "replaceTiered": {
      const t = nth(m.tiered, step.i);
      const d = nth(donor.tieredPolicies ?? [], step.j);
      if (t && d) {
        m.tiered = m.tiered.map((x) => (x === t ? { ...d, name: t.name, kind: t.kind } : x));
        return { tieredPolicies: 1 };
      }
      break;
    }
  }
  return { pods, networkPolicies, namespaces };
}

/** The matrix as comparable data: classes by signature with their member pods, connections by pair. */
function canonical(m: IncrementalMatrix): { classes: Record<string, string[]>; connections: Record<string, string> } {
  const classes: Record<string, string[]> = {};
  for (const c of m.allClasses()) classes[c.sig] = c.kind === "pod" ? [...c.pods].sort() : c.ranges.map((r) => `${r.family}:${r.start}-${r.end}`);
  const connections: Record<string, string> = {};
  for (const c of m.connections()) connections[`${c.src} -> ${c.dst}`] = c.conn!.key;
  return { classes, connections };
}

function fromScratch(input: WorldInput): IncrementalMatrix {
  const { world, diagnostics } = compileWorld(input);
  return new IncrementalMatrix(buildMatrix(world), diagnostics);
}

const counts = { incremental: 0, fallback: 0 };

function check(worlds: fc.Arbitrary<WorldInput>) {
  fc.assert(
    fc.property(worlds, fc.array(fc.tuple(stepArb, worldWithTiersArb), { minLength: 1, maxLength: 6 }), (start, steps) => {
      const model: Model = {
        namespaces: new Map(start.namespaces.map((n) => [n.name, n])),
        pods: new Map(start.pods.map((p) => [podId(p), p])),
        policies: new Map(start.networkPolicies.map((p) => [`${p.namespace}/${p.name}`, p])),
        tiered: [...(start.tieredPolicies ?? [])],
      };
      let inc = fromScratch(toInput(model));
      steps.forEach(([step, donor], n) => {
        const change = applyStep(model, step, donor, n);
        const input = toInput(model);
        const result = inc.apply(change);
        if (result.method === "fallback") {
          counts.fallback++;
          inc = fromScratch(input);
        } else counts.incremental++;
        const full = fromScratch(input);
        expect(canonical(inc), `after step ${n} (${step.kind}, ${result.method})`).toEqual(canonical(full));
        expect(inc.stats).toEqual(full.stats);
      });
    }),
    { numRuns: 300 },
  );
}

describe("IncrementalMatrix equals a recomputation from scratch", () => {
  it("after every change of a random change stream (NetworkPolicies only)", () => {
    check(worldArb);
    // Not vacuous: most steps are answered incrementally.
    expect(counts.incremental).toBeGreaterThan(counts.fallback);
  });

  it("after every change of a random change stream (with cluster-scoped policies)", () => {
    check(worldWithTiersArb);
  });
});
