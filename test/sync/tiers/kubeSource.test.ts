/**
 * The tiered-policy CRDs (AdminNetworkPolicy, BaselineAdminNetworkPolicy v1alpha1,
 * ClusterNetworkPolicy v1beta1 or v1alpha2) through the real Kubernetes client against the fake API server:
 * listed and watched like the core kinds when served; when not served (404), delivered as an empty
 * listing, reported as `notServed` without an error, and looked for again after `absentRetryMs`.
 */
import { requiredPermissionProblem } from "../../../src/sync/source.js";
import { afterEach, describe, expect, it } from "vitest";
import type { KubeClusterSource } from "../../../src/sync/kube/KubeClusterSource.js";
import { toClusterObject } from "../../../src/sync/kube/toClusterObject.js";
import { FakeKubeApi, namespace, type KubeObject, type ResourceDef } from "../../helpers/fakeKubeApi.js";
import { ALL_KINDS, TIER_RESOURCES, tiered } from "../../helpers/tierResources.js";
import { RecordingHandler, sourceFor, TempKubeconfig, waitFor } from "../kube/helpers.js";

const denySlytherin = { priority: 10, subject: { namespaces: {} }, ingress: [{ name: "no", action: "Deny", from: [{ namespaces: { matchLabels: { house: "slytherin" } } }] }] };

