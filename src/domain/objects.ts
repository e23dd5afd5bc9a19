/**
 * The cluster objects kubereach keeps, normalised from whatever source observed them (informers,
 * manifests). Only the fields the analysis needs are kept (data minimisation: pod specs can carry
 * secrets in env literals). Policy specs are kept in Kubernetes' own JSON shape (`from`, not `_from`).
 */
import type { ContainerPortInput, WorkloadRef } from "../engine/index.js";
import { POLICY_KINDS, type PolicyKind } from "./kinds.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** How a change was observed; recorded with every revision. */
export type ObservedVia = "list" | "watch" | "relist" | "manifest";

// The kinds (one table, derived from the engine's model) live in kinds.ts; re-exported for the many readers of this file.
export { isTieredKind, OBJECT_KINDS, POLICY_KINDS, TIERED_POLICY_KINDS, type ObjectKind, type PolicyKind, type TieredPolicyKind } from "./kinds.js";

export interface ObjectMeta {
  readonly uid: string;
  readonly name: string;
  /** "" for cluster-scoped objects. */
  readonly namespace: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface NamespaceObject {
  readonly kind: "Namespace";
  readonly meta: ObjectMeta;
}

export interface PodObject {
  readonly kind: "Pod";
  readonly meta: ObjectMeta;
  readonly ip?: string;
  readonly hostNetwork: boolean;
  readonly containerPorts: readonly ContainerPortInput[];
  /** The workload the pod is reported as (its controller, climbed to the top), or the pod itself. */
  readonly workload: WorkloadRef;
}

export interface PolicyObject {
  readonly kind: PolicyKind;
  readonly meta: ObjectMeta;
  readonly spec: JsonValue;
}

export type ClusterObject = NamespaceObject | PodObject | PolicyObject;

export function isPolicyObject(o: ClusterObject): o is PolicyObject {
  return (POLICY_KINDS as readonly string[]).includes(o.kind);
}

/** `Kind ns/name` or `Kind name`, for logs and errors. */
export function describeObject(o: ClusterObject): string {
  return o.meta.namespace ? `${o.kind} ${o.meta.namespace}/${o.meta.name}` : `${o.kind} ${o.meta.name}`;
}
