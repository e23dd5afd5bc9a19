import { describe, expect, it } from "vitest";
import { toWorldInput, type ManifestObject } from "../../../src/sync/manifests/index.js";

/** Objects as if they were documents 0..n-1 of `f.yaml`. */
const objs = (...values: unknown[]): ManifestObject[] => values.map((value, i) => ({ value, origin: `f.yaml#${i}` }));

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, ...extra });
const template = (labels: Record<string, string>, spec: Record<string, unknown> = {}) => ({ metadata: { labels }, spec: { containers: [{ name: "c", image: "x" }], ...spec } });
const deployment = (name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: meta(name, { namespace: "shop", ...extra }),
  spec: { template: template(labels) },
});
const replicaSet = (name: string, labels: Record<string, string>, owner?: { kind: string; name: string }) => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: meta(name, { namespace: "shop", ...(owner && { ownerReferences: [{ apiVersion: "apps/v1", ...owner, uid: "u", controller: true }] }) }),
  spec: { template: template(labels) },
});
const pod = (name: string, extra: { labels?: Record<string, string>; owner?: { kind: string; name: string; controller?: boolean }; ip?: string; namespace?: string } = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: extra.namespace ?? "shop",
    ...(extra.labels && { labels: extra.labels }),
    ...(extra.owner && { ownerReferences: [{ apiVersion: "apps/v1", uid: "u", controller: true, ...extra.owner }] }),
  },
  spec: { containers: [{ name: "c", image: "x" }] },
  ...(extra.ip && { status: { podIP: extra.ip } }),
});

const workloadsOf = (values: unknown[]) => toWorldInput(objs(...values)).world.pods.map((p) => `${p.namespace}/${p.name} -> ${p.workload?.kind}/${p.workload?.name}`);

describe("toWorldInput: kinds", () => {
  it("reads a Namespace with its labels and origin", () => {
    const r = toWorldInput(objs({ apiVersion: "v1", kind: "Namespace", metadata: { name: "prod", namespace: "ignored", labels: { env: "prod" } } }));
    expect(r.world.namespaces).toEqual([{ name: "prod", labels: { env: "prod" }, origin: "f.yaml#0" }]);
    expect(r.diagnostics).toEqual([]);
  });

  it("reads a Pod: labels, status.podIP, spec.hostNetwork, ports of spec.containers but not initContainers", () => {
    const r = toWorldInput(
      objs({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web-1", namespace: "shop", labels: { app: "web" } },
        spec: {
          hostNetwork: true,
          initContainers: [{ name: "init", ports: [{ containerPort: 9999, name: "init-port" }] }],
          containers: [
            { name: "a", ports: [{ containerPort: 80, name: "http" }, { containerPort: 53, protocol: "UDP" }] },
            { name: "b", ports: [{ containerPort: 9090, name: "metrics", protocol: "TCP" }] },
          ],
        },
        status: { podIP: "10.1.2.3", phase: "Running" },
      }),
    );
    expect(r.world.pods).toEqual([
      {
        namespace: "shop",
        name: "web-1",
        labels: { app: "web" },
        ip: "10.1.2.3",
        hostNetwork: true,
        containerPorts: [{ containerPort: 80, name: "http" }, { containerPort: 53, protocol: "UDP" }, { containerPort: 9090, name: "metrics", protocol: "TCP" }],
        workload: { namespace: "shop", kind: "Pod", name: "web-1" },
        origin: "f.yaml#0",
      },
    ]);
  });

  it("defaults metadata.namespace to \"default\" for every namespaced kind, as kubectl does", () => {
    const r = toWorldInput(
      objs(
        { apiVersion: "v1", kind: "Pod", metadata: { name: "p" } },
        { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "" }, spec: { template: template({ app: "d" }) } },
        { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "np" }, spec: {} },
      ),
    );
    expect(r.world.pods.map((p) => p.namespace)).toEqual(["default", "default"]);
    expect(r.world.networkPolicies.map((p) => p.namespace)).toEqual(["default"]);
  });

  it("uses the defaultNamespace option when given", () => {
    const r = toWorldInput(objs({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } }), { defaultNamespace: "team-a" });
    expect(r.world.pods[0]!.namespace).toBe("team-a");
  });

  it.each([
    ["Deployment", "apps/v1", ["spec", "template"]],
    ["StatefulSet", "apps/v1", ["spec", "template"]],
    ["DaemonSet", "apps/v1", ["spec", "template"]],
    ["ReplicaSet", "apps/v1", ["spec", "template"]],
    ["ReplicationController", "v1", ["spec", "template"]],
    ["Job", "batch/v1", ["spec", "template"]],
    ["CronJob", "batch/v1", ["spec", "jobTemplate", "spec", "template"]],
  ])("a %s stands for its pods through its pod template", (kind, apiVersion, path) => {
    const tpl = template({ app: "w" }, { hostNetwork: true, containers: [{ name: "c", ports: [{ containerPort: 8080, name: "http" }] }] });
    let spec: unknown = tpl;
    for (const step of [...path].reverse().slice(0, -1)) spec = { [step]: spec };
    const r = toWorldInput(objs({ apiVersion, kind, metadata: { name: "w", namespace: "shop", labels: { ignored: "yes" } }, spec }));
    expect(r.diagnostics).toEqual([]);
    expect(r.world.pods).toEqual([
      {
        namespace: "shop",
        name: "w",
        labels: { app: "w" },
        hostNetwork: true,
        containerPorts: [{ containerPort: 8080, name: "http" }],
        workload: { namespace: "shop", kind, name: "w" },
        origin: `f.yaml#0 (${path.join(".")})`,
      },
    ]);
    expect(r.stats).toMatchObject({ workloads: 1, templatePods: 1, pods: 0 });
  });

  it("reads networking.k8s.io/v1 NetworkPolicy and passes its spec through unvalidated (the engine validates it)", () => {
    const spec = { podSelector: { matchLabels: { app: "db" } }, ingress: [{ ports: [{ port: "not a name!" }] }] };
    const r = toWorldInput(objs({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "db", namespace: "shop" }, spec }));
    expect(r.world.networkPolicies).toEqual([{ namespace: "shop", name: "db", spec, origin: "f.yaml#0" }]);
    expect(r.diagnostics).toEqual([]);
  });

  it("does not read look-alike NetworkPolicies of other API groups (Calico) as Kubernetes ones", () => {
    const r = toWorldInput(objs({ apiVersion: "projectcalico.org/v3", kind: "NetworkPolicy", metadata: { name: "x", namespace: "shop" }, spec: {} }));
    expect(r.world.networkPolicies).toEqual([]);
    expect(r.warnings).toMatchObject([{ code: "IGNORED_KIND", kind: "NetworkPolicy", apiVersion: "projectcalico.org/v3", count: 1 }]);
  });
});

