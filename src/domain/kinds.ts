/**
 * The kinds of cluster objects kubereach keeps, in one table: which kinds exist, which are policies,
 * which are the cluster-scoped tiers, and for each its API group, served versions (preferred first)
 * and REST resource. The tiered kinds, their API group and the versions the engine compiles come from
 * the engine's model (src/engine/compile); the manifest reader (sync/manifests/kinds.ts) and the
 * Kubernetes source (sync/kube/kinds.ts) derive what they match and watch from this table.
 */
// The engine's leaf module rather than its index: the CLI reads this table for --help, before any engine.
import { POLICY_API_GROUP, TIERED_API_VERSIONS, TIERED_POLICY_KINDS as ENGINE_TIERED_POLICY_KINDS, type TieredPolicyKind } from "../engine/model/tieredKinds.js";

/** The cluster-scoped policy kinds (the tiers around NetworkPolicy), as the engine compiles them. */
export const TIERED_POLICY_KINDS = ENGINE_TIERED_POLICY_KINDS;
export type { TieredPolicyKind };
/** The API group of the tiered policies. */
export const TIERED_POLICY_GROUP = POLICY_API_GROUP;

/**
 * Kinds of policy objects: the namespaced NetworkPolicy and the cluster-scoped tiers. All are stored
 * alike (namespace "" for the cluster-scoped ones), get revisions and reachability impacts alike.
 */
export const POLICY_KINDS = ["NetworkPolicy", ...TIERED_POLICY_KINDS] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export const OBJECT_KINDS = ["Namespace", "Pod", ...POLICY_KINDS] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export function isTieredKind(kind: string): kind is TieredPolicyKind {
  return (TIERED_POLICY_KINDS as readonly string[]).includes(kind);
}

export interface KindInfo {
  readonly kind: ObjectKind;
  /** The API group, "" for the core group. */
  readonly group: string;
  /** The versions read, preferred (newest) first. */
  readonly versions: readonly string[];
  /** The REST resource (plural): what a collection path and an RBAC rule name. */
  readonly resource: string;
  readonly clusterScoped: boolean;
  /** Installed by a CRD, which many clusters do not serve. */
  readonly crd: boolean;
}

/** The REST resources of the tiers (the engine knows kinds, not resources). */
const TIERED_RESOURCES: Readonly<Record<TieredPolicyKind, string>> = {
  AdminNetworkPolicy: "adminnetworkpolicies",
  BaselineAdminNetworkPolicy: "baselineadminnetworkpolicies",
  ClusterNetworkPolicy: "clusternetworkpolicies",
};

function tieredKindInfo(kind: TieredPolicyKind): KindInfo {
  const versions = TIERED_API_VERSIONS[kind].map((v) => v.slice(v.indexOf("/") + 1));
  return { kind, group: TIERED_POLICY_GROUP, versions: [...versions].sort(compareVersionPreference), resource: TIERED_RESOURCES[kind], clusterScoped: true, crd: true };
}

export const KINDS: Readonly<Record<ObjectKind, KindInfo>> = {
  Namespace: { kind: "Namespace", group: "", versions: ["v1"], resource: "namespaces", clusterScoped: true, crd: false },
  Pod: { kind: "Pod", group: "", versions: ["v1"], resource: "pods", clusterScoped: false, crd: false },
  NetworkPolicy: { kind: "NetworkPolicy", group: "networking.k8s.io", versions: ["v1"], resource: "networkpolicies", clusterScoped: false, crd: false },
  AdminNetworkPolicy: tieredKindInfo("AdminNetworkPolicy"),
  BaselineAdminNetworkPolicy: tieredKindInfo("BaselineAdminNetworkPolicy"),
  ClusterNetworkPolicy: tieredKindInfo("ClusterNetworkPolicy"),
};

/** `group/version` (`version` alone for the core group) of a kind's preferred version. */
export function preferredApiVersion(kind: ObjectKind): string {
  const { group, versions } = KINDS[kind];
  return group ? `${group}/${versions[0]}` : versions[0]!;
}

/**
 * Kubernetes' version priority (as `kubectl api-versions` sorts): GA before beta before alpha, then the
 * higher number first (v1beta1 before v1alpha2 before v1alpha1). Unknown shapes sort last, by name.
 */
export function compareVersionPreference(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    return [m[2] === undefined ? 0 : m[2] === "beta" ? 1 : 2, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return a < b ? -1 : a > b ? 1 : 0;
}
