/**
 * The reachability matrix over endpoint classes. For each destination class it gathers what its
 * ingress rules admit from each source class, for each source class what its egress rules admit
 * toward each destination class, and intersects the two, visiting only pairs that either side can
 * allow. Rule semantics come from eval/matching.ts (the same primitives evaluatePair uses); a
 * property test holds this matrix equal to evaluatePair on every pod pair.
 *
 * Cluster-scoped tiers (tierMatrix.ts) change a side only toward the classes their rules name: for
 * those, the side is Admin-accepted ∪ (what the Admin tier left ∩ NetworkPolicy) when NetworkPolicy
 * isolates the subject, else Admin-accepted ∪ what the Baseline tier did not deny. Elsewhere the
 * NetworkPolicy result stands, so the sparse candidate walk below still visits only pairs either
 * side can allow.
 */
import type { CompiledRule, CompiledWorld, TierPort } from "../compile/model.js";
import { rulePortsToward } from "../eval/matching.js";
import { ALL_ID, ConnTable, NONE_ID, type ConnId } from "../ports/ConnTable.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";
import { buildEndpointClasses, type EndpointClass, type EndpointClasses } from "./classes.js";
import { IntList } from "./intList.js";
import { buildTierSides, countUnresolvedRules, tierConn } from "./tierMatrix.js";

/** Allowed connections into one destination class: parallel arrays sorted by source class. */
export interface IncomingRow {
  readonly src: Int32Array;
  readonly conn: Int32Array;
}

export interface ClassMatrix {
  readonly world: CompiledWorld;
  readonly classes: EndpointClasses;
  readonly conns: ConnTable;
  /** incoming[dstClass]: every source class with a non-empty connection (external->external excluded). */
  readonly incoming: readonly IncomingRow[];
  readonly stats: {
    readonly classes: number;
    readonly podClasses: number;
    readonly entries: number;
    /**
     * Tiered rules with peers kubereach cannot resolve (`nodes`, `domainNames`): they match nothing
     * here, so where they apply the matrix is what kubereach can prove, and explain says UNKNOWN.
     */
    readonly unresolvedPeerRules: number;
  };
  /** Allowed connections from one class to another (NONE when absent). */
  get(srcClass: number, dstClass: number): ConnectionSet;
  /** Allowed connections between two distinct pods, read from their classes. */
  podToPod(srcPod: number, dstPod: number): ConnectionSet;
}

interface EgressSpec {
  /** Egress rules with no peer list and no named ports: toward every destination. */
  readonly anyPeer: ConnId;
  /** Egress rules with no peer list but named ports: resolved per destination. */
  readonly anyPeerNamed: readonly CompiledRule[];
  /** Toward specific destination classes. */
  readonly specific: Map<number, ConnId>;
}

/** Anything with a ports list: NetworkPolicy and tiered rules alike. */
type PortsRule = { readonly ports: readonly TierPort[] | "any" };

/** A rule's ports list as text: equal texts, equal lists. */
function portsText(rule: PortsRule): string {
  if (rule.ports === "any") return "*";
  let text = "";
  for (const p of rule.ports)
    text += p.kind === "range" ? `r:${p.protocol}:${p.from}:${p.to},` : p.kind === "named" ? `n:${p.protocol}:${p.name},` : p.kind === "namedAny" ? `m:${p.name},` : `a:${p.protocol},`;
  return text;
}

