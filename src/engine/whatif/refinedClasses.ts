/**
 * Steps 1 and 2 of the incremental what-if (incremental.ts explains why it is exact): the nodes it
 * evaluates on. Pod nodes are the refined classes, base classes split by what the new policy
 * versions look at (selection, peer matches, the named ports they name, when new); external nodes
 * are the groups of external atoms, base atoms cut at the new ipBlocks. Node n < P is refined class
 * n, node P + g is external group g.
 */
import type { CompiledNetworkPolicy, CompiledPeer, CompiledPod, CompiledRule } from "../compile/model.js";
import { externalEndpoint, podEndpoint, type Endpoint } from "../eval/endpoint.js";
import { peerMatches, policySelectsPod } from "../eval/matching.js";
import type { IpRange } from "../net/ip.js";
import type { WhatIfBase } from "./base.js";
import { externalGroups, type ExternalGroup } from "./externalGroups.js";
import type { PolicyEdit, SplicedWorld } from "./splice.js";

export interface RefinedClass {
  readonly baseClass: number;
  readonly rep: CompiledPod;
  /** A second member, when there is one: the class's pair with itself is a pair of distinct pods. */
  second: CompiledPod | undefined;
}

/** The nodes of the what-if: refined pod classes, then external groups. */
export interface WhatIfNodes {
  readonly refined: readonly RefinedClass[];
  /** Refined class of each pod, by pod index. */
  readonly refinedOfPod: Int32Array;
  /** Number of pod nodes (refined classes). */
  readonly P: number;
  /** Number of nodes: pod nodes, then external groups. */
  readonly N: number;
  /** A representative endpoint per node. */
  readonly endpoints: readonly Endpoint[];
  /** A second member of each refined class, when there is one. */
  readonly secondEndpoint: readonly (Endpoint | undefined)[];
  /** The external atoms of both worlds and the group of each. */
  readonly atoms: readonly IpRange[];
  readonly groupOfAtom: Int32Array;
  readonly groups: readonly ExternalGroup[];
  /** The peers the new versions name (for the candidate pairs). */
  readonly newPeers: readonly CompiledPeer[];
}

/** A peer as text: equal texts, equal peers (a selector's matchKey names its namespace scope). */
export function peerText(x: CompiledPeer): string {
  return x.kind === "selector" ? `s:${x.matchKey}` : `b:${x.set.ranges.map((r) => `${r.family}:${r.start}-${r.end}`).join(",")}`;
}

function effectiveRules(p: CompiledNetworkPolicy): CompiledRule[] {
  return [...(p.ingress ?? []), ...(p.egress ?? [])];
}

/** Builds the nodes of an edit: refined pod classes (step 1), external atoms and their groups (step 2). */
export function whatIfNodes(base: WhatIfBase, spliced: SplicedWorld, edit: PolicyEdit): WhatIfNodes {
  const { peerList, nameList } = newPeersAndNames(base, spliced.newVersions);
  const { refined, refinedOfPod } = refineClasses(base, spliced.newVersions, peerList, nameList);
  const P = refined.length;
  const newBlocks = peerList.filter((x) => x.kind === "ipBlock");
  const { atoms, groupOfAtom, groups } = externalGroups(base, newBlocks, edit.mentionedFamilies ?? []);
  const endpoints: Endpoint[] = [...refined.map((c) => podEndpoint(c.rep)), ...groups.map((g) => externalEndpoint(g.rep))];
  const secondEndpoint = refined.map((c) => (c.second ? podEndpoint(c.second) : undefined));
  return { refined, refinedOfPod, P, N: P + groups.length, endpoints, secondEndpoint, atoms, groupOfAtom, groups, newPeers: peerList };
}

/** The distinct peers of the new versions' rules, and the port names they name that the base rules do not. */
function newPeersAndNames(base: WhatIfBase, newVersions: readonly CompiledNetworkPolicy[]): { peerList: CompiledPeer[]; nameList: string[] } {
  const newPeers = new Map<string, CompiledPeer>();
  const newNames = new Set<string>();
  for (const v of newVersions)
    for (const r of effectiveRules(v)) {
      if (r.peers !== "any") for (const x of r.peers) if (!newPeers.has(peerText(x))) newPeers.set(peerText(x), x);
      // Names the base rules mention already split the base classes (classes.ts): only new names can split them further.
      if (r.ports !== "any") for (const p of r.ports) if (p.kind === "named" && !base.namedPortsMentioned.has(p.name)) newNames.add(p.name);
    }
  return { peerList: [...newPeers.values()], nameList: [...newNames].sort() };
}

