/**
 * What the informer's cache keeps of an object: its name, namespace and resourceVersion.
 *
 * @kubernetes/client-node 1.4.0's ListWatch keeps every object it was given (by namespace and name)
 * and reads only those three fields of it: the cache key, and `isSameVersion` (an ADDED/MODIFIED
 * of the version it holds fires no callback); a relist's diff and a DELETED event need only the
 * key. kubereach never reads the cache: each object is mapped to a ClusterObject as it arrives and
 * the sync keeps that. A full object in the cache is memory held for nothing: a deserialised V1Pod
 * of the bench's small pods is ~1.8 KB, a real pod (status, managedFields, env, volumes) many
 * times that, so 150,000 pods cost hundreds of megabytes to gigabytes; an entry is ~100 bytes.
 */
import type { KubernetesObject } from "@kubernetes/client-node";

export interface CacheEntry extends KubernetesObject {
  readonly metadata: { readonly name: string | undefined; readonly namespace: string | undefined; readonly resourceVersion: string | undefined };
}

/** One shape for every entry (absent fields undefined): ~100 bytes each. */
export function cacheEntryOf(object: KubernetesObject): CacheEntry {
  const m = object.metadata;
  return { metadata: { name: m?.name, namespace: m?.namespace, resourceVersion: m?.resourceVersion } };
}
