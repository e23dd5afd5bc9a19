/**
 * Random change streams for the incremental matrix's property tests: a model of a world, steps of
 * every kind of change (applyStep turns one into the WorldChange the sync would describe), and the
 * matrix as comparable data.
 */
import fc from "fast-check";
import { buildMatrix, compileWorld, IncrementalMatrix, type ChangePair, type NamespaceInput, type NetworkPolicyInput, type PodInput, type WorldChange, type WorldInput } from "../../src/engine/index.js";

export type Step =
  | { kind: "relabelPod" | "readdressPod" | "removePod" | "scaleDown"; i: number; j: number }
  | { kind: "addPod"; j: number }
  | { kind: "replacePolicy" | "removePolicy"; i: number; j: number }
  | { kind: "addPolicy"; j: number }
  | { kind: "relabelNamespace"; i: number; j: number }
  | { kind: "replaceTiered" | "removeTiered" | "retuneTiered"; i: number; j: number }
  | { kind: "addTiered" | "addNamespace"; j: number }
  | { kind: "removeNamespace"; i: number }
  | { kind: "rollout"; i: number; j: number };

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom("relabelPod", "readdressPod", "removePod", "scaleDown", "replacePolicy", "removePolicy", "relabelNamespace", "replaceTiered", "removeTiered", "retuneTiered", "rollout"), i: fc.nat(20), j: fc.nat(20) }) as fc.Arbitrary<Step>,
  fc.record({ kind: fc.constantFrom("addPod", "addPolicy", "addTiered", "addNamespace"), j: fc.nat(20) }) as fc.Arbitrary<Step>,
  fc.record({ kind: fc.constant("removeNamespace"), i: fc.nat(20) }) as fc.Arbitrary<Step>,
);

export interface Model {
  namespaces: Map<string, NamespaceInput>;
  pods: Map<string, PodInput>;
  policies: Map<string, NetworkPolicyInput>;
  tiered: NonNullable<WorldInput["tieredPolicies"]>;
}

/** The model of a world (what applyStep changes). */
export function modelOf(start: WorldInput): Model {
  return {
    namespaces: new Map(start.namespaces.map((n) => [n.name, n])),
    pods: new Map(start.pods.map((p) => [podId(p), p])),
    policies: new Map(start.networkPolicies.map((p) => [`${p.namespace}/${p.name}`, p])),
    tiered: [...(start.tieredPolicies ?? [])],
  };
}

export const toInput = (m: Model): WorldInput => ({ namespaces: [...m.namespaces.values()], pods: [...m.pods.values()], networkPolicies: [...m.policies.values()], ...(m.tiered.length ? { tieredPolicies: m.tiered } : {}) });
export const nth = <T,>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
export const podId = (p: PodInput) => `${p.namespace}/${p.name}`;

