import { describe, expect, it } from "vitest";
import { compileWorld, explain, type WorldInput } from "../../src/engine/index.js";

const pods = [
  { namespace: "x", name: "a", labels: { app: "a" } },
  { namespace: "x", name: "b", labels: { app: "b" } },
  { namespace: "x", name: "c", labels: { app: "c" } },
];
const badPort = { namespace: "x", name: "bad-port", spec: { podSelector: { matchLabels: { app: "b" } }, ingress: [{ ports: [{ port: 70000 }] }] } };
const badSelector = { namespace: "x", name: "bad-op", spec: { podSelector: { matchExpressions: [{ key: "app", operator: "Like", values: ["c"] }] }, ingress: [] } };
const denyToB = {
  kind: "AdminNetworkPolicy",
  name: "deny-b",
  spec: { priority: 1, subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: "b" } } } }, ingress: [{ action: "Deny", from: [{ namespaces: {} }] }] },
};
const w = (extra: Partial<WorldInput> = {}): WorldInput => ({ namespaces: [], pods, networkPolicies: [badPort, badSelector], ...extra });
const ask = (world: WorldInput, from: string, to: string) => {
  const r = explain(compileWorld(world).world, { type: "workload", namespace: "x", name: from }, { type: "workload", namespace: "x", name: to }, 80, "TCP");
  if (!r.ok) throw new Error(r.message);
  return r.explanation;
};

describe("an invalid NetworkPolicy makes answers about the pods it selects UNKNOWN, not wide open", () => {
  it("records the refused policy with the pods it selects and why", () => {
    const r = compileWorld(w());
    expect(r.world.networkPolicies).toEqual([]);
    expect(r.world.invalidPolicies?.map((p) => [p.ref.name, p.podSelector !== undefined, p.problems[0]])).toEqual([
      ["bad-port", true, expect.stringMatching(/^spec\.ingress\[0\]\.ports\[0\]\.port: .*70000/)],
      ["bad-op", false, expect.stringMatching(/operator/)],
    ]);
  });

  it.each([
    { name: "a pod selected by the policy with port 70000", policies: [badPort], to: "b", fact: /^NetworkPolicy x\/bad-port selects x\/b\[Pod\] but is invalid .*70000.*its effect on ingress is unknown$/ },
    { name: "any pod of the namespace when the policy's own selector is invalid", policies: [badSelector], to: "c", fact: /^NetworkPolicy x\/bad-op may select x\/c\[Pod\] but is invalid .*operator.*its effect on ingress is unknown$/ },
  ])("$name: UNKNOWN, naming the policy", ({ policies, to, fact }) => {
    const e = ask({ ...w(), networkPolicies: policies }, "a", to);
    expect(e.verdict).toBe("UNKNOWN");
    expect(e.unknowns.some((u) => fact.test(u)), e.unknowns.join("\n")).toBe(true);
  });

  it("only the directions the policy would affect: an ingress-only policy leaves the pod's egress known", () => {
    expect(ask({ ...w(), networkPolicies: [badPort] }, "b", "a").verdict).toBe("ALLOWED");
    const both = { ...badPort, spec: { ...badPort.spec, policyTypes: ["Ingress", "Egress"] } };
    const e = ask({ ...w(), networkPolicies: [both] }, "b", "a");
    expect(e.verdict).toBe("UNKNOWN");
    expect(e.unknowns[0]).toMatch(/x\/bad-port selects x\/b\[Pod\] .*effect on egress is unknown/);
  });

  it("a pod no invalid policy selects is answered as before", () => {
    expect(ask({ ...w(), networkPolicies: [badPort] }, "c", "a").verdict).toBe("ALLOWED");
  });

  it("an Admin-tier rule that decides first still decides: DENIED", () => {
    const e = ask(w({ networkPolicies: [badPort], tieredPolicies: [denyToB] }), "a", "b");
    expect(e.verdict).toBe("DENIED");
  });
});
