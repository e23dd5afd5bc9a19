/**
 * What the engine is fed: plain data in Kubernetes' own shapes, already read from a cluster or from
 * manifests by src/sync. Nothing here has been validated yet; compileWorld does that and reports
 * problems as diagnostics.
 */
import type { WorkloadRef } from "./ids.js";

export type Labels = Readonly<Record<string, string>>;

export interface NamespaceInput {
  readonly name: string;
  readonly labels?: Labels;
  /** Opaque to the engine: echoed in diagnostics so callers can name the file or object it came from. */
  readonly origin?: string;
}

export interface ContainerPortInput {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol?: string;
}

export interface PodInput {
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Labels;
  /** `status.podIP`; absent for pods not yet scheduled and for pod templates read from manifests. */
  readonly ip?: string;
  readonly hostNetwork?: boolean;
  /** Ports of `spec.containers` (init containers do not count, as upstream). */
  readonly containerPorts?: readonly ContainerPortInput[];
  /** The workload this pod is reported as; defaults to the pod itself (`kind: "Pod"`). */
  readonly workload?: WorkloadRef;
  readonly origin?: string;
}

/** `spec` of a networking.k8s.io/v1 NetworkPolicy, as Kubernetes serialises it (unvalidated). */
export interface NetworkPolicySpecInput {
  readonly podSelector?: unknown;
  readonly policyTypes?: unknown;
  readonly ingress?: unknown;
  readonly egress?: unknown;
}

export interface NetworkPolicyInput {
  readonly namespace: string;
  readonly name: string;
  readonly spec: NetworkPolicySpecInput | unknown;
  readonly origin?: string;
}

/**
 * A cluster-scoped policy of the tiers around NetworkPolicy: `AdminNetworkPolicy` and
 * `BaselineAdminNetworkPolicy` (policy.networking.k8s.io/v1alpha1) or `ClusterNetworkPolicy`
 * (v1alpha2, or v1beta1 which has the same schema). The spec is compiled according to `kind`;
 * `apiVersion` is checked against it when given.
 */
export interface TieredPolicyInput {
  readonly kind: string;
  readonly apiVersion?: string;
  readonly name: string;
  readonly spec: unknown;
  readonly origin?: string;
}

export interface WorldInput {
  readonly namespaces: readonly NamespaceInput[];
  readonly pods: readonly PodInput[];
  readonly networkPolicies: readonly NetworkPolicyInput[];
  /** Cluster-scoped tiered policies; absent means none. */
  readonly tieredPolicies?: readonly TieredPolicyInput[];
}
