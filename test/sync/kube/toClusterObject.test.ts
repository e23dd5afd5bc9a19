/**
 * The pure mapping from API objects to ClusterObjects, on both shapes the informer hands out
 * (model instances from lists, plain JSON from watches: T-K8), and the workload heuristics.
 */
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";
import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { InvalidKubeObjectError, podWorkload, toClusterObject, toKubernetesJson } from "../../../src/sync/kube/toClusterObject.js";
import { controllerRef, deploymentPod, namespace, networkPolicy, pod, type KubeObject } from "../../helpers/fakeKubeApi.js";

/** What a list hands out: the JSON deserialised into the client's model classes. */
function asModel(o: KubeObject): unknown {
  return ObjectSerializer.deserialize(structuredClone(o), `V1${o.kind}`, "");
}

function stored(o: KubeObject, rv = "7"): KubeObject {
  return { ...o, metadata: { ...o.metadata, uid: `uid-${o.metadata.name}`, resourceVersion: rv, creationTimestamp: "2024-05-01T10:00:00Z" } };
}

const RICH_POLICY = networkPolicy({
  namespace: "prod",
  name: "api",
  spec: {
    podSelector: { matchLabels: { app: "api" }, matchExpressions: [{ key: "tier", operator: "In", values: ["be", "fe"] }] },
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      {
        from: [
          { namespaceSelector: { matchLabels: { team: "a" } }, podSelector: {} },
          { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
        ],
        ports: [{ protocol: "TCP", port: 8080 }, { port: "http" }, { protocol: "UDP", port: 1000, endPort: 2000 }],
      },
    ],
    egress: [{ to: [{ podSelector: { matchLabels: { app: "db" } } }], ports: [{ port: 5432 }] }],
  },
});

describe("toClusterObject: NetworkPolicy", () => {
  it("the model instance really is the other shape (_from, Date)", () => {
    const model = asModel(stored(RICH_POLICY)) as k8s.V1NetworkPolicy;
    expect(model).toBeInstanceOf(k8s.V1NetworkPolicy);
    expect(model.spec?.ingress?.[0]).toHaveProperty("_from");
    expect(model.spec?.ingress?.[0]).not.toHaveProperty("from");
    expect(model.metadata?.creationTimestamp).toBeInstanceOf(Date);
  });

  it("a listed (model) policy equals its watched (plain JSON) twin, in Kubernetes' JSON shape", () => {
    const watched = toClusterObject("NetworkPolicy", stored(RICH_POLICY));
    const listed = toClusterObject("NetworkPolicy", asModel(stored(RICH_POLICY)));
    expect(listed).toEqual(watched);
    expect(JSON.stringify(listed)).toBe(JSON.stringify(watched));
    expect(watched).toEqual({
      kind: "NetworkPolicy",
      meta: { uid: "uid-api", name: "api", namespace: "prod", resourceVersion: "7", labels: {} },
      spec: RICH_POLICY["spec"],
    });
    expect(JSON.stringify(listed)).not.toContain("_from");
  });

  it("keeps an empty or missing spec as an object", () => {
    const p = stored(networkPolicy({ namespace: "a", name: "x", spec: {} }));
    expect(toClusterObject("NetworkPolicy", p)).toMatchObject({ spec: {} });
    const { spec: _spec, ...noSpec } = p;
    expect(toClusterObject("NetworkPolicy", noSpec)).toMatchObject({ spec: {} });
  });

  it("toKubernetesJson turns Dates into ISO strings and drops undefined fields", () => {
    const model = asModel(stored(namespace("n"))) as k8s.V1Namespace;
    const json = toKubernetesJson(model, "V1Namespace") as { metadata: Record<string, unknown> };
    expect(json.metadata["creationTimestamp"]).toBe("2024-05-01T10:00:00.000Z");
    expect(Object.values(json.metadata)).not.toContain(undefined);
  });
});

