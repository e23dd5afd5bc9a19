/** The generated cluster (bench/generateCluster.ts) as the Kubernetes objects a fake API server serves. */
import { namespace, networkPolicy, pod, type FakeKubeApi, type KubeObject, type KubeOwnerReference } from "../../test/helpers/fakeKubeApi.js";
import type { WorldInput } from "../../src/engine/index.js";

/** Loads the WorldInput into the fake: pods carry the owner references their workload implies. */
export function loadCluster(api: FakeKubeApi, input: WorldInput): KubeObject[] {
  for (const ns of input.namespaces) api.upsert(namespace(ns.name, { ...ns.labels }));
  for (const p of input.pods) {
    const labels = { ...p.labels };
    const w = p.workload;
    let owner: KubeOwnerReference | undefined;
    if (w && w.kind === "Deployment") owner = ownerRef("apps/v1", "ReplicaSet", `${w.name}-${labels["pod-template-hash"]}`);
    else if (w && w.kind !== "Pod") owner = ownerRef(w.kind === "Job" ? "batch/v1" : "apps/v1", w.kind, w.name);
    api.upsert(
      pod({
        namespace: p.namespace,
        name: p.name,
        labels,
        ...(p.ip !== undefined && { ip: p.ip }),
        ...(p.hostNetwork !== undefined && { hostNetwork: p.hostNetwork }),
        ports: (p.containerPorts ?? []).map((c) => ({ containerPort: c.containerPort, ...(c.name !== undefined && { name: c.name }), ...(c.protocol !== undefined && { protocol: c.protocol }) })),
        ...(owner && { ownerReferences: [owner] }),
      }),
    );
  }
  return input.networkPolicies.map((np) => api.upsert(networkPolicy({ namespace: np.namespace, name: np.name, spec: np.spec as Record<string, unknown> })));
}

/** The controller owner reference of a pod (uid derived from kind and name, so it is stable). */
export function ownerRef(apiVersion: string, kind: string, name: string): KubeOwnerReference {
  return { apiVersion, kind, name, uid: `${kind}-${name}`, controller: true, blockOwnerDeletion: true };
}