describe("KubeClusterSource with the tiered-policy CRDs", () => {
  let api: FakeKubeApi | undefined;
  let kubeconfig: TempKubeconfig | undefined;
  let source: KubeClusterSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await api?.stop();
    kubeconfig?.remove();
    source = api = kubeconfig = undefined;
  });

  async function setup(served: boolean, absentRetryMs = 60_000) {
    api = await FakeKubeApi.create();
    if (served) for (const r of TIER_RESOURCES) api.registerResource(r);
    kubeconfig = new TempKubeconfig(api.url);
    source = sourceFor(kubeconfig, { kinds: ALL_KINDS, absentRetryMs });
    return { api, source };
  }

  it("when the cluster does not serve them: start() resolves, empty listings, notServed and no error", async () => {
    const { api, source } = await setup(false);
    api.upsert(namespace("prod"));
    const handler = new RecordingHandler();
    await source.start(handler);
    for (const kind of ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"] as const) {
      expect(handler.lists(kind)).toEqual([{ op: "list", kind, via: "list", objects: [] }]);
      const status = source.status().kinds.find((k) => k.kind === kind)!;
      expect(status).toMatchObject({ synced: true, watching: false, notServed: true });
      expect(status.lastError).toBeUndefined();
    }
    expect(handler.lastListing("Namespace")).toEqual(["prod"]);
    // Looked for once, not retried in a loop.
    await new Promise((r) => setTimeout(r, 300));
    expect(api.requestsTo({ path: "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies" }).length).toBe(1);
  });

  it("when served: cluster-scoped objects are listed and watched, spec kept as served", async () => {
    const { api, source } = await setup(true);
    api.upsert(tiered("AdminNetworkPolicy", "guard", denySlytherin));
    api.upsert(tiered("BaselineAdminNetworkPolicy", "default", { subject: { namespaces: {} }, egress: [{ action: "Deny", to: [{ networks: ["0.0.0.0/0"] }] }] }));
    const handler = new RecordingHandler();
    await source.start(handler);
    expect(handler.lastListing("AdminNetworkPolicy")).toEqual(["guard"]);
    expect(handler.lastListing("BaselineAdminNetworkPolicy")).toEqual(["default"]);
    expect(handler.lastListing("ClusterNetworkPolicy")).toEqual([]);
    const [anp] = handler.lists("AdminNetworkPolicy")[0]!.objects;
    expect(anp).toMatchObject({ kind: "AdminNetworkPolicy", meta: { name: "guard", namespace: "" }, spec: denySlytherin });
    expect(source.status().kinds.every((k) => k.notServed === undefined)).toBe(true);

    await waitFor(() => source.status().kinds.every((k) => k.watching), "every kind watching");
    // ClusterNetworkPolicy was listed at v1alpha2 after v1beta1 answered 404, and is watched there at once.
    expect(source.status().kinds.map((k) => [k.kind, k.restarts, k.lastError])).toEqual(ALL_KINDS.map((k) => [k, 0, undefined]));
    // One request to the v1beta1 collection the fake does not serve (the list answered 404), no watch.
    expect(api.requestsTo({ path: "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies" }).map((r) => r.query.includes("watch=true"))).toEqual([false]);
    api.upsert(tiered("ClusterNetworkPolicy", "prod", { tier: "Admin", priority: 3, subject: { namespaces: {} }, egress: [{ action: "Pass", to: [{ namespaces: {} }] }] }));
    api.upsert(tiered("AdminNetworkPolicy", "guard", { ...denySlytherin, priority: 11 }));
    api.delete(tiered("BaselineAdminNetworkPolicy", "default", {}));
    await waitFor(() => handler.events().length >= 3, "three watch events");
    expect(handler.eventLines()).toEqual(["upsert ClusterNetworkPolicy prod", "upsert AdminNetworkPolicy guard", "remove BaselineAdminNetworkPolicy default"]);
    const updated = handler.events("AdminNetworkPolicy")[0]!.object;
    expect(updated).toMatchObject({ spec: { priority: 11 } });
  });

  it("ClusterNetworkPolicy served only at v1beta1 (its newer version) is listed and watched there", async () => {
    api = await FakeKubeApi.create();
    const v1beta1: ResourceDef = { ...TIER_RESOURCES[2]!, path: "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies", apiVersion: "policy.networking.k8s.io/v1beta1" };
    api.registerResource(v1beta1);
    kubeconfig = new TempKubeconfig(api.url);
    source = sourceFor(kubeconfig, { kinds: ALL_KINDS, absentRetryMs: 60_000 });
    const cnp = (name: string, priority: number): KubeObject => ({ apiVersion: v1beta1.apiVersion, kind: "ClusterNetworkPolicy", metadata: { name }, spec: { tier: "Admin", priority, subject: { namespaces: {} }, ingress: [] } });
    api.upsert(cnp("first", 1));
    const handler = new RecordingHandler();
    await source.start(handler);
    expect(handler.lastListing("ClusterNetworkPolicy")).toEqual(["first"]);
    expect(source.status().kinds.find((k) => k.kind === "ClusterNetworkPolicy")!.notServed).toBeUndefined();
    await waitFor(() => source!.status().kinds.find((k) => k.kind === "ClusterNetworkPolicy")!.watching, "watching ClusterNetworkPolicy");
    api.upsert(cnp("second", 2));
    await waitFor(() => handler.events("ClusterNetworkPolicy").length === 1, "the watch event");
    expect(handler.eventLines()).toEqual(["upsert ClusterNetworkPolicy second"]);
    expect(source.status().kinds.find((k) => k.kind === "ClusterNetworkPolicy")).toMatchObject({ restarts: 0 });
    // The v1alpha2 collection was never watched.
    expect(api.requestsTo({ path: "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies" }).length).toBe(0);
  });

  it("a 403 on an optional kind is reported and skipped: the sync completes without it, and it is read once RBAC allows it", async () => {
    api = await FakeKubeApi.create();
    for (const r of TIER_RESOURCES) api.registerResource(r);
    const beta = "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies";
    const alpha = "/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies";
    api.failNext(beta, 403, 1, { on: "list", message: 'clusternetworkpolicies.policy.networking.k8s.io is forbidden: User "limited" cannot list resource' });
    api.upsert(tiered("ClusterNetworkPolicy", "x", { tier: "Admin", priority: 1, subject: { namespaces: {} }, ingress: [] }));
    kubeconfig = new TempKubeconfig(api.url);
    source = sourceFor(kubeconfig, { kinds: ALL_KINDS, absentRetryMs: 300 });
    const handler = new RecordingHandler();
    await source.start(handler);
    const cnpStatus = () => source!.status().kinds.find((k) => k.kind === "ClusterNetworkPolicy")!;
    // Skipped: nothing delivered (what is stored stays), a 403 is no reason to try the older version.
    expect(handler.lists("ClusterNetworkPolicy")).toEqual([]);
    expect(cnpStatus()).toMatchObject({ state: "forbidden", optional: true, forbidden: { verb: "list", resource: "clusternetworkpolicies", group: "policy.networking.k8s.io" } });
    expect(cnpStatus().lastError).toMatch(/^forbidden: list clusternetworkpolicies\.policy\.networking\.k8s\.io/);
    expect(requiredPermissionProblem(source.status())).toBeUndefined();
    // Looked at again after absentRetryMs: now allowed (the fake serves v1alpha2 only: 404 on v1beta1 moves on).
    await waitFor(() => handler.lastListing("ClusterNetworkPolicy").includes("x"), "the kind read once allowed");
    await waitFor(() => cnpStatus().state === "watching", "watching ClusterNetworkPolicy");
    expect(cnpStatus().lastError).toBeUndefined();
    const lists = api.requestsTo().filter((r) => (r.path === beta || r.path === alpha) && !r.query.includes("watch=true"));
    expect(lists.map((r) => `${r.path === beta ? "v1beta1" : "v1alpha2"} ${r.status}`)).toEqual(["v1beta1 403", "v1beta1 404", "v1alpha2 200"]);
  });

  it("a CRD installed later is picked up at the next look, with its objects", async () => {
    const { api, source } = await setup(false, 200);
    const handler = new RecordingHandler();
    await source.start(handler);
    expect(source.status().kinds.find((k) => k.kind === "AdminNetworkPolicy")).toMatchObject({ notServed: true });
    api.registerResource(TIER_RESOURCES[0]!);
    api.upsert(tiered("AdminNetworkPolicy", "late", denySlytherin));
    await waitFor(() => handler.lastListing("AdminNetworkPolicy").includes("late"), "the late CRD listed");
    expect(handler.lists("AdminNetworkPolicy").map((l) => l.via)).toEqual(["list", "relist"]);
    await waitFor(() => source.status().kinds.find((k) => k.kind === "AdminNetworkPolicy")!.watching, "watching the late CRD");
    expect(source.status().kinds.find((k) => k.kind === "AdminNetworkPolicy")).toMatchObject({ synced: true, restarts: 0 });
    expect(source.status().kinds.find((k) => k.kind === "AdminNetworkPolicy")!.notServed).toBeUndefined();
  });

  it("maps API objects to cluster-scoped ClusterObjects (namespace ignored, undefined fields dropped)", () => {
    const o = toClusterObject("ClusterNetworkPolicy", {
      apiVersion: "policy.networking.k8s.io/v1alpha2",
      kind: "ClusterNetworkPolicy",
      metadata: { name: "x", uid: "u1", resourceVersion: "7", labels: { a: "b" } },
      spec: { tier: "Baseline", priority: 1, subject: { namespaces: {} }, ingress: undefined },
    });
    expect(o).toEqual({ kind: "ClusterNetworkPolicy", meta: { uid: "u1", name: "x", namespace: "", resourceVersion: "7", labels: { a: "b" } }, spec: { tier: "Baseline", priority: 1, subject: { namespaces: {} } } });
    expect(() => toClusterObject("AdminNetworkPolicy", { metadata: { name: "x" } })).toThrow(/lacks metadata.uid/);
  });
});
