/**
 * The collections the Kubernetes source watches: one entry per ObjectKind, with the watch path and
 * the list call for it. Adding a kind is one more entry here plus its case in toClusterObject.
 * The cluster-scoped tiers are CRDs (policy.networking.k8s.io), listed through CustomObjectsApi;
 * many clusters do not serve them, so they are `optional`: a 404 means "not installed", not a failure.
 */
import * as k8s from "@kubernetes/client-node";
import type { ObjectKind } from "../objects.js";
import { statusOf } from "./status.js";

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

/**
 * The tiered policy CRDs: kind, API versions (preferred first) and plural of each collection.
 * ClusterNetworkPolicy moved from v1alpha2 to v1beta1 upstream; a cluster serves one or both, and
 * both carry the same schema, so the newest one served is read.
 */
export const TIERED_POLICY_RESOURCES = [
  { kind: "AdminNetworkPolicy", group: "policy.networking.k8s.io", versions: ["v1alpha1"], plural: "adminnetworkpolicies" },
  { kind: "BaselineAdminNetworkPolicy", group: "policy.networking.k8s.io", versions: ["v1alpha1"], plural: "baselineadminnetworkpolicies" },
  { kind: "ClusterNetworkPolicy", group: "policy.networking.k8s.io", versions: ["v1beta1", "v1alpha2"], plural: "clusternetworkpolicies" },
] as const satisfies readonly { kind: ObjectKind; group: string; versions: readonly string[]; plural: string }[];

export function kindSpecs(kc: k8s.KubeConfig): KindSpec[] {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const networking = kc.makeApiClient(k8s.NetworkingV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  return [
    { kind: "Namespace", path: "/api/v1/namespaces", list: (signal) => core.listNamespace({}, withSignal(signal)) },
    { kind: "Pod", path: "/api/v1/pods", list: (signal) => core.listPodForAllNamespaces({}, withSignal(signal)) },
    { kind: "NetworkPolicy", path: "/apis/networking.k8s.io/v1/networkpolicies", list: (signal) => networking.listNetworkPolicyForAllNamespaces({}, withSignal(signal)) },
    ...TIERED_POLICY_RESOURCES.map((r) => crdSpec(r, custom)),
  ];
}

/**
 * A CRD collection served at one of several versions: each list tries them in order of preference
 * and the first one served answers; `path` (what the watch after it opens) follows the version that
 * answered last. A 404 from every version is the kind not being served.
 */
function crdSpec(r: (typeof TIERED_POLICY_RESOURCES)[number], custom: k8s.CustomObjectsApi): KindSpec {
  const pathOf = (version: string) => `/apis/${r.group}/${version}/${r.plural}`;
  let served: string = r.versions[0];
  return {
    kind: r.kind,
    get path() {
      return pathOf(served);
    },
    optional: true,
    async list(signal) {
      let notFound: unknown;
      for (const version of r.versions) {
        try {
          const list = (await custom.listClusterCustomObject({ group: r.group, version, plural: r.plural }, withSignal(signal))) as KubeList;
          served = version;
          return list;
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
          notFound = err;
        }
      }
      throw notFound;
    },
  };
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