describe("toWorldInput: ownership", () => {
  it("reports a pod owned by a ReplicaSet of the input as the ReplicaSet's Deployment", () => {
    expect(workloadsOf([replicaSet("web-rs", { app: "web" }, { kind: "Deployment", name: "web" }), pod("web-rs-x1", { labels: { app: "web" }, owner: { kind: "ReplicaSet", name: "web-rs" } })])).toEqual([
      "shop/web-rs-x1 -> Deployment/web",
    ]);
  });

  it("climbs ReplicaSet -> Deployment by the pod-template-hash naming when the ReplicaSet is not in the input", () => {
    expect(workloadsOf([pod("web-5d8f7c-abcde", { labels: { app: "web", "pod-template-hash": "5d8f7c" }, owner: { kind: "ReplicaSet", name: "web-5d8f7c" } })])).toEqual([
      "shop/web-5d8f7c-abcde -> Deployment/web",
    ]);
  });

  it("keeps the ReplicaSet when the name does not end in -<pod-template-hash> or the label is missing", () => {
    expect(
      workloadsOf([
        pod("a-1", { labels: { "pod-template-hash": "zzz" }, owner: { kind: "ReplicaSet", name: "web-5d8f7c" } }),
        pod("b-1", { owner: { kind: "ReplicaSet", name: "web-5d8f7c" } }),
        pod("c-1", { labels: { "pod-template-hash": "abc" }, owner: { kind: "ReplicaSet", name: "-abc" } }),
      ]),
    ).toEqual(["shop/a-1 -> ReplicaSet/web-5d8f7c", "shop/b-1 -> ReplicaSet/web-5d8f7c", "shop/c-1 -> ReplicaSet/-abc"]);
  });

  it("trusts a ReplicaSet of the input over the naming: no owner means the ReplicaSet is the workload", () => {
    expect(workloadsOf([replicaSet("web-abc", { app: "web" }), pod("web-abc-1", { labels: { "pod-template-hash": "abc" }, owner: { kind: "ReplicaSet", name: "web-abc" } })])).toEqual([
      "shop/web-abc-1 -> ReplicaSet/web-abc",
    ]);
  });

  it("climbs Job -> CronJob when the Job is in the input with its owner, and stops at the Job otherwise", () => {
    const job = (name: string, owner?: string) => ({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name, namespace: "shop", ...(owner && { ownerReferences: [{ kind: "CronJob", name: owner, controller: true }] }) },
      spec: { template: template({ job: name }) },
    });
    expect(
      workloadsOf([job("backup-28000000", "backup"), pod("backup-28000000-x", { owner: { kind: "Job", name: "backup-28000000" } }), pod("report-1-y", { owner: { kind: "Job", name: "report-1" } })]),
    ).toEqual(["shop/backup-28000000-x -> CronJob/backup", "shop/report-1-y -> Job/report-1"]);
  });

  it("reports pods of StatefulSets, DaemonSets and unknown controllers as their owner; Node-owned static pods as themselves", () => {
    expect(
      workloadsOf([
        pod("db-0", { owner: { kind: "StatefulSet", name: "db" } }),
        pod("agent-x", { owner: { kind: "DaemonSet", name: "agent" } }),
        pod("canary-1", { owner: { kind: "Rollout", name: "canary" } }),
        pod("kube-apiserver-node1", { namespace: "kube-system", owner: { kind: "Node", name: "node1" } }),
      ]),
    ).toEqual(["shop/db-0 -> StatefulSet/db", "shop/agent-x -> DaemonSet/agent", "shop/canary-1 -> Rollout/canary", "kube-system/kube-apiserver-node1 -> Pod/kube-apiserver-node1"]);
  });

  it("ignores owner references that are not the controller", () => {
    expect(workloadsOf([pod("p", { owner: { kind: "StatefulSet", name: "db", controller: false } })])).toEqual(["shop/p -> Pod/p"]);
  });

  it("does not loop on an ownership cycle", () => {
    const a = replicaSet("a", { app: "a" }, { kind: "ReplicaSet", name: "b" });
    const b = replicaSet("b", { app: "b" }, { kind: "ReplicaSet", name: "a" });
    // p -> a -> b -> (a again): the walk stops at b, where the cycle closes.
    expect(workloadsOf([a, b, pod("p", { owner: { kind: "ReplicaSet", name: "a" } })])[0]).toBe("shop/p -> ReplicaSet/b");
  });

  it("uses real pods instead of templates: neither the ReplicaSet nor the Deployment adds a template pod", () => {
    const r = toWorldInput(
      objs(
        deployment("web", { app: "web" }),
        replicaSet("web-abc", { app: "web", "pod-template-hash": "abc" }, { kind: "Deployment", name: "web" }),
        pod("web-abc-1", { labels: { app: "web" }, owner: { kind: "ReplicaSet", name: "web-abc" }, ip: "10.0.0.1" }),
        pod("web-abc-2", { labels: { app: "web" }, owner: { kind: "ReplicaSet", name: "web-abc" }, ip: "10.0.0.2" }),
      ),
    );
    expect(r.world.pods.map((p) => [p.name, p.workload?.kind, p.workload?.name, p.ip])).toEqual([
      ["web-abc-1", "Deployment", "web", "10.0.0.1"],
      ["web-abc-2", "Deployment", "web", "10.0.0.2"],
    ]);
    expect(r.stats).toMatchObject({ pods: 2, workloads: 2, templatePods: 0 });
  });

  it("uses the Deployment's template, not its ReplicaSets', when there are no pods", () => {
    const r = toWorldInput(objs(replicaSet("web-old", { app: "web", v: "1" }, { kind: "Deployment", name: "web" }), deployment("web", { app: "web", v: "2" })));
    expect(r.world.pods.map((p) => [p.name, p.labels, p.workload?.kind])).toEqual([["web", { app: "web", v: "2" }, "Deployment"]]);
  });

  it("reports templates of ReplicaSets whose Deployment is missing as that Deployment, each named after its ReplicaSet", () => {
    const r = toWorldInput(objs(replicaSet("web-a", { app: "web" }, { kind: "Deployment", name: "web" }), replicaSet("web-b", { app: "web" }, { kind: "Deployment", name: "web" })));
    expect(r.world.pods.map((p) => `${p.name} -> ${p.workload?.kind}/${p.workload?.name}`)).toEqual(["web-a -> Deployment/web", "web-b -> Deployment/web"]);
  });

  it("renames a template pod whose name is taken by another pod of the namespace", () => {
    const sts = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "web", namespace: "shop" }, spec: { template: template({ app: "sts" }) } };
    const r = toWorldInput(objs(deployment("web", { app: "web" }), sts, pod("web")));
    expect(r.world.pods.map((p) => `${p.name} -> ${p.workload?.kind}/${p.workload?.name}`)).toEqual(["web -> Pod/web", "web-deployment -> Deployment/web", "web-statefulset -> StatefulSet/web"]);
    expect(r.diagnostics).toEqual([]);
  });
});

