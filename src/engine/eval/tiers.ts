/**
 * The primitives of the cluster-scoped tiers (AdminNetworkPolicy, BaselineAdminNetworkPolicy,
 * ClusterNetworkPolicy), next to matching.ts: which pods a tiered policy applies to, which peers
 * match an endpoint, and the first-match walk of one tier over a connection space. evaluatePair
 * and buildMatrix both use these and nothing else for tier semantics.
 */
import type { CompiledPod, CompiledTieredPolicy, CompiledTierPeer, CompiledTierRule, CompiledWorld, Direction, TierAction, UnresolvedPeer } from "../compile/model.js";
import { tierRulesFor } from "../compile/model.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import type { Endpoint } from "./endpoint.js";
import { peerMatches } from "./matching.js";

/** A tiered policy's subject: pods of matching namespaces matching the pod selector; never hostNetwork pods. */
export function tieredPolicySelectsPod(policy: CompiledTieredPolicy, pod: CompiledPod): boolean {
  return !pod.hostNetwork && policy.subject.namespaceSelector.matches(pod.namespace.labels) && policy.subject.podSelector.matches(pod.labels);
}

/**
 * Tiered policies that apply to `subject` for `direction`, in evaluation order. A policy without
 * rules for a direction does not affect it ("CNPs with no ingress rules do not affect ingress traffic").
 */
export function tieredPoliciesFor(world: CompiledWorld, subject: Endpoint, direction: Direction): CompiledTieredPolicy[] {
  if (subject.kind !== "pod") return [];
  return world.tieredPolicies.filter((p) => tierRulesFor(p, direction).length > 0 && tieredPolicySelectsPod(p, subject.pod));
}

/**
 * Whether an unresolved peer could match the endpoint if kubereach knew the facts: a node address is
 * an address outside the pod network (an external address here) or a hostNetwork pod's IP (its
 * node's); a domain name resolves to addresses outside the cluster.
 */
export function unresolvedPeerCouldMatch(peer: UnresolvedPeer, e: Endpoint): boolean {
  if (peer.kind === "domainNames") return e.kind === "external";
  return e.kind === "external" || e.pod.hostNetwork;
}

export type TierPeerMatch = { readonly peer: CompiledTierPeer | "any" } | { readonly unresolved: UnresolvedPeer } | undefined;

/**
 * The first peer of the rule that matches the endpoint; failing that, an unresolved peer that could
 * match it (the rule is then treated as not matching, and the caller records the uncertainty).
 */
export function tierRuleMatch(rule: CompiledTierRule, e: Endpoint): TierPeerMatch {
  if (rule.peers === "any") return { peer: "any" };
  let unresolved: UnresolvedPeer | undefined;
  for (const p of rule.peers) {
    if (p.kind === "nodes" || p.kind === "domainNames") {
      if (!unresolved && unresolvedPeerCouldMatch(p, e)) unresolved = p;
      continue;
    }
    if (peerMatches(p, e)) return { peer: p };
  }
  return unresolved ? { unresolved } : undefined;
}

/** What a walk needs of connection sets: ConnectionSet for evaluatePair, interned ids (ConnTable) for the matrix. */
export interface ConnAlgebra<C> {
  readonly none: C;
  union(a: C, b: C): C;
  intersect(a: C, b: C): C;
  subtract(a: C, b: C): C;
  isEmpty(a: C): boolean;
}

export const CONNECTION_SETS: ConnAlgebra<ConnectionSet> = {
  none: ConnectionSet.NONE,
  union: (a, b) => a.union(b),
  intersect: (a, b) => a.intersect(b),
  subtract: (a, b) => a.subtract(b),
  isEmpty: (a) => a.isEmpty(),
};

/** One rule of a walk: its action and what it matches (its ports toward the destination, for a matching peer). */
export interface TierStepOf<C> {
  readonly action: TierAction;
  readonly conn: C;
  /** False for a rule whose peer kubereach cannot resolve: it decides nothing, but what it would have decided is recorded. */
  readonly resolved: boolean;
}

export interface TierWalkOf<C> {
  readonly accepted: C;
  readonly denied: C;
  readonly passed: C;
  /** What no rule of the tier decided. */
  readonly rest: C;
  /** decided[i]: what step i decided, its conn minus what earlier steps decided (for an unresolved step: what it would have decided). */
  readonly decided: readonly C[];
}

export type TierStep = TierStepOf<ConnectionSet>;
export type TierWalk = TierWalkOf<ConnectionSet>;

/**
 * The first-match walk of one tier: steps in evaluation order (policies by priority, rules in
 * written order); each connection of `incoming` is decided by the first step whose conn holds it.
 * Accept and Deny are final; Pass hands the connection to the next tier, skipping every later rule of
 * this tier. Connections are port sets, so "first match" holds per port.
 */
export function walkTierWith<C>(alg: ConnAlgebra<C>, steps: readonly TierStepOf<C>[], incoming: C): TierWalkOf<C> {
  let rest = incoming;
  let accepted = alg.none;
  let denied = alg.none;
  let passed = alg.none;
  const decided: C[] = [];
  for (const step of steps) {
    const part = alg.isEmpty(rest) ? alg.none : alg.intersect(step.conn, rest);
    decided.push(part);
    if (!step.resolved || alg.isEmpty(part)) continue;
    rest = alg.subtract(rest, part);
    switch (step.action) {
      case "accept":
        accepted = alg.union(accepted, part);
        break;
      case "deny":
        denied = alg.union(denied, part);
        break;
      case "pass":
        passed = alg.union(passed, part);
        break;
    }
  }
  return { accepted, denied, passed, rest, decided };
}

export function walkTier(steps: readonly TierStep[], incoming: ConnectionSet): TierWalk {
  return walkTierWith(CONNECTION_SETS, steps, incoming);
}
