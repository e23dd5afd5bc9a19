/**
 * The evaluator: what a conformant cluster allows from one endpoint to another, with the policies
 * and rules that decided it. A connection needs the source's egress side AND the destination's
 * ingress side. Each side runs the tier pipeline over the connection space (SEMANTICS.md,
 * "Cluster-scoped tiers"):
 *   1. the Admin tier walks its rules first-match: Accept and Deny decide, Pass hands over;
 *   2. what is left (passed or unmatched) goes to NetworkPolicy when a NetworkPolicy selects the
 *      pod for that side (the union of their rules decides it all);
 *   3. otherwise to the Baseline tier, with the same walk (Pass falls through);
 *   4. whatever is still undecided is allowed (the Kubernetes default).
 * A side whose endpoint is an external address is not governed by any tier and allows everything.
 * Without tiered policies this is exactly NetworkPolicy semantics.
 */
import type { CompiledNetworkPolicy, CompiledPeer, CompiledRule, CompiledTieredPolicy, CompiledTierPeer, CompiledTierRule, CompiledWorld, Direction, Tier, UnresolvedPeer } from "../compile/model.js";
import { rulesFor, tierRulesFor } from "../compile/model.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import type { Endpoint } from "./endpoint.js";
import { destinationNamedPorts, policySelectsPod, rulePeerMatching, rulePortsToward } from "./matching.js";
import { tieredPoliciesFor, tierRuleMatch, walkTier, type TierStep } from "./tiers.js";

/** A rule whose peers match the other end, with what its ports admit toward the destination. */
export interface RuleMatch {
  readonly policy: CompiledNetworkPolicy;
  readonly rule: CompiledRule;
  readonly peer: CompiledPeer | "any";
  /** May be empty: the peer matched but none of the rule's ports applies (e.g. an unknown named port). */
  readonly conn: ConnectionSet;
}

/** A tiered rule whose peer matches the other end, and the part of the connection space it decided. */
export interface TierMatch {
  readonly tier: Tier;
  readonly policy: CompiledTieredPolicy;
  readonly rule: CompiledTierRule;
  readonly peer: CompiledTierPeer | "any";
  /** What the rule's ports admit toward the destination. */
  readonly conn: ConnectionSet;
  /** What it decided (accepted, denied or passed): conn minus what earlier rules of its tier decided. Empty when shadowed. */
  readonly decided: ConnectionSet;
}

/** A tiered rule kubereach could not apply: its peer (nodes, domainNames) might match the other end. */
export interface UnresolvedMatch {
  readonly tier: Tier;
  readonly policy: CompiledTieredPolicy;
  readonly rule: CompiledTierRule;
  readonly peer: UnresolvedPeer;
  /** What it would have decided, had it matched, given the rules before it. */
  readonly conn: ConnectionSet;
}

