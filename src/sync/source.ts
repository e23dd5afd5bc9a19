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
import type { ClusterObject, ObjectKind } from "./objects.js";

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
  readonly lastError?: string;
  /** An optional kind (a CRD such as AdminNetworkPolicy) the cluster does not serve: normal, not an error; it counts as synced and empty. */
  readonly notServed?: boolean;
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