export function buildMatrix(world: CompiledWorld): ClassMatrix {
  const classes = buildEndpointClasses(world);
  const cls = classes.classes;
  const n = cls.length;
  const conns = new ConnTable();

  // --- rule helpers (memoised per rule) ---
  const rulePeerClasses = new Map<CompiledRule, readonly number[]>();
  const peerClassesOf = (rule: CompiledRule): readonly number[] => {
    let hit = rulePeerClasses.get(rule);
    if (hit) return hit;
    const peers = rule.peers as Exclude<CompiledRule["peers"], "any">;
    const groups = [...new Set(peers.map((p) => classes.groupOfPeer[p.id]!))];
    if (groups.length === 1) hit = classes.groupClasses[groups[0]!]!;
    else {
      const merged = new Set<number>();
      for (const g of groups) for (const c of classes.groupClasses[g]!) merged.add(c);
      hit = [...merged].sort((a, b) => a - b);
    }
    rulePeerClasses.set(rule, hit);
    return hit;
  };
  const hasNamed = (rule: PortsRule) => rule.ports !== "any" && rule.ports.some((p) => p.kind === "named" || p.kind === "namedAny");
  // What a rule admits depends on its ports list alone (plus the destination's named ports when it
  // names some), so rules with equal lists share one memo entry: thousands of policies repeat
  // `port: 443` or `port: metrics`, and building, then printing to intern, the same ConnectionSet
  // for each of them was a visible share of this function's garbage.
  const memoByPorts = new Map<string, ConnId | Map<string, ConnId>>();
  const ruleConnMemo = new Map<PortsRule, ConnId | Map<string, ConnId>>();
  const ruleConnToward = (rule: PortsRule, dst: EndpointClass): ConnId => {
    let m = ruleConnMemo.get(rule);
    if (m === undefined) {
      const text = portsText(rule);
      m = memoByPorts.get(text);
      if (m === undefined) {
        m = hasNamed(rule) ? new Map<string, ConnId>() : conns.id(rulePortsToward(rule, undefined));
        memoByPorts.set(text, m);
      }
      ruleConnMemo.set(rule, m);
    }
    if (typeof m === "number") return m;
    let id = m.get(dst.namedPortsKey);
    if (id === undefined) {
      id = conns.id(rulePortsToward(rule, dst.namedPorts));
      m.set(dst.namedPortsKey, id);
    }
    return id;
  };
  const policy = (i: number) => world.networkPolicies[i]!;

  // --- egress side, per distinct set of isolating policies ---
  const egressSpecs = new Map<string, { spec: EgressSpec; members: number[] }>();
  const egressOf: (EgressSpec | undefined)[] = new Array(n);
  for (const c of cls) {
    if (c.egressPolicies.length === 0) continue;
    const key = c.egressPolicies.join(",");
    let entry = egressSpecs.get(key);
    if (!entry) {
      let anyPeer = NONE_ID;
      const anyPeerNamed: CompiledRule[] = [];
      const specific = new Map<number, ConnId>();
      for (const pi of c.egressPolicies) {
        for (const rule of policy(pi).egress!) {
          if (rule.peers === "any") {
            if (hasNamed(rule)) anyPeerNamed.push(rule);
            else anyPeer = conns.union(anyPeer, ruleConnToward(rule, c));
            continue;
          }
          // Indexed loops here and below: they run per (rule, class) or per matrix candidate, mostly
          // before the optimiser has kicked in, where for-of allocates an iterator result per step.
          const peerClasses = peerClassesOf(rule);
          for (let i = 0; i < peerClasses.length; i++) {
            const d = peerClasses[i]!;
            const conn = ruleConnToward(rule, cls[d]!);
            if (conn !== NONE_ID) specific.set(d, conns.union(specific.get(d) ?? NONE_ID, conn));
          }
        }
      }
      entry = { spec: { anyPeer, anyPeerNamed, specific }, members: [] };
      egressSpecs.set(key, entry);
    }
    entry.members.push(c.id);
    egressOf[c.id] = entry.spec;
  }

  // Sources that may reach any destination, and per destination the sources that name it.
  const openEgress: number[] = [];
  for (const c of cls) {
    const e = egressOf[c.id];
    if (!e || e.anyPeer !== NONE_ID || e.anyPeerNamed.length > 0) openEgress.push(c.id);
  }
  const namedBy: number[][] = Array.from({ length: n }, () => []);
  for (const { spec, members } of egressSpecs.values()) {
    if (spec.anyPeer !== NONE_ID || spec.anyPeerNamed.length > 0) continue; // already in openEgress
    for (const d of spec.specific.keys()) for (let i = 0; i < members.length; i++) namedBy[d]!.push(members[i]!);
  }

  const egressConn = (s: number, d: EndpointClass): ConnId => {
    const e = egressOf[s];
    if (!e) return ALL_ID;
    let conn = conns.union(e.anyPeer, e.specific.get(d.id) ?? NONE_ID);
    for (const rule of e.anyPeerNamed) conn = conns.union(conn, ruleConnToward(rule, d));
    return conn;
  };

  // --- cluster-scoped tiers, per side ---
  const { ingress: tierIngress, egress: tierEgress } = buildTierSides({ world, classes, conns, ruleConnToward, hasNamed });
  // Sources whose tiered egress accepts something toward a destination their NetworkPolicies do not
  // name: candidates for it (or for every destination, when a group accepts broadly).
  const tierAcceptedBy: (number[] | undefined)[] = new Array(n);
  const openSet = new Uint8Array(tierEgress.groups.length > 0 ? n : 0);
  if (tierEgress.groups.length > 0) for (const s of openEgress) openSet[s] = 1;
  for (const g of tierEgress.groups) {
    const members = g.members.filter((s) => openSet[s] === 0);
    if (members.length === 0) continue;
    if (g.acceptors.length > 64) {
      for (const s of members) {
        if (openSet[s] !== 0) continue;
        openSet[s] = 1;
        openEgress.push(s);
      }
      continue;
    }
    for (const o of g.acceptors) for (const s of members) (tierAcceptedBy[o] ??= []).push(s);
  }
  /** The whole egress side of s toward d: the tiers around NetworkPolicy. */
  const egressFinal = (s: number, d: EndpointClass): ConnId => {
    const g = tierEgress.groupOf[s];
    const np = egressConn(s, d);
    if (g === undefined) return np;
    return tierConn(conns, g, d.id, cls[s]!.egressPolicies.length > 0, np);
  };

  // --- ingress side per destination, intersected with the egress side ---
  const incoming: IncomingRow[] = new Array(n);
  let entries = 0;
  // Scratch space reused across destinations (a Map and four arrays per destination class were a
  // large share of this loop's garbage at 100k pods). What the destination's ingress rules admit
  // from source class s is inConnOf[s], valid only where inStamp[s] === d.id; inSources lists those s.
  const inStamp = new Int32Array(n).fill(-1);
  const inConnOf = new Int32Array(n);
  const inSources = new IntList();
  const stamp = new Int32Array(n).fill(-1);
  const candidates = new IntList();
  const srcOut = new IntList();
  const connOut = new IntList();
  for (const d of cls) {
    let inOpen = d.ingressPolicies.length === 0; // not isolated (or external): everything admitted
    let inAny = inOpen ? ALL_ID : NONE_ID;
    inSources.length = 0;
    if (!inOpen) {
      for (const pi of d.ingressPolicies) {
        for (const rule of policy(pi).ingress!) {
          const conn = ruleConnToward(rule, d);
          if (conn === NONE_ID) continue;
          if (rule.peers === "any") inAny = conns.union(inAny, conn);
          else {
            const peerClasses = peerClassesOf(rule);
            for (let i = 0; i < peerClasses.length; i++) {
              const s = peerClasses[i]!;
              if (inStamp[s] !== d.id) {
                inStamp[s] = d.id;
                inConnOf[s] = NONE_ID;
                inSources.push(s);
              }
              inConnOf[s] = conns.union(inConnOf[s]!, conn);
            }
          }
        }
      }
      inOpen = inAny !== NONE_ID;
    }
    const inSpecific = (s: number): ConnId => (inStamp[s] === d.id ? inConnOf[s]! : NONE_ID);
    const inTier = tierIngress.groupOf[d.id];
    const inIsolated = d.ingressPolicies.length > 0;
    candidates.length = 0;
    const consider = (s: number) => {
      if (stamp[s] === d.id) return;
      stamp[s] = d.id;
      candidates.push(s);
    };
    if (inOpen) {
      for (let i = 0; i < openEgress.length; i++) consider(openEgress[i]!);
      const named = namedBy[d.id]!;
      for (let i = 0; i < named.length; i++) consider(named[i]!);
      const accepted = tierAcceptedBy[d.id];
      if (accepted) for (let i = 0; i < accepted.length; i++) consider(accepted[i]!);
    } else {
      for (let i = 0; i < inSources.length; i++) consider(inSources.get(i));
      // Sources the Admin tier accepts for this destination, though its NetworkPolicies do not name them.
      if (inTier) for (let i = 0; i < inTier.acceptors.length; i++) consider(inTier.acceptors[i]!);
    }
    const sorted = candidates.view().sort(); // numeric, ascending

    srcOut.length = 0;
    connOut.length = 0;
    for (let i = 0; i < sorted.length; i++) {
      const s = sorted[i]!;
      if (d.kind === "external" && cls[s]!.kind === "external") continue;
      const npIn = conns.union(inAny, inSpecific(s));
      const inConn = inTier === undefined ? npIn : tierConn(conns, inTier, s, inIsolated, npIn);
      if (inConn === NONE_ID) continue;
      const conn = conns.intersect(inConn, egressFinal(s, d));
      if (conn === NONE_ID) continue;
      srcOut.push(s);
      connOut.push(conn);
    }
    incoming[d.id] = { src: srcOut.view().slice(), conn: connOut.view().slice() };
    entries += srcOut.length;
  }

  const get = (s: number, d: number): ConnectionSet => {
    const row = incoming[d]!;
    let lo = 0;
    let hi = row.src.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = row.src[mid]!;
      if (v < s) lo = mid + 1;
      else if (v > s) hi = mid - 1;
      else return conns.get(row.conn[mid]!);
    }
    return conns.get(NONE_ID);
  };

  return {
    world,
    classes,
    conns,
    incoming,
    stats: { classes: n, podClasses: cls.filter((c) => c.kind === "pod").length, entries, unresolvedPeerRules: countUnresolvedRules(world) },
    get,
    podToPod: (a, b) => get(classes.classOfPod[a]!, classes.classOfPod[b]!),
  };
}
