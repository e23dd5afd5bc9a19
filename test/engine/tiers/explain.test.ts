/**
 * Explanations with tiers: they name the tier, policy, priority and rule that decided each side,
 * Pass hand-offs included, and answer UNKNOWN (saying why) when a rule kubereach cannot resolve
 * (nodes, domainNames) could change the verdict.
 */
import { describe, expect, it } from "vitest";
import { explain, type EndpointQuery, type Explanation, type NetworkPolicyInput, type TieredPolicyInput } from "../../../src/engine/index.js";
import { policy } from "../../helpers/worldBuilders.js";
import { anp, banp, buildTierWorld, cnp, egressRule as eg, ingressRule as ing, networks, nsSubject, tcpPort, toNs } from "./builders.js";

const at = (ref: string): EndpointQuery => {
  if (/^[\d.:]+$/.test(ref)) return { type: "ip", ip: ref };
  const [namespace, name] = ref.split("/");
  return { type: "workload", namespace: namespace!, name: name! };
};

function explainIn(tiered: readonly TieredPolicyInput[], from: string, to: string, port: number, policies: readonly NetworkPolicyInput[] = []): Explanation {
  const r = explain(buildTierWorld(tiered, policies), at(from), at(to), port, "TCP");
  if (!r.ok) throw new Error(r.message);
  return r.explanation;
}

const denyAllIngress = policy("a", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] });
const allowFromB = policy("a", "allow-b", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "b" } } }] }] });

