/**
 * The current objects of one cluster, by kind and uid, as the sync service last applied them.
 * Mutated only by SyncService after the store accepted a change, so it always equals the database.
 */
import type { NamespaceInput, NetworkPolicyInput, PodInput, TieredPolicyInput, WorldInput } from "../engine/index.js";
import { PersistentMap } from "./PersistentMap.js";
import { compareUtf16, sortSliced } from "../engine/util/sortSliced.js";
import { drain, YIELD_EVERY, type SlicedWork } from "./TimeSlicer.js";
import { OBJECT_KINDS, TIERED_POLICY_KINDS, type ClusterObject, type NamespaceObject, type ObjectKind, type PodObject, type PolicyObject } from "./objects.js";

export class ClusterState {
  /**
   * kind -> uid -> object, as persistent maps (PersistentMap.ts): clone() copies six references, so
   * the sync can take a copy per event batch and per generation at any cluster size (copying the
   * maps cost ~130 ms per copy at 150,000 pods).
   */
  private readonly byKind: Map<ObjectKind, PersistentMap<string, ClusterObject>>;
  /**
   * kind -> `namespace/name` -> the objects of that name (several only transiently, during a uid
   * change; in the order they were put), kept with every put and delete; shared by clones, as
   * byKind is: a listing looks up every new object by name, which would otherwise scan the whole
   * kind each time (quadratic in the cluster size). Kept from the start, not built on the first
   * findByName: byKind's maps iterate in hash order (and reorder on deletes), so an index built
   * from them later put same-named objects in an order that was not the order they were put.
   */
  private readonly names: Map<ObjectKind, PersistentMap<string, readonly ClusterObject[]>>;

  /** An empty state; the maps are given together only by from() and clone(). */
  constructor(byKind?: ReadonlyMap<ObjectKind, PersistentMap<string, ClusterObject>>, names?: ReadonlyMap<ObjectKind, PersistentMap<string, readonly ClusterObject[]>>) {
    this.byKind = new Map(byKind ?? OBJECT_KINDS.map((k) => [k, PersistentMap.empty<string, ClusterObject>()]));
    this.names = new Map(names ?? OBJECT_KINDS.map((k) => [k, PersistentMap.empty<string, readonly ClusterObject[]>()]));
  }

  static from(objects: Iterable<ClusterObject>): ClusterState {
    const byKind = new Map<ObjectKind, [string, ClusterObject][]>(OBJECT_KINDS.map((k) => [k, []]));
    const names = new Map<ObjectKind, Map<string, ClusterObject[]>>(OBJECT_KINDS.map((k) => [k, new Map()]));
    // In the order given: the first of several objects with one name is the first given.
    for (const o of objects) {
      byKind.get(o.kind)!.push([o.meta.uid, o]);
      const byName = names.get(o.kind)!;
      const key = nameKey(o.meta.namespace, o.meta.name);
      const same = byName.get(key);
      if (same) same.push(o);
      else byName.set(key, [o]);
    }
    return new ClusterState(
      new Map(OBJECT_KINDS.map((k) => [k, PersistentMap.from(byKind.get(k)!)])),
      new Map(OBJECT_KINDS.map((k) => [k, PersistentMap.from(names.get(k)!)])),
    );
  }

  /** An independent copy, in constant time (the maps are persistent). */
  clone(): ClusterState {
    return new ClusterState(this.byKind, this.names);
  }

  get(kind: ObjectKind, uid: string): ClusterObject | undefined {
    return this.byKind.get(kind)!.get(uid);
  }

  /** The object of that kind with that namespace and name (several only transiently, during a uid change: the first put). */
  findByName(kind: ObjectKind, namespace: string, name: string): ClusterObject | undefined {
    return this.names.get(kind)!.get(nameKey(namespace, name))?.[0];
  }

  all(kind: ObjectKind): IterableIterator<ClusterObject> {
    return this.byKind.get(kind)!.values();
  }

  count(kind: ObjectKind): number {
    return this.byKind.get(kind)!.size;
  }

  put(o: ClusterObject): void {
    const objects = this.byKind.get(o.kind)!;
    const replaced = objects.get(o.meta.uid);
    this.byKind.set(o.kind, objects.set(o.meta.uid, o));
    // Same uid, same name: the object keeps its place among same-named objects.
    if (replaced && (replaced.meta.namespace !== o.meta.namespace || replaced.meta.name !== o.meta.name)) this.unindex(replaced);
    this.index(o);
  }

  delete(o: ClusterObject): void {
    const objects = this.byKind.get(o.kind)!;
    const known = objects.get(o.meta.uid);
    this.byKind.set(o.kind, objects.delete(o.meta.uid));
    if (known) this.unindex(known);
  }

