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
 * 4. Cluster-scoped (tiered) policies follow the same argument: a signature names the tiered
 *    policies selecting its members per direction (`tin:`/`teg:`), their peers are peer groups
 *    like any other, and a changed tiered policy P can move only pairs of a class naming P with the
 *    classes a peer of P (old or new version) matches, or with every class when a rule of P fails
 *    closed (`peers: "any"`). The pair is evaluated by evaluateDirection on the new world, which
 *    applies the tiers in their new order (priority changes included).
 * 5. A named port that rules start (or stop) mentioning changes the signature of exactly the pods
 *    with a container port of that name (the `np:` part): they are reclassified like relabelled pods.
 * 6. An ipBlock that appears or disappears changes the class of exactly the pods whose IP it holds
 *    (the `ip:` part), and re-cuts the external address space: external classes are recomputed from
 *    the ipBlocks kept, and those with a new signature are evaluated against every class.
 * Where this reasoning would need more than this file keeps (tiered policies sharing a priority (their PRIORITY_TIE warnings name
 * policies the change did not touch), a namespace deleted while pods or policies remain in it
 * (they would make it exist implicitly), an object that does not compile cleanly, a new address
 * family) apply() answers `fallback` with the reason and the caller recomputes from scratch.
 * A namespace created or deleted moves no pair by itself: it holds no class, and its pods and
 * policies come and go as their own changes.
 */
