/**
 * The first half of IncrementalMatrix.apply: what a change does to the world, checked against what
 * the incremental matrix can reason about (see IncrementalMatrix.ts's header), before anything is
 * modified. Either a plan (the changed objects compiled, the policy splice, the peer-group,
 * named-port and address-family count deltas, the pods added and removed) or a `fallback` with the
 * first reason found, in the order the checks run here.
 */
import { compileWorld } from "../compile/compileWorld.js";
import type { CompiledNamespace, CompiledPeer, CompiledPod, CompiledWorld, SelectorPeer } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import { podKey, type PodKey, type PolicyKey } from "../model/ids.js";
import type { NetworkPolicyInput } from "../model/input.js";
import { spliceWorld, type SplicedWorld } from "../whatif/splice.js";
import { groupKeyOf, namesOf, npKey, sameLabels } from "./keys.js";
import type { ChangePair, Fallback, WorldChange } from "./types.js";

/** What planning reads of the incremental matrix's state (never modified here). */
export interface PlanView {
  readonly world: CompiledWorld;
  readonly groupCount: ReadonlyMap<string, number>;
  readonly nameCount: ReadonlyMap<string, number>;
  readonly podFamilies: ReadonlyMap<string, number>;
  readonly ipGroups: ReadonlyMap<string, Extract<CompiledPeer, { kind: "ipBlock" }>>;
}

export interface ChangePlan {
  readonly method: "plan";
  /** Diagnostics of the changed objects' compile (none: a change with diagnostics falls back). */
  readonly diagnostics: readonly Diagnostic[];
  /** The changed objects as diagnostics name them: their diagnostics are dropped from the current ones. */
  readonly changedObjects: ReadonlySet<string>;
  readonly npPairs: readonly ChangePair<NetworkPolicyInput>[];
  /** Namespaces whose labels changed, with the new labels. */
  readonly nsChanged: ReadonlyMap<string, CompiledNamespace>;
  readonly spliced: SplicedWorld;
  readonly changedKeys: ReadonlySet<PolicyKey>;
  /** Per peer group and named port: the change of the number of peers or rules naming it. */
  readonly peerDelta: ReadonlyMap<string, number>;
  readonly nameDelta: ReadonlyMap<string, number>;
  /** Selector peer groups that appear, and the keys of those that disappear. */
  readonly addedGroups: readonly SelectorPeer[];
  readonly removedGroups: readonly string[];
  /** The namespaces after the change (labels updated). */
  readonly namespaces: readonly CompiledNamespace[];
  readonly namespaceByName: ReadonlyMap<string, CompiledNamespace>;
  readonly podRemoved: ReadonlySet<PodKey>;
  readonly podAdded: readonly CompiledPod[];
  readonly familyDelta: ReadonlyMap<string, number>;
}

const fallback = (reason: string): Fallback => ({ method: "fallback", reason });
const isFallback = (x: object): x is Fallback => (x as { method?: unknown }).method === "fallback";

/** Plans a change, or says why the matrix must be recomputed from scratch. */
export function planChange(view: PlanView, change: WorldChange): ChangePlan | Fallback {
  if ((change.tieredPolicies ?? 0) > 0) return fallback("a cluster-scoped policy changed");
  const W = view.world;
  const nsPairs = change.namespaces ?? [];
  const podPairs = change.pods ?? [];
  const npPairs = change.networkPolicies ?? [];
  for (const p of nsPairs) if (!p.before || !p.after || p.before.name !== p.after.name) return fallback("a namespace was created or deleted");
  const after = compileWorld({
    namespaces: nsPairs.map((p) => p.after!),
    pods: podPairs.flatMap((p) => (p.after ? [p.after] : [])),
    networkPolicies: npPairs.flatMap((p) => (p.after ? [p.after] : [])),
  });
  if (after.diagnostics.length > 0) return fallback("a changed object has diagnostics");
  const changedObjects = new Set<string>();
  for (const p of nsPairs) changedObjects.add(`Namespace ${p.after!.name}`);
  for (const p of podPairs) for (const v of [p.before, p.after]) if (v) changedObjects.add(`Pod ${v.namespace}/${v.name}`);
  for (const p of npPairs) for (const v of [p.before, p.after]) if (v) changedObjects.add(`NetworkPolicy ${v.namespace}/${v.name}`);

  const nsChanged = namespaceLabelChanges(W, nsPairs.map((p) => p.after!.name), after.world);
  if (isFallback(nsChanged)) return nsChanged;
  const policies = policyChanges(W, npPairs, after.world);
  if (isFallback(policies)) return policies;
  const { peerDelta, nameDelta } = peerAndNameDeltas(npPairs);
  for (const [n, d] of nameDelta) {
    const now = view.nameCount.get(n) ?? 0;
    if (d !== 0 && (now === 0) !== (now + d === 0)) return fallback("the named ports that rules mention changed");
  }
  const groups = peerGroupChanges(view, peerDelta, policies.spliced, npPairs);
  if (isFallback(groups)) return groups;

  const { namespaces, namespaceByName } = namespacesAfter(policies.spliced.world, nsChanged);
  const pods = podChanges(W, podPairs.flatMap((p) => (p.before ? [podKey(p.before)] : [])), after.world.pods, namespaceByName);
  if (isFallback(pods)) return pods;
  const familyDelta = addressFamilyDelta(view, pods.podRemoved, pods.podAdded);
  if (isFallback(familyDelta)) return familyDelta;
  return { method: "plan", diagnostics: after.diagnostics, changedObjects, npPairs, nsChanged, ...policies, peerDelta, nameDelta, ...groups, namespaces, namespaceByName, ...pods, familyDelta };
}