  private index(o: ClusterObject): void {
    const byName = this.names.get(o.kind)!;
    const key = nameKey(o.meta.namespace, o.meta.name);
    const same = byName.get(key) ?? [];
    const at = same.findIndex((s) => s.meta.uid === o.meta.uid);
    const next = at < 0 ? [...same, o] : same.map((s, i) => (i === at ? o : s));
    this.names.set(o.kind, byName.set(key, next));
  }

  private unindex(o: ClusterObject): void {
    const byName = this.names.get(o.kind)!;
    const key = nameKey(o.meta.namespace, o.meta.name);
    const same = byName.get(key);
    if (!same) return;
    const next = same.filter((s) => s.meta.uid !== o.meta.uid);
    this.names.set(o.kind, next.length ? byName.set(key, next) : byName.delete(key));
  }

  /** The engine's input, built from the current objects. */
  toWorldInput(): WorldInput {
    return drain(this.toWorldInputSliced());
  }

  /** toWorldInput() as sliced work (TimeSlicer): at 150,000 pods the conversion and sorts are ~0.5 s. */
  toWorldInputSliced(): SlicedWork<WorldInput> {
    return worldInputSliced((kind) => this.all(kind));
  }
}

/**
 * The engine's input from the objects of each kind (a ClusterState's, or a generation's as read
 * from the store), as sliced work. Sorted by namespace/name: the engine's output must not depend
 * on the order in which objects arrived or were read.
 */
export function* worldInputSliced(objectsOf: (kind: ObjectKind) => Iterable<ClusterObject>): SlicedWork<WorldInput> {
  const namespaces = yield* mapSliced(objectsOf("Namespace"), (o) => namespaceInput(o as NamespaceObject));
  const pods = yield* mapSliced(objectsOf("Pod"), (o) => podInput(o as PodObject));
  const networkPolicies = yield* mapSliced(objectsOf("NetworkPolicy"), (o) => networkPolicyInput(o as PolicyObject));
  // Cluster-scoped tiers: the engine orders them by tier and priority itself.
  const tieredPolicies = TIERED_POLICY_KINDS.flatMap((kind) => [...objectsOf(kind)].map((o) => tieredPolicyInput(o as PolicyObject)));
  const byKindName = (a: { kind: string; name: string }, b: { kind: string; name: string }) => (a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    namespaces: yield* sortByName(namespaces),
    pods: yield* sortByName(pods),
    networkPolicies: yield* sortByName(networkPolicies),
    ...(tieredPolicies.length > 0 ? { tieredPolicies: tieredPolicies.sort(byKindName) } : {}),
  };
}

function* mapSliced<T, U>(items: Iterable<T>, f: (item: T) => U): SlicedWork<U[]> {
  const out: U[] = [];
  for (const item of items) {
    out.push(f(item));
    if (out.length % YIELD_EVERY === 0) yield;
  }
  return out;
}

/** The engine's input for one cluster-scoped policy (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy). */
export function tieredPolicyInput(p: PolicyObject): TieredPolicyInput {
  return { kind: p.kind, name: p.meta.name, spec: p.spec, origin: `${p.kind} ${p.meta.name} (uid ${p.meta.uid})` };
}

/** The engine's input for one object (toWorldInput's parts; the incremental recompute converts only changed objects). */
export function namespaceInput(ns: NamespaceObject): NamespaceInput {
  return { name: ns.meta.name, labels: ns.meta.labels, origin: `Namespace ${ns.meta.name} (uid ${ns.meta.uid})` };
}

export function podInput(p: PodObject): PodInput {
  return {
    namespace: p.meta.namespace,
    name: p.meta.name,
    labels: p.meta.labels,
    ip: p.ip,
    hostNetwork: p.hostNetwork,
    containerPorts: p.containerPorts,
    workload: p.workload,
    origin: `Pod ${p.meta.namespace}/${p.meta.name} (uid ${p.meta.uid})`,
  };
}

export function networkPolicyInput(np: PolicyObject): NetworkPolicyInput {
  return { namespace: np.meta.namespace, name: np.meta.name, spec: np.spec, origin: `NetworkPolicy ${np.meta.namespace}/${np.meta.name} (uid ${np.meta.uid})` };
}

function nameKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/** Sorted by `namespace/name` (each key built once, not twice per comparison; stable), as sliced work. */
function* sortByName<T extends { readonly namespace?: string; readonly name: string }>(items: T[]): SlicedWork<T[]> {
  const keyed = yield* mapSliced(items, (item) => ({ key: `${item.namespace ?? ""}/${item.name}`, item }));
  const sorted = yield* sortSliced(keyed, (a, b) => compareUtf16(a.key, b.key));
  return yield* mapSliced(sorted, (k) => k.item);
}
