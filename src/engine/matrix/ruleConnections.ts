/**
 * What one rule contributes to the class matrix, memoised per rule: the endpoint classes its peers
 * match (from the class partition's peer groups) and the connections its ports admit toward a
 * destination class (named ports resolve on the destination). Shared by buildMatrix.ts's
 * NetworkPolicy sides and tierMatrix.ts's tiers, so both intern the same connection sets.
 */
import type { CompiledRule, TierPort } from "../compile/model.js";
import { rulePortsToward } from "../eval/matching.js";
import type { ConnId, ConnTable } from "../ports/ConnTable.js";
import type { EndpointClass, EndpointClasses } from "./classes.js";

/** Anything with a ports list: NetworkPolicy and tiered rules alike. */
export type PortsRule = { readonly ports: readonly TierPort[] | "any" };

export interface RuleConnections {
  /** The classes a rule's peers match, ascending (the rule must have a peer list). */
  readonly peerClassesOf: (rule: CompiledRule) => readonly number[];
  /** Whether the rule's ports name ports (then what it admits depends on the destination). */
  readonly hasNamed: (rule: PortsRule) => boolean;
  /** What a rule's ports admit toward a destination class, interned in the matrix's ConnTable. */
  readonly ruleConnToward: (rule: PortsRule, dst: EndpointClass) => ConnId;
}

/** A rule's ports list as text: equal texts, equal lists. */
function portsText(rule: PortsRule): string {
  if (rule.ports === "any") return "*";
  let text = "";
  for (const p of rule.ports)
    text += p.kind === "range" ? `r:${p.protocol}:${p.from}:${p.to},` : p.kind === "named" ? `n:${p.protocol}:${p.name},` : p.kind === "namedAny" ? `m:${p.name},` : `a:${p.protocol},`;
  return text;
}

const hasNamed = (rule: PortsRule) => rule.ports !== "any" && rule.ports.some((p) => p.kind === "named" || p.kind === "namedAny");

/** The memoised rule helpers of one matrix build. */
export function ruleConnections(classes: EndpointClasses, conns: ConnTable): RuleConnections {
  return { peerClassesOf: peerClassesMemo(classes), hasNamed, ruleConnToward: ruleConnMemo(conns) };
}

/** peerClassesOf, memoised per rule: one peer group's classes as they are, several merged and sorted. */
function peerClassesMemo(classes: EndpointClasses): (rule: CompiledRule) => readonly number[] {
  const rulePeerClasses = new Map<CompiledRule, readonly number[]>();
  return (rule) => {
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
}

/**
 * ruleConnToward, memoised. What a rule admits depends on its ports list alone (plus the
 * destination's named ports when it names some), so rules with equal lists share one memo entry:
 * thousands of policies repeat `port: 443` or `port: metrics`, and building, then printing to
 * intern, the same ConnectionSet for each of them was a visible share of the matrix's garbage.
 */
function ruleConnMemo(conns: ConnTable): (rule: PortsRule, dst: EndpointClass) => ConnId {
  const memoByPorts = new Map<string, ConnId | Map<string, ConnId>>();
  const memoByRule = new Map<PortsRule, ConnId | Map<string, ConnId>>();
  return (rule, dst) => {
    let m = memoByRule.get(rule);
    if (m === undefined) {
      const text = portsText(rule);
      m = memoByPorts.get(text);
      if (m === undefined) {
        m = hasNamed(rule) ? new Map<string, ConnId>() : conns.id(rulePortsToward(rule, undefined));
        memoByPorts.set(text, m);
      }
      memoByRule.set(rule, m);
    }
    if (typeof m === "number") return m;
    let id = m.get(dst.namedPortsKey);
    if (id === undefined) {
      id = conns.id(rulePortsToward(rule, dst.namedPorts));
      m.set(dst.namedPortsKey, id);
    }
    return id;
  };
}