/** Namespaces whose labels change (each must exist and be defined already). */
function namespaceLabelChanges(W: CompiledWorld, names: readonly string[], after: CompiledWorld): Map<string, CompiledNamespace> | Fallback {
  const nsChanged = new Map<string, CompiledNamespace>();
  for (const name of names) {
    const old = W.namespaceByName.get(name);
    const compiled = after.namespaceByName.get(name)!;
    if (!old || !old.defined) return fallback("a namespace was created");
    if (!sameLabels(old.labels, compiled.labels)) nsChanged.set(old.name, { ...old, labels: compiled.labels });
  }
  return nsChanged;
}

/** The policy splice: upserts are the compiled new versions, deletes the old keys without one. */
function policyChanges(W: CompiledWorld, npPairs: readonly ChangePair<NetworkPolicyInput>[], after: CompiledWorld): { spliced: SplicedWorld; changedKeys: Set<PolicyKey> } | Fallback {
  const beforeKeys = new Set<PolicyKey>();
  for (const p of npPairs) if (p.before) beforeKeys.add(npKey(p.before));
  const upserts = after.networkPolicies;
  for (const p of upserts) if (!beforeKeys.has(p.key) && W.networkPolicies.some((q) => q.key === p.key)) return fallback("two policies of one name");
  const deletes = [...beforeKeys].filter((k) => !upserts.some((p) => p.key === k));
  const spliced = spliceWorld(W, { upserts, deletes });
  if (spliced.missing.length > 0) return fallback("a deleted policy was not in the world");
  return { spliced, changedKeys: new Set(spliced.changes.map((c) => c.key)) };
}

/**
 * Peers (every peer compileWorld keeps, also those of rules outside policyTypes) and named ports,
 * counted per version: +1 for the new version, -1 for the old. Every pair, also those splice found
 * equal: a version can differ only in peers of rules outside its policyTypes, which compileWorld
 * keeps (they split classes) though they decide nothing.
 */
function peerAndNameDeltas(npPairs: readonly ChangePair<NetworkPolicyInput>[]): { peerDelta: Map<string, number>; nameDelta: Map<string, number> } {
  const peerDelta = new Map<string, number>();
  const nameDelta = new Map<string, number>();
  for (const p of npPairs) {
    for (const [input, sign] of [
      [p.before, -1],
      [p.after, 1],
    ] as const) {
      if (!input) continue;
      const one = compileWorld({ namespaces: [], pods: [], networkPolicies: [input] });
      for (const peer of one.world.peers) peerDelta.set(groupKeyOf(peer), (peerDelta.get(groupKeyOf(peer)) ?? 0) + sign);
      for (const q of one.world.networkPolicies) for (const n of namesOf(q)) nameDelta.set(n, (nameDelta.get(n) ?? 0) + sign);
    }
  }
  return { peerDelta, nameDelta };
}

