/**
 * Equivalence classes of endpoints: two pods are in one class when every policy treats them alike,
 * that is when they are selected by the same policies (per direction; NetworkPolicies and tiered
 * policies alike), matched by the same peers,
 * fall in the same ipBlocks, and resolve the named ports that rules mention to the same numbers.
 * External addresses form classes by IP class. The matrix is computed over classes, so its cost
 * follows the number of distinct pod behaviours, not the number of pods.
 */
import type { CompiledPod, CompiledWorld, NamedPort, SelectorPeer } from "../compile/model.js";
import type { IpRange } from "../net/ip.js";
import { buildIpPartition, type IpPartition } from "./ipPartition.js";
import { SelectorIndex } from "./selectorIndex.js";
import { sortSmallStrings } from "./sortSmall.js";

export interface EndpointClass {
  readonly id: number;
  readonly kind: "pod" | "external";
  /** Indices of policies isolating members for ingress / egress, ascending. */
  readonly ingressPolicies: readonly number[];
  readonly egressPolicies: readonly number[];
  /** Indices of tiered policies applying to members for ingress / egress, ascending (that is, in evaluation order). */
  readonly tierIngress: readonly number[];
  readonly tierEgress: readonly number[];
  /** IP class of the members' addresses, or -1 (pods without an IP, or in no ipBlock at all). */
  readonly ipClass: number;
  /** Named ports that rules mention, as the members define them (undefined: none resolve). */
  readonly namedPorts: ReadonlyMap<string, NamedPort> | undefined;
  /** Canonical text of namedPorts, used to memoise rule ports per class. */
  readonly namedPortsKey: string;
  /** Member pods (indices into world.pods); empty for external classes. */
  readonly pods: number[];
  /** Member atoms (indices into partition.atoms); empty for pod classes. */
  readonly atoms: readonly number[];
}

export interface EndpointClasses {
  readonly classes: readonly EndpointClass[];
  readonly classOfPod: Int32Array;
  readonly partition: IpPartition;
  /** Peer group id of each peer id (selector peers first, then ipBlock groups offset by selectorGroupCount). */
  readonly groupOfPeer: Int32Array;
  /** Classes matched by each peer group, ascending. */
  readonly groupClasses: readonly (readonly number[])[];
}

/** The classes of a world: pod classes by shape signature, IP class and named ports, then the external classes. */
export function buildEndpointClasses(world: CompiledWorld): EndpointClasses {
  const partition = buildIpPartition(world);
  const index = new SelectorIndex(world);
  const lists = shapeLists(index.shapes.length);
  addPolicySubjects(world, index, lists);
  const { groupOfPeer, selectorGroups } = peerGroups(world, partition);
  addPeerMatches(world, index, selectorGroups, lists.peers);
  const { classes, classOfPod } = podClasses(world, index, partition, lists, shapeSignatures(index, lists, world.tieredPolicies.length > 0));
  addExternalClasses(classes, partition);
  const groupClasses = peerGroupClasses(classes, index, lists.peers, partition, selectorGroups.length);
  return { classes, classOfPod, partition, groupOfPeer, groupClasses };
}

/** Per selector shape (SelectorIndex): the policies selecting it per direction, tiered ones too, and the peer groups matching it. */
interface ShapeLists {
  readonly ingress: number[][];
  readonly egress: number[][];
  readonly peers: number[][];
  readonly tierIngress: number[][];
  readonly tierEgress: number[][];
}

function shapeLists(shapeCount: number): ShapeLists {
  const lists = () => Array.from({ length: shapeCount }, (): number[] => []);
  return { ingress: lists(), egress: lists(), peers: lists(), tierIngress: lists(), tierEgress: lists() };
}

