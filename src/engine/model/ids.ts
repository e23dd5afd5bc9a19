/**
 * Identities of the things the engine reasons about. Keys are built in exactly one place each and
 * never parsed back: keep the ref next to the key. Display strings come from the format* functions.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type WorkloadKey = Brand<string, "WorkloadKey">;
export type PodKey = Brand<string, "PodKey">;
export type PolicyKey = Brand<string, "PolicyKey">;

/** Kinds kubereach reports pods as. Live clusters may have other controllers, so any string is allowed. */
export const KNOWN_WORKLOAD_KINDS = [
  "Pod",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "ReplicationController",
  "Job",
  "CronJob",
] as const;
export type WorkloadKind = (typeof KNOWN_WORKLOAD_KINDS)[number] | (string & {});

export interface WorkloadRef {
  readonly namespace: string;
  readonly kind: WorkloadKind;
  readonly name: string;
}

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

/** A policy of any tier: `kind` tells NetworkPolicy from the cluster-scoped kinds (namespace is "" for those). */
export interface PolicyRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export function workloadKey(ref: WorkloadRef): WorkloadKey {
  return `${ref.kind}/${ref.namespace}/${ref.name}` as WorkloadKey;
}

export function podKey(ref: PodRef): PodKey {
  return `${ref.namespace}/${ref.name}` as PodKey;
}

export function policyKey(ref: PolicyRef): PolicyKey {
  return `${ref.kind}/${ref.namespace}/${ref.name}` as PolicyKey;
}

/** `ns/name[Kind]`, the endpoint notation netpol-analyzer users know. */
export function formatWorkload(ref: WorkloadRef): string {
  return `${ref.namespace}/${ref.name}[${ref.kind}]`;
}

export function formatPolicy(ref: PolicyRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}