describe("toWorldInput: Lists", () => {
  it("expands v1 List items, with the item index in the origin", () => {
    const r = toWorldInput(
      objs({ apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } }, { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "a" } }] }),
    );
    expect(r.world.namespaces.map((n) => n.origin)).toEqual(["f.yaml#0.items[0]"]);
    expect(r.world.pods.map((p) => p.origin)).toEqual(["f.yaml#0.items[1]"]);
    expect(r.stats.objects).toBe(2);
  });

  it("gives items of typed lists (PodList, DeploymentList...) the list's kind and apiVersion when they omit them", () => {
    const r = toWorldInput(
      objs(
        { apiVersion: "v1", kind: "PodList", items: [{ metadata: { name: "p1", namespace: "x" } }] },
        { apiVersion: "apps/v1", kind: "DeploymentList", items: [{ metadata: { name: "d", namespace: "x" }, spec: { template: template({ app: "d" }) } }] },
        { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicyList", items: [{ metadata: { name: "np", namespace: "x" }, spec: {} }] },
        { apiVersion: "v1", kind: "NamespaceList", items: [{ metadata: { name: "x" } }] },
      ),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.world.pods.map((p) => `${p.name}@${p.origin}`)).toEqual(["p1@f.yaml#0.items[0]", "d@f.yaml#1.items[0] (spec.template)"]);
    expect(r.world.networkPolicies.map((p) => p.origin)).toEqual(["f.yaml#2.items[0]"]);
    expect(r.world.namespaces.map((n) => n.name)).toEqual(["x"]);
  });

  it("expands nested Lists", () => {
    const r = toWorldInput(objs({ apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "deep" } }] }] }));
    expect(r.world.namespaces).toEqual([{ name: "deep", labels: {}, origin: "f.yaml#0.items[0].items[0]" }]);
  });

  it("reports a List whose items are not a list", () => {
    const r = toWorldInput(objs({ apiVersion: "v1", kind: "List", items: { a: 1 } }));
    expect(r.diagnostics).toMatchObject([{ severity: "error", code: "INVALID_OBJECT", object: "List", field: "items", origin: "f.yaml#0" }]);
    expect(r.stats.invalid).toBe(1);
  });
});

