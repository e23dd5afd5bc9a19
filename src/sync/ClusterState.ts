/**
 * The current objects of one cluster, by kind and uid, as the sync service last applied them.
 * Mutated only by SyncService after the store accepted a change, so it always equals the database.
 */
import type { WorldInput } from "../engine/index.js";
import { OBJECT_KINDS, type ClusterObject, type NamespaceObject, type ObjectKind, type PodObject, type PolicyObject } from "./objects.js";

export class ClusterState {
  private readonly byKind = new Map<ObjectKind, Map<string, ClusterObject>>(OBJECT_KINDS.map((k) => [k, new Map()]));

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

  /** The object of that kind with that namespace and name (several only transiently, during a uid change). */
  findByName(kind: ObjectKind, namespace: string, name: string): ClusterObject | undefined {
    for (const o of this.byKind.get(kind)!.values()) if (o.meta.name === name && o.meta.namespace === namespace) return o;
    return undefined;
  }

  all(kind: ObjectKind): IterableIterator<ClusterObject> {
    return this.byKind.get(kind)!.values();
  }

  count(kind: ObjectKind): number {
    return this.byKind.get(kind)!.size;
  }

  put(o: ClusterObject): void {
    this.byKind.get(o.kind)!.set(o.meta.uid, o);
  }

  delete(o: ClusterObject): void {
    this.byKind.get(o.kind)!.delete(o.meta.uid);
  }

  /** The engine's input, built from the current objects. */
  toWorldInput(): WorldInput {
    const namespaces = [...this.all("Namespace")].map((o) => {
      const ns = o as NamespaceObject;
      return { name: ns.meta.name, labels: ns.meta.labels, origin: `Namespace ${ns.meta.name} (uid ${ns.meta.uid})` };
    });
    const pods = [...this.all("Pod")].map((o) => {
      const p = o as PodObject;
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
    });
    const networkPolicies = [...this.all("NetworkPolicy")].map((o) => {
      const np = o as PolicyObject;
      return { namespace: np.meta.namespace, name: np.meta.name, spec: np.spec, origin: `NetworkPolicy ${np.meta.namespace}/${np.meta.name} (uid ${np.meta.uid})` };
    });
    // Deterministic order: the engine's output must not depend on event arrival order.
    const byName = (a: { namespace?: string; name: string }, b: { namespace?: string; name: string }) =>
      `${a.namespace ?? ""}/${a.name}` < `${b.namespace ?? ""}/${b.name}` ? -1 : 1;
    return { namespaces: namespaces.sort(byName), pods: pods.sort(byName), networkPolicies: networkPolicies.sort(byName) };
  }
}