/** Adds each policy to the shapes it selects, per direction: NetworkPolicies, then tiered policies. */
function addPolicySubjects(world: CompiledWorld, index: SelectorIndex, lists: ShapeLists): void {
  for (const policy of world.networkPolicies) {
    const ns = world.namespaceByName.get(policy.namespace)!;
    // Indexed loops over selected shapes (here and below): they run once per (selector, shape),
    // mostly before the optimiser has kicked in, where for-of allocates an iterator result per step.
    const selected = index.select(ns, policy.podSelector);
    for (let i = 0; i < selected.length; i++) {
      if (policy.ingress) lists.ingress[selected[i]!]!.push(policy.index);
      if (policy.egress) lists.egress[selected[i]!]!.push(policy.index);
    }
  }

  // Tiered policies' subjects: namespaces by selector, then pods by selector (hostNetwork pods have no shape).
  for (const policy of world.tieredPolicies) {
    if (policy.ingress.length === 0 && policy.egress.length === 0) continue;
    for (const ns of index.namespacesMatching(policy.subject.namespaceSelector)) {
      const selected = index.select(ns, policy.subject.podSelector);
      for (let i = 0; i < selected.length; i++) {
        if (policy.ingress.length > 0) lists.tierIngress[selected[i]!]!.push(policy.index);
        if (policy.egress.length > 0) lists.tierEgress[selected[i]!]!.push(policy.index);
      }
    }
  }
}

/** Peer groups: selector peers that match the same pods share one group; ipBlock groups follow them. */
function peerGroups(world: CompiledWorld, partition: IpPartition): { groupOfPeer: Int32Array; selectorGroups: SelectorPeer[] } {
  const groupOfPeer = new Int32Array(world.peers.length).fill(-1);
  const selectorGroups: SelectorPeer[] = [];
  const groupByMatchKey = new Map<string, number>();
  for (const peer of world.peers) {
    if (peer.kind !== "selector") continue;
    let g = groupByMatchKey.get(peer.matchKey);
    if (g === undefined) {
      g = selectorGroups.length;
      selectorGroups.push(peer);
      groupByMatchKey.set(peer.matchKey, g);
    }
    groupOfPeer[peer.id] = g;
  }
  const selectorGroupCount = selectorGroups.length;
  for (const [peerId, g] of partition.groupOfPeer) groupOfPeer[peerId] = selectorGroupCount + g;
  return { groupOfPeer, selectorGroups };
}

/** Adds each selector peer group to the shapes it matches. */
function addPeerMatches(world: CompiledWorld, index: SelectorIndex, selectorGroups: readonly SelectorPeer[], shapePeers: number[][]): void {
  selectorGroups.forEach((peer, g) => {
    const namespaces = peer.namespaceSelector
      ? index.namespacesMatching(peer.namespaceSelector)
      : [world.namespaceByName.get(peer.policyNamespace)!];
    for (const ns of namespaces) {
      const selected = index.select(ns, peer.podSelector);
      for (let i = 0; i < selected.length; i++) shapePeers[selected[i]!]!.push(g);
    }
  });
}

/**
 * Shapes with the same policies and peers get the same signature id, so the per-pod class key
 * (podClasses) is short: it used to embed these lists, and was built and hashed once per pod.
 */
function shapeSignatures(index: SelectorIndex, lists: ShapeLists, tiers: boolean): number[] {
  const signatureIds = new Map<string, number>();
  return index.shapes.map((_, s) => {
    let key = `${lists.ingress[s]!.join(",")}/${lists.egress[s]!.join(",")}/${lists.peers[s]!.join(",")}`;
    if (tiers) key += `/${lists.tierIngress[s]!.join(",")}/${lists.tierEgress[s]!.join(",")}`;
    let id = signatureIds.get(key);
    if (id === undefined) signatureIds.set(key, (id = signatureIds.size));
    return id;
  });
}

/** Pods by (shape signature, IP class, named ports the rules mention): one class per distinct key. */
function podClasses(world: CompiledWorld, index: SelectorIndex, partition: IpPartition, lists: ShapeLists, shapeSignature: readonly number[]): { classes: EndpointClass[]; classOfPod: Int32Array } {
  const relevantNames = namedPortsMentioned(world);
  const classes: EndpointClass[] = [];
  const classByKey = new Map<string, number>();
  const classOfPod = new Int32Array(world.pods.length);
  const podIpClass = (pod: CompiledPod): number => {
    if (!pod.ip) return -1;
    const c = partition.classOf(pod.ip);
    return c >= 0 && partition.classes[c]!.groups.length > 0 ? c : -1;
  };

  for (const pod of world.pods) {
    const shape = index.shapeOfPod[pod.index]!;
    const ipClass = podIpClass(pod);
    const namedKey = shape < 0 ? "" : relevantNamedPortsKey(pod, relevantNames);
    const key = `${shape < 0 ? "host" : shapeSignature[shape]}|${ipClass}|${namedKey}`;
    let c = classByKey.get(key);
    if (c === undefined) {
      c = classes.length;
      // Members share namedKey, hence these named ports: build them for the first member only.
      const named = shape < 0 ? undefined : relevantNamedPorts(pod, relevantNames);
      classes.push({
        id: c,
        kind: "pod",
        ingressPolicies: shape < 0 ? [] : lists.ingress[shape]!,
        egressPolicies: shape < 0 ? [] : lists.egress[shape]!,
        tierIngress: shape < 0 ? [] : lists.tierIngress[shape]!,
        tierEgress: shape < 0 ? [] : lists.tierEgress[shape]!,
        ipClass,
        namedPorts: named,
        namedPortsKey: namedKey,
        pods: [],
        atoms: [],
      });
      classByKey.set(key, c);
    }
    classes[c]!.pods.push(pod.index);
    classOfPod[pod.index] = c;
  }
  return { classes, classOfPod };
}

