/**
 * The compiled world behind a stored generation, rebuilt from the object versions of that
 * generation and kept for a few generations (they are immutable; server.cache.worlds). Explanations and the
 * namespace/workload/policy views read it, so they describe exactly the state the stored matrix
 * of the same generation was computed from.
 */
import { compileWorld, policyKey, workloadKey, type CompiledPod, type CompiledWorld, type PolicyKey, type WorkloadKey, type WorkloadRef } from "../../engine/index.js";
import { DEFAULT_CACHE_SIZES } from "../../domain/config.js";
import type { Store } from "../../domain/repositories.js";
import { ClusterState } from "../../domain/ClusterState.js";
import { isPolicyObject, type ClusterObject, type PolicyObject } from "../../domain/objects.js";
import { cacheKey, lruCache, sharedLoad } from "./caches.js";

export interface WorkloadEntry {
  readonly ref: WorkloadRef;
  readonly pods: readonly CompiledPod[];
  /** Labels every pod of the workload carries. */
  readonly labels: Readonly<Record<string, string>>;
}

export interface WorldSnapshot {
  readonly cluster: string;
  readonly generation: number;
  readonly world: CompiledWorld;
  readonly workloads: readonly WorkloadEntry[];
  readonly workloadByKey: ReadonlyMap<WorkloadKey, WorkloadEntry>;
  /** Policy objects of every tier by policyKey (kind/namespace/name): uid, resourceVersion, spec as stored. */
  readonly policyObjects: ReadonlyMap<PolicyKey, PolicyObject>;
}

export class WorldCache {
  private readonly entries;

  constructor(
    private readonly store: Pick<Store, "objects">,
    /** Worlds kept, the most recently used (server.cache.worlds). */
    capacity: number = DEFAULT_CACHE_SIZES.worlds,
  ) {
    this.entries = lruCache<Promise<WorldSnapshot>>(capacity);
  }

  get(cluster: string, generation: number): Promise<WorldSnapshot> {
    return sharedLoad(this.entries, cacheKey(cluster, generation), () => this.load(cluster, generation));
  }

  private async load(cluster: string, generation: number): Promise<WorldSnapshot> {
    const objects = await this.store.objects.loadObjectsAt(cluster, generation);
    return buildSnapshot(cluster, generation, objects);
  }
}

export function buildSnapshot(cluster: string, generation: number, objects: readonly ClusterObject[]): WorldSnapshot {
  const { world } = compileWorld(ClusterState.from(objects).toWorldInput());
  const byWorkload = new Map<WorkloadKey, { ref: WorkloadRef; pods: CompiledPod[] }>();
  for (const pod of world.pods) {
    const k = workloadKey(pod.workload);
    const e = byWorkload.get(k) ?? { ref: pod.workload, pods: [] };
    e.pods.push(pod);
    byWorkload.set(k, e);
  }
  const workloads = [...byWorkload.values()]
    .map((w) => ({ ...w, labels: commonLabels(w.pods) }))
    .sort((a, b) => (`${a.ref.namespace}/${a.ref.name}/${a.ref.kind}` < `${b.ref.namespace}/${b.ref.name}/${b.ref.kind}` ? -1 : 1));
  const policyObjects = new Map<PolicyKey, PolicyObject>();
  for (const o of objects) if (isPolicyObject(o)) policyObjects.set(policyKey({ kind: o.kind, namespace: o.meta.namespace, name: o.meta.name }), o);
  return { cluster, generation, world, workloads, workloadByKey: new Map(workloads.map((w) => [workloadKey(w.ref), w])), policyObjects };
}

function commonLabels(pods: readonly CompiledPod[]): Record<string, string> {
  const [first, ...rest] = pods;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first.labels)) if (rest.every((p) => p.labels[k] === v)) out[k] = v;
  return out;
}
