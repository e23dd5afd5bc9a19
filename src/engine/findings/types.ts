/**
 * Findings: weak spots of a state's NetworkPolicies, each with a severity, the objects involved
 * and a one-line fix hint. Plain data; kinds and severities are closed sets.
 */
import type { Direction } from "../compile/model.js";

export const SEVERITIES = ["high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FINDING_KINDS = [
  "INGRESS_NOT_ISOLATED",
  "EGRESS_NOT_ISOLATED",
  "NAMESPACE_WITHOUT_DEFAULT_DENY",
  "POLICY_SELECTS_NO_POD",
  "PEER_MATCHES_NOTHING",
  "NAMED_PORT_UNDEFINED",
  "REDUNDANT_RULE",
  "INGRESS_FROM_INTERNET",
  "INGRESS_FROM_ALL_NAMESPACES",
  "EGRESS_TO_INTERNET",
  "POD_IP_IN_EXTERNAL_IPBLOCK",
  "RULE_SHADOWED_BY_ADMIN_TIER",
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/**
 * An object a finding is about: a workload (its kind), a Namespace, a NetworkPolicy (with the field),
 * a Pod, or a cluster-scoped tiered policy (namespace "", with the rule in field).
 */
export interface FindingObject {
  readonly kind: string;
  /** "" for a Namespace (its name is `name`). */
  readonly namespace: string;
  readonly name: string;
  /** For a policy: the rule or peer, e.g. `spec.ingress[0].from[1]`. */
  readonly field?: string;
  /** Where it came from (a manifest origin), when known. */
  readonly origin?: string;
}

export interface Finding {
  readonly kind: FindingKind;
  readonly severity: Severity;
  readonly direction?: Direction;
  /** The namespace the finding is about. */
  readonly namespace: string;
  /** One sentence: what is wrong, naming the objects. */
  readonly message: string;
  /** One line: how to fix it. */
  readonly hint: string;
  readonly objects: readonly FindingObject[];
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