describe("toWorldInput: unknown kinds", () => {
  it("ignores other kinds with one warning per kind, counting objects and naming the first origin", () => {
    const svc = (name: string) => ({ apiVersion: "v1", kind: "Service", metadata: { name } });
    const r = toWorldInput(
      objs(svc("a"), { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }, svc("b"), svc("c"), { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: [] }),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.warnings.map((w) => (w.code === "IGNORED_KIND" ? [w.kind, w.count, w.firstOrigin] : []))).toEqual([
      ["Service", 3, "f.yaml#0"],
      ["ConfigMap", 1, "f.yaml#1"],
      ["Kustomization", 1, "f.yaml#4"],
    ]);
    expect(r.warnings[0]!.message).toMatch(/^ignored 3 Service objects \(v1\), first in f\.yaml#0: kubereach reads Namespace, Pod, /);
    expect(r.stats).toMatchObject({ objects: 5, ignored: 5, invalid: 0 });
  });

  it("ignores a known kind under an unexpected API group", () => {
    const r = toWorldInput(objs({ apiVersion: "v1", kind: "Deployment", metadata: { name: "d" }, spec: { template: template({}) } }));
    expect(r.world.pods).toEqual([]);
    expect(r.warnings).toMatchObject([{ code: "IGNORED_KIND", kind: "Deployment", apiVersion: "v1" }]);
  });
});

describe("toWorldInput: errors name the origin, the object and the field", () => {
  it.each<[string, unknown, { code: string; object: string; field: string; message?: RegExp }]>([
    ["a document that is not a map", ["a", "list"], { code: "INVALID_OBJECT", object: "object", field: "(document)" }],
    ["a missing kind", { apiVersion: "v1", metadata: { name: "x" } }, { code: "INVALID_OBJECT", object: "object", field: "kind", message: /kind is required/ }],
    ["a missing apiVersion", { kind: "Pod", metadata: { name: "x" } }, { code: "INVALID_OBJECT", object: "Pod", field: "apiVersion" }],
    ["a missing metadata.name", { apiVersion: "v1", kind: "Pod", metadata: { namespace: "x" } }, { code: "INVALID_OBJECT", object: "Pod", field: "metadata.name" }],
    ["missing metadata", { apiVersion: "v1", kind: "Namespace" }, { code: "INVALID_OBJECT", object: "Namespace", field: "metadata.name" }],
    ["a numeric metadata.name", { apiVersion: "v1", kind: "Pod", metadata: { name: 42 } }, { code: "INVALID_OBJECT", object: "Pod", field: "metadata.name", message: /must be a string/ }],
    ["labels that are not a map", { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "x", labels: ["app=web"] } }, { code: "INVALID_OBJECT", object: "Pod x/p", field: "metadata.labels", message: /must be a map, not a list/ }],
    ["a label value that is not a string", { apiVersion: "v1", kind: "Namespace", metadata: { name: "n", labels: { enabled: true } } }, { code: "INVALID_OBJECT", object: "Namespace n", field: "metadata.labels.enabled", message: /quote numbers and booleans/ }],
    [
      "a containerPort given as a string",
      { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "x" }, spec: { containers: [{ name: "a" }, { name: "b", ports: [{ containerPort: 80 }, { containerPort: "8080" }] }] } },
      { code: "INVALID_PORT", object: "Pod x/p", field: "spec.containers[1].ports[1].containerPort", message: /must be an integer, not the string "8080"/ },
    ],
    [
      "a containerPort in a Deployment template given as a string",
      { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "x" }, spec: { template: { spec: { containers: [{ ports: [{ containerPort: "http" }] }] } } } },
      { code: "INVALID_PORT", object: "Deployment x/d", field: "spec.template.spec.containers[0].ports[0].containerPort" },
    ],
    [
      "a CronJob template with labels that are not a map",
      { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "c", namespace: "x" }, spec: { jobTemplate: { spec: { template: { metadata: { labels: "app" } } } } } },
      { code: "INVALID_OBJECT", object: "CronJob x/c", field: "spec.jobTemplate.spec.template.metadata.labels" },
    ],
    ["a Deployment without a template", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "x" }, spec: {} }, { code: "INVALID_OBJECT", object: "Deployment x/d", field: "spec.template", message: /is required/ }],
    ["a podIP that is not a string", { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "x" }, status: { podIP: 10 } }, { code: "INVALID_IP", object: "Pod x/p", field: "status.podIP" }],
    ["hostNetwork that is not a boolean", { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "x" }, spec: { hostNetwork: "true" } }, { code: "INVALID_OBJECT", object: "Pod x/p", field: "spec.hostNetwork" }],
    ["containers that are not a list", { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "x" }, spec: { containers: { name: "a" } } }, { code: "INVALID_OBJECT", object: "Pod x/p", field: "spec.containers" }],
    ["a container port protocol that is not a string", { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "x" }, spec: { containers: [{ ports: [{ containerPort: 53, protocol: 17 }] }] } }, { code: "INVALID_PROTOCOL", object: "Pod x/p", field: "spec.containers[0].ports[0].protocol" }],
    ["ownerReferences that are not a list", { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "x", ownerReferences: { kind: "ReplicaSet" } } }, { code: "INVALID_OBJECT", object: "Pod x/p", field: "metadata.ownerReferences" }],
  ])("%s", (_name, value, expected) => {
    const r = toWorldInput([{ value, origin: "dir/app.yaml#3" }]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: "error", origin: "dir/app.yaml#3", code: expected.code, object: expected.object, field: expected.field });
    if (expected.message) expect(r.diagnostics[0]!.message).toMatch(expected.message);
    expect(r.world.pods).toEqual([]);
    expect(r.world.namespaces).toEqual([]);
    expect(r.stats.invalid).toBe(1);
  });

  it("keeps the first of two workloads with the same kind, namespace and name, and reports the second", () => {
    const r = toWorldInput([
      { value: deployment("web", { v: "1" }), origin: "a.yaml#0" },
      { value: deployment("web", { v: "2" }), origin: "b.yaml#0" },
    ]);
    expect(r.diagnostics).toMatchObject([{ code: "DUPLICATE_OBJECT", object: "Deployment shop/web", field: "metadata.name", origin: "b.yaml#0" }]);
    expect(r.diagnostics[0]!.message).toContain("first in a.yaml#0");
    expect(r.world.pods.map((p) => p.labels)).toEqual([{ v: "1" }]);
  });

  it("keeps valid objects next to invalid ones", () => {
    const r = toWorldInput(objs({ apiVersion: "v1", kind: "Pod", metadata: { name: "bad", labels: 1 } }, pod("good")));
    expect(r.world.pods.map((p) => p.name)).toEqual(["good"]);
    expect(r.stats).toMatchObject({ objects: 2, pods: 1, invalid: 1 });
  });
});
