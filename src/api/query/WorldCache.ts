/**
 * The compiled world behind a stored generation, rebuilt from the object versions of that
 * generation and kept for a few generations (they are immutable; server.cache.worlds). Explanations and the
 * namespace/workload/policy views read it, so they describe exactly the state the stored matrix
 * of the same generation was computed from.
 */
import { compileWorldSteps, policyKey, workloadKey, type CompiledPod, type CompiledWorld, type PolicyKey, type WorkloadKey, type WorkloadRef, type WorldInput } from "../../engine/index.js";
import { DEFAULT_CACHE_SIZES } from "../../domain/config.js";
import type { Store } from "../../domain/repositories.js";
import { worldInputSliced, type ClusterState } from "../../domain/ClusterState.js";
import { isPolicyObject, POLICY_KINDS, type ClusterObject, type ObjectKind, type PolicyObject } from "../../domain/objects.js";
import { compareUtf16, sortSliced } from "../../engine/util/sortSliced.js";
import { drain, TimeSlicer, YIELD_EVERY, type SlicedWork } from "../../domain/TimeSlicer.js";
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
  /**
   * Per cluster, the objects of the latest generation this process committed (noteState): its
   * world is built from them without reading the generation's objects back from the database.
   */
  private readonly noted = new Map<string, { readonly generation: number; readonly state: ClusterState }>();

  constructor(
    private readonly store: Pick<Store, "objects">,
    /** Worlds kept, the most recently used (server.cache.worlds). */
    capacity: number = DEFAULT_CACHE_SIZES.worlds,
  ) {
    this.entries = lruCache<Promise<WorldSnapshot>>(capacity);
  }

  /**
   * The objects a generation this process committed was computed from (a ClusterState copy is
   * constant-time: its maps are persistent). Only the latest is kept: readers ask for the latest.
   */
  noteState(cluster: string, generation: number, state: ClusterState): void {
    const known = this.noted.get(cluster);
    if (!known || known.generation < generation) this.noted.set(cluster, { generation, state });
  }

  get(cluster: string, generation: number): Promise<WorldSnapshot> {
    return sharedLoad(this.entries, cacheKey(cluster, generation), () => this.load(cluster, generation));
  }

  /**
   * Built in time slices (TimeSlicer): at 150,000 pods a world is seconds of CPU (the conversion,
   * compileWorld, the workload list), which in one piece held every reader of the event loop.
   */
  private async load(cluster: string, generation: number): Promise<WorldSnapshot> {
    const noted = this.noted.get(cluster);
    const slicer = new TimeSlicer();
    if (noted?.generation === generation) {
      const { state } = noted;
      const policies = POLICY_KINDS.flatMap((kind) => [...state.all(kind)]);
      return slicer.run(buildSnapshotSliced(cluster, generation, state.toWorldInputSliced(), policies));
    }
    const objects = await this.store.objects.loadObjectsAt(cluster, generation);
    return slicer.run(buildSnapshotSliced(cluster, generation, worldInputSliced(objectsByKind(objects)), objects));
  }
}

/** The world of a generation from its objects, in one go (tests; the cache builds it sliced). */
export function buildSnapshot(cluster: string, generation: number, objects: readonly ClusterObject[]): WorldSnapshot {
  return drain(buildSnapshotSliced(cluster, generation, worldInputSliced(objectsByKind(objects)), objects));
}

function* buildSnapshotSliced(cluster: string, generation: number, inputWork: SlicedWork<WorldInput>, objects: Iterable<ClusterObject>): SlicedWork<WorldSnapshot> {
  const { world } = yield* compileWorldSteps(yield* inputWork);
  const byWorkload = new Map<WorkloadKey, { ref: WorkloadRef; pods: CompiledPod[] }>();
  let n = 0;
  for (const pod of world.pods) {
    const k = workloadKey(pod.workload);
    const e = byWorkload.get(k);
    if (e) e.pods.push(pod);
    else byWorkload.set(k, { ref: pod.workload, pods: [pod] });
    if (++n % YIELD_EVERY === 0) yield;
  }
  const keyed: { key: string; entry: WorkloadEntry }[] = [];
  for (const w of byWorkload.values()) {
    keyed.push({ key: `${w.ref.namespace}/${w.ref.name}/${w.ref.kind}`, entry: { ...w, labels: commonLabels(w.pods) } });
    n += w.pods.length;
    if (n >= YIELD_EVERY) {
      n = 0;
      yield;
    }
  }
  const workloads = (yield* sortSliced(keyed, (a, b) => compareUtf16(a.key, b.key))).map((k) => k.entry);
  const policyObjects = new Map<PolicyKey, PolicyObject>();
  for (const o of objects) if (isPolicyObject(o)) policyObjects.set(policyKey({ kind: o.kind, namespace: o.meta.namespace, name: o.meta.name }), o);
  return { cluster, generation, world, workloads, workloadByKey: new Map(workloads.map((w) => [workloadKey(w.ref), w])), policyObjects };
}

/** Objects grouped by kind, in the order given. */
function objectsByKind(objects: readonly ClusterObject[]): (kind: ObjectKind) => readonly ClusterObject[] {
  const byKind = new Map<ObjectKind, ClusterObject[]>();
  for (const o of objects) {
    const list = byKind.get(o.kind);
    if (list) list.push(o);
    else byKind.set(o.kind, [o]);
  }
  return (kind) => byKind.get(kind) ?? [];
}

function commonLabels(pods: readonly CompiledPod[]): Record<string, string> {
  const [first, ...rest] = pods;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first.labels)) if (rest.every((p) => p.labels[k] === v)) out[k] = v;
  return out;
}