/** Applies one step to the model; returns the change as the sync service would describe it. */
export function applyStep(m: Model, step: Step, donor: WorldInput, n: number): WorldChange {
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
    case "scaleDown": {
      // Several pods removed in one change and none added (every pod of a namespace but one): the
      // patched pod list has several holes to close (a removed pod once came back that way).
      const ns = nth([...new Set(existingPods.map((p) => p.namespace))], step.i);
      for (const p of existingPods.filter((q) => q.namespace === ns).slice(1)) setPod(p, undefined);
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
        const after = { ...d, name: t.name, kind: t.kind };
        m.tiered = m.tiered.map((x) => (x === t ? after : x));
        return { tieredPolicies: [{ before: t, after }] };
      }
      break;
    }
    case "addNamespace": {
      // A new namespace, then (when the donor has one) a pod in it: both in one change, as a sync batch may bring them.
      const name = `nn${n}`;
      const ns = { name, labels: nth(donor.namespaces, step.j)?.labels ?? {} };
      m.namespaces.set(name, ns);
      namespaces.push({ before: undefined, after: ns });
      if (dp && step.j % 2 === 0) setPod(undefined, { ...dp, namespace: name, name: `np${n}` });
      break;
    }
    case "removeNamespace": {
      // The namespace with its pods and policies, as a namespace deletion cascades.
      const ns = nth([...m.namespaces.values()], step.i);
      if (ns) {
        for (const p of existingPods) if (p.namespace === ns.name) setPod(p, undefined);
        for (const p of existingPolicies)
          if (p.namespace === ns.name) {
            m.policies.delete(`${p.namespace}/${p.name}`);
            networkPolicies.push({ before: p, after: undefined });
          }
        m.namespaces.delete(ns.name);
        namespaces.push({ before: ns, after: undefined });
      }
      break;
    }
    case "retuneTiered": {
      // Same subject and peers (so no pod changes class): other actions, another priority, no ports.
      const t = nth(m.tiered, step.i);
      if (t) {
        const after = { ...t, spec: retune(t.spec as Record<string, unknown>, step.j) };
        m.tiered = m.tiered.map((x) => (x === t ? after : x));
        return { tieredPolicies: [{ before: t, after }] };
      }
      break;
    }
    case "removeTiered": {
      const t = nth(m.tiered, step.i);
      if (t) {
        m.tiered = m.tiered.filter((x) => x !== t);
        return { tieredPolicies: [{ before: t, after: undefined }] };
      }
      break;
    }
    case "addTiered": {
      const d = nth(donor.tieredPolicies ?? [], step.j);
      // The BaselineAdminNetworkPolicy is a singleton ("default"): only other kinds are added.
      if (d && d.kind !== "BaselineAdminNetworkPolicy" && !m.tiered.some((x) => x.name === `n${n}`)) {
        const after = { ...d, name: `n${n}` };
        m.tiered = [...m.tiered, after];
        return { tieredPolicies: [{ before: undefined, after }] };
      }
      break;
    }
  }
  return { pods, networkPolicies, namespaces };
}

/** A tiered spec with each rule's action rotated (or its ports dropped) and the priority moved, peers kept. */
export function retune(spec: Record<string, unknown>, j: number): Record<string, unknown> {
  const rotate = (a: unknown) => {
    const cycle = a === "Allow" || a === "Deny" || a === "Pass" ? ["Allow", "Deny", "Pass"] : ["Accept", "Deny", "Pass"];
    return cycle[(cycle.indexOf(String(a)) + 1 + (j % 2)) % 3];
  };
  const rules = (rs: unknown) =>
    Array.isArray(rs)
      ? rs.map((r: Record<string, unknown>, k) => {
          if ((j + k) % 3 === 0) {
            const { ports: _p, protocols: _q, ...rest } = r;
            return rest;
          }
          return { ...r, action: spec["tier"] === undefined && spec["priority"] === undefined ? (r["action"] === "Allow" ? "Deny" : "Allow") : rotate(r["action"]) };
        })
      : rs;
  return { ...spec, ...(spec["priority"] !== undefined ? { priority: [1, 5, 10, 20][j % 4] } : {}), ingress: rules(spec["ingress"]), egress: rules(spec["egress"]) };
}

/** The matrix as comparable data: classes by signature with their member pods, connections by pair. */
export function canonical(m: IncrementalMatrix): { classes: Record<string, string[]>; connections: Record<string, string> } {
  const classes: Record<string, string[]> = {};
  for (const c of m.allClasses()) classes[c.sig] = c.kind === "pod" ? [...c.pods].sort() : c.ranges.map((r) => `${r.family}:${r.start}-${r.end}`);
  const connections: Record<string, string> = {};
  for (const c of m.connections()) connections[`${c.src} -> ${c.dst}`] = c.conn!.key;
  return { classes, connections };
}

export function fromScratch(input: WorldInput): IncrementalMatrix {
  const { world, diagnostics } = compileWorld(input);
  return new IncrementalMatrix(buildMatrix(world), diagnostics);
}

