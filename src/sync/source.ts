/**
 * A ClusterSource observes a cluster (or a manifest tree) and reports what it sees to a handler.
 * Contract for implementations:
 * - `list` delivers a COMPLETE listing of one kind (on the initial list, every relist, and every
 *   manifest re-read); the handler reconciles against it by uid, so objects missing from it were
 *   deleted while nobody watched.
 * - `upsert`/`remove` deliver individual watch events, in the order the source received them.
 * - Delivery may repeat (a relist after a watch event for the same resourceVersion): handlers are
 *   idempotent, keyed by uid and resourceVersion.
 * - `start` resolves once the initial listing of every kind has been delivered (the "synced"
 *   point readiness gates on) and rejects only for configuration errors; transient failures are
 *   retried with backoff and reported through `status()`.
 */
import type { ClusterObject, ObjectKind } from "../domain/objects.js";

export interface SourceHandler {
  list(kind: ObjectKind, objects: readonly ClusterObject[], via: "list" | "relist" | "manifest"): Promise<void>;
  upsert(object: ClusterObject): Promise<void>;
  remove(object: ClusterObject): Promise<void>;
}

export interface KindStatus {
  readonly kind: ObjectKind;
  /** A watch (or file watcher) is currently open and delivering. */
  readonly watching: boolean;
  readonly synced: boolean;
  readonly lastEventAt?: Date;
  readonly restarts: number;
  readonly relists: number;
  /** What currently keeps the kind from being current; cleared once a list or watch works again. */
  readonly lastError?: string;
  /** The last failure, kept after recovery (for diagnosis; not a current error). */
  readonly lastFailure?: string;
  readonly lastFailureAt?: Date;
  /** An optional kind (a CRD such as AdminNetworkPolicy) the cluster does not serve: normal, not an error; it counts as synced and empty. */
  readonly notServed?: boolean;
  /**
   * Where the kind's list/watch loop is (live sources; see docs/sync-health.md):
   * listing, watching, reconnecting (a watch ended normally, re-watching), backoff (waiting after a
   * failure), notServed, forbidden (RBAC refuses list or watch), stopped.
   */
  readonly state?: KindState;
  readonly stateSince?: Date;
  /** Since when the kind has not been current with its source (first failure not yet followed by an open watch). */
  readonly unhealthySince?: Date;
  /** A kind that may be absent (the tiered-policy CRDs): not being able to read it does not block the sync. */
  readonly optional?: boolean;
  /** The permission the API server refused (401/403), when that is why the kind cannot be read. */
  readonly forbidden?: KindPermission;
}

export type KindState = "listing" | "watching" | "reconnecting" | "backoff" | "notServed" | "forbidden" | "stopped";

/** An RBAC permission kubereach needs: `verb` on `resource` in API `group` ("" for the core group). */
export interface KindPermission {
  readonly verb: string;
  readonly resource: string;
  readonly group: string;
}

/**
 * Why the source cannot complete a sync for lack of permissions: a REQUIRED kind (namespaces, pods,
 * networkpolicies) the API server refuses (401/403). Optional kinds are skipped instead. Undefined
 * when no required kind is refused.
 */
export function requiredPermissionProblem(status: SourceStatus): string | undefined {
  const refused = status.kinds.filter((k) => !k.optional && k.forbidden);
  if (!refused.length) return undefined;
  const perms = refused.map((k) => `${k.forbidden!.verb} ${k.forbidden!.resource}${k.forbidden!.group ? `.${k.forbidden!.group}` : ""}`);
  const detail = refused.map((k) => k.lastError).filter(Boolean)[0];
  return `the Kubernetes API server refuses ${perms.join(", ")} to kubereach's credentials (${status.description}); grant list and watch on namespaces, pods and networkpolicies.networking.k8s.io (deploy/ has the ClusterRole)${detail ? `: ${detail}` : ""}`;
}

/** "list pods (group \"\")", the way RBAC rules spell it. */
export function describePermission(p: KindPermission): string {
  return `${p.verb} ${p.resource}${p.group ? `.${p.group}` : ""} (ClusterRole rule: apiGroups ["${p.group}"], resources ["${p.resource}"], verbs ["list", "watch"])`;
}

export interface SourceStatus {
  readonly description: string;
  /** A problem of the whole source (a manifest tree that cannot be applied), reported once rather than per kind. */
  readonly lastError?: string;
  readonly kinds: readonly KindStatus[];
}

export interface ClusterSource {
  /** Human description: `kubeconfig ~/.kube/config context prod`, `manifests ./policies`. */
  readonly description: string;
  start(handler: SourceHandler): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus;
}
