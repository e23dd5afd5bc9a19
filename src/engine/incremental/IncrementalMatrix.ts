/**
 * The class matrix kept up to date change by change, keyed by class signature (classSignature.ts)
 * instead of class position, so that a change costs what it touches, not what the cluster holds.
 *
 * Why it is exact (test/engine/incrementalMatrixProperty.test.ts applies random change streams both
 * ways and compares every generation with a recomputation from scratch):
 * 1. A class signature names everything the matrix value of a class pair depends on: the policies
 *    isolating its members per direction (NetworkPolicy and tiered, by key), the selector and
 *    ipBlock peer groups matching them (by what they match), hostNetwork, and the named ports that
 *    rules mention. So M(s, d) is a function of sig(s), sig(d) and the content of the policies the
 *    two signatures name. A pair of classes whose signatures existed before the change and name no
 *    changed policy keeps its value; only pairs involving a new signature, or a class naming a
 *    changed policy, are evaluated.
 * 2. For a class naming a changed policy P for a direction (its signature survived, so its
 *    isolation did too: P is among its isolating policies before and after), that side is the union
 *    of its isolating policies' rules; the others contribute the same rules, so the side can change
 *    only toward classes a peer of P (old or new version) matches, or toward all when a rule of P
 *    has no peer list. The what-if engine (whatif/incremental.ts) reasons the same way.
 * 3. A pod's signature changes only when the pod itself changes, its namespace's labels change, a
 *    changed policy selects it (either version), or a peer group that matches it appears or
 *    disappears: exactly the pods reclassified here. The pair values are computed by the engine's
 *    evaluator (evaluateDirection) on class representatives, which the matrix property test holds
 *    equal to buildMatrix.
 * Where this reasoning would need more than this file keeps (a cluster-scoped policy changed, the
 * set of ipBlocks or of mentioned named ports changed, a namespace created or deleted, an object
 * that does not compile cleanly, a new address family) apply() answers `fallback` with the reason
 * and the caller recomputes from scratch.
 */
import { compileWorld } from "../compile/compileWorld.js";
import { rulesFor, type CompiledRule, type CompiledNamespace, type CompiledNetworkPolicy, type CompiledPeer, type CompiledPod, type CompiledWorld, type Direction, type SelectorPeer } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import { externalEndpoint, podEndpoint, type Endpoint } from "../eval/endpoint.js";
import { evaluateDirection, isolatingPolicies } from "../eval/evaluatePair.js";
import { destinationNamedPorts, policySelectsPod, rulePeerMatching, rulePortsToward, selectorPeerMatchesNamespace } from "../eval/matching.js";
import { tieredPoliciesFor, tieredPolicySelectsPod } from "../eval/tiers.js";
import type { ClassMatrix } from "../matrix/buildMatrix.js";
import { classRanges, relevantNamedPortsKey } from "../matrix/classes.js";
import { classSignatures } from "../matrix/classSignature.js";
import { podKey, policyKey, type PodKey, type PolicyKey } from "../model/ids.js";
import type { NamespaceInput, NetworkPolicyInput, PodInput } from "../model/input.js";
import type { IpRange } from "../net/ip.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import { spliceWorld } from "../whatif/splice.js";

/** One object's versions around a change: before only (deleted), after only (created), both (updated). */
export interface ChangePair<T> {
  readonly before: T | undefined;
  readonly after: T | undefined;
}

export interface WorldChange {
  readonly namespaces?: readonly ChangePair<NamespaceInput>[];
  readonly pods?: readonly ChangePair<PodInput>[];
  readonly networkPolicies?: readonly ChangePair<NetworkPolicyInput>[];
  /** Cluster-scoped policies created, updated or deleted: recomputed from scratch (see the header). */
  readonly tieredPolicies?: number;
}

export interface SigClass {
  readonly sig: string;
  readonly kind: "pod" | "external";
  /** Member pods (pod classes). */
  readonly pods: Set<PodKey>;
  /** Member address ranges (external classes), as the partition's atoms. */
  readonly ranges: readonly IpRange[];
  /** A member pod standing for the class (pod classes). */
  rep: PodKey | undefined;
  readonly ingressPolicies: readonly PolicyKey[];
  readonly egressPolicies: readonly PolicyKey[];
  /** Keys of the selector and ipBlock peer groups matching the members. */
  readonly groups: readonly string[];
}