/**
 * Splits the base classes by what the new versions see of each pod. Most pods are neither selected
 * nor matched by the new versions: they keep their base class (one refined class per base class,
 * found by array lookup); the others are keyed by what the new versions see of them.
 */
function refineClasses(base: WhatIfBase, versionsNew: readonly CompiledNetworkPolicy[], peerList: readonly CompiledPeer[], nameList: readonly string[]): { refined: RefinedClass[]; refinedOfPod: Int32Array } {
  const W = base.world;
  const classOfPod = base.matrix.classes.classOfPod;
  const refined: RefinedClass[] = [];
  const refinedOfPod = new Int32Array(W.pods.length);
  const plainOf = new Int32Array(base.matrix.classes.classes.length).fill(-1);
  const refinedByKey = new Map<string, number>();
  for (const pod of W.pods) {
    const baseClass = classOfPod[pod.index]!;
    const seen = whatNewVersionsSee(pod, versionsNew, peerList, nameList);
    let r: number | undefined;
    if (seen === undefined) {
      r = plainOf[baseClass]!;
      if (r < 0) r = undefined;
    } else r = refinedByKey.get(`${baseClass}|${seen}`);
    if (r === undefined) {
      r = refined.length;
      if (seen !== undefined) refinedByKey.set(`${baseClass}|${seen}`, r);
      else plainOf[baseClass] = r;
      refined.push({ baseClass, rep: pod, second: undefined });
    } else if (refined[r]!.second === undefined) refined[r]!.second = pod;
    refinedOfPod[pod.index] = r;
  }
  return { refined, refinedOfPod };
}

/** What the new versions see of a pod as text (which select it, which peers match it, its new named ports); undefined when nothing. */
function whatNewVersionsSee(pod: CompiledPod, versionsNew: readonly CompiledNetworkPolicy[], peerList: readonly CompiledPeer[], nameList: readonly string[]): string | undefined {
  const e = podEndpoint(pod);
  let bits = "";
  let any = false;
  for (let i = 0; i < versionsNew.length; i++) {
    const hit = policySelectsPod(versionsNew[i]!, pod);
    any ||= hit;
    bits += hit ? "1" : "0";
  }
  for (let i = 0; i < peerList.length; i++) {
    const hit = peerMatches(peerList[i]!, e);
    any ||= hit;
    bits += hit ? "1" : "0";
  }
  let names = "";
  for (const n of nameList) {
    const np = pod.namedPorts.get(n);
    if (np) any = true;
    names += np ? `|${np.protocol}${np.port}` : "|-";
  }
  return any ? `${bits}${names}` : undefined;
}

/** Workloads of a refined class, and refined classes of a workload: built when asked, memoised. */
export class WorkloadLookup {
  private readonly workloadsMemo = new Map<number, number[]>();
  private readonly refinedMemo = new Map<number, number[]>();

  constructor(
    private readonly base: WhatIfBase,
    private readonly nodes: WhatIfNodes,
  ) {}

  /** The workloads with a pod in refined class r. */
  workloadsOf(r: number): number[] {
    let hit = this.workloadsMemo.get(r);
    if (!hit) {
      const { base, nodes } = this;
      hit = [];
      for (const w of base.workloads.ofClass[nodes.refined[r]!.baseClass]!) if (base.podsOfWorkload[w]!.some((p) => nodes.refinedOfPod[p] === r)) hit.push(w);
      this.workloadsMemo.set(r, hit);
    }
    return hit;
  }

  /** The refined classes of workload w's pods. */
  refinedOfWorkload(w: number): number[] {
    let hit = this.refinedMemo.get(w);
    if (!hit) {
      hit = [...new Set(this.base.podsOfWorkload[w]!.map((p) => this.nodes.refinedOfPod[p]!))];
      this.refinedMemo.set(w, hit);
    }
    return hit;
  }
}
