/**
 * The current objects of one cluster, by kind and uid, as the sync service last applied them.
 * Mutated only by SyncService after the store accepted a change, so it always equals the database.
 */
import type { NamespaceInput, NetworkPolicyInput, PodInput, TieredPolicyInput, WorldInput } from "../engine/index.js";
import { OBJECT_KINDS, TIERED_POLICY_KINDS, type ClusterObject, type NamespaceObject, type ObjectKind, type PodObject, type PolicyObject } from "./objects.js";

export class ClusterState {
  private readonly byKind = new Map<ObjectKind, Map<string, ClusterObject>>(OBJECT_KINDS.map((k) => [k, new Map()]));
  /**
   * kind -> `namespace/name` -> uid -> object, built on the first findByName and kept up to date
   * after that (not copied by clone()): a listing looks up every new object by name, which would
   * otherwise scan the whole kind each time (quadratic in the cluster size).
   */
  private names: Map<ObjectKind, Map<string, Map<string, ClusterObject>>> | undefined;

  static from(objects: Iterable<ClusterObject>): ClusterState {
    const s = new ClusterState();
    for (const o of objects) s.put(o);
    return s;
  }

  clone(): ClusterState {
    const s = new ClusterState();
    for (const [k, m] of this.byKind) s.byKind.set(k, new Map(m));
    return s;
  }

  get(kind: ObjectKind, uid: string): ClusterObject | undefined {
    return this.byKind.get(kind)!.get(uid);
  }

  /** The object of that kind with that namespace and name (several only transiently, during a uid change: the first put). */
  findByName(kind: ObjectKind, namespace: string, name: string): ClusterObject | undefined {
    if (!this.names) {
      this.names = new Map(OBJECT_KINDS.map((k) => [k, new Map()]));
      for (const objects of this.byKind.values()) for (const o of objects.values()) this.index(o);
    }
    const same = this.names.get(kind)!.get(nameKey(namespace, name));
    return same?.values().next().value;
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
    objects.set(o.meta.uid, o);
    if (this.names) {
      // Same uid, same name: set() keeps its place among same-named objects, as in byKind.
      if (replaced && (replaced.meta.namespace !== o.meta.namespace || replaced.meta.name !== o.meta.name)) this.unindex(replaced);
      this.index(o);
    }
  }

  delete(o: ClusterObject): void {
    const objects = this.byKind.get(o.kind)!;
    const known = objects.get(o.meta.uid);
    objects.delete(o.meta.uid);
    if (this.names && known) this.unindex(known);
  }

  private index(o: ClusterObject): void {
    const byName = this.names!.get(o.kind)!;
    const key = nameKey(o.meta.namespace, o.meta.name);
    let same = byName.get(key);
    if (!same) byName.set(key, (same = new Map()));
    same.set(o.meta.uid, o);
  }

  private unindex(o: ClusterObject): void {
    const byName = this.names!.get(o.kind)!;
    const key = nameKey(o.meta.namespace, o.meta.name);
    const same = byName.get(key);
    if (!same) return;
    same.delete(o.meta.uid);
    if (same.size === 0) byName.delete(key);
  }

  /** The engine's input, built from the current objects. */
  toWorldInput(): WorldInput {
    const namespaces = [...this.all("Namespace")].map((o) => namespaceInput(o as NamespaceObject));
    const pods = [...this.all("Pod")].map((o) => podInput(o as PodObject));
    const networkPolicies = [...this.all("NetworkPolicy")].map((o) => networkPolicyInput(o as PolicyObject));
    // Cluster-scoped tiers: the engine orders them by tier and priority itself.
    const tieredPolicies = TIERED_POLICY_KINDS.flatMap((kind) => [...this.all(kind)].map((o) => tieredPolicyInput(o as PolicyObject)));
    // Deterministic order: the engine's output must not depend on event arrival order.
    const byKindName = (a: { kind: string; name: string }, b: { kind: string; name: string }) => (a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    return {
      namespaces: sortByName(namespaces),
      pods: sortByName(pods),
      networkPolicies: sortByName(networkPolicies),
      ...(tieredPolicies.length > 0 ? { tieredPolicies: tieredPolicies.sort(byKindName) } : {}),
    };
  }
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

/** Sorted by `namespace/name` (each key built once, not twice per comparison). */
function sortByName<T extends { readonly namespace?: string; readonly name: string }>(items: T[]): T[] {
  const keyed = items.map((item) => ({ key: `${item.namespace ?? ""}/${item.name}`, item }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : 1));
  return keyed.map((k) => k.item);
}
