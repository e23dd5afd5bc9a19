/**
 * The tiered-policy CRDs as the fake API server serves them (AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy v1alpha1, ClusterNetworkPolicy v1alpha2), and a builder for their objects.
 */
import type { KubeObject, ResourceDef } from "./fakeKubeApi.js";

export const TIER_RESOURCES: readonly ResourceDef[] = [
  { path: "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies", kind: "AdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", namespaced: false },
  { path: "/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies", kind: "BaselineAdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", namespaced: false },
  { path: "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies", kind: "ClusterNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha2", namespaced: false },
];

export function tiered(kind: string, name: string, spec: Record<string, unknown>): KubeObject {
  const apiVersion = TIER_RESOURCES.find((r) => r.kind === kind)!.apiVersion;
  return { apiVersion, kind, metadata: { name }, spec };
}

/** Every kind the sync watches, the tiered ones included. */
export const ALL_KINDS = ["Namespace", "Pod", "NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"] as const;
