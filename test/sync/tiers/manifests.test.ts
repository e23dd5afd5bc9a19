/**
 * The manifest reader and ClusterState with tiered policies: AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) and ClusterNetworkPolicy (v1alpha2
 * and v1beta1) become cluster-scoped engine inputs; other kinds of the group are ignored with a hint.
 */
import { describe, expect, it } from "vitest";
import { compileWorld } from "../../../src/engine/index.js";
import { ClusterState } from "../../../src/domain/ClusterState.js";
import { toClusterObjects } from "../../../src/sync/manifests/ManifestSource.js";
import { toWorldInput } from "../../../src/sync/manifests/toWorldInput.js";
import type { ClusterObject } from "../../../src/domain/objects.js";

const doc = (value: unknown, origin = "tiers.yaml#0") => ({ value, origin });
const anp = { apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "AdminNetworkPolicy", metadata: { name: "guard", namespace: "ignored" }, spec: { priority: 1, subject: { namespaces: {} } } };
const cnp = (apiVersion: string, name: string) => ({ apiVersion, kind: "ClusterNetworkPolicy", metadata: { name }, spec: { tier: "Baseline", priority: 2, subject: { namespaces: {} } } });
const banp = { apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "BaselineAdminNetworkPolicy", metadata: { name: "default" }, spec: { subject: { namespaces: {} } } };

describe("manifests with tiered policies", () => {
  it("reads the three kinds, both API versions, as cluster-scoped engine input", () => {
    const r = toWorldInput([doc(anp), doc(cnp("policy.networking.k8s.io/v1alpha2", "a"), "t.yaml#1"), doc({ ...cnp("policy.networking.k8s.io/v1beta1", "b"), spec: { ...cnp("", "b").spec, priority: 3 } }, "t.yaml#2"), doc(banp, "t.yaml#3")]);
    expect(r.diagnostics).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.world.tieredPolicies).toEqual([
      { kind: "AdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", name: "guard", spec: anp.spec, origin: "tiers.yaml#0" },
      { kind: "ClusterNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha2", name: "a", spec: cnp("", "a").spec, origin: "t.yaml#1" },
      { kind: "ClusterNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1beta1", name: "b", spec: { ...cnp("", "b").spec, priority: 3 }, origin: "t.yaml#2" },
      { kind: "BaselineAdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", name: "default", spec: banp.spec, origin: "t.yaml#3" },
    ]);
    expect(r.stats).toMatchObject({ objects: 4, tieredPolicies: 4, networkPolicies: 0, ignored: 0 });
    const { world, diagnostics } = compileWorld(r.world);
    expect(diagnostics).toEqual([]);
    expect(world.tieredPolicies.map((p) => p.ref.name)).toEqual(["guard", "a", "b", "default"]);
  });

  it("an unknown apiVersion of a known kind is the engine's error, naming the file", () => {
    const r = toWorldInput([doc({ ...anp, apiVersion: "policy.networking.k8s.io/v1alpha2" })]);
    expect(compileWorld(r.world).diagnostics).toEqual([expect.objectContaining({ severity: "error", code: "INVALID_OBJECT", field: "apiVersion", origin: "tiers.yaml#0", object: "AdminNetworkPolicy guard" })]);
  });

  it("look-alikes in other groups and other kinds of the group are ignored, with a hint for the group", () => {
    const r = toWorldInput([
      doc({ ...anp, apiVersion: "example.com/v1" }),
      doc({ apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "ExternalNetworkSet", metadata: { name: "x" } }, "t.yaml#1"),
    ]);
    expect(r.world.tieredPolicies).toBeUndefined();
    expect(r.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^ignored 1 AdminNetworkPolicy object \(example\.com\/v1\), first in tiers\.yaml#0: kubereach reads Namespace, Pod, /),
      "ignored 1 ExternalNetworkSet object (policy.networking.k8s.io/v1alpha1), first in t.yaml#1: kubereach reads AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy (policy.networking.k8s.io)",
    ]);
  });

  it("manifest objects get stable cluster-scoped identities, and ClusterState gives them back to the engine", () => {
    const r = toWorldInput([doc(anp), doc(banp, "t.yaml#1")]);
    const objects = toClusterObjects(r.world);
    const policies = objects.filter((o) => o.kind !== "Namespace" && o.kind !== "Pod");
    expect(policies.map((o) => [o.kind, o.meta.namespace, o.meta.name])).toEqual([
      ["AdminNetworkPolicy", "", "guard"],
      ["BaselineAdminNetworkPolicy", "", "default"],
    ]);
    expect(toClusterObjects(r.world).map((o) => o.meta.uid)).toEqual(objects.map((o) => o.meta.uid));
    const input = ClusterState.from(objects).toWorldInput();
    expect(input.tieredPolicies).toEqual([
      { kind: "AdminNetworkPolicy", name: "guard", spec: anp.spec, origin: expect.stringMatching(/^AdminNetworkPolicy guard \(uid manifest-/) },
      { kind: "BaselineAdminNetworkPolicy", name: "default", spec: banp.spec, origin: expect.stringMatching(/^BaselineAdminNetworkPolicy default \(uid /) },
    ]);
  });

  it("ClusterState without tiered policies gives the same input as before (no tieredPolicies key)", () => {
    const ns: ClusterObject = { kind: "Namespace", meta: { uid: "1", name: "a", namespace: "", resourceVersion: "1", labels: {} } };
    expect(ClusterState.from([ns]).toWorldInput()).toEqual({ namespaces: [{ name: "a", labels: {}, origin: "Namespace a (uid 1)" }], pods: [], networkPolicies: [] });
  });
});