/** The selector peer groups that appear or disappear (a change of the set of ipBlocks falls back). */
function peerGroupChanges(view: PlanView, peerDelta: ReadonlyMap<string, number>, spliced: SplicedWorld, npPairs: readonly ChangePair<NetworkPolicyInput>[]): { addedGroups: SelectorPeer[]; removedGroups: string[] } | Fallback {
  const addedGroups: SelectorPeer[] = [];
  const removedGroups: string[] = [];
  for (const [k, d] of peerDelta) {
    const now = view.groupCount.get(k) ?? 0;
    if (d === 0 || (now === 0) === (now + d === 0)) continue;
    if (k.startsWith("ipBlock(")) return fallback("the set of ipBlocks changed");
    if (now === 0) {
      const peer = [...spliced.newVersions.flatMap((v) => [...(v.ingress ?? []), ...(v.egress ?? [])])].flatMap((r) => (r.peers === "any" ? [] : r.peers)).find((x) => x.kind === "selector" && x.matchKey === k);
      // A peer of a rule outside policyTypes (compiled away): find it in its own compile.
      const found = peer ?? selectorPeerFromInputs(npPairs, k);
      if (!found || found.kind !== "selector") return fallback("a new peer group could not be resolved");
      addedGroups.push(found);
    } else removedGroups.push(k);
  }
  return { addedGroups, removedGroups };
}

/** A selector peer with this match key among the compiled versions of the changed inputs (rules outside policyTypes included). */
export function selectorPeerFromInputs(pairs: readonly ChangePair<NetworkPolicyInput>[], matchKey: string): SelectorPeer | undefined {
  for (const p of pairs)
    for (const input of [p.after, p.before]) {
      if (!input) continue;
      const found = compileWorld({ namespaces: [], pods: [], networkPolicies: [input] }).world.peers.find((x) => x.kind === "selector" && x.matchKey === matchKey);
      if (found) return found as SelectorPeer;
    }
  return undefined;
}

/** The namespace list and index of the spliced world with the changed labels (copies only when labels changed). */
function namespacesAfter(spliced: CompiledWorld, nsChanged: ReadonlyMap<string, CompiledNamespace>): { namespaces: readonly CompiledNamespace[]; namespaceByName: ReadonlyMap<string, CompiledNamespace> } {
  const namespaceByName = nsChanged.size > 0 ? new Map(spliced.namespaceByName) : spliced.namespaceByName;
  let namespaces = spliced.namespaces;
  if (nsChanged.size > 0) {
    namespaces = namespaces.map((n) => nsChanged.get(n.name) ?? n);
    for (const n of nsChanged.values()) (namespaceByName as Map<string, CompiledNamespace>).set(n.name, n);
  }
  return { namespaces, namespaceByName };
}

/** The pods removed (by key) and added (compiled): an added pod must not clash with a kept one, and its namespace must exist. */
function podChanges(W: CompiledWorld, removedKeys: readonly PodKey[], podAdded: readonly CompiledPod[], namespaceByName: ReadonlyMap<string, CompiledNamespace>): { podRemoved: Set<PodKey>; podAdded: readonly CompiledPod[] } | Fallback {
  const podRemoved = new Set<PodKey>(removedKeys);
  for (const p of podAdded) {
    if (!podRemoved.has(p.key) && W.podByKey.has(p.key)) return fallback("two pods of one name");
    if (!namespaceByName.has(p.namespace.name)) return fallback("a pod in a namespace the world does not have");
  }
  return { podRemoved, podAdded };
}

/** Per address family, the change of the number of pods with an IP of it (a family other than IPv4 appearing or disappearing without an ipBlock of it falls back). */
function addressFamilyDelta(view: PlanView, podRemoved: ReadonlySet<PodKey>, podAdded: readonly CompiledPod[]): Map<string, number> | Fallback {
  const familyDelta = new Map<string, number>();
  for (const k of podRemoved) {
    const ip = view.world.podByKey.get(k)?.ip;
    if (ip) familyDelta.set(String(ip.family), (familyDelta.get(String(ip.family)) ?? 0) - 1);
  }
  for (const p of podAdded) if (p.ip) familyDelta.set(String(p.ip.family), (familyDelta.get(String(p.ip.family)) ?? 0) + 1);
  for (const [f, d] of familyDelta) {
    const now = view.podFamilies.get(f) ?? 0;
    if (d !== 0 && f !== "4" && (now === 0) !== (now + d === 0) && ![...view.ipGroups.values()].some((x) => x.set.families().has(Number(f) as 4 | 6)))
      return fallback("an address family appeared or disappeared");
  }
  return familyDelta;
}