describe("toClusterObject: Pod and Namespace", () => {
  const web = stored(
    pod({
      namespace: "prod",
      name: "web-1",
      ip: "10.0.0.5",
      labels: { app: "web" },
      containers: [
        { name: "app", ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }, { containerPort: 9090 }] },
        { name: "sidecar", ports: [{ containerPort: 53, protocol: "UDP" }] },
      ],
      ...{ ownerReferences: [controllerRef("StatefulSet", "web")] },
    }),
  );

  it("maps the same pod identically from both shapes, keeping only what the analysis needs", () => {
    const expected = {
      kind: "Pod",
      meta: { uid: "uid-web-1", name: "web-1", namespace: "prod", resourceVersion: "7", labels: { app: "web" } },
      ip: "10.0.0.5",
      hostNetwork: false,
      containerPorts: [{ name: "http", containerPort: 8080, protocol: "TCP" }, { containerPort: 9090 }, { containerPort: 53, protocol: "UDP" }],
      workload: { namespace: "prod", kind: "StatefulSet", name: "web" },
    };
    expect(toClusterObject("Pod", web)).toEqual(expected);
    expect(toClusterObject("Pod", asModel(web))).toEqual(expected);
    expect(JSON.stringify(toClusterObject("Pod", web))).not.toContain("serviceAccountName");
  });

  it("reports hostNetwork, and no IP for pods without one or finished pods", () => {
    expect(toClusterObject("Pod", stored(pod({ namespace: "a", name: "h", ip: "192.168.1.4", hostNetwork: true })))).toMatchObject({ hostNetwork: true, ip: "192.168.1.4" });
    expect(toClusterObject("Pod", stored(pod({ namespace: "a", name: "pending", phase: "Pending" })))).not.toHaveProperty("ip");
    for (const phase of ["Succeeded", "Failed"]) expect(toClusterObject("Pod", stored(pod({ namespace: "a", name: "done", ip: "10.0.0.9", phase })))).not.toHaveProperty("ip");
  });

  it("maps namespaces as cluster-scoped objects with their labels", () => {
    const ns = stored(namespace("prod", { team: "a" }));
    const expected = { kind: "Namespace", meta: { uid: "uid-prod", name: "prod", namespace: "", resourceVersion: "7", labels: { "kubernetes.io/metadata.name": "prod", team: "a" } } };
    expect(toClusterObject("Namespace", ns)).toEqual(expected);
    expect(toClusterObject("Namespace", asModel(ns))).toEqual(expected);
  });

  it("derives kubernetes.io/metadata.name from the name when the server does not set it (before 1.21), and keeps one it sets", () => {
    const old = stored(namespace("legacy", { team: "b" }));
    delete (old.metadata.labels as Record<string, string>)["kubernetes.io/metadata.name"];
    expect(toClusterObject("Namespace", old).meta.labels).toEqual({ team: "b", "kubernetes.io/metadata.name": "legacy" });
    const bare = stored(namespace("bare"));
    delete bare.metadata.labels;
    expect(toClusterObject("Namespace", bare).meta.labels).toEqual({ "kubernetes.io/metadata.name": "bare" });
  });

  it.each([
    ["uid", (o: KubeObject) => delete o.metadata.uid],
    ["resourceVersion", (o: KubeObject) => delete o.metadata.resourceVersion],
    ["namespace", (o: KubeObject) => delete o.metadata.namespace],
  ])("rejects a pod without metadata.%s", (field, mutate) => {
    const o = stored(pod({ namespace: "a", name: "p" }));
    mutate(o);
    expect(() => toClusterObject("Pod", o)).toThrow(InvalidKubeObjectError);
    expect(() => toClusterObject("Pod", o)).toThrow(field);
  });
});