/** One external class per IP class of the partition, after the pod classes. */
function addExternalClasses(classes: EndpointClass[], partition: IpPartition): void {
  for (const ipc of partition.classes) {
    classes.push({
      id: classes.length,
      kind: "external",
      ingressPolicies: [],
      egressPolicies: [],
      tierIngress: [],
      tierEgress: [],
      ipClass: ipc.groups.length > 0 ? ipc.id : -1,
      namedPorts: undefined,
      namedPortsKey: "",
      pods: [],
      atoms: ipc.atoms,
    });
  }
}

/** Which classes each peer group matches, ascending. */
function peerGroupClasses(classes: readonly EndpointClass[], index: SelectorIndex, shapePeers: readonly number[][], partition: IpPartition, selectorGroupCount: number): number[][] {
  const groupClasses: number[][] = Array.from({ length: selectorGroupCount + partition.groupCount }, () => []);
  for (const cls of classes) {
    if (cls.kind === "pod") {
      // Every shape of a class has the same peer groups (they are part of the class key).
      const shape = index.shapeOfPod[cls.pods[0]!]!;
      if (shape >= 0) for (const g of shapePeers[shape]!) groupClasses[g]!.push(cls.id);
    }
    if (cls.ipClass >= 0) for (const g of partition.classes[cls.ipClass]!.groups) groupClasses[selectorGroupCount + g]!.push(cls.id);
  }
  return groupClasses;
}

export function namedPortsMentioned(world: CompiledWorld): Set<string> {
  const names = new Set<string>();
  for (const p of world.networkPolicies)
    for (const rules of [p.ingress, p.egress])
      for (const r of rules ?? []) if (r.ports !== "any") for (const port of r.ports) if (port.kind === "named") names.add(port.name);
  for (const p of world.tieredPolicies)
    for (const r of [...p.ingress, ...p.egress]) if (r.ports !== "any") for (const port of r.ports) if (port.kind === "namedAny") names.add(port.name);
  return names;
}

function relevantNamedPorts(pod: CompiledPod, names: ReadonlySet<string>): Map<string, NamedPort> | undefined {
  let out: Map<string, NamedPort> | undefined;
  for (const [name, np] of pod.namedPorts) {
    if (!names.has(name)) continue;
    (out ??= new Map()).set(name, np);
  }
  return out;
}

/**
 * Canonical text of relevantNamedPorts(pod, names): `name:PROTOCOL:port` by name, comma-separated,
 * "" when none. Built without that Map (this runs once per pod; the Map is built once per class).
 */
export function relevantNamedPortsKey(pod: CompiledPod, names: ReadonlySet<string>): string {
  let first: string | undefined;
  let more: string[] | undefined;
  for (const name of pod.namedPorts.keys()) {
    if (!names.has(name)) continue;
    if (first === undefined) first = name;
    else (more ??= [first]).push(name);
  }
  if (first === undefined) return "";
  const entry = (n: string) => {
    const p = pod.namedPorts.get(n)!;
    return `${n}:${p.protocol}:${p.port}`;
  };
  if (!more) return entry(first);
  return sortSmallStrings(more).map(entry).join(",");
}

export function classRanges(classes: EndpointClasses, cls: EndpointClass): IpRange[] {
  return cls.atoms.map((a) => classes.partition.atoms[a]!);
}
