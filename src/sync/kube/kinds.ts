/**
 * The collections the Kubernetes source watches: one entry per ObjectKind, with the watch path and
 * the list call for it. Adding a kind is one more entry here plus its case in toClusterObject.
 * The cluster-scoped tiers are CRDs (policy.networking.k8s.io), listed through CustomObjectsApi;
 * many clusters do not serve them, so they are `optional`: a 404 means "not installed", not a failure.
 */
import * as k8s from "@kubernetes/client-node";
import type { ObjectKind } from "../objects.js";

export type KubeList = k8s.KubernetesListObject<k8s.KubernetesObject>;

export interface KindSpec {
  readonly kind: ObjectKind;
  /** Cluster-wide collection path, watched with `?watch=true&resourceVersion=...`. */
  readonly path: string;
  /** Lists the whole collection; `signal` aborts the request (stop, list timeout). */
  list(signal: AbortSignal): Promise<KubeList>;
  /**
   * A CRD the cluster may not serve: a 404 on the list is delivered as an empty listing (none of
   * these objects exist) and the collection is looked for again every `absentRetryMs`, without an error.
   */
  readonly optional?: boolean;
}

/** The tiered policy CRDs: kind, API version and plural of each collection. */
export const TIERED_POLICY_RESOURCES = [
  { kind: "AdminNetworkPolicy", group: "policy.networking.k8s.io", version: "v1alpha1", plural: "adminnetworkpolicies" },
  { kind: "BaselineAdminNetworkPolicy", group: "policy.networking.k8s.io", version: "v1alpha1", plural: "baselineadminnetworkpolicies" },
  { kind: "ClusterNetworkPolicy", group: "policy.networking.k8s.io", version: "v1alpha2", plural: "clusternetworkpolicies" },
] as const satisfies readonly { kind: ObjectKind; group: string; version: string; plural: string }[];

export function kindSpecs(kc: k8s.KubeConfig): KindSpec[] {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const networking = kc.makeApiClient(k8s.NetworkingV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  return [
    { kind: "Namespace", path: "/api/v1/namespaces", list: (signal) => core.listNamespace({}, withSignal(signal)) },
    { kind: "Pod", path: "/api/v1/pods", list: (signal) => core.listPodForAllNamespaces({}, withSignal(signal)) },
    { kind: "NetworkPolicy", path: "/apis/networking.k8s.io/v1/networkpolicies", list: (signal) => networking.listNetworkPolicyForAllNamespaces({}, withSignal(signal)) },
    ...TIERED_POLICY_RESOURCES.map(
      (r): KindSpec => ({
        kind: r.kind,
        path: `/apis/${r.group}/${r.version}/${r.plural}`,
        optional: true,
        list: (signal) => custom.listClusterCustomObject({ group: r.group, version: r.version, plural: r.plural }, withSignal(signal)) as Promise<KubeList>,
      }),
    ),
  ];
}

/** Per-call options that attach an AbortSignal to the request (Observable middleware, as the object-parameter API expects). */
function withSignal(signal: AbortSignal): k8s.ConfigurationOptions {
  const middleware: k8s.ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      return new k8s.Observable(Promise.resolve(context));
    },
    post: (response) => new k8s.Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}