describe("podWorkload", () => {
  const meta = (labels: Record<string, string> = {}) => ({ namespace: "prod", name: "p-1", labels });
  const withOwners = (...ownerReferences: unknown[]) => ({ metadata: { ownerReferences } });
  const rs = (name: string) => controllerRef("ReplicaSet", name);

  it.each<{ name: string; labels?: Record<string, string>; owners: unknown[]; expected: [string, string] }>([
    { name: "no owner: the pod itself", owners: [], expected: ["Pod", "p-1"] },
    { name: "owner without controller flag: the pod itself", owners: [{ kind: "ReplicaSet", name: "web-abc", apiVersion: "apps/v1", uid: "u" }], expected: ["Pod", "p-1"] },
    { name: "ReplicaSet <d>-<pod-template-hash>: the Deployment", labels: deploymentPod("web", "7c9f").labels, owners: deploymentPod("web", "7c9f").ownerReferences!, expected: ["Deployment", "web"] },
    { name: "ReplicaSet whose name does not end in the hash: the ReplicaSet", labels: { "pod-template-hash": "7c9f" }, owners: [rs("web-other")], expected: ["ReplicaSet", "web-other"] },
    { name: "ReplicaSet without pod-template-hash label: the ReplicaSet", owners: [rs("web-7c9f")], expected: ["ReplicaSet", "web-7c9f"] },
    { name: "StatefulSet", owners: [controllerRef("StatefulSet", "db")], expected: ["StatefulSet", "db"] },
    { name: "DaemonSet", owners: [controllerRef("DaemonSet", "agent")], expected: ["DaemonSet", "agent"] },
    { name: "static pod owned by its Node: the pod itself", owners: [controllerRef("Node", "node-1")], expected: ["Pod", "p-1"] },
    { name: "Job <cronjob>-<schedule minutes>: the CronJob", owners: [controllerRef("Job", "backup-28847520")], expected: ["CronJob", "backup"] },
    { name: "Job with a date-like suffix stays a Job", owners: [controllerRef("Job", "backup-20240101")], expected: ["Job", "backup-20240101"] },
    { name: "Job with a short numeric suffix stays a Job", owners: [controllerRef("Job", "migrate-2")], expected: ["Job", "migrate-2"] },
    { name: "custom controller", owners: [controllerRef("Rollout", "canary", "argoproj.io/v1alpha1")], expected: ["Rollout", "canary"] },
    { name: "first controller reference wins", owners: [{ kind: "Foo", name: "x", uid: "u", apiVersion: "v1" }, controllerRef("StatefulSet", "db")], expected: ["StatefulSet", "db"] },
  ])("$name", ({ labels, owners, expected }) => {
    expect(podWorkload(meta(labels), withOwners(...owners))).toEqual({ namespace: "prod", kind: expected[0], name: expected[1] });
  });
});

describe("toClusterObject: values shared between pods", () => {
  it("pods with equal labels and container ports share one frozen copy of each (memory at 150,000 pods); different ones do not", () => {
    const make = (name: string, labels: Record<string, string>, port: number) =>
      toClusterObject("Pod", stored(pod({ namespace: "prod", name, labels, ports: [{ containerPort: port, name: "http" }] }))) as unknown as { meta: { labels: Record<string, string> }; containerPorts: { containerPort: number }[] };
    const a = make("web-1", { app: "web", "pod-template-hash": "h1" }, 8080);
    const b = toClusterObject("Pod", asModel(stored(pod({ namespace: "prod", name: "web-2", labels: { app: "web", "pod-template-hash": "h1" }, ports: [{ containerPort: 8080, name: "http" }] })))) as unknown as typeof a;
    const c = make("db-0", { app: "db" }, 5432);
    expect(b.meta.labels).toBe(a.meta.labels);
    expect(b.containerPorts).toBe(a.containerPorts);
    expect(c.meta.labels).not.toBe(a.meta.labels);
    expect(c.containerPorts).toEqual([{ name: "http", containerPort: 5432 }]);
    expect(Object.isFrozen(a.meta.labels) && Object.isFrozen(a.containerPorts) && Object.isFrozen(a.containerPorts[0])).toBe(true);
    expect(() => (a.meta.labels["app"] = "db")).toThrow(TypeError);
    expect(b.meta.labels).toEqual({ app: "web", "pod-template-hash": "h1" });
  });
});

