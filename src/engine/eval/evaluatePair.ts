/**
 * The evaluator: what a conformant cluster allows from one endpoint to another, with the policies
 * and rules that decided it. A connection needs the source's egress side AND the destination's
 * ingress side; each side is decided by the policies that select its pod (union of their rules),
 * and a side whose pod no policy selects (or an external address) allows everything.
 */
import type { CompiledNetworkPolicy, CompiledPeer, CompiledRule, CompiledWorld, Direction } from "../compile/model.js";
import { rulesFor } from "../compile/model.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import type { Endpoint } from "./endpoint.js";
import { destinationNamedPorts, policySelectsPod, rulePeerMatching, rulePortsToward } from "./matching.js";

/** A rule whose peers match the other end, with what its ports admit toward the destination. */
export interface RuleMatch {
  readonly policy: CompiledNetworkPolicy;
  readonly rule: CompiledRule;
  readonly peer: CompiledPeer | "any";
  /** May be empty: the peer matched but none of the rule's ports applies (e.g. an unknown named port). */
  readonly conn: ConnectionSet;
}

export interface DirectionVerdict {
  readonly direction: Direction;
  /** The endpoint whose policies decide this side: the source for egress, the destination for ingress. */
  readonly subject: Endpoint;
  /** False when the subject is an external address: NetworkPolicy does not govern it. */
  readonly governed: boolean;
  /** Policies that select the subject for this direction; non-empty means the subject is isolated. */
  readonly isolating: readonly CompiledNetworkPolicy[];
  /** Rules of the isolating policies whose peers match the other end. */
  readonly matches: readonly RuleMatch[];
  readonly allowed: ConnectionSet;
}

export interface PairVerdict {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  /** A pod talking to itself: allowed regardless of policy ("a pod cannot block access to itself"). */
  readonly self: boolean;
  readonly egress: DirectionVerdict;
  readonly ingress: DirectionVerdict;
  readonly allowed: ConnectionSet;
}

export function isolatingPolicies(world: CompiledWorld, subject: Endpoint, direction: Direction): CompiledNetworkPolicy[] {
  if (subject.kind !== "pod") return [];
  const candidates = world.policiesByNamespace.get(subject.pod.namespace.name) ?? [];
  return candidates.filter((p) => rulesFor(p, direction) !== undefined && policySelectsPod(p, subject.pod));
}

export function evaluateDirection(world: CompiledWorld, direction: Direction, src: Endpoint, dst: Endpoint): DirectionVerdict {
  const subject = direction === "egress" ? src : dst;
  const other = direction === "egress" ? dst : src;
  if (subject.kind !== "pod") return { direction, subject, governed: false, isolating: [], matches: [], allowed: ConnectionSet.ALL };
  const isolating = isolatingPolicies(world, subject, direction);
  if (isolating.length === 0) return { direction, subject, governed: true, isolating, matches: [], allowed: ConnectionSet.ALL };
  const namedPorts = destinationNamedPorts(dst);
  const matches: RuleMatch[] = [];
  let allowed = ConnectionSet.NONE;
  for (const policy of isolating) {
    for (const rule of rulesFor(policy, direction)!) {
      const peer = rulePeerMatching(rule, other);
      if (peer === undefined) continue;
      const conn = rulePortsToward(rule, namedPorts);
      matches.push({ policy, rule, peer, conn });
      allowed = allowed.union(conn);
    }
  }
  return { direction, subject, governed: true, isolating, matches, allowed };
}

export function isSameEndpoint(a: Endpoint, b: Endpoint): boolean {
  if (a.kind === "pod" && b.kind === "pod") return a.pod === b.pod;
  return false;
}

export function evaluatePair(world: CompiledWorld, src: Endpoint, dst: Endpoint): PairVerdict {
  const egress = evaluateDirection(world, "egress", src, dst);
  const ingress = evaluateDirection(world, "ingress", src, dst);
  const self = isSameEndpoint(src, dst);
  const allowed = self ? ConnectionSet.ALL : egress.allowed.intersect(ingress.allowed);
  return { src, dst, self, egress, ingress, allowed };
}
