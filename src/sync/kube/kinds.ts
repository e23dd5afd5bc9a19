/**
 * The collections the Kubernetes source watches: one entry per ObjectKind, with the watch path and
 * the list call for it. Adding a kind is one more entry here plus its case in toClusterObject.
 * Kinds, groups, versions and resources come from domain/kinds.ts.
 * The cluster-scoped tiers are CRDs (policy.networking.k8s.io), listed through CustomObjectsApi;
 * many clusters do not serve them, so they are `optional`: a 404 means "not installed", not a failure.
 */
import * as k8s from "@kubernetes/client-node";
import { KINDS, TIERED_POLICY_KINDS, type ObjectKind } from "../../domain/kinds.js";
import { statusOf } from "./status.js";

export type KubeList = k8s.KubernetesListObject<k8s.KubernetesObject>;

export interface KindSpec {
  readonly kind: ObjectKind;
  /** Cluster-wide collection path, watched with `?watch=true&resourceVersion=...`. */
  readonly path: string;
  /** The RBAC resource and API group ("" for core): what a 403 names. */
  readonly resource: string;
  readonly group: string;
  /** Lists the whole collection; `signal` aborts the request (stop, list timeout). */
  list(signal: AbortSignal): Promise<KubeList>;
  /**
   * A CRD the cluster may not serve: a 404 on the list is delivered as an empty listing (none of
   * these objects exist) and the collection is looked for again every `absentRetryMs`, without an error.
   */
  readonly optional?: boolean;
}

/**
 * The tiered policy CRDs (domain/kinds.ts): kind, API versions (preferred first) and plural of each
 * collection. ClusterNetworkPolicy moved from v1alpha2 to v1beta1 upstream; a cluster serves one or
 * both, and both carry the same schema, so the newest one served is read.
 */
export const TIERED_POLICY_RESOURCES = TIERED_POLICY_KINDS.map((kind) => {
  const k = KINDS[kind];
  return { kind, group: k.group, versions: k.versions, plural: k.resource };
});

/** The collection path of a kind at a version, cluster-wide. */
function collectionPath(kind: ObjectKind, version = KINDS[kind].versions[0]!): string {
  const { group, resource } = KINDS[kind];
  return group ? `/apis/${group}/${version}/${resource}` : `/api/${version}/${resource}`;
}

export function kindSpecs(kc: k8s.KubeConfig): KindSpec[] {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const networking = kc.makeApiClient(k8s.NetworkingV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  return [
    { ...builtIn("Namespace"), list: (signal) => listInPages((page) => core.listNamespace(page, withSignal(signal))) },
    { ...builtIn("Pod"), list: (signal) => listInPages((page) => core.listPodForAllNamespaces(page, withSignal(signal))) },
    { ...builtIn("NetworkPolicy"), list: (signal) => listInPages((page) => networking.listNetworkPolicyForAllNamespaces(page, withSignal(signal))) },
    ...TIERED_POLICY_RESOURCES.map((r) => crdSpec(r, custom)),
  ];
}

/** What a built-in kind's KindSpec reads from the kind table. */
function builtIn(kind: "Namespace" | "Pod" | "NetworkPolicy"): Pick<KindSpec, "kind" | "path" | "resource" | "group"> {
  return { kind, path: collectionPath(kind), resource: KINDS[kind].resource, group: KINDS[kind].group };
}

/**
 * A CRD collection served at one of several versions: each list tries them in order of preference
 * and the first one served answers; `path` (what the watch after it opens) follows the version that
 * answered last. A 404 from every version is the kind not being served.
 */
function crdSpec(r: (typeof TIERED_POLICY_RESOURCES)[number], custom: k8s.CustomObjectsApi): KindSpec {
  const pathOf = (version: string) => collectionPath(r.kind, version);
  let served: string = r.versions[0]!;
  return {
    kind: r.kind,
    resource: r.plural,
    group: r.group,
    get path() {
      return pathOf(served);
    },
    optional: true,
    async list(signal) {
      let notFound: unknown;
      for (const version of r.versions) {
        try {
          const list = await listInPages((page) => custom.listClusterCustomObject({ group: r.group, version, plural: r.plural, ...page }, withSignal(signal)) as Promise<KubeList>);
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

/** Items per list page, as client-go's reflector asks (a 10k-pod cluster is 20 requests, not one 38 MB answer). */
export const LIST_PAGE_SIZE = 500;

interface Page {
  limit: number;
  _continue?: string;
}

/**
 * Lists a collection in pages of LIST_PAGE_SIZE, following `metadata.continue`. The pages form one
 * consistent snapshot at the first page's resourceVersion, which the listing carries. A continue
 * token that expired (410, the list took longer than the compaction window) falls back to one
 * unpaged list, as client-go's pager does.
 */
export async function listInPages(fetchPage: (page: Page) => Promise<KubeList>): Promise<KubeList> {
  const first = await fetchPage({ limit: LIST_PAGE_SIZE });
  let cont = first.metadata?._continue ?? (first.metadata as { continue?: string } | undefined)?.continue;
  if (!cont) return first;
  const items = [...(first.items ?? [])];
  while (cont) {
    let page: KubeList;
    try {
      page = await fetchPage({ limit: LIST_PAGE_SIZE, _continue: cont });
    } catch (err) {
      if (statusOf(err) !== 410) throw err;
      return fetchPage({ limit: 0 });
    }
    for (const item of page.items ?? []) items.push(item);
    cont = page.metadata?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue;
  }
  return { ...first, items, metadata: { ...first.metadata, _continue: undefined } };
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
