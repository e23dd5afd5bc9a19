/**
 * The vocabulary of the RULE_SHADOWED_BY_ADMIN_TIER analysis, shared by the analysis
 * (adminShadowAnalysis.ts) and the wording of its finding (adminShadowFinding.ts): kept apart so
 * both import it and neither imports the other. Types only.
 */
import type { CompiledTieredPolicy, CompiledTierRule, TierAction, UnresolvedPeer } from "../compile/model.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";

/**
 * Subject classes of one direction that the Admin tier treats alike: the same Admin-tier policies
 * and, for ingress (named ports resolve on the subject), the same values for the port names their
 * rules mention. Every walk is shared by the members of a group.
 */
export interface SubjectGroup {
  readonly id: number;
  /** The rules of the Admin-tier policies, in evaluation order. */
  readonly rules: readonly AdminRule[];
  /** Per class: 1 when one of those rules matches it by a resolved peer (or has no peers). */
  readonly reach: Uint8Array;
  /** For ingress, a member: the destination whose named ports the Admin rules resolve on. */
  readonly namedOn: number | undefined;
  /** For ingress, those named ports as text (part of the walk keys). */
  readonly namedText: string;
  /** The walk toward each other class, computed on first use. */
  readonly walks: (AdminWalk | undefined)[];
}

/** An Admin-tier rule and the classes it matches. */
export interface AdminRule {
  readonly id: number;
  readonly policy: CompiledTieredPolicy;
  readonly rule: CompiledTierRule;
  /** Per class: 1 when a resolved peer (selector, networks) matches it, or the rule has no peers. */
  readonly matches: Uint8Array;
  /** Peers kubereach cannot resolve (nodes, domainNames). */
  readonly unresolved: readonly UnresolvedPeer[];
  /** Whether its ports name ports (resolved on the destination). */
  readonly named: boolean;
}

export interface AdminStep {
  readonly policy: CompiledTieredPolicy;
  readonly rule: CompiledTierRule;
  /** The rule's action, or "pass" for a rule whose unresolved peer only could match. */
  readonly action: TierAction;
  readonly conn: ConnectionSet;
}

/** What the walk decides of one connection set a NetworkPolicy rule admits. */
export interface Outcome {
  /** Part of the set reaches NetworkPolicy (passed, or matched by no Admin rule). */
  readonly reaches: boolean;
  /** The steps that decide part of the set (Accept or Deny), with that part. */
  readonly parts: readonly { readonly step: AdminStep; readonly part: ConnectionSet }[];
  readonly denied: ConnectionSet;
}

export interface AdminWalk {
  readonly steps: readonly AdminStep[];
  /** What each step decided: its conn minus what earlier steps decided. */
  readonly decided: readonly ConnectionSet[];
  /** Accepted or denied: decided by the Admin tier, never handed to NetworkPolicy. */
  readonly final: ConnectionSet;
  /** Outcomes by the connection set (interned: one object per distinct set). */
  readonly outcomes: Map<ConnectionSet, Outcome>;
}

/** A deciding tiered rule and the parts of the NetworkPolicy rule's connections it decides. */
export interface Attribution {
  readonly policy: CompiledTieredPolicy;
  readonly rule: CompiledTierRule;
  /** Few distinct objects (parts are memoised per walk): unioned once, when the finding is written. */
  readonly parts: Set<ConnectionSet>;
}

/** Subject classes toward another class where the Admin tier denies some of what the rule admits. */
export interface DeniedPair {
  readonly subjects: readonly number[];
  readonly other: number;
  readonly conn: ConnectionSet;
}

export interface RuleShadow {
  /** Something the rule admits reaches NetworkPolicy. */
  readonly reachesNetworkPolicy: boolean;
  readonly denied: readonly Attribution[];
  readonly accepted: readonly Attribution[];
  readonly deniedPairs: readonly DeniedPair[];
}