export interface ConnectionChange {
  readonly src: string;
  readonly dst: string;
  /** undefined: the pair has no connection any more. */
  readonly conn: ConnectionSet | undefined;
}

export interface IncrementalUpdate {
  readonly method: "incremental";
  readonly world: CompiledWorld;
  readonly diagnostics: readonly Diagnostic[];
  readonly addedClasses: readonly SigClass[];
  readonly removedClasses: readonly string[];
  /** Classes that existed before and whose members changed (a pod joined, left or changed workload). */
  readonly changedMembers: readonly SigClass[];
  readonly connections: readonly ConnectionChange[];
  readonly stats: { readonly touchedPods: number; readonly evaluatedPairs: number; readonly changedConnections: number };
}

export interface Fallback {
  readonly method: "fallback";
  readonly reason: string;
}

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];
/** Cached rule-toward-class port sets kept across changes before the cache starts over (signatures of removed classes stay in it). */
const MAX_PORTS_ENTRIES = 1_000_000;

function ipGroupKey(peer: Extract<CompiledPeer, { kind: "ipBlock" }>): string {
  return `ipBlock(${peer.set.ranges.map((r) => `${r.family}:${r.start}-${r.end}`).join(",")})`;
}

function npKey(p: NetworkPolicyInput): PolicyKey {
  return policyKey({ kind: "NetworkPolicy", namespace: p.namespace, name: p.name });
}

function groupKeyOf(peer: CompiledPeer): string {
  return peer.kind === "selector" ? peer.matchKey : ipGroupKey(peer);
}

function addCount(m: Map<string, number>, k: string, by: number): { before: number; after: number } {
  const before = m.get(k) ?? 0;
  const after = before + by;
  if (after === 0) m.delete(k);
  else m.set(k, after);
  return { before, after };
}

function indexAdd<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (s) s.add(v);
  else m.set(k, new Set([v]));
}

function indexDelete<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