describe("explain with tiers", () => {
  it("names the Admin rule that denied: tier, policy, priority, rule and its name", () => {
    const e = explainIn([cnp("guard", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Deny", [toNs("b")], [tcpPort(80)], "no-b")] })], "b/client", "a/web", 80, [allowFromB]);
    expect(e.verdict).toBe("DENIED");
    expect(e.ingress).toMatchObject({
      decidedIn: "admin",
      allowed: false,
      decidedBy: { tier: "admin", policy: { kind: "ClusterNetworkPolicy", namespace: "", name: "guard" }, priority: 10, rule: "spec.ingress[0]", ruleName: "no-b", action: "deny" },
      passedBy: [],
      tieredPolicies: [{ kind: "ClusterNetworkPolicy", namespace: "", name: "guard" }],
    });
    expect(e.ingress.reason).toBe(
      'ingress denied by the Admin tier: ClusterNetworkPolicy guard (Admin tier, priority 10) rule spec.ingress[0] "no-b" (Deny; from: any pod in namespaces matching kubernetes.io/metadata.name=b; ports: TCP 80), before any NetworkPolicy',
    );
    expect(e.egress).toMatchObject({ decidedIn: "default", allowed: true });
  });

  it("a v1alpha1 Allow is named as written", () => {
    const e = explainIn([anp("ops", 3, { subject: nsSubject("a"), ingress: [{ name: "ops", action: "Allow", from: [toNs("b")] }] })], "b/client", "a/web", 22, [denyAllIngress]);
    expect(e.verdict).toBe("ALLOWED");
    expect(e.ingress.reason).toContain('allowed by the Admin tier: AdminNetworkPolicy ops (Admin tier, priority 3) rule spec.ingress[0] "ops" (Allow;');
    expect(e.ingress.decidedBy).toMatchObject({ action: "accept", priority: 3 });
  });

  it("a Pass hand-off to NetworkPolicy is named, then the NetworkPolicy rule that allowed", () => {
    const e = explainIn([cnp("delegate", "Admin", 5, { subject: nsSubject("a"), ingress: [ing("Pass", [toNs("b")], undefined, "to-app-teams"), ing("Deny", [toNs("b")])] })], "b/client", "a/web", 80, [allowFromB]);
    expect(e.verdict).toBe("ALLOWED");
    expect(e.ingress).toMatchObject({ decidedIn: "networkPolicy", decidedBy: undefined, passedBy: [{ policy: { name: "delegate" }, action: "pass", ruleName: "to-app-teams", priority: 5 }] });
    expect(e.ingress.reason).toMatch(/^the Admin tier passes ingress from b\/client\[Pod\] on to the next tier \(ClusterNetworkPolicy delegate \(Admin tier, priority 5\) rule spec\.ingress\[0\] "to-app-teams" \(Pass; .*\); then ingress allowed by NetworkPolicy a\/allow-b rule spec\.ingress\[0\]/);
  });

  it("a Pass hand-off to the Baseline tier, which denies", () => {
    const e = explainIn([cnp("delegate", "Admin", 5, { ingress: [ing("Pass", [toNs("b")])] }), banp({ ingress: [{ name: "baseline-deny", action: "Deny", from: [toNs("b")] }] })], "b/client", "a/web", 80);
    expect(e.verdict).toBe("DENIED");
    expect(e.ingress).toMatchObject({ decidedIn: "baseline", decidedBy: { tier: "baseline", policy: { kind: "BaselineAdminNetworkPolicy", name: "default" }, priority: undefined, action: "deny" }, passedBy: [{ tier: "admin" }] });
    expect(e.ingress.reason).toContain("no NetworkPolicy selects a/web[Pod] for ingress, and ingress is denied by the Baseline tier: BaselineAdminNetworkPolicy default (Baseline tier) rule spec.ingress[0]");
  });

  it("a Baseline Pass falls through to the default, and says so", () => {
    const e = explainIn([cnp("b", "Baseline", 5, { ingress: [ing("Pass", [toNs("b")])] }), cnp("c", "Baseline", 6, { ingress: [ing("Deny", [toNs("b")])] })], "b/client", "a/web", 80);
    expect(e.verdict).toBe("ALLOWED");
    expect(e.ingress).toMatchObject({ decidedIn: "default", passedBy: [{ tier: "baseline", policy: { name: "b" } }] });
    expect(e.ingress.reason).toContain("the Baseline tier passes it");
  });

  it("when NetworkPolicy isolates the pod, it decides and the Baseline tier is said not to apply", () => {
    const e = explainIn([cnp("allow", "Baseline", 5, { ingress: [ing("Accept", [toNs("b")])] })], "b/client", "a/web", 80, [denyAllIngress]);
    expect(e.verdict).toBe("DENIED");
    expect(e.ingress.decidedIn).toBe("networkPolicy");
    expect(e.ingress.reason).toContain("the Baseline tier does not apply to a pod a NetworkPolicy selects");
  });

  it("without tiered policies, reasons are NetworkPolicy's own", () => {
    const e = explainIn([], "b/client", "a/web", 80, [denyAllIngress]);
    expect(e.ingress).toMatchObject({ decidedIn: "networkPolicy", decidedBy: undefined, passedBy: [], tieredPolicies: [] });
    expect(e.ingress.reason).toBe("ingress denied by default: a/web[Pod] is isolated for ingress by NetworkPolicy a/deny-all, and no ingress rule admits b/client[Pod] on TCP 80");
    expect(e.egress.reason).toBe("no NetworkPolicy selects b/client[Pod] for egress, so all egress traffic is allowed");
  });
});

describe("explain: UNKNOWN where an unresolvable tiered peer could change the answer", () => {
  const nodesDeny = cnp("no-nodes", "Admin", 1, { subject: nsSubject("b"), egress: [eg("Deny", [{ nodes: { matchLabels: { "node-role.kubernetes.io/control-plane": "" } } }], [tcpPort(6443)])] });
  const domainsThenDeny = cnp("egress-allowlist", "Admin", 1, { subject: nsSubject("b"), egress: [eg("Accept", [{ domainNames: ["api.example.com"] }], [tcpPort(443)]), eg("Deny", [networks("0.0.0.0/0")])] });

  it.each([
    { name: "a nodes Deny toward an external address that may be a node", tiered: [nodesDeny], to: "172.20.0.1", port: 6443, verdict: "UNKNOWN", unknown: /names nodes matching .*which kubereach cannot resolve; if 172\.20\.0\.1\[External\] is among the node addresses .*, its Deny would make the connection denied/ },
    { name: "a nodes Deny toward a hostNetwork pod (its IP is its node's)", tiered: [nodesDeny], to: "a/host", port: 6443, verdict: "UNKNOWN", unknown: /its Deny would make the connection denied/ },
    { name: "a nodes Deny cannot match a pod on the pod network", tiered: [nodesDeny], to: "a/web", port: 6443, verdict: "ALLOWED" },
    { name: "a nodes Deny on another port is irrelevant", tiered: [nodesDeny], to: "172.20.0.1", port: 443, verdict: "ALLOWED" },
    { name: "a domainNames Accept before a Deny to the internet: the address may be the domain's", tiered: [domainsThenDeny], to: "93.184.216.34", port: 443, verdict: "UNKNOWN", unknown: /names domain names api\.example\.com, which kubereach cannot resolve; .* its Accept would make the connection allowed/ },
    { name: "the same policy on another port is a plain denial", tiered: [domainsThenDeny], to: "93.184.216.34", port: 80, verdict: "DENIED" },
    { name: "domain names do not resolve to pods: a pod destination is a plain answer", tiered: [domainsThenDeny], to: "a/web", port: 443, verdict: "DENIED" },
    {
      name: "an unresolved rule shadowed by an earlier decision changes nothing",
      tiered: [cnp("p", "Admin", 1, { subject: nsSubject("b"), egress: [eg("Deny", [networks("0.0.0.0/0")]), eg("Accept", [{ domainNames: ["api.example.com"] }])] })],
      to: "93.184.216.34",
      port: 443,
      verdict: "DENIED",
    },
  ])("$name", ({ tiered, to, port, verdict, unknown }) => {
    const e = explainIn(tiered, "b/client", to, port);
    expect(e.verdict).toBe(verdict);
    if (unknown) expect(e.unknowns).toEqual([expect.stringMatching(unknown)]);
    else expect(e.unknowns).toEqual([]);
  });

  it("the matrix counts the rules it could not resolve", async () => {
    const { buildMatrix } = await import("../../../src/engine/index.js");
    expect(buildMatrix(buildTierWorld([nodesDeny, domainsThenDeny.kind === "ClusterNetworkPolicy" ? { ...domainsThenDeny, name: "other" } : domainsThenDeny])).stats.unresolvedPeerRules).toBe(2);
    expect(buildMatrix(buildTierWorld([])).stats.unresolvedPeerRules).toBe(0);
  });
});
