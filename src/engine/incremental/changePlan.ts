/**
 * The pure parts of IncrementalMatrix.apply: what a change brings (peer groups, named ports, the
 * namespace list, the objects it names), the classes a changed policy can move, and the small map
 * helpers the indexes use. Nothing here holds state.
 */
import { compileWorld } from "../compile/compileWorld.js";
import { rulesFor, tierRulesFor, type CompiledTieredPolicy, type CompiledNamespace, type CompiledNetworkPolicy, type CompiledPeer, type CompiledPod, type CompiledWorld, type Direction, type IpBlockPeer, type SelectorPeer } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import { policyKey, type PodKey, type PolicyKey } from "../model/ids.js";
import type { NetworkPolicyInput, TieredPolicyInput } from "../model/input.js";
import type { IpRange } from "../net/ip.js";
import type { IpSet } from "../net/IpSet.js";
import type { SplicedWorld } from "../whatif/splice.js";
import type { ChangePair, WorldChange } from "./types.js";

export const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];
/** Cached rule-toward-class port sets kept across changes before the cache starts over (signatures of removed classes stay in it). */
export const MAX_PORTS_ENTRIES = 1_000_000;

export function ipGroupKey(peer: Extract<CompiledPeer, { kind: "ipBlock" }>): string {
  return `ipBlock(${peer.set.ranges.map((r) => `${r.family}:${r.start}-${r.end}`).join(",")})`;
}

export function npKey(p: NetworkPolicyInput): PolicyKey {
  return policyKey({ kind: "NetworkPolicy", namespace: p.namespace, name: p.name });
}

export function groupKeyOf(peer: CompiledPeer): string {
  return peer.kind === "selector" ? peer.matchKey : ipGroupKey(peer);
}

export function addCount(m: Map<string, number>, k: string, by: number): { before: number; after: number } {
  const before = m.get(k) ?? 0;
  const after = before + by;
  if (after === 0) m.delete(k);
  else m.set(k, after);
  return { before, after };
}

export function indexAdd<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (s) s.add(v);
  else m.set(k, new Set([v]));
}

export function indexDelete<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

/** Named ports a policy's effective rules mention (the names classes.ts distinguishes pods by). */
export function namesOf(p: CompiledNetworkPolicy): string[] {
  const out: string[] = [];
  for (const rules of [p.ingress, p.egress]) for (const r of rules ?? []) if (r.ports !== "any") for (const port of r.ports) if (port.kind === "named") out.push(port.name);
  return out;
}

/** Named ports the rules of a cluster-scoped policy mention (counted with those of NetworkPolicies). */
export function tierNamesOf(p: CompiledTieredPolicy): string[] {
  const out: string[] = [];
  for (const r of [...p.ingress, ...p.egress]) if (r.ports !== "any") for (const port of r.ports) if (port.kind === "namedAny") out.push(port.name);
  return out;
}

/** What planChange found: the parts of a change apply() carries out, all checked. */
export interface ChangePlan extends NamespaceChanges, GroupChanges, NamespaceList, PodChanges {
  readonly spliced: SplicedWorld;
  /** NetworkPolicies whose content changed (added, modified, deleted). */
  readonly changedKeys: ReadonlySet<PolicyKey>;
  readonly tiers: TierSplice | undefined;
  readonly peerDelta: ReadonlyMap<string, number>;
  readonly nameDelta: ReadonlyMap<string, number>;
  /** `Kind ns/name` of every changed object: their old diagnostics are dropped. */
  readonly changedObjects: ReadonlySet<string>;
  readonly newDiagnostics: readonly Diagnostic[];
  readonly npPairs: readonly ChangePair<NetworkPolicyInput>[];
}

export interface NamespaceChanges {
  /** Relabelled (or defined after being only referenced), with their new object. */
  readonly changed: ReadonlyMap<string, CompiledNamespace>;
  readonly added: readonly CompiledNamespace[];
  readonly removed: ReadonlySet<string>;
}

export interface NamespaceList {
  readonly namespaces: readonly CompiledNamespace[];
  readonly namespaceByName: ReadonlyMap<string, CompiledNamespace>;
  /** Namespaces that took a removed one's position (`index` is the position, selectorIndex.ts relies on it): their pods follow. */
  readonly nsMoved: ReadonlyMap<string, CompiledNamespace>;
}

