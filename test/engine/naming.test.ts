import { describe, expect, it } from "vitest";
import { compileWorld, type WorldInput } from "../../src/engine/index.js";

const world = (w: Partial<WorldInput>): WorldInput => ({ namespaces: [], pods: [], networkPolicies: [], ...w });
const policy = (namespace: string, name: string) => ({ namespace, name, spec: { podSelector: {} }, origin: "p.yaml#0" });

describe("Kubernetes naming rules, as the API server applies them per kind", () => {
  it.each([
    { name: "a namespace name is a DNS-1123 label (no dots)", w: world({ namespaces: [{ name: "team.a", origin: "ns.yaml#0" }] }), object: "Namespace team.a", field: "metadata.name" },
    { name: "a namespace name has no capitals", w: world({ namespaces: [{ name: "Prod" }] }), object: "Namespace Prod", field: "metadata.name" },
    { name: "a namespace name is at most 63 characters", w: world({ namespaces: [{ name: "n".repeat(64) }] }), object: `Namespace ${"n".repeat(64)}`, field: "metadata.name" },
    { name: "a pod's namespace is a DNS-1123 label", w: world({ pods: [{ namespace: "a_b", name: "web" }] }), object: "Pod a_b/web", field: "metadata.namespace" },
    { name: "a pod name is a DNS-1123 subdomain (no underscore)", w: world({ pods: [{ namespace: "a", name: "web_1" }] }), object: "Pod a/web_1", field: "metadata.name" },
    { name: "a NetworkPolicy name ends with a letter or digit", w: world({ networkPolicies: [policy("a", "allow-")] }), object: "NetworkPolicy a/allow-", field: "metadata.name" },
    { name: "a NetworkPolicy name is at most 253 characters", w: world({ networkPolicies: [policy("a", "x".repeat(254))] }), object: `NetworkPolicy a/${"x".repeat(254)}`, field: "metadata.name" },
    { name: "a NetworkPolicy's namespace is a DNS-1123 label", w: world({ networkPolicies: [policy("A", "deny")] }), object: "NetworkPolicy A/deny", field: "metadata.namespace" },
    {
      name: "an AdminNetworkPolicy name is a DNS-1123 subdomain",
      w: world({ tieredPolicies: [{ kind: "AdminNetworkPolicy", name: "Deny All", spec: { priority: 1, subject: { namespaces: {} } } }] }),
      object: "AdminNetworkPolicy Deny All",
      field: "metadata.name",
    },
  ])("refuses: $name", ({ w, object, field }) => {
    const r = compileWorld(w);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toMatchObject([{ code: "INVALID_NAME", object, field }]);
    expect(r.world.pods).toEqual([]);
    expect(r.world.networkPolicies).toEqual([]);
    expect(r.world.tieredPolicies).toEqual([]);
  });

  it("names the file of the refused object", () => {
    const d = compileWorld(world({ networkPolicies: [policy("a", "Bad")] })).diagnostics[0]!;
    expect(d).toMatchObject({ origin: "p.yaml#0", field: "metadata.name" });
    expect(d.message).toMatch(/"Bad" is not a valid name: it must be a DNS-1123 subdomain/);
  });

  it.each(["a", "web-1", "a.b.c", "0abc", "x".repeat(253)])("accepts the subdomain %s as a pod or policy name", (name) => {
    const r = compileWorld(world({ pods: [{ namespace: "a", name }], networkPolicies: [policy("kube-system", name)] }));
    expect(r.diagnostics).toEqual([]);
    expect(r.world.pods).toHaveLength(1);
    expect(r.world.networkPolicies).toHaveLength(1);
  });
});
