/**
 * The collections the Kubernetes source watches: one entry per ObjectKind, with the watch path and
 * the list call for it. Adding a kind (e.g. AdminNetworkPolicy through CustomObjectsApi at
 * /apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies) is one more entry here plus its
 * case in toClusterObject.
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
}

export function kindSpecs(kc: k8s.KubeConfig): KindSpec[] {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const networking = kc.makeApiClient(k8s.NetworkingV1Api);
  return [
    { kind: "Namespace", path: "/api/v1/namespaces", list: (signal) => core.listNamespace({}, withSignal(signal)) },
    { kind: "Pod", path: "/api/v1/pods", list: (signal) => core.listPodForAllNamespaces({}, withSignal(signal)) },
    { kind: "NetworkPolicy", path: "/apis/networking.k8s.io/v1/networkpolicies", list: (signal) => networking.listNetworkPolicyForAllNamespaces({}, withSignal(signal)) },
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
