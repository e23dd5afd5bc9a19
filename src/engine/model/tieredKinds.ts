/**
 * The cluster-scoped policy kinds the engine compiles, their API group and the versions accepted
 * per kind. A leaf with no imports: src/domain/kinds.ts builds the project's kind table from it
 * without loading the engine (`kubereach --help` must start without it; test/cli/startup.test.ts).
 */
export const TIERED_POLICY_KINDS = ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"] as const;
export type TieredPolicyKind = (typeof TIERED_POLICY_KINDS)[number];

export const POLICY_API_GROUP = "policy.networking.k8s.io";
/** apiVersions accepted per kind (v1beta1 ClusterNetworkPolicy has the v1alpha2 schema). */
export const TIERED_API_VERSIONS: Readonly<Record<TieredPolicyKind, readonly string[]>> = {
  AdminNetworkPolicy: [`${POLICY_API_GROUP}/v1alpha1`],
  BaselineAdminNetworkPolicy: [`${POLICY_API_GROUP}/v1alpha1`],
  ClusterNetworkPolicy: [`${POLICY_API_GROUP}/v1alpha2`, `${POLICY_API_GROUP}/v1beta1`],
};