import { runSteps, STEP_ITEMS, type Steps } from "../util/steps.js";
import { compareTierOrder, compileWorld } from "../compile/compileWorld.js";
import { rulesFor, tierRulesFor, type CompiledRule, type CompiledTieredPolicy, type CompiledNamespace, type CompiledNetworkPolicy, type CompiledPeer, type CompiledPod, type CompiledWorld, type Direction, type IpBlockPeer, type SelectorPeer } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import { externalEndpoint, podEndpoint, type Endpoint } from "../eval/endpoint.js";
import { evaluateDirection, isolatingPolicies } from "../eval/evaluatePair.js";
import { destinationNamedPorts, policySelectsPod, rulePeerMatching, rulePortsToward, selectorPeerMatchesNamespace } from "../eval/matching.js";
import { tieredPoliciesFor, tieredPolicySelectsPod } from "../eval/tiers.js";
import type { ClassMatrix } from "../matrix/buildMatrix.js";
import { classRanges, relevantNamedPortsKey } from "../matrix/classes.js";
import { classSignatures } from "../matrix/classSignature.js";
import { podKey, type PodKey, type PolicyKey } from "../model/ids.js";
import type { NamespaceInput, NetworkPolicyInput, PodInput, TieredPolicyInput } from "../model/input.js";
import type { IpFamily, IpRange } from "../net/ip.js";
import { partitionAddresses } from "../matrix/ipPartition.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import { spliceWorldSteps, type SplicedWorld } from "../whatif/splice.js";
export type { ChangePair, ConnectionChange, Fallback, IncrementalUpdate, SigClass, WorldChange } from "./types.js";
import type { ChangePair, ConnectionChange, Fallback, IncrementalUpdate, SigClass, WorldChange } from "./types.js";
import { addCount, changedObjects, DIRECTIONS, groupKeyOf, indexAdd, indexDelete, ipGroupKey, MAX_PORTS_ENTRIES, namesOf, namespaceList, newPeer, npKey, peerAndNameDeltas, policyTargets, sameLabels, sameRanges, tierTargets, type ChangePlan, type GroupChanges, type NamespaceChanges, type PodChanges, type TierSplice } from "./changePlan.js";

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
  /** The keys of nameCount as a set (signature() reads it per pod), rebuilt when a name comes or goes. */
  private mentionedNames: ReadonlySet<string> | undefined;
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
    const tieredKeys = (podIndex: number | undefined, dir: Direction): PolicyKey[] => {
      if (podIndex === undefined) return [];
      const pod = world.pods[podIndex]!;
      return world.tieredPolicies.filter((p) => tierRulesFor(p, dir).length > 0 && tieredPolicySelectsPod(p, pod)).map((p) => p.key);
    };
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
        tieredIngress: c.kind === "pod" ? tieredKeys(c.pods[0], "ingress") : [],
        tieredEgress: c.kind === "pod" ? tieredKeys(c.pods[0], "egress") : [],
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

  /** The sources of each destination class that has any (read only: the matrix's own rows). */
  incomingRows(): IterableIterator<[string, ReadonlyMap<string, ConnectionSet>]> {
    return this.incoming.entries();
  }

  /** The sources of one destination class (read only), if it has any. */
  incomingRow(dst: string): ReadonlyMap<string, ConnectionSet> | undefined {
    return this.incoming.get(dst);
  }

  /** The destinations of one source class (read only), if it has any. */
  destinationsOf(src: string): ReadonlySet<string> | undefined {
    return this.outgoing.get(src);
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
    return runSteps(this.applySteps(change));
  }

  /**
   * apply() as steps (util/steps.ts): it yields while evaluating pairs, where one change can move
   * hundreds of thousands of them, so a caller can give its event loop turns. The state is
   * half-updated while the steps run: nothing else may read or apply to this matrix meanwhile.
   */
  *applySteps(change: WorldChange): Steps<IncrementalUpdate | Fallback> {
    const plan = yield* this.planChange(change);
    if (typeof plan === "string") return { method: "fallback", reason: plan };
    // From here on the state changes.
    const next = this.patchWorld(plan);
    this.commitCounts(plan, next);
    const touched = this.touchedPods(plan);
    const { added, membersChanged, emptied } = this.reclassify(touched, plan.changedPods);
    const connections: ConnectionChange[] = [];
    const removedClasses = this.dropEmptied(emptied, added, connections);
    if (plan.ipMoved.length > 0) this.recutExternalClasses(added, membersChanged, removedClasses, connections);
    const survivors = [...membersChanged].filter((s) => !added.has(s) && !emptied.has(s)).map((s) => this.classes.get(s)!);
    const pairs = yield* this.pairsToEvaluate(plan, added);
    const evaluatedPairs = yield* this.evaluate(pairs, next, connections);
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

  /**
   * Everything apply() needs to know about a change, checked against what this matrix can follow
   * exactly; a string is the reason it cannot (a fallback). Nothing is modified (so it may yield:
   * splicing policies into the world is linear in the policies).
   */
  private *planChange(change: WorldChange): Steps<ChangePlan | string> {
    const nsPairs = change.namespaces ?? [];
    const podPairs = change.pods ?? [];
    const npPairs = change.networkPolicies ?? [];
    const tpPairs = change.tieredPolicies ?? [];
    for (const p of nsPairs) if (p.before && p.after && p.before.name !== p.after.name) return "a namespace was renamed";
    // The changed objects, compiled on their own.
    const after = compileWorld({
      namespaces: nsPairs.flatMap((p) => (p.after ? [p.after] : [])),
      pods: podPairs.flatMap((p) => (p.after ? [p.after] : [])),
      networkPolicies: npPairs.flatMap((p) => (p.after ? [p.after] : [])),
      tieredPolicies: tpPairs.flatMap((p) => (p.after ? [p.after] : [])),
    });
    if (after.diagnostics.length > 0) return "a changed object has diagnostics";
    const tiers = tpPairs.length > 0 ? this.spliceTiers(tpPairs, after.world.tieredPolicies) : undefined;
    if (typeof tiers === "string") return tiers;
    const ns = this.namespaceChanges(nsPairs, after.world);
    if (typeof ns === "string") return ns;
    const policies = yield* this.policyChanges(npPairs, after.world);
    if (typeof policies === "string") return policies;
    const { peerDelta, nameDelta } = peerAndNameDeltas(npPairs, tpPairs);
    const groups = this.groupChanges(peerDelta, nameDelta, policies.spliced, tiers, npPairs, tpPairs);
    if (typeof groups === "string") return groups;
    const list = namespaceList(policies.spliced.world, ns);
    const pods = this.podChanges(podPairs, after.world, list.namespaceByName, ns.removed, policies.spliced.world);
    if (typeof pods === "string") return pods;
    return { ...ns, ...policies, ...groups, ...list, ...pods, tiers, peerDelta, nameDelta, changedObjects: changedObjects(change), newDiagnostics: after.diagnostics, npPairs };
  }

  /** Namespaces created, relabelled (or defined after being only referenced) and deleted. */
  private namespaceChanges(pairs: readonly ChangePair<NamespaceInput>[], after: CompiledWorld): NamespaceChanges | string {
    // A namespace holds no class itself: creating one adds it to the world (its pods come as pod
    // changes); deleting one is exact once its pods and policies are gone (else: fallback).
    const changed = new Map<string, CompiledNamespace>();
    const added: CompiledNamespace[] = [];
    const removed = new Set<string>();
    for (const p of pairs) {
      const name = (p.after ?? p.before)!.name;
      const old = this.world.namespaceByName.get(name);
      if (!p.after) {
        if (!old?.defined) return "a deleted namespace was not in the world";
        removed.add(name);
        continue;
      }
      const compiled = after.namespaceByName.get(name)!;
      if (!old) added.push(compiled);
      // Defined now, only referenced (by a pod or a policy) before: its labels are new, as for a relabel.
      else if (!old.defined || !sameLabels(old.labels, compiled.labels)) changed.set(name, { ...old, labels: compiled.labels, defined: true });
    }
    return { changed, added, removed };
  }

  /** The NetworkPolicies spliced into the world (spliceWorld, as the what-if engine does). */
  private *policyChanges(pairs: readonly ChangePair<NetworkPolicyInput>[], after: CompiledWorld): Steps<{ spliced: SplicedWorld; changedKeys: Set<PolicyKey> } | string> {
    const W = this.world;
    const beforeKeys = new Set<PolicyKey>();
    for (const p of pairs) if (p.before) beforeKeys.add(npKey(p.before));
    const upserts = after.networkPolicies;
    // Looked up in the policy's namespace: a scan of every policy per upsert was milliseconds at 15,000 policies.
    for (const p of upserts) if (!beforeKeys.has(p.key) && W.policiesByNamespace.get(p.namespace)?.some((q) => q.key === p.key)) return "two policies of one name";
    const upsertKeys = new Set(upserts.map((p) => p.key));
    const deletes = [...beforeKeys].filter((k) => !upsertKeys.has(k));
    const spliced = yield* spliceWorldSteps(W, { upserts, deletes });
    if (spliced.missing.length > 0) return "a deleted policy was not in the world";
    return { spliced, changedKeys: new Set(spliced.changes.map((c) => c.key)) };
  }

  /** Peer groups (selector and ipBlock) and mentioned named ports that appear or disappear with the change. */
  private groupChanges(
    peerDelta: ReadonlyMap<string, number>,
    nameDelta: ReadonlyMap<string, number>,
    spliced: SplicedWorld,
    tiers: TierSplice | undefined,
    npPairs: readonly ChangePair<NetworkPolicyInput>[],
    tpPairs: readonly ChangePair<TieredPolicyInput>[],
  ): GroupChanges | string {
    // A name rules start or stop mentioning splits or merges the classes of the pods that have a
    // container port of that name (signatures name the mentioned ports): those pods are reclassified.
    const namesToggled: string[] = [];
    for (const [n, d] of nameDelta) {
      const now = this.nameCount.get(n) ?? 0;
      if (d !== 0 && (now === 0) !== (now + d === 0)) namesToggled.push(n);
    }
    const out = { namesToggled, addedGroups: [] as SelectorPeer[], removedGroups: [] as string[], addedIpGroups: [] as IpBlockPeer[], removedIpGroups: [] as string[] };
    for (const [k, d] of peerDelta) {
      const now = this.groupCount.get(k) ?? 0;
      if (d === 0 || (now === 0) === (now + d === 0)) continue;
      const isIpBlock = k.startsWith("ipBlock(");
      if (now > 0) {
        (isIpBlock ? out.removedIpGroups : out.removedGroups).push(k);
        continue;
      }
      const found = newPeer(k, spliced.newVersions, tiers?.newVersions ?? [], npPairs, tpPairs);
      if (!found) return "a new peer group could not be resolved";
      if (found.kind === "selector") out.addedGroups.push(found);
      else out.addedIpGroups.push(found);
    }
    // ipBlocks that come or go: the pods in them change class, the external classes are cut anew.
    const ipMoved = [...out.addedIpGroups, ...out.removedIpGroups.map((k) => this.ipGroups.get(k)!)].map((b) => b.set);
    return { ...out, ipMoved };
  }

  /** Pods removed and added, checked against the namespaces after the change; the change in address families. */
  private podChanges(
    pairs: readonly ChangePair<PodInput>[],
    after: CompiledWorld,
    namespaceByName: ReadonlyMap<string, CompiledNamespace>,
    nsRemoved: ReadonlySet<string>,
    spliced: CompiledWorld,
  ): PodChanges | string {
    const W = this.world;
    const podRemoved = new Set<PodKey>();
    for (const p of pairs) if (p.before) podRemoved.add(podKey(p.before));
    const podAdded = after.pods;
    for (const p of podAdded) {
      if (!podRemoved.has(p.key) && W.podByKey.has(p.key)) return "two pods of one name";
      if (!namespaceByName.has(p.namespace.name)) return "a pod in a namespace the world does not have";
    }
    for (const name of nsRemoved) {
      const podsLeft = [...(this.nsPods.get(name) ?? [])].some((k) => !podRemoved.has(k));
      if (podsLeft || (spliced.policiesByNamespace.get(name)?.length ?? 0) > 0) return "a namespace was deleted while pods or policies remain in it";
    }
    const familyDelta = new Map<string, number>();
    for (const k of podRemoved) {
      const ip = W.podByKey.get(k)?.ip;
      if (ip) familyDelta.set(String(ip.family), (familyDelta.get(String(ip.family)) ?? 0) - 1);
    }
    for (const p of podAdded) if (p.ip) familyDelta.set(String(p.ip.family), (familyDelta.get(String(p.ip.family)) ?? 0) + 1);
    for (const [f, d] of familyDelta) {
      const now = this.podFamilies.get(f) ?? 0;
      if (d !== 0 && f !== "4" && (now === 0) !== (now + d === 0) && ![...this.ipGroups.values()].some((x) => x.set.families().has(Number(f) as 4 | 6))) return "an address family appeared or disappeared";
    }
    const removedPods = [...podRemoved].flatMap((k) => W.podByKey.get(k) ?? []);
    return { podRemoved, podAdded, removedPods, familyDelta, changedPods: new Set([...podRemoved, ...podAdded.map((p) => p.key)]) };
  }

  /**
   * The world after the change. The pod list is patched in place (a copy per change costs O(pods)):
   * untouched pods are shared; a removed pod's slot takes an added one or the last pod.
   */
  private patchWorld(plan: ChangePlan): CompiledWorld {
    const W = this.world;
    const { podRemoved, podAdded, namespaceByName } = plan;
    const pods = W.pods as CompiledPod[];
    const podByKey = W.podByKey as Map<PodKey, CompiledPod>;
    if (podRemoved.size > 0 || podAdded.length > 0 || plan.changed.size > 0 || plan.nsMoved.size > 0) {
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
      // Pods of relabelled or moved namespaces point at the namespace's new object.
      for (const [name, ns] of [...plan.changed, ...plan.nsMoved])
        for (const k of this.nsPods.get(name) ?? []) {
          const p = podByKey.get(k);
          if (!p || p.namespace === ns) continue;
          const q = { ...p, namespace: ns };
          pods[q.index] = q;
          podByKey.set(k, q);
        }
    }
    const { spliced, tiers } = plan;
    return { ...spliced.world, namespaces: plan.namespaces, namespaceByName, pods, podByKey, ...(tiers && { tieredPolicies: tiers.policies, peers: [...spliced.world.peers, ...tiers.peers] }) };
  }

  /** The counts and indexes the signatures read (groups, ipBlocks, names, families, pods per namespace), the world and its diagnostics. */
  private commitCounts(plan: ChangePlan, next: CompiledWorld): void {
    for (const [k, d] of plan.peerDelta) addCount(this.groupCount, k, d);
    for (const g of plan.addedGroups) this.selectorGroups.set(g.matchKey, g);
    for (const k of plan.removedGroups) this.selectorGroups.delete(k);
    for (const b of plan.addedIpGroups) this.ipGroups.set(ipGroupKey(b), b);
    for (const k of plan.removedIpGroups) this.ipGroups.delete(k);
    for (const [n, d] of plan.nameDelta) addCount(this.nameCount, n, d);
    if (plan.namesToggled.length > 0) this.mentionedNames = undefined;
    for (const [f, d] of plan.familyDelta) addCount(this.podFamilies, f, d);
    if (plan.addedGroups.length > 0 || plan.removedGroups.length > 0) this.nsGroups.clear();
    for (const n of [...plan.changed.keys(), ...plan.removed]) this.nsGroups.delete(n);
    for (const p of plan.removedPods) indexDelete(this.nsPods, p.namespace.name, p.key);
    for (const p of plan.podAdded) indexAdd(this.nsPods, p.namespace.name, p.key);
    this.world = next;
    this.diagnostics = this.diagnostics.filter((d) => !plan.changedObjects.has(d.object));
    if (plan.newDiagnostics.length > 0) this.diagnostics = [...this.diagnostics, ...plan.newDiagnostics];
  }

  /** Pods whose signature may change (rule 3 of the header, and rules 4 to 6). */
  private touchedPods(plan: ChangePlan): Set<PodKey> {
    const { pods, podByKey } = this.world;
    const touched = new Set<PodKey>(plan.changedPods);
    const podsOf = (ns: string) => this.nsPods.get(ns) ?? [];
    for (const name of plan.changed.keys()) for (const k of podsOf(name)) touched.add(k);
    for (const v of [...plan.spliced.oldVersions, ...plan.spliced.newVersions]) for (const k of podsOf(v.namespace)) if (policySelectsPod(v, podByKey.get(k)!)) touched.add(k);
    // A cluster-scoped policy selects pods in any namespace: every pod either version selects.
    const tierVersions = plan.tiers ? [...plan.tiers.oldVersions, ...plan.tiers.newVersions] : [];
    if (tierVersions.length > 0) for (const p of pods) if (tierVersions.some((v) => tieredPolicySelectsPod(v, p))) touched.add(p.key);
    if (plan.namesToggled.length > 0) for (const p of pods) if (plan.namesToggled.some((n) => p.namedPorts.has(n))) touched.add(p.key);
    if (plan.ipMoved.length > 0) for (const p of pods) if (p.ip && plan.ipMoved.some((set) => set.contains(p.ip!))) touched.add(p.key);
    const groupsMoved = [...plan.addedGroups, ...plan.removedGroups.map((k) => this.removedGroupPeer(k, plan.spliced.oldVersions, plan.npPairs, plan.tiers?.oldVersions ?? []))];
    for (const g of groupsMoved) {
      if (!g) {
        for (const p of pods) touched.add(p.key);
        break;
      }
      for (const ns of this.world.namespaces) {
        if (!selectorPeerMatchesNamespace(g, ns)) continue;
        for (const k of podsOf(ns.name)) {
          const p = podByKey.get(k)!;
          if (!p.hostNetwork && g.podSelector.matches(p.labels)) touched.add(k);
        }
      }
    }
    return touched;
  }

  /** Each touched pod into the class of its new signature (a new class when none has it). */
  private reclassify(touched: ReadonlySet<PodKey>, changedPods: ReadonlySet<PodKey>): { added: Map<string, SigClass>; membersChanged: Set<string>; emptied: Set<string> } {
    const added = new Map<string, SigClass>();
    const membersChanged = new Set<string>();
    const emptied = new Set<string>();
    for (const key of touched) {
      const oldSig = this.podSig.get(key);
      const pod = this.world.podByKey.get(key);
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
      const created: SigClass = { sig: computed.sig, kind: "pod", pods: new Set([key]), ranges: [], rep: key, ingressPolicies: computed.ingress, egressPolicies: computed.egress, tieredIngress: computed.tieredIngress, tieredEgress: computed.tieredEgress, groups: computed.groups };
      this.addClass(created);
      added.set(created.sig, created);
    }
    return { added, membersChanged, emptied };
  }

  /** Classes left without members are dropped with their connections (reported in `out`); returns the removed signatures. */
  private dropEmptied(emptied: ReadonlySet<string>, added: Map<string, SigClass>, out: ConnectionChange[]): string[] {
    const removedClasses: string[] = [];
    for (const sig of emptied) {
      if (added.has(sig)) {
        // Created and emptied within this change: it never existed for the caller.
        added.delete(sig);
        this.removeClass(sig, []);
        continue;
      }
      removedClasses.push(sig);
      this.removeClass(sig, out);
    }
    return removedClasses;
  }

  /**
   * The class pairs whose value the change can move (rules 1, 2 and 4 of the header). A class paired
   * with every class, as a source or as a destination (a new class; the subject of a rule without a
   * peer list), is named once instead of pair by pair: one change at 150,000 pods paired its
   * subjects with every class, 914,871 pairs, and putting them in sets one by one was a quarter of
   * its computation (and a new class's 2 x 40,000 pairs, at every relabel that makes one). As steps.
   */
  private *pairsToEvaluate(plan: ChangePlan, added: ReadonlyMap<string, SigClass>): Steps<PairsToEvaluate> {
    const all = [...this.classes.keys()];
    // A new class: with every class, both ways.
    const pairs: PairsToEvaluate = { all, withEverySource: new Set(added.keys()), withEveryDestination: new Set(added.keys()), some: new Map() };
    let n = 0;
    // A changed policy (any tier): its subjects with the classes its peers (old or new) match.
    // The targets are looked up only for a policy that has subjects (most changed policies select some).
    const toward = function* (subjects: ReadonlySet<string> | undefined, dir: Direction, targetsOf: () => Iterable<string> | "all"): Steps<void> {
      if (!subjects || subjects.size === 0) return;
      const targets = targetsOf();
      for (const s of subjects) {
        if (added.has(s)) continue;
        if (targets === "all") {
          (dir === "ingress" ? pairs.withEverySource : pairs.withEveryDestination).add(s);
          continue;
        }
        for (const t of targets) {
          if (dir === "ingress") indexAdd(pairs.some, s, t);
          else indexAdd(pairs.some, t, s);
          if (++n % STEP_ITEMS === 0) yield;
        }
      }
    };
    const oldByKey = new Map(plan.spliced.oldVersions.map((v) => [v.key, v]));
    const newByKey = new Map(plan.spliced.newVersions.map((v) => [v.key, v]));
    for (const key of plan.changedKeys) {
      const vs = [oldByKey.get(key), newByKey.get(key)].filter((v): v is CompiledNetworkPolicy => v !== undefined);
      for (const dir of DIRECTIONS) {
        for (const sig of this.classesOfPolicy[dir].get(key) ?? []) this.sides[dir].delete(sig);
        yield* toward(this.classesOfPolicy[dir].get(key), dir, () => policyTargets(vs, dir, (g) => this.classesOfGroup.get(g)));
      }
    }
    if (plan.tiers) {
      const oldTiers = new Map(plan.tiers.oldVersions.map((v) => [v.key, v]));
      const newTiers = new Map(plan.tiers.newVersions.map((v) => [v.key, v]));
      for (const key of new Set([...oldTiers.keys(), ...newTiers.keys()])) {
        const vs = [oldTiers.get(key), newTiers.get(key)].filter((v): v is CompiledTieredPolicy => v !== undefined);
        for (const dir of DIRECTIONS) {
          for (const sig of this.classesOfPolicy[dir].get(key) ?? []) this.sides[dir].delete(sig);
          yield* toward(this.classesOfPolicy[dir].get(key), dir, () => tierTargets(vs, dir, (g) => this.classesOfGroup.get(g)));
        }
      }
    }
    return pairs;
  }

  /**
   * Evaluates the pairs on class representatives with the engine's rule semantics and records the
   * connections that changed (in `out`); returns how many pairs were evaluated. Each pair once:
   * those of a destination paired with every source, then those of a source paired with every
   * destination (but the destinations done already), then the rest of the pairs named one by one.
   */
  private *evaluate(pairs: PairsToEvaluate, next: CompiledWorld, out: ConnectionChange[]): Steps<number> {
    const endpointMemo = new Map<string, Endpoint>();
    const endpointOf = (sig: string): Endpoint => {
      let e = endpointMemo.get(sig);
      if (!e) {
        const c = this.classes.get(sig)!;
        const r = c.ranges[0];
        e = c.kind === "pod" ? podEndpoint(next.podByKey.get(c.rep!)!) : externalEndpoint({ family: r!.family, value: r!.start });
        endpointMemo.set(sig, e);
      }
      return e;
    };
    const sideConn = this.sideEvaluator(next);
    let evaluatedPairs = 0;
    const evaluatePair = (dst: string, src: string): boolean => {
      const dc = this.classes.get(dst)!;
      const sc = this.classes.get(src)!;
      if (dc.kind === "external" && sc.kind === "external") return false;
      const de = endpointOf(dst);
      const se = endpointOf(src);
      let conn = sideConn("ingress", dst, de, se, dst, de);
      if (!conn.isEmpty()) conn = conn.intersect(sideConn("egress", src, se, de, dst, de));
      const before = this.incoming.get(dst)?.get(src);
      if (conn.isEmpty()) {
        if (before === undefined) return true;
        this.deleteConn(src, dst);
        out.push({ src, dst, conn: undefined });
      } else if (before === undefined || !before.equals(conn)) {
        this.setConn(src, dst, conn);
        out.push({ src, dst, conn });
      }
      return true;
    };
    const { all, withEverySource, withEveryDestination, some } = pairs;
    for (const dst of withEverySource)
      for (const src of all) if (evaluatePair(dst, src) && ++evaluatedPairs % STEP_ITEMS === 0) yield;
    for (const src of withEveryDestination)
      for (const dst of all) if (!withEverySource.has(dst) && evaluatePair(dst, src) && ++evaluatedPairs % STEP_ITEMS === 0) yield;
    for (const [dst, srcs] of some) {
      if (withEverySource.has(dst)) continue;
      for (const src of srcs) if (!withEveryDestination.has(src) && evaluatePair(dst, src) && ++evaluatedPairs % STEP_ITEMS === 0) yield;
    }
    return evaluatedPairs;
  }

  /**
   * One side of a pair, as evaluateDirection computes it; for subjects no cluster-scoped policy
   * applies to, from the subject's isolating rules (found once per class) and what each rule's
   * ports admit toward the destination class (once per rule and class). Keyed by the signature
   * strings themselves (their hashes are cached; a concatenated key of these long strings is hashed
   * anew each time). Both caches are kept across changes: a side depends only on the policies the
   * signature names (entries of classes naming a changed policy are dropped in pairsToEvaluate),
   * what a rule admits toward a class only on the rule (a changed policy's rules are new objects)
   * and the named ports the signature names.
   */
  private sideEvaluator(next: CompiledWorld): (dir: Direction, subjectSig: string, subject: Endpoint, other: Endpoint, dstSig: string, dstEndpoint: Endpoint) => ConnectionSet {
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
    return (dir, subjectSig, subject, other, dstSig, dstEndpoint) => {
      const side = sideOf(dir, subjectSig, subject);
      if (side === "open") return ConnectionSet.ALL;
      if (side === "tiered") return dir === "ingress" ? evaluateDirection(next, dir, other, subject).allowed : evaluateDirection(next, dir, subject, other).allowed;
      let out = ConnectionSet.NONE;
      for (const rule of side) if (rulePeerMatching(rule, other) !== undefined) out = out.union(portsToward(rule, dstSig, dstEndpoint));
      return out;
    };
  }

  /**
   * The external classes after the set of ipBlocks changed: the address space cut anew by the
   * ipBlocks kept (as buildMatrix cuts it), compared with the classes held, by signature. A class
   * that keeps its signature keeps its pair values (rule 1 of the header) even when its atoms moved;
   * a new signature is a new class, evaluated against every class.
   */
  private recutExternalClasses(added: Map<string, SigClass>, membersChanged: Set<string>, removedClasses: string[], out: ConnectionChange[]): void {
    const blocks = [...this.ipGroups.values()];
    const keyOfGroup = blocks.map(ipGroupKey);
    const partition = partitionAddresses(blocks, [...this.podFamilies.keys()].map((f) => Number(f) as IpFamily));
    const next = new Map<string, { ranges: IpRange[]; groups: string[] }>();
    for (const ipc of partition.classes) {
      const groups = ipc.groups.map((g) => keyOfGroup[g]!).sort();
      next.set(`external|ip:${groups.join(",")}`, { ranges: ipc.atoms.map((a) => partition.atoms[a]!), groups });
    }
    for (const c of [...this.classes.values()]) {
      if (c.kind !== "external") continue;
      const now = next.get(c.sig);
      if (!now) {
        removedClasses.push(c.sig);
        this.removeClass(c.sig, out);
      } else if (!sameRanges(c.ranges, now.ranges)) {
        c.ranges = now.ranges;
        membersChanged.add(c.sig);
      }
    }
    for (const [sig, { ranges, groups }] of next) {
      if (this.classes.has(sig)) continue;
      const created: SigClass = { sig, kind: "external", pods: new Set(), ranges, rep: undefined, ingressPolicies: [], egressPolicies: [], tieredIngress: [], tieredEgress: [], groups };
      this.addClass(created);
      added.set(sig, created);
    }
  }

  /**
   * The cluster-scoped policies after the change, in evaluation order (as compileWorld orders them),
   * with the peers of the new versions renumbered after the world's; or why the change cannot be
   * applied here. Nothing of the state is modified.
   */
  private spliceTiers(pairs: readonly ChangePair<TieredPolicyInput>[], compiled: readonly CompiledTieredPolicy[]): TierSplice | string {
    const W = this.world;
    if (W.tierTies.length > 0) return "cluster-scoped policies share a priority";
    const byKindName = new Map(W.tieredPolicies.map((p) => [`${p.kind}/${p.ref.name}`, p]));
    const oldVersions: CompiledTieredPolicy[] = [];
    for (const p of pairs) {
      if (!p.before) continue;
      const old = byKindName.get(`${p.before.kind}/${p.before.name}`);
      if (!old) return "a changed cluster-scoped policy was not in the world";
      oldVersions.push(old);
    }
    const removed = new Set(oldVersions.map((v) => v.key));
    for (const c of compiled) if (!removed.has(c.key) && W.tieredPolicies.some((q) => q.key === c.key)) return "two cluster-scoped policies of one name";
    const peers: CompiledPeer[] = [];
    let nextId = W.peers.length;
    const renumber = (rules: CompiledTieredPolicy["ingress"]) =>
      rules.map((r) => {
        if (r.peers === "any") return r;
        return {
          ...r,
          peers: r.peers.map((x) => {
            if (x.kind !== "selector" && x.kind !== "ipBlock") return x;
            const y = { ...x, id: nextId++ };
            peers.push(y);
            return y;
          }),
        };
      });
    const newVersions = compiled.map((c) => ({ ...c, ingress: renumber(c.ingress), egress: renumber(c.egress) }));
    const policies = [...W.tieredPolicies.filter((p) => !removed.has(p.key)), ...newVersions].sort(compareTierOrder).map((p, index) => (p.index === index ? p : { ...p, index }));
    for (let i = 1; i < policies.length; i++) {
      const a = policies[i - 1]!;
      const b = policies[i]!;
      if (a.tier === b.tier && a.priority !== undefined && a.priority === b.priority) return "cluster-scoped policies share a priority";
    }
    // The new versions as they stand in the list (their index is their position).
    const placed = new Set(newVersions.map((v) => v.key));
    return { policies, peers, oldVersions, newVersions: policies.filter((p) => placed.has(p.key)) };
  }

  /** The signature classSignatures gives the class of `pod` in the current world, and what the indexes need. */
  private signature(pod: CompiledPod): { sig: string; ingress: PolicyKey[]; egress: PolicyKey[]; tieredIngress: PolicyKey[]; tieredEgress: PolicyKey[]; groups: string[] } {
    const W = this.world;
    const ingress: PolicyKey[] = [];
    const egress: PolicyKey[] = [];
    const peers: string[] = [];
    const ips: string[] = [];
    const tin: PolicyKey[] = [];
    const teg: PolicyKey[] = [];
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
    const names = (this.mentionedNames ??= new Set(this.nameCount.keys()));
    const parts = [host ? "host" : "pod", `in:${ingress.join(",")}`, `eg:${egress.join(",")}`, `peers:${peers.join(",")}`, `ip:${ips.join(",")}`, `np:${host ? "" : relevantNamedPortsKey(pod, names)}`];
    if (tin.length > 0) parts.push(`tin:${tin.sort().join(",")}`);
    if (teg.length > 0) parts.push(`teg:${teg.sort().join(",")}`);
    return { sig: parts.join("|"), ingress, egress, tieredIngress: tin, tieredEgress: teg, groups: [...peers, ...ips] };
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

  private removedGroupPeer(matchKey: string, oldVersions: readonly CompiledNetworkPolicy[], pairs: readonly ChangePair<NetworkPolicyInput>[], oldTiers: readonly CompiledTieredPolicy[]): SelectorPeer | undefined {
    const known = this.selectorGroups.get(matchKey);
    if (known) return known;
    for (const v of oldVersions) for (const r of [...(v.ingress ?? []), ...(v.egress ?? [])]) if (r.peers !== "any") for (const x of r.peers) if (x.kind === "selector" && x.matchKey === matchKey) return x;
    for (const v of oldTiers) for (const r of [...v.ingress, ...v.egress]) if (r.peers !== "any") for (const x of r.peers) if (x.kind === "selector" && x.matchKey === matchKey) return x;
    return this.selectorPeerFromInputs(pairs, matchKey);
  }

  private addClass(c: SigClass): void {
    this.classes.set(c.sig, c);
    for (const g of c.groups) indexAdd(this.classesOfGroup, g, c.sig);
    for (const k of c.ingressPolicies) indexAdd(this.classesOfPolicy.ingress, k, c.sig);
    for (const k of c.egressPolicies) indexAdd(this.classesOfPolicy.egress, k, c.sig);
    for (const k of c.tieredIngress) indexAdd(this.classesOfPolicy.ingress, k, c.sig);
    for (const k of c.tieredEgress) indexAdd(this.classesOfPolicy.egress, k, c.sig);
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
    for (const k of c.tieredIngress) indexDelete(this.classesOfPolicy.ingress, k, sig);
    for (const k of c.tieredEgress) indexDelete(this.classesOfPolicy.egress, k, sig);
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

/**
 * The class pairs a change can move (IncrementalMatrix.pairsToEvaluate): classes paired with every
 * class (`all`, the classes when the pairs were chosen) as a destination or as a source, and the
 * other pairs one by one (dst -> srcs). A pair may be named by more than one part: it is evaluated once.
 */
interface PairsToEvaluate {
  readonly all: readonly string[];
  readonly withEverySource: Set<string>;
  readonly withEveryDestination: Set<string>;
  readonly some: Map<string, Set<string>>;
}
