/**
 * The egress side of the class matrix: what each source class's NetworkPolicy egress rules admit
 * toward each destination class (one spec per distinct set of isolating policies), the tiers around
 * it (tierMatrix.ts), and for each destination the source classes that can reach it at all, so the
 * matrix visits only pairs the egress side can allow.
 */
import type { CompiledRule, CompiledWorld } from "../compile/model.js";
import { ALL_ID, NONE_ID, type ConnId, type ConnTable } from "../ports/ConnTable.js";
import type { EndpointClass } from "./classes.js";
import type { RuleConnections } from "./ruleConnections.js";
import { tierConn, type TierSide } from "./tierMatrix.js";

export interface EgressSpec {
  /** Egress rules with no peer list and no named ports: toward every destination. */
  readonly anyPeer: ConnId;
  /** Egress rules with no peer list but named ports: resolved per destination. */
  readonly anyPeerNamed: readonly CompiledRule[];
  /** Toward specific destination classes. */
  readonly specific: Map<number, ConnId>;
}

/** The NetworkPolicy egress specs: by policy list, and per class (undefined: not isolated for egress). */
export interface EgressSpecs {
  readonly byPolicies: Map<string, { spec: EgressSpec; members: number[] }>;
  readonly egressOf: readonly (EgressSpec | undefined)[];
}

/** Source classes that may reach each destination: the matrix's candidates on the egress side. */
export interface EgressCandidates {
  /** Sources that may reach any destination. */
  readonly openEgress: number[];
  /** Per destination, the sources whose NetworkPolicy egress names it. */
  readonly namedBy: readonly (readonly number[])[];
  /** Per destination, the sources whose tiered egress accepts something toward it (beyond the above). */
  readonly tierAcceptedBy: readonly (number[] | undefined)[];
}

/** A class's spec is built once per distinct set of egress policies (classes of one label shape share it). */
export function buildEgressSpecs(world: CompiledWorld, cls: readonly EndpointClass[], conns: ConnTable, rules: RuleConnections): EgressSpecs {
  const byPolicies = new Map<string, { spec: EgressSpec; members: number[] }>();
  const egressOf: (EgressSpec | undefined)[] = new Array(cls.length);
  for (const c of cls) {
    if (c.egressPolicies.length === 0) continue;
    const key = c.egressPolicies.join(",");
    let entry = byPolicies.get(key);
    if (!entry) {
      entry = { spec: egressSpecOf(world, c, conns, rules, cls), members: [] };
      byPolicies.set(key, entry);
    }
    entry.members.push(c.id);
    egressOf[c.id] = entry.spec;
  }
  return { byPolicies, egressOf };
}

/** What the egress rules of class c's isolating policies admit: toward everything, and toward the classes they name. */
function egressSpecOf(world: CompiledWorld, c: EndpointClass, conns: ConnTable, rules: RuleConnections, cls: readonly EndpointClass[]): EgressSpec {
  let anyPeer = NONE_ID;
  const anyPeerNamed: CompiledRule[] = [];
  const specific = new Map<number, ConnId>();
  for (const pi of c.egressPolicies) {
    for (const rule of world.networkPolicies[pi]!.egress!) {
      if (rule.peers === "any") {
        if (rules.hasNamed(rule)) anyPeerNamed.push(rule);
        else anyPeer = conns.union(anyPeer, rules.ruleConnToward(rule, c));
        continue;
      }
      // Indexed loops here and in the matrix: they run per (rule, class) or per matrix candidate,
      // mostly before the optimiser has kicked in, where for-of allocates an iterator result per step.
      const peerClasses = rules.peerClassesOf(rule);
      for (let i = 0; i < peerClasses.length; i++) {
        const d = peerClasses[i]!;
        const conn = rules.ruleConnToward(rule, cls[d]!);
        if (conn !== NONE_ID) specific.set(d, conns.union(specific.get(d) ?? NONE_ID, conn));
      }
    }
  }
  return { anyPeer, anyPeerNamed, specific };
}

/** Sources that may reach any destination, and per destination the sources that name it (NetworkPolicy only). */
export function networkPolicyCandidates(cls: readonly EndpointClass[], specs: EgressSpecs): { openEgress: number[]; namedBy: number[][] } {
  const openEgress: number[] = [];
  for (const c of cls) {
    const e = specs.egressOf[c.id];
    if (!e || e.anyPeer !== NONE_ID || e.anyPeerNamed.length > 0) openEgress.push(c.id);
  }
  const namedBy: number[][] = Array.from({ length: cls.length }, () => []);
  for (const { spec, members } of specs.byPolicies.values()) {
    if (spec.anyPeer !== NONE_ID || spec.anyPeerNamed.length > 0) continue; // already in openEgress
    for (const d of spec.specific.keys()) for (let i = 0; i < members.length; i++) namedBy[d]!.push(members[i]!);
  }
  return { openEgress, namedBy };
}

/**
 * Adds the tiers' candidates: sources whose tiered egress accepts something toward a destination
 * their NetworkPolicies do not name are candidates for it (or for every destination, joining
 * openEgress, when a group accepts broadly).
 */
export function withTierCandidates(n: number, np: { openEgress: number[]; namedBy: number[][] }, tierEgress: TierSide): EgressCandidates {
  const { openEgress } = np;
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
  return { openEgress, namedBy: np.namedBy, tierAcceptedBy };
}

/** The whole egress side of s toward d: the tiers around NetworkPolicy (everything for a source NetworkPolicy does not isolate). */
export function egressSide(cls: readonly EndpointClass[], conns: ConnTable, rules: RuleConnections, specs: EgressSpecs, tierEgress: TierSide): (s: number, d: EndpointClass) => ConnId {
  const egressConn = (s: number, d: EndpointClass): ConnId => {
    const e = specs.egressOf[s];
    if (!e) return ALL_ID;
    let conn = conns.union(e.anyPeer, e.specific.get(d.id) ?? NONE_ID);
    for (const rule of e.anyPeerNamed) conn = conns.union(conn, rules.ruleConnToward(rule, d));
    return conn;
  };
  return (s, d) => {
    const g = tierEgress.groupOf[s];
    const np = egressConn(s, d);
    if (g === undefined) return np;
    return tierConn(conns, g, d.id, cls[s]!.egressPolicies.length > 0, np);
  };
}