export interface DirectionVerdict {
  readonly direction: Direction;
  /** The endpoint whose policies decide this side: the source for egress, the destination for ingress. */
  readonly subject: Endpoint;
  /** False when the subject is an external address: no policy governs it. */
  readonly governed: boolean;
  /** NetworkPolicies that select the subject for this direction; non-empty means the subject is isolated. */
  readonly isolating: readonly CompiledNetworkPolicy[];
  /** Rules of the isolating NetworkPolicies whose peers match the other end. */
  readonly matches: readonly RuleMatch[];
  /** Tiered policies that apply to the subject for this direction, in evaluation order. */
  readonly tiered: readonly CompiledTieredPolicy[];
  /** Tiered rules (both tiers, in evaluation order) whose peers match the other end. */
  readonly tierMatches: readonly TierMatch[];
  /** Tiered rules skipped because their peers cannot be resolved, though they might match the other end. */
  readonly unresolved: readonly UnresolvedMatch[];
  /** What the Admin tier left to the next tiers (passed, or matched by no Admin rule). ALL without Admin rules. */
  readonly afterAdmin: ConnectionSet;
  /** What the NetworkPolicies allow (their union): ALL when none isolates the subject. */
  readonly networkPolicyAllowed: ConnectionSet;
  /** What reached the Baseline tier: afterAdmin when no NetworkPolicy isolates the subject, else nothing. */
  readonly toBaseline: ConnectionSet;
  /** What no tier decided and is allowed by default (the Baseline tier's passes included). */
  readonly byDefault: ConnectionSet;
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

/** Options of the evaluator used only by explanations: treat these unresolved rules as matching (to test whether they could change a verdict). */
export interface EvaluateOptions {
  readonly assumeMatching?: ReadonlySet<CompiledTierRule>;
}

export function isolatingPolicies(world: CompiledWorld, subject: Endpoint, direction: Direction): CompiledNetworkPolicy[] {
  if (subject.kind !== "pod") return [];
  const candidates = world.policiesByNamespace.get(subject.pod.namespace.name) ?? [];
  return candidates.filter((p) => rulesFor(p, direction) !== undefined && policySelectsPod(p, subject.pod));
}

const UNGOVERNED = { isolating: [], matches: [], tiered: [], tierMatches: [], unresolved: [] } as const;

export function evaluateDirection(world: CompiledWorld, direction: Direction, src: Endpoint, dst: Endpoint, options: EvaluateOptions = {}): DirectionVerdict {
  const subject = direction === "egress" ? src : dst;
  const other = direction === "egress" ? dst : src;
  const all = ConnectionSet.ALL;
  if (subject.kind !== "pod")
    return { direction, subject, governed: false, ...UNGOVERNED, afterAdmin: all, networkPolicyAllowed: all, toBaseline: all, byDefault: all, allowed: all };
  const namedPorts = destinationNamedPorts(dst);

  // NetworkPolicy: the union of the isolating policies' matching rules.
  const isolating = isolatingPolicies(world, subject, direction);
  const matches: RuleMatch[] = [];
  let networkPolicyAllowed = isolating.length === 0 ? all : ConnectionSet.NONE;
  for (const policy of isolating) {
    for (const rule of rulesFor(policy, direction)!) {
      const peer = rulePeerMatching(rule, other);
      if (peer === undefined) continue;
      const conn = rulePortsToward(rule, namedPorts);
      matches.push({ policy, rule, peer, conn });
      networkPolicyAllowed = networkPolicyAllowed.union(conn);
    }
  }

  const tiered = tieredPoliciesFor(world, subject, direction);
  if (tiered.length === 0) {
    const byDefault = isolating.length === 0 ? all : ConnectionSet.NONE;
    return { direction, subject, governed: true, isolating, matches, tiered, tierMatches: [], unresolved: [], afterAdmin: all, networkPolicyAllowed, toBaseline: byDefault, byDefault, allowed: networkPolicyAllowed };
  }

  // The tiers: each a first-match walk over what reaches it.
  const tierMatches: TierMatch[] = [];
  const unresolved: UnresolvedMatch[] = [];
  const walk = (tier: Tier, incoming: ConnectionSet) => {
    const found: { policy: CompiledTieredPolicy; rule: CompiledTierRule; peer: CompiledTierPeer | "any" | UnresolvedPeer; conn: ConnectionSet; resolved: boolean }[] = [];
    for (const policy of tiered) {
      if (policy.tier !== tier) continue;
      for (const rule of tierRulesFor(policy, direction)) {
        const m = tierRuleMatch(rule, other);
        if (!m) continue;
        const conn = rulePortsToward(rule, namedPorts);
        if ("peer" in m) found.push({ policy, rule, peer: m.peer, conn, resolved: true });
        else found.push({ policy, rule, peer: m.unresolved, conn, resolved: options.assumeMatching?.has(rule) === true });
      }
    }
    const result = walkTier(
      found.map((f): TierStep => ({ action: f.rule.action, conn: f.conn, resolved: f.resolved })),
      incoming,
    );
    found.forEach((f, i) => {
      const decided = result.decided[i]!;
      if (f.peer !== "any" && (f.peer.kind === "nodes" || f.peer.kind === "domainNames")) {
        if (f.resolved) tierMatches.push({ tier, policy: f.policy, rule: f.rule, peer: f.peer, conn: f.conn, decided });
        else unresolved.push({ tier, policy: f.policy, rule: f.rule, peer: f.peer, conn: decided });
      } else tierMatches.push({ tier, policy: f.policy, rule: f.rule, peer: f.peer, conn: f.conn, decided });
    });
    return result;
  };
  const admin = walk("admin", all);
  const afterAdmin = admin.passed.union(admin.rest);
  let allowed = admin.accepted;
  let toBaseline = ConnectionSet.NONE;
  let byDefault = ConnectionSet.NONE;
  if (isolating.length > 0) allowed = allowed.union(afterAdmin.intersect(networkPolicyAllowed));
  else {
    toBaseline = afterAdmin;
    const baseline = walk("baseline", afterAdmin);
    byDefault = baseline.passed.union(baseline.rest);
    allowed = allowed.union(baseline.accepted).union(byDefault);
  }
  return { direction, subject, governed: true, isolating, matches, tiered, tierMatches, unresolved, afterAdmin, networkPolicyAllowed, toBaseline, byDefault, allowed };
}

export function isSameEndpoint(a: Endpoint, b: Endpoint): boolean {
  if (a.kind === "pod" && b.kind === "pod") return a.pod === b.pod;
  return false;
}

export function evaluatePair(world: CompiledWorld, src: Endpoint, dst: Endpoint, options: EvaluateOptions = {}): PairVerdict {
  const egress = evaluateDirection(world, "egress", src, dst, options);
  const ingress = evaluateDirection(world, "ingress", src, dst, options);
  const self = isSameEndpoint(src, dst);
  const allowed = self ? ConnectionSet.ALL : egress.allowed.intersect(ingress.allowed);
  return { src, dst, self, egress, ingress, allowed };
}