/** Named ports a policy's effective rules mention (the names classes.ts distinguishes pods by). */
function namesOf(p: CompiledNetworkPolicy): string[] {
  const out: string[] = [];
  for (const rules of [p.ingress, p.egress]) for (const r of rules ?? []) if (r.ports !== "any") for (const port of r.ports) if (port.kind === "named") out.push(port.name);
  return out;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

export class IncrementalMatrix {
  private world: CompiledWorld;
  private diagnostics: readonly Diagnostic[];
  private readonly podSig = new Map<PodKey, string>();
  private readonly classes = new Map<string, SigClass>();
  /** dst -> src -> connection (non-empty), and src -> dsts: the matrix by signature. */
  private readonly incoming = new Map<string, Map<string, ConnectionSet>>();
  private readonly outgoing = new Map<string, Set<string>>();
  private readonly classesOfGroup = new Map<string, Set<string>>();
  private readonly classesOfPolicy: Record<Direction, Map<string, Set<string>>> = { ingress: new Map(), egress: new Map() };
  /** Peer groups by key with the number of peers (world.peers) behind each; named ports mentioned, with counts. */
  private readonly selectorGroups = new Map<string, SelectorPeer>();
  private readonly groupCount = new Map<string, number>();
  private readonly ipGroups = new Map<string, Extract<CompiledPeer, { kind: "ipBlock" }>>();
  private readonly nameCount = new Map<string, number>();
  private readonly podFamilies = new Map<string, number>();
  /** Selector groups whose namespace half matches each namespace (cleared when groups or labels change). */
  private readonly nsGroups = new Map<string, SelectorPeer[]>();
  /** Pods by namespace name. */
  private readonly nsPods = new Map<string, Set<PodKey>>();
  private entries = 0;
  /** Per class signature and direction: the isolating rules, or why there are none to walk (see apply). */
  private readonly sides: Record<Direction, Map<string, readonly CompiledRule[] | "open" | "tiered">> = { ingress: new Map(), egress: new Map() };
  private portsMemo = new WeakMap<CompiledRule, Map<string, ConnectionSet>>();
  private portsEntries = 0;

  /** The state of a matrix computed from scratch (signatures: classSignatures(matrix), when already computed). */
  constructor(matrix: ClassMatrix, diagnostics: readonly Diagnostic[], signatures: readonly string[] = classSignatures(matrix)) {
    const world = matrix.world;
    // The pod list and index are this object's own: apply() patches them in place (a copy per change
    // costs O(pods), which at 150,000 pods is most of a pod change). Worlds returned by apply() share them.
    this.world = { ...world, pods: [...world.pods], podByKey: new Map(world.podByKey) };
    this.diagnostics = diagnostics;
    const { classes, groupOfPeer, groupClasses } = matrix.classes;
    const groupKey: string[] = new Array(groupClasses.length);
    for (const peer of world.peers) {
      const g = groupOfPeer[peer.id]!;
      if (g >= 0 && groupKey[g] === undefined) groupKey[g] = groupKeyOf(peer);
      addCount(this.groupCount, groupKeyOf(peer), 1);
      if (peer.kind === "selector") {
        if (!this.selectorGroups.has(peer.matchKey)) this.selectorGroups.set(peer.matchKey, peer);
      } else if (!this.ipGroups.has(ipGroupKey(peer))) this.ipGroups.set(ipGroupKey(peer), peer);
    }
    const groupsOf: string[][] = classes.map(() => []);
    groupClasses.forEach((cs, g) => {
      for (const c of cs) groupsOf[c]!.push(groupKey[g]!);
    });
    for (const p of world.networkPolicies) for (const n of namesOf(p)) addCount(this.nameCount, n, 1);
    for (const p of world.tieredPolicies) for (const r of [...p.ingress, ...p.egress]) if (r.ports !== "any") for (const port of r.ports) if (port.kind === "namedAny") addCount(this.nameCount, port.name, 1);
    for (const p of world.pods) {
      if (p.ip) addCount(this.podFamilies, String(p.ip.family), 1);
      indexAdd(this.nsPods, p.namespace.name, p.key);
    }
    for (const c of classes) {
      const sig = signatures[c.id]!;
      const pods = new Set<PodKey>();
      for (const i of c.pods) {
        const key = world.pods[i]!.key;
        pods.add(key);
        this.podSig.set(key, sig);
      }
      this.addClass({
        sig,
        kind: c.kind,
        pods,
        ranges: c.kind === "external" ? classRanges(matrix.classes, c) : [],
        rep: c.kind === "pod" ? world.pods[c.pods[0]!]!.key : undefined,
        ingressPolicies: c.ingressPolicies.map((i) => world.networkPolicies[i]!.key),
        egressPolicies: c.egressPolicies.map((i) => world.networkPolicies[i]!.key),
        groups: groupsOf[c.id]!,
      });
    }
    matrix.incoming.forEach((row, d) => {
      for (let i = 0; i < row.src.length; i++) this.setConn(signatures[row.src[i]!]!, signatures[d]!, matrix.conns.get(row.conn[i]!));
    });
  }

  get currentWorld(): CompiledWorld {
    return this.world;
  }

  get currentDiagnostics(): readonly Diagnostic[] {
    return this.diagnostics;
  }

  get stats(): { readonly classes: number; readonly entries: number } {
    return { classes: this.classes.size, entries: this.entries };
  }

  classOf(sig: string): SigClass | undefined {
    return this.classes.get(sig);
  }

  allClasses(): IterableIterator<SigClass> {
    return this.classes.values();
  }

  /** Every connection as (src, dst, conn). */
  *connections(): Generator<ConnectionChange> {
    for (const [dst, row] of this.incoming) for (const [src, conn] of row) yield { src, dst, conn };
  }

  /**
   * Applies a change. On `fallback` nothing was modified; the caller recomputes from scratch and
   * builds a new IncrementalMatrix from that.
   */
  apply(change: WorldChange): IncrementalUpdate | Fallback {
    const fallback = (reason: string): Fallback => ({ method: "fallback", reason });
    if ((change.tieredPolicies ?? 0) > 0) return fallback("a cluster-scoped policy changed");
    const W = this.world;
    const nsPairs = change.namespaces ?? [];
    const podPairs = change.pods ?? [];
    const npPairs = change.networkPolicies ?? [];
    for (const p of nsPairs) if (!p.before || !p.after || p.before.name !== p.after.name) return fallback("a namespace was created or deleted");

    // --- compile the changed objects -------------------------------------------------------------
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

    // --- namespaces --------------------------------------------------------------------------------
    const nsChanged = new Map<string, CompiledNamespace>();
    for (const p of nsPairs) {
      const old = W.namespaceByName.get(p.after!.name);
      const compiled = after.world.namespaceByName.get(p.after!.name)!;
      if (!old || !old.defined) return fallback("a namespace was created");
      if (!sameLabels(old.labels, compiled.labels)) nsChanged.set(old.name, { ...old, labels: compiled.labels });
    }

    // --- policies ------------------------------------------------------------------------------------
    const beforeKeys = new Set<PolicyKey>();
    for (const p of npPairs) if (p.before) beforeKeys.add(npKey(p.before));
    const upserts = after.world.networkPolicies;
    for (const p of upserts) if (!beforeKeys.has(p.key) && W.networkPolicies.some((q) => q.key === p.key)) return fallback("two policies of one name");
    const deletes = [...beforeKeys].filter((k) => !upserts.some((p) => p.key === k));
    const spliced = spliceWorld(W, { upserts, deletes });
    if (spliced.missing.length > 0) return fallback("a deleted policy was not in the world");
    // Peers (every peer compileWorld keeps, also those of rules outside policyTypes) and named ports, per version.
    const peerDelta = new Map<string, number>();
    const nameDelta = new Map<string, number>();
    const changedKeys = new Set(spliced.changes.map((c) => c.key));
    // Every pair, also those splice found equal: a version can differ only in peers of rules outside
    // its policyTypes, which compileWorld keeps (they split classes) though they decide nothing.
    {
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
    }
    for (const [n, d] of nameDelta) {
      const now = this.nameCount.get(n) ?? 0;
      if (d !== 0 && (now === 0) !== (now + d === 0)) return fallback("the named ports that rules mention changed");
    }
    const addedGroups: SelectorPeer[] = [];
    const removedGroups: string[] = [];
    for (const [k, d] of peerDelta) {
      const now = this.groupCount.get(k) ?? 0;
      if (d === 0 || (now === 0) === (now + d === 0)) continue;
      if (k.startsWith("ipBlock(")) return fallback("the set of ipBlocks changed");
      if (now === 0) {
        const peer = [...spliced.newVersions.flatMap((v) => [...(v.ingress ?? []), ...(v.egress ?? [])])].flatMap((r) => (r.peers === "any" ? [] : r.peers)).find((x) => x.kind === "selector" && x.matchKey === k);
        // A peer of a rule outside policyTypes (compiled away): find it in its own compile.
        const found = peer ?? this.selectorPeerFromInputs(npPairs, k);
        if (!found || found.kind !== "selector") return fallback("a new peer group could not be resolved");
        addedGroups.push(found);
      } else removedGroups.push(k);
    }

    // --- pods ------------------------------------------------------------------------------------------
    const namespaceByName = nsChanged.size > 0 ? new Map(spliced.world.namespaceByName) : spliced.world.namespaceByName;
    let namespaces = spliced.world.namespaces;
    if (nsChanged.size > 0) {
      namespaces = namespaces.map((n) => nsChanged.get(n.name) ?? n);
      for (const n of nsChanged.values()) (namespaceByName as Map<string, CompiledNamespace>).set(n.name, n);
    }
    const podRemoved = new Set<PodKey>();
    for (const p of podPairs) if (p.before) podRemoved.add(podKey(p.before));
    const podAdded = after.world.pods;
    for (const p of podAdded) {
      if (!podRemoved.has(p.key) && W.podByKey.has(p.key)) return fallback("two pods of one name");
      if (!namespaceByName.has(p.namespace.name)) return fallback("a pod in a namespace the world does not have");
    }
    const familyDelta = new Map<string, number>();
    for (const k of podRemoved) {
      const ip = W.podByKey.get(k)?.ip;
      if (ip) familyDelta.set(String(ip.family), (familyDelta.get(String(ip.family)) ?? 0) - 1);
    }
    for (const p of podAdded) if (p.ip) familyDelta.set(String(p.ip.family), (familyDelta.get(String(p.ip.family)) ?? 0) + 1);
    for (const [f, d] of familyDelta) {
      const now = this.podFamilies.get(f) ?? 0;
      if (d !== 0 && f !== "4" && (now === 0) !== (now + d === 0) && ![...this.ipGroups.values()].some((x) => x.set.families().has(Number(f) as 4 | 6)))
        return fallback("an address family appeared or disappeared");
    }
    // The pod list: untouched pods are shared; a removed pod's slot takes an added one or the last pod.
    const pods = W.pods as CompiledPod[];
    const podByKey = W.podByKey as Map<PodKey, CompiledPod>;
    const removedPods = [...podRemoved].flatMap((k) => W.podByKey.get(k) ?? []);
    if (podRemoved.size > 0 || podAdded.length > 0 || nsChanged.size > 0) {
      const holes: number[] = [];
      for (const k of podRemoved) {
        const old = podByKey.get(k);
        if (!old) continue;
        podByKey.delete(k);
        holes.push(old.index);
      }
      holes.sort((a, b) => b - a); // fill the lowest first (pop)
      for (const p of podAdded) {
        const index = holes.length > 0 ? holes.pop()! : pods.length;
        const q = { ...p, index, namespace: namespaceByName.get(p.namespace.name)! };
        pods[index] = q;
        podByKey.set(q.key, q);
      }
      // Still descending: the highest hole first, so the last pod (never a hole still to fill: those
      // are all lower) moves into it; ascending order would move a removed pod back into the list.
      for (const h of holes) {
        const last = pods.length - 1;
        if (h === last) {
          pods.pop();
          continue;
        }
        const moved = { ...pods[last]!, index: h };
        pods.pop();
        pods[h] = moved;
        podByKey.set(moved.key, moved);
      }
      for (const [name, ns] of nsChanged)
        for (const k of this.nsPods.get(name) ?? []) {
          const p = podByKey.get(k);
          if (!p || p.namespace === ns) continue;
          const q = { ...p, namespace: ns };
          pods[q.index] = q;
          podByKey.set(k, q);
        }
    }
    const next: CompiledWorld = { ...spliced.world, namespaces, namespaceByName, pods, podByKey };

    // --- from here on the state changes ------------------------------------------------------------------
    for (const [k, d] of peerDelta) addCount(this.groupCount, k, d);
    for (const g of addedGroups) this.selectorGroups.set(g.matchKey, g);
    for (const k of removedGroups) this.selectorGroups.delete(k);
    for (const [n, d] of nameDelta) addCount(this.nameCount, n, d);
    for (const [f, d] of familyDelta) addCount(this.podFamilies, f, d);
    if (addedGroups.length > 0 || removedGroups.length > 0) this.nsGroups.clear();
    for (const n of nsChanged.keys()) this.nsGroups.delete(n);
    this.world = next;
    this.diagnostics = this.diagnostics.filter((d) => !changedObjects.has(d.object));

    // Pods whose signature may change.
    const touched = new Set<PodKey>([...podRemoved, ...podAdded.map((p) => p.key)]);
    const changedPods = new Set(touched);
    for (const p of removedPods) indexDelete(this.nsPods, p.namespace.name, p.key);
    for (const p of podAdded) indexAdd(this.nsPods, p.namespace.name, p.key);
    const podsOf = (ns: string) => this.nsPods.get(ns) ?? [];
    for (const name of nsChanged.keys()) for (const k of podsOf(name)) touched.add(k);
    const versions = [...spliced.oldVersions, ...spliced.newVersions];
    for (const v of versions) for (const k of podsOf(v.namespace)) if (policySelectsPod(v, podByKey.get(k)!)) touched.add(k);
    const groupsMoved = [...addedGroups, ...removedGroups.map((k) => this.removedGroupPeer(k, spliced.oldVersions, npPairs))];
    for (const g of groupsMoved) {
      if (!g) {
        for (const p of pods) touched.add(p.key);
        break;
      }
      for (const ns of namespaces) {
        if (!selectorPeerMatchesNamespace(g, ns)) continue;
        for (const k of podsOf(ns.name)) {
          const p = podByKey.get(k)!;
          if (!p.hostNetwork && g.podSelector.matches(p.labels)) touched.add(k);
        }
      }
    }

    // --- reclassify ------------------------------------------------------------------------------------------
    const added = new Map<string, SigClass>();
    const membersChanged = new Set<string>();
    const emptied = new Set<string>();
    for (const key of touched) {
      const oldSig = this.podSig.get(key);
      const pod = podByKey.get(key);
      const computed = pod ? this.signature(pod) : undefined;
      if (oldSig !== undefined && oldSig === computed?.sig) {
        if (changedPods.has(key)) membersChanged.add(oldSig);
        continue;
      }
      if (oldSig !== undefined) {
        const c = this.classes.get(oldSig)!;
        c.pods.delete(key);
        membersChanged.add(oldSig);
        if (c.pods.size === 0) emptied.add(oldSig);
        else if (c.rep === key) c.rep = c.pods.values().next().value;
        this.podSig.delete(key);
      }
      if (!computed) continue;
      this.podSig.set(key, computed.sig);
      const c = this.classes.get(computed.sig);
      if (c) {
        c.pods.add(key);
        if (c.pods.size === 1) c.rep = key;
        membersChanged.add(computed.sig);
        emptied.delete(computed.sig);
        continue;
      }
      const created: SigClass = { sig: computed.sig, kind: "pod", pods: new Set([key]), ranges: [], rep: key, ingressPolicies: computed.ingress, egressPolicies: computed.egress, groups: computed.groups };
      this.addClass(created);
      added.set(created.sig, created);
    }
    const connections: ConnectionChange[] = [];
    const removedClasses: string[] = [];
    for (const sig of emptied) {
      if (added.has(sig)) {
        added.delete(sig);
        this.removeClass(sig, []);
        continue;
      }
      removedClasses.push(sig);
      this.removeClass(sig, connections);
    }
    const survivors = [...membersChanged].filter((s) => !added.has(s) && !emptied.has(s)).map((s) => this.classes.get(s)!);

    // --- pairs to evaluate ------------------------------------------------------------------------------------
    const pairs = new Map<string, Set<string>>(); // dst -> srcs
    const pair = (src: string, dst: string) => indexAdd(pairs, dst, src);
    const all = [...this.classes.keys()];
    for (const c of added.keys())
      for (const o of all) {
        pair(o, c);
        pair(c, o);
      }
    const oldByKey = new Map(spliced.oldVersions.map((v) => [v.key, v]));
    const newByKey = new Map(spliced.newVersions.map((v) => [v.key, v]));
    for (const key of changedKeys) for (const dir of DIRECTIONS) for (const sig of this.classesOfPolicy[dir].get(key) ?? []) this.sides[dir].delete(sig);
    for (const key of changedKeys) {
      const vs = [oldByKey.get(key), newByKey.get(key)].filter((v): v is CompiledNetworkPolicy => v !== undefined);
      for (const dir of DIRECTIONS) {
        const subjects = this.classesOfPolicy[dir].get(key);
        if (!subjects || subjects.size === 0) continue;
        let targets: Iterable<string> | "all" = new Set<string>();
        for (const v of vs) {
          for (const r of rulesFor(v, dir) ?? []) {
            if (r.peers === "any") {
              targets = "all";
              break;
            }
            for (const x of r.peers) for (const t of this.classesOfGroup.get(groupKeyOf(x)) ?? []) (targets as Set<string>).add(t);
          }
          if (targets === "all") break;
        }
        const list = targets === "all" ? all : [...targets];
        for (const s of subjects) {
          if (added.has(s)) continue;
          for (const t of list) if (dir === "ingress") pair(t, s);
          else pair(s, t);
        }
      }
    }

    // --- evaluate -----------------------------------------------------------------------------------------------
    const endpointMemo = new Map<string, Endpoint>();
    const endpointOf = (sig: string): Endpoint => {
      let e = endpointMemo.get(sig);
      if (!e) {
        const c = this.classes.get(sig)!;
        const r = c.ranges[0];
        e = c.kind === "pod" ? podEndpoint(podByKey.get(c.rep!)!) : externalEndpoint({ family: r!.family, value: r!.start });
        endpointMemo.set(sig, e);
      }
      return e;
    };
    // One side of a pair, as evaluateDirection computes it; for subjects no cluster-scoped policy
    // applies to, from the subject's isolating rules (found once per class) and what each rule's
    // ports admit toward the destination class (once per rule and class).
    // Keyed by the signature strings themselves (their hashes are cached; a concatenated key of these long strings is hashed anew each time).
    // Both are kept across changes: a side depends only on the policies the signature names (entries
    // of classes naming a changed policy are dropped above), what a rule admits toward a class only on
    // the rule (a changed policy's rules are new objects) and the named ports the signature names.
    const sides = this.sides;
    const sideOf = (dir: Direction, sig: string, e: Endpoint) => {
      let hit = sides[dir].get(sig);
      if (hit === undefined) {
        if (e.kind !== "pod") hit = "open";
        else if (tieredPoliciesFor(next, e, dir).length > 0) hit = "tiered";
        else {
          const isolating = isolatingPolicies(next, e, dir);
          hit = isolating.length === 0 ? "open" : isolating.flatMap((p) => rulesFor(p, dir)!);
        }
        sides[dir].set(sig, hit);
      }
      return hit;
    };
    if (this.portsEntries > MAX_PORTS_ENTRIES) {
      this.portsMemo = new WeakMap();
      this.portsEntries = 0;
    }
    const portsMemo = this.portsMemo;
    const portsToward = (rule: CompiledRule, dstSig: string, dstEndpoint: Endpoint) => {
      let m = portsMemo.get(rule);
      if (!m) portsMemo.set(rule, (m = new Map()));
      let hit = m.get(dstSig);
      if (!hit) {
        m.set(dstSig, (hit = rulePortsToward(rule, destinationNamedPorts(dstEndpoint))));
        this.portsEntries++;
      }
      return hit;
    };
    const sideConn = (dir: Direction, subjectSig: string, subject: Endpoint, other: Endpoint, dstSig: string, dstEndpoint: Endpoint): ConnectionSet => {
      const side = sideOf(dir, subjectSig, subject);
      if (side === "open") return ConnectionSet.ALL;
      if (side === "tiered") return dir === "ingress" ? evaluateDirection(next, dir, other, subject).allowed : evaluateDirection(next, dir, subject, other).allowed;
      let out = ConnectionSet.NONE;
      for (const rule of side) if (rulePeerMatching(rule, other) !== undefined) out = out.union(portsToward(rule, dstSig, dstEndpoint));
      return out;
    };
    let evaluatedPairs = 0;
    for (const [dst, srcs] of pairs) {
      const dc = this.classes.get(dst)!;
      const de = endpointOf(dst);
      for (const src of srcs) {
        const sc = this.classes.get(src)!;
        if (dc.kind === "external" && sc.kind === "external") continue;
        evaluatedPairs++;
        const se = endpointOf(src);
        let conn = sideConn("ingress", dst, de, se, dst, de);
        if (!conn.isEmpty()) conn = conn.intersect(sideConn("egress", src, se, de, dst, de));
        const before = this.incoming.get(dst)?.get(src);
        if (conn.isEmpty()) {
          if (before === undefined) continue;
          this.deleteConn(src, dst);
          connections.push({ src, dst, conn: undefined });
        } else if (before === undefined || !before.equals(conn)) {
          this.setConn(src, dst, conn);
          connections.push({ src, dst, conn });
        }
      }
    }
    const extra = after.diagnostics;
    if (extra.length > 0) this.diagnostics = [...this.diagnostics, ...extra];
    return {
      method: "incremental",
      world: next,
      diagnostics: this.diagnostics,
      addedClasses: [...added.values()],
      removedClasses,
      changedMembers: survivors,
      connections,
      stats: { touchedPods: touched.size, evaluatedPairs, changedConnections: connections.length },
    };
  }

  /** The signature classSignatures gives the class of `pod` in the current world, and what the indexes need. */
  private signature(pod: CompiledPod): { sig: string; ingress: PolicyKey[]; egress: PolicyKey[]; groups: string[] } {
    const W = this.world;
    const ingress: PolicyKey[] = [];
    const egress: PolicyKey[] = [];
    const peers: string[] = [];
    const ips: string[] = [];
    const tin: string[] = [];
    const teg: string[] = [];
    const host = pod.hostNetwork;
    if (!host) {
      for (const p of W.policiesByNamespace.get(pod.namespace.name) ?? []) {
        if (!policySelectsPod(p, pod)) continue;
        if (p.ingress) ingress.push(p.key);
        if (p.egress) egress.push(p.key);
      }
      for (const g of this.groupsOfNamespace(pod.namespace)) if (g.podSelector.matches(pod.labels)) peers.push(g.matchKey);
      for (const p of W.tieredPolicies) {
        if (p.ingress.length === 0 && p.egress.length === 0) continue;
        if (!tieredPolicySelectsPod(p, pod)) continue;
        if (p.ingress.length > 0) tin.push(p.key);
        if (p.egress.length > 0) teg.push(p.key);
      }
    }
    if (pod.ip) for (const [k, b] of this.ipGroups) if (b.set.contains(pod.ip)) ips.push(k);
    ingress.sort();
    egress.sort();
    peers.sort();
    ips.sort();
    const names = new Set(this.nameCount.keys());
    const parts = [host ? "host" : "pod", `in:${ingress.join(",")}`, `eg:${egress.join(",")}`, `peers:${peers.join(",")}`, `ip:${ips.join(",")}`, `np:${host ? "" : relevantNamedPortsKey(pod, names)}`];
    if (tin.length > 0) parts.push(`tin:${tin.sort().join(",")}`);
    if (teg.length > 0) parts.push(`teg:${teg.sort().join(",")}`);
    return { sig: parts.join("|"), ingress, egress, groups: [...peers, ...ips] };
  }

  private groupsOfNamespace(ns: CompiledNamespace): SelectorPeer[] {
    let hit = this.nsGroups.get(ns.name);
    if (!hit) {
      hit = [];
      for (const g of this.selectorGroups.values()) if (selectorPeerMatchesNamespace(g, ns)) hit.push(g);
      this.nsGroups.set(ns.name, hit);
    }
    return hit;
  }

  /** A selector peer with this match key among the compiled versions of the changed inputs (rules outside policyTypes included). */
  private selectorPeerFromInputs(pairs: readonly ChangePair<NetworkPolicyInput>[], matchKey: string): SelectorPeer | undefined {
    for (const p of pairs)
      for (const input of [p.after, p.before]) {
        if (!input) continue;
        const found = compileWorld({ namespaces: [], pods: [], networkPolicies: [input] }).world.peers.find((x) => x.kind === "selector" && x.matchKey === matchKey);
        if (found) return found as SelectorPeer;
      }
    return undefined;
  }

  private removedGroupPeer(matchKey: string, oldVersions: readonly CompiledNetworkPolicy[], pairs: readonly ChangePair<NetworkPolicyInput>[]): SelectorPeer | undefined {
    const known = this.selectorGroups.get(matchKey);
    if (known) return known;
    for (const v of oldVersions) for (const r of [...(v.ingress ?? []), ...(v.egress ?? [])]) if (r.peers !== "any") for (const x of r.peers) if (x.kind === "selector" && x.matchKey === matchKey) return x;
    return this.selectorPeerFromInputs(pairs, matchKey);
  }

  private addClass(c: SigClass): void {
    this.classes.set(c.sig, c);
    for (const g of c.groups) indexAdd(this.classesOfGroup, g, c.sig);
    for (const k of c.ingressPolicies) indexAdd(this.classesOfPolicy.ingress, k, c.sig);
    for (const k of c.egressPolicies) indexAdd(this.classesOfPolicy.egress, k, c.sig);
  }

  /** Drops a class and its connections (reported in `out`). */
  private removeClass(sig: string, out: ConnectionChange[]): void {
    const c = this.classes.get(sig);
    if (!c) return;
    this.classes.delete(sig);
    for (const dir of DIRECTIONS) this.sides[dir].delete(sig);
    for (const g of c.groups) indexDelete(this.classesOfGroup, g, sig);
    for (const k of c.ingressPolicies) indexDelete(this.classesOfPolicy.ingress, k, sig);
    for (const k of c.egressPolicies) indexDelete(this.classesOfPolicy.egress, k, sig);
    for (const src of [...(this.incoming.get(sig)?.keys() ?? [])]) {
      this.deleteConn(src, sig);
      out.push({ src, dst: sig, conn: undefined });
    }
    for (const dst of [...(this.outgoing.get(sig) ?? [])]) {
      this.deleteConn(sig, dst);
      out.push({ src: sig, dst, conn: undefined });
    }
  }

  private setConn(src: string, dst: string, conn: ConnectionSet): void {
    let row = this.incoming.get(dst);
    if (!row) this.incoming.set(dst, (row = new Map()));
    if (!row.has(src)) this.entries++;
    row.set(src, conn);
    indexAdd(this.outgoing, src, dst);
  }

  private deleteConn(src: string, dst: string): void {
    const row = this.incoming.get(dst);
    if (!row?.delete(src)) return;
    this.entries--;
    if (row.size === 0) this.incoming.delete(dst);
    indexDelete(this.outgoing, src, dst);
  }
}

