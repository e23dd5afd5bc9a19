/**
 * The kinds the manifest reader turns into engine input, by API group (any version of the group:
 * the fields read are the same across versions), and where each workload keeps its pod template.
 * Everything else is ignored with a warning. NetworkPolicy is matched on the exact apiVersion so
 * that look-alikes (Calico's projectcalico.org/v3 NetworkPolicy) are not read as Kubernetes ones;
 * the tiered policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy) on
 * their API group, policy.networking.k8s.io.
 */
import { isTieredKind, preferredApiVersion, TIERED_POLICY_GROUP, TIERED_POLICY_KINDS } from "../../domain/kinds.js";

export type KindRole = "namespace" | "pod" | "workload" | "networkPolicy" | "tieredPolicy";

export interface KnownKind {
  readonly role: KindRole;
  /** Path of the pod template inside a workload object. */
  readonly templatePath?: readonly string[];
}

const TEMPLATE = ["spec", "template"] as const;
const JOB_TEMPLATE = ["spec", "jobTemplate", "spec", "template"] as const;

const KINDS: Readonly<Record<string, { readonly groups: readonly string[]; readonly kind: KnownKind }>> = {
  Namespace: { groups: [""], kind: { role: "namespace" } },
  Pod: { groups: [""], kind: { role: "pod" } },
  ReplicationController: { groups: [""], kind: { role: "workload", templatePath: TEMPLATE } },
  Deployment: { groups: ["apps", "extensions"], kind: { role: "workload", templatePath: TEMPLATE } },
  StatefulSet: { groups: ["apps"], kind: { role: "workload", templatePath: TEMPLATE } },
  DaemonSet: { groups: ["apps", "extensions"], kind: { role: "workload", templatePath: TEMPLATE } },
  ReplicaSet: { groups: ["apps", "extensions"], kind: { role: "workload", templatePath: TEMPLATE } },
  Job: { groups: ["batch"], kind: { role: "workload", templatePath: TEMPLATE } },
  CronJob: { groups: ["batch"], kind: { role: "workload", templatePath: JOB_TEMPLATE } },
};

export const NETWORK_POLICY_API_VERSION = preferredApiVersion("NetworkPolicy");

/** `apps/v1` -> `apps`; the core group (`v1`) is "". */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/**
 * The cluster-scoped tiers: AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) and
 * ClusterNetworkPolicy (v1alpha2, v1beta1), matched on their API group; the engine checks the version.
 */
export { TIERED_POLICY_GROUP };

export function classifyKind(apiVersion: string, kind: string): KnownKind | undefined {
  if (kind === "NetworkPolicy") return apiVersion === NETWORK_POLICY_API_VERSION ? { role: "networkPolicy" } : undefined;
  if (isTieredKind(kind)) return apiGroup(apiVersion) === TIERED_POLICY_GROUP ? { role: "tieredPolicy" } : undefined;
  const entry = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
  return entry && entry.groups.includes(apiGroup(apiVersion)) ? entry.kind : undefined;
}

/** Controllers whose pods are reported as themselves; a Node "owns" static (mirror) pods but is no workload. */
export function isWorkloadOwnerKind(kind: string): boolean {
  return kind !== "Node";
}

/** Named in the warning for an ignored object of the tiers' API group (e.g. an unknown kind of it). */
export const TIERED_KINDS_TEXT = `${TIERED_POLICY_KINDS.join(", ")} (${TIERED_POLICY_GROUP})`;

export const READ_KINDS_TEXT = `Namespace, Pod, ${Object.keys(KINDS)
  .filter((k) => k !== "Namespace" && k !== "Pod")
  .join(", ")} and ${NETWORK_POLICY_API_VERSION} NetworkPolicy`;
