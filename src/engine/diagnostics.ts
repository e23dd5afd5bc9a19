/**
 * Problems found while compiling input, returned as data. After compilation evaluation cannot fail.
 * `error` means Kubernetes itself would reject the object (it is left out of the world);
 * `warning` means the object is accepted but probably not what its author meant.
 */
export type DiagnosticSeverity = "error" | "warning";

export type DiagnosticCode =
  | "INVALID_OBJECT"
  | "INVALID_SELECTOR"
  | "INVALID_CIDR"
  | "INVALID_EXCEPT"
  | "INVALID_PEER"
  | "INVALID_PORT"
  | "INVALID_END_PORT"
  | "INVALID_PROTOCOL"
  | "INVALID_POLICY_TYPE"
  | "INVALID_IP"
  | "DUPLICATE_OBJECT"
  // Cluster-scoped tiers (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy).
  | "INVALID_TIER"
  | "INVALID_PRIORITY"
  | "INVALID_SUBJECT"
  | "INVALID_ACTION"
  | "INVALID_NAME"
  /** Two policies of one tier share a priority: their order is implementation-defined (warning). */
  | "PRIORITY_TIE"
  /** A `nodes` or `domainNames` peer: kubereach cannot resolve it, and answers UNKNOWN where it matters (warning). */
  | "UNRESOLVED_PEER"
  /** A peer of a kind kubereach does not know (a newer CRD): the rule fails closed, as the API asks (warning). */
  | "UNSUPPORTED_PEER"
  /** A what-if deletes an object the base state does not have: nothing is deleted (warning). */
  | "NOT_IN_BASE";

export interface Diagnostic {
  readonly severity: DiagnosticSeverity;
  readonly code: DiagnosticCode;
  /** What the object is, e.g. `NetworkPolicy prod/db-allow` or `Pod shop/web-1`. */
  readonly object: string;
  /** Path of the offending field inside the object, e.g. `spec.ingress[0].from[1].ipBlock.cidr`. */
  readonly field: string;
  readonly message: string;
  /** The caller's `origin` of the object (file and document, or API path). */
  readonly origin?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.origin ? `${d.origin}: ` : "";
  return `${where}${d.severity}: ${d.object}: ${d.field}: ${d.message}`;
}
