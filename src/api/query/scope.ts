/**
 * What a caller may see: the ONE visibility rule of the API. Every route (GraphQL, exports, chat,
 * subscriptions, what-if, findings, explanations) asks these functions; none decides on its own.
 *
 * The rule, for a token scoped to namespaces:
 * 1. A namespaced object (workload, pod, NetworkPolicy, revision) is visible iff its namespace is
 *    in scope; a Namespace iff its name is. External address ranges belong to no namespace and
 *    stay visible.
 * 2. Cluster-scoped objects (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy
 *    and their revisions) are visible only to tokens for all namespaces.
 * 3. An answer about visible objects never names or counts invisible ones: a connection row needs
 *    both ends visible; an explanation reports a cluster-scoped tier's decision by tier and action
 *    only (no name, priority, rule or peer); a finding names and counts only visible pods and
 *    namespaces, and is shown only when every object it lists is visible.
 * Outside the caller's namespaces looks exactly like "does not exist".
 */
import type { ExplainOptions, Finding, FindingObject } from "../../engine/index.js";

export type Scope = { readonly all: true; readonly principal: string } | { readonly all: false; readonly principal: string; readonly namespaces: ReadonlySet<string> };

export const FULL_SCOPE: Scope = { all: true, principal: "local" };

/** Rule 1 for a namespace name. */
export function inScope(scope: Scope, namespace: string): boolean {
  return scope.all || scope.namespaces.has(namespace);
}

/** Rules 1 and 2 for any object: `namespace` "" means cluster-scoped (a Namespace is judged by its name). */
export function canSeeObject(scope: Scope, o: { readonly kind?: string; readonly namespace: string; readonly name?: string }): boolean {
  if (o.kind === "Namespace") return o.name !== undefined && inScope(scope, o.name);
  return o.namespace === "" ? scope.all : inScope(scope, o.namespace);
}

/** Rule 2: whether cluster-scoped policies may be named and shown. */
export function canSeeClusterScoped(scope: Scope): boolean {
  return scope.all;
}

/** Rule 3 for explanations (canConnect, chat). */
export function explainOptions(scope: Scope): ExplainOptions {
  return { showClusterScoped: canSeeClusterScoped(scope) };
}

/** Rule 3 for findings: what the engine may name and count (pass to findings()). */
export function findingsVisibility(scope: Scope): ((namespace: string) => boolean) | undefined {
  return scope.all ? undefined : (namespace) => inScope(scope, namespace);
}

/** Rule 3 for findings: shown only when every object it lists is visible. */
export function canSeeFinding(scope: Scope, f: Pick<Finding, "objects">): boolean {
  return f.objects.every((o: FindingObject) => canSeeObject(scope, o));
}

/** A stable key of what a scope sees, for caches of scoped answers. */
export function scopeKey(scope: Scope): string {
  return scope.all ? "*" : [...scope.namespaces].sort().join("\u0000");
}