export interface GroupChanges {
  /** Named ports rules start or stop mentioning. */
  readonly namesToggled: readonly string[];
  readonly addedGroups: readonly SelectorPeer[];
  readonly removedGroups: readonly string[];
  readonly addedIpGroups: readonly IpBlockPeer[];
  readonly removedIpGroups: readonly string[];
  /** The address sets of the ipBlocks added and removed. */
  readonly ipMoved: readonly IpSet[];
}

export interface PodChanges {
  readonly podRemoved: ReadonlySet<PodKey>;
  readonly podAdded: readonly CompiledPod[];
  /** The removed pods as the world held them. */
  readonly removedPods: readonly CompiledPod[];
  readonly familyDelta: ReadonlyMap<string, number>;
  /** Pods removed or added (an update is both): their classes' members changed even when the signature did not. */
  readonly changedPods: ReadonlySet<PodKey>;
}

/** The peer groups and mentioned names each version of the changed policies brings (+1) or takes away (-1). */
export function peerAndNameDeltas(npPairs: readonly ChangePair<NetworkPolicyInput>[], tpPairs: readonly ChangePair<TieredPolicyInput>[]): { peerDelta: Map<string, number>; nameDelta: Map<string, number> } {
  const peerDelta = new Map<string, number>();
  const nameDelta = new Map<string, number>();
  const count = (m: Map<string, number>, k: string, by: number) => m.set(k, (m.get(k) ?? 0) + by);
  // Every pair, also those splice found equal: a version can differ only in peers of rules outside
  // its policyTypes, which compileWorld keeps (they split classes) though they decide nothing.
  const versions = (pair: ChangePair<unknown>) =>
    [
      [pair.before, -1],
      [pair.after, 1],
    ] as const;
  for (const p of npPairs)
    for (const [input, sign] of versions(p)) {
      if (!input) continue;
      const one = compileWorld({ namespaces: [], pods: [], networkPolicies: [input as NetworkPolicyInput] });
      for (const peer of one.world.peers) count(peerDelta, groupKeyOf(peer), sign);
      for (const q of one.world.networkPolicies) for (const n of namesOf(q)) count(nameDelta, n, sign);
    }
  for (const p of tpPairs)
    for (const [input, sign] of versions(p)) {
      if (!input) continue;
      const one = compileWorld({ namespaces: [], pods: [], networkPolicies: [], tieredPolicies: [input as TieredPolicyInput] });
      for (const peer of one.world.peers) count(peerDelta, groupKeyOf(peer), sign);
      for (const q of one.world.tieredPolicies) for (const n of tierNamesOf(q)) count(nameDelta, n, sign);
    }
  return { peerDelta, nameDelta };
}

/** The namespaces after the change: relabelled ones replaced, created ones appended, deleted ones replaced by the last. */
export function namespaceList(spliced: CompiledWorld, ns: NamespaceChanges): NamespaceList {
  const nsMoved = new Map<string, CompiledNamespace>();
  if (ns.changed.size === 0 && ns.added.length === 0 && ns.removed.size === 0) return { namespaces: spliced.namespaces, namespaceByName: spliced.namespaceByName, nsMoved };
  const byName = new Map(spliced.namespaceByName);
  const list = spliced.namespaces.map((n) => ns.changed.get(n.name) ?? n);
  for (const n of ns.changed.values()) byName.set(n.name, n);
  for (const n of ns.added) {
    // A policy of the same change may have made it exist implicitly (spliceWorld): it takes that place.
    const implicit = byName.get(n.name);
    const q = { ...n, index: implicit ? implicit.index : list.length };
    list[q.index] = q;
    byName.set(q.name, q);
  }
  for (const name of ns.removed) {
    const gone = byName.get(name)!;
    byName.delete(name);
    const last = list.pop()!;
    if (last.name === name) continue;
    const q = { ...last, index: gone.index };
    list[q.index] = q;
    byName.set(q.name, q);
    nsMoved.set(q.name, q);
  }
  return { namespaces: list, namespaceByName: byName, nsMoved };
}

