/**
 * What a caller may see: the ONE visibility rule of kubereach. Every route (GraphQL, exports, chat,
 * subscriptions, what-if, findings, explanations, history impacts, status) asks these functions;
 * none reads `scope.all` or `scope.namespaces` on its own.
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
 *    namespaces, and is shown only when every object it lists is visible; totals, sync error texts
 *    and "complete" claims about the whole cluster are for tokens for all namespaces only.
 * Outside the caller's namespaces looks exactly like "does not exist".
 */
import type { ConnEndpoint, ExplainOptions, Finding, FindingObject } from "../engine/index.js";
import type { ImpactEndpoint } from "./impacts.js";

export type Scope = { readonly all: true; readonly principal: string } | { readonly all: false; readonly principal: string; readonly namespaces: ReadonlySet<string> };

export const FULL_SCOPE: Scope = { all: true, principal: "local" };

/** Rule 1 for a namespace name. */
export function inScope(scope: Scope, namespace: string): boolean {
  return scope.all || scope.namespaces.has(namespace);
}

/** Whether an object is cluster-scoped: no namespace, and not a Namespace (which is judged by its name). */
export function isClusterScoped(o: { readonly kind?: string; readonly namespace: string }): boolean {
  return o.namespace === "" && o.kind !== "Namespace";
}

/** Rules 1 and 2 for any object: `namespace` "" means cluster-scoped (a Namespace is judged by its name). */
export function canSeeObject(scope: Scope, o: { readonly kind?: string; readonly namespace: string; readonly name?: string }): boolean {
  if (o.kind === "Namespace") return o.name !== undefined && inScope(scope, o.name);
  return isClusterScoped(o) ? canSeeClusterScoped(scope) : inScope(scope, o.namespace);
}

/** Rule 2: whether cluster-scoped policies may be named and shown. */
export function canSeeClusterScoped(scope: Scope): boolean {
  return scope.all;
}

/**
 * Rule 3 for facts about the whole cluster: totals over every namespace, sync error texts (they
 * name objects of any namespace), an export's claim to be complete. Also what a what-if needs to
 * touch every namespace.
 */
export function seesAllNamespaces(scope: Scope): boolean {
  return scope.all;
}

/** The namespaces a scoped token sees, sorted; null for a token for all namespaces. */
export function scopeNamespaces(scope: Scope): string[] | null {
  return scope.all ? null : [...scope.namespaces].sort();
}

/** Rule 1 for a connection endpoint: a workload by its namespace; an external range always. */
export function canSeeEndpoint(scope: Scope, e: ConnEndpoint | ImpactEndpoint): boolean {
  if ("ref" in e) return inScope(scope, e.ref.namespace);
  if ("range" in e) return true;
  return e.type === "external" || inScope(scope, e.namespace);
}

/** Rule 3 for a connection row (connectivity, impact, what-if): visible when both ends are. */
export function canSeeConnection(scope: Scope, r: { readonly src: ConnEndpoint; readonly dst: ConnEndpoint }): boolean {
  return canSeeEndpoint(scope, r.src) && canSeeEndpoint(scope, r.dst);
}

/** Rule 3 for a reachability impact row, by its structured endpoint refs. */
export function canSeeImpactRow(scope: Scope, r: { readonly srcRef: ImpactEndpoint; readonly dstRef: ImpactEndpoint }): boolean {
  return canSeeEndpoint(scope, r.srcRef) && canSeeEndpoint(scope, r.dstRef);
}

/** Rule 3 for a count: the cluster-wide total for a token for all namespaces, else what it is shown. */
export function visibleTotal(scope: Scope, total: number, shown: number): number {
  return seesAllNamespaces(scope) ? total : shown;
}

/** Rule 3 for explanations (canConnect, chat). */
export function explainOptions(scope: Scope): ExplainOptions {
  return { showClusterScoped: canSeeClusterScoped(scope), podVisible: (pod) => inScope(scope, pod.namespace.name) };
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