/** `Kind ns/name` of every object the change names, as diagnostics name them. */
export function changedObjects(change: WorldChange): Set<string> {
  const out = new Set<string>();
  for (const p of change.namespaces ?? []) out.add(`Namespace ${(p.after ?? p.before)!.name}`);
  for (const p of change.pods ?? []) for (const v of [p.before, p.after]) if (v) out.add(`Pod ${v.namespace}/${v.name}`);
  for (const p of change.networkPolicies ?? []) for (const v of [p.before, p.after]) if (v) out.add(`NetworkPolicy ${v.namespace}/${v.name}`);
  for (const p of change.tieredPolicies ?? []) for (const v of [p.before, p.after]) if (v) out.add(`${v.kind} ${v.name}`);
  return out;
}

/**
 * The classes whose pairs with a subject of one of these NetworkPolicy versions can change for
 * `dir`: those a peer matches, or all of them when a rule has no peer list (rule 2 of the header).
 */
export function policyTargets(versions: readonly CompiledNetworkPolicy[], dir: Direction, classesOfGroup: (key: string) => Iterable<string> | undefined): Set<string> | "all" {
  const targets = new Set<string>();
  for (const v of versions)
    for (const r of rulesFor(v, dir) ?? []) {
      if (r.peers === "any") return "all";
      for (const x of r.peers) for (const t of classesOfGroup(groupKeyOf(x)) ?? []) targets.add(t);
    }
  return targets;
}

export interface TierSplice {
  readonly policies: readonly CompiledTieredPolicy[];
  /** Peers of the new versions, numbered after the world's. */
  readonly peers: readonly CompiledPeer[];
  readonly oldVersions: readonly CompiledTieredPolicy[];
  readonly newVersions: readonly CompiledTieredPolicy[];
}

/**
 * The classes whose pairs with a subject of one of these versions can change for `dir`: those a
 * peer matches, or all of them when a rule fails closed (`peers: "any"`). Unresolved peers (nodes,
 * domainNames) match no class of the matrix.
 */
export function tierTargets(versions: readonly CompiledTieredPolicy[], dir: Direction, classesOfGroup: (key: string) => Iterable<string> | undefined): Set<string> | "all" {
  const targets = new Set<string>();
  for (const v of versions)
    for (const r of tierRulesFor(v, dir)) {
      if (r.peers === "any") return "all";
      for (const x of r.peers) if (x.kind === "selector" || x.kind === "ipBlock") for (const t of classesOfGroup(groupKeyOf(x)) ?? []) targets.add(t);
    }
  return targets;
}

/**
 * The peer (selector or ipBlock) of group `key` among the new versions of the changed policies;
 * a peer of a rule outside policyTypes is compiled away there, so it is looked up in the inputs'
 * own compiles as a last resort.
 */
export function newPeer(
  key: string,
  policies: readonly CompiledNetworkPolicy[],
  tiers: readonly CompiledTieredPolicy[],
  npPairs: readonly ChangePair<NetworkPolicyInput>[],
  tpPairs: readonly ChangePair<TieredPolicyInput>[],
): SelectorPeer | IpBlockPeer | undefined {
  const rules = [...policies.flatMap((v) => [...(v.ingress ?? []), ...(v.egress ?? [])]), ...tiers.flatMap((v) => [...v.ingress, ...v.egress])];
  for (const r of rules) if (r.peers !== "any") for (const x of r.peers) if ((x.kind === "selector" || x.kind === "ipBlock") && groupKeyOf(x) === key) return x;
  for (const p of npPairs)
    for (const input of [p.after, p.before]) {
      const found = input && compileWorld({ namespaces: [], pods: [], networkPolicies: [input] }).world.peers.find((x) => groupKeyOf(x) === key);
      if (found) return found;
    }
  for (const p of tpPairs)
    for (const input of [p.after, p.before]) {
      const found = input && compileWorld({ namespaces: [], pods: [], networkPolicies: [], tieredPolicies: [input] }).world.peers.find((x) => groupKeyOf(x) === key);
      if (found) return found;
    }
  return undefined;
}

export function sameRanges(a: readonly IpRange[], b: readonly IpRange[]): boolean {
  return a.length === b.length && a.every((r, i) => r.family === b[i]!.family && r.start === b[i]!.start && r.end === b[i]!.end);
}

export function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

