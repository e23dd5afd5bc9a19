/**
 * Compiling tiered policies: the CRDs' validation (OpenAPI and CEL) as diagnostics with codes and
 * fields, the normalised model both API versions compile to, and the warnings for ties, unresolved
 * peers and fail-closed peers.
 */
import { describe, expect, it } from "vitest";
import type { TieredPolicyInput } from "../../../src/engine/index.js";
import { anp, banp, cnp, egressRule as eg, ingressRule as ing, networks, nsSubject, tcpPort, tierWorld, toNs } from "./builders.js";

interface BadRow {
  readonly name: string;
  readonly policy: TieredPolicyInput;
  readonly code: string;
  readonly field: string;
}

const raw = (kind: string, spec: unknown, name = "p", apiVersion?: string): TieredPolicyInput => ({ kind, name, spec, ...(apiVersion ? { apiVersion } : {}) });

const BAD: readonly BadRow[] = [
  { name: "ClusterNetworkPolicy without a tier", policy: raw("ClusterNetworkPolicy", { priority: 1, subject: { namespaces: {} } }), code: "INVALID_TIER", field: "spec.tier" },
  { name: "ClusterNetworkPolicy with tier NetworkPolicy", policy: raw("ClusterNetworkPolicy", { tier: "NetworkPolicy", priority: 1, subject: { namespaces: {} } }), code: "INVALID_TIER", field: "spec.tier" },
  { name: "AdminNetworkPolicy without a priority", policy: raw("AdminNetworkPolicy", { subject: { namespaces: {} } }), code: "INVALID_PRIORITY", field: "spec.priority" },
  { name: "priority above 1000", policy: raw("ClusterNetworkPolicy", { tier: "Admin", priority: 1001, subject: { namespaces: {} } }), code: "INVALID_PRIORITY", field: "spec.priority" },
  { name: "a fractional priority", policy: raw("AdminNetworkPolicy", { priority: 1.5, subject: { namespaces: {} } }), code: "INVALID_PRIORITY", field: "spec.priority" },
  { name: "a BaselineAdminNetworkPolicy not named default", policy: banp({}, "other"), code: "INVALID_NAME", field: "metadata.name" },
  { name: "a BaselineAdminNetworkPolicy with a priority (unknown field)", policy: raw("BaselineAdminNetworkPolicy", { priority: 1, subject: { namespaces: {} } }, "default"), code: "INVALID_OBJECT", field: "spec.priority" },
  { name: "no subject", policy: raw("AdminNetworkPolicy", { priority: 1 }), code: "INVALID_SUBJECT", field: "spec.subject" },
  { name: "a subject with both namespaces and pods", policy: anp("p", 1, { subject: { namespaces: {}, pods: { podSelector: {} } } }), code: "INVALID_SUBJECT", field: "spec.subject" },
  { name: "a pods subject without podSelector", policy: anp("p", 1, { subject: { pods: { namespaceSelector: {} } } }), code: "INVALID_PEER", field: "spec.subject.pods.podSelector" },
  { name: "Allow in a ClusterNetworkPolicy", policy: cnp("p", "Admin", 1, { ingress: [ing("Allow", [toNs("b")])] }), code: "INVALID_ACTION", field: "spec.ingress[0].action" },
  { name: "Accept in an AdminNetworkPolicy", policy: anp("p", 1, { ingress: [ing("Accept", [toNs("b")])] }), code: "INVALID_ACTION", field: "spec.ingress[0].action" },
  { name: "Pass in the BaselineAdminNetworkPolicy", policy: banp({ ingress: [ing("Pass", [toNs("b")])] }), code: "INVALID_ACTION", field: "spec.ingress[0].action" },
  { name: "a rule without peers", policy: cnp("p", "Admin", 1, { ingress: [{ action: "Deny", from: [] }] }), code: "INVALID_PEER", field: "spec.ingress[0].from" },
  { name: "a peer with two kinds", policy: cnp("p", "Admin", 1, { egress: [eg("Deny", [{ namespaces: {}, networks: ["0.0.0.0/0"] }])] }), code: "INVALID_PEER", field: "spec.egress[0].to[0]" },
  { name: "an empty peer", policy: cnp("p", "Admin", 1, { egress: [eg("Deny", [{}])] }), code: "INVALID_PEER", field: "spec.egress[0].to[0]" },
  { name: "networks in an ingress rule", policy: cnp("p", "Admin", 1, { ingress: [ing("Deny", [networks("0.0.0.0/0")])] }), code: "INVALID_PEER", field: "spec.ingress[0].from[0].networks" },
  { name: "a bad CIDR in networks", policy: cnp("p", "Admin", 1, { egress: [eg("Deny", [networks("10.0.0.0/33")])] }), code: "INVALID_CIDR", field: "spec.egress[0].to[0].networks[0]" },
  { name: "domainNames in a Deny rule", policy: cnp("p", "Admin", 1, { egress: [eg("Deny", [{ domainNames: ["example.com"] }])] }), code: "INVALID_PEER", field: "spec.egress[0].to[0].domainNames" },
  { name: "domainNames in the BaselineAdminNetworkPolicy", policy: banp({ egress: [eg("Allow", [{ domainNames: ["example.com"] }])] }), code: "INVALID_PEER", field: "spec.egress[0].to[0].domainNames" },
  { name: "a malformed domain name", policy: cnp("p", "Admin", 1, { egress: [eg("Accept", [{ domainNames: ["exa mple.com"] }])] }), code: "INVALID_PEER", field: "spec.egress[0].to[0].domainNames[0]" },
  { name: "a named port with a networks peer", policy: cnp("p", "Admin", 1, { egress: [eg("Accept", [networks("10.0.0.0/8")], [{ destinationNamedPort: "http" }])] }), code: "INVALID_PORT", field: "spec.egress[0].protocols" },
  { name: "v1alpha2 range with start == end (CEL: start < end)", policy: cnp("p", "Admin", 1, { ingress: [ing("Deny", [toNs("b")], [{ tcp: { destinationPort: { range: { start: 80, end: 80 } } } }])] }), code: "INVALID_PORT", field: "spec.ingress[0].protocols[0].tcp.destinationPort.range" },
  { name: "v1alpha2 tcp without destinationPort", policy: cnp("p", "Admin", 1, { ingress: [ing("Deny", [toNs("b")], [{ tcp: {} }])] }), code: "INVALID_PORT", field: "spec.ingress[0].protocols[0].tcp.destinationPort" },
  { name: "v1alpha2 protocols entry with two protocols", policy: cnp("p", "Admin", 1, { ingress: [ing("Deny", [toNs("b")], [{ tcp: { destinationPort: { number: 1 } }, udp: { destinationPort: { number: 1 } } }])] }), code: "INVALID_PORT", field: "spec.ingress[0].protocols[0]" },
  { name: "v1alpha2 empty protocols list", policy: cnp("p", "Admin", 1, { ingress: [ing("Deny", [toNs("b")], [])] }), code: "INVALID_PORT", field: "spec.ingress[0].protocols" },
  { name: "v1alpha1 `ports` in a ClusterNetworkPolicy", policy: cnp("p", "Admin", 1, { ingress: [{ action: "Deny", from: [toNs("b")], ports: [{ portNumber: { port: 80 } }] }] }), code: "INVALID_OBJECT", field: "spec.ingress[0].ports" },
  { name: "v1alpha1 portNumber out of range", policy: anp("p", 1, { ingress: [{ action: "Deny", from: [toNs("b")], ports: [{ portNumber: { protocol: "TCP", port: 0 } }] }] }), code: "INVALID_PORT", field: "spec.ingress[0].ports[0].portNumber.port" },
  { name: "v1alpha1 portRange with start > end", policy: anp("p", 1, { ingress: [{ action: "Deny", from: [toNs("b")], ports: [{ portRange: { start: 90, end: 80 } }] }] }), code: "INVALID_PORT", field: "spec.ingress[0].ports[0].portRange" },
  { name: "v1alpha1 unsupported protocol", policy: anp("p", 1, { ingress: [{ action: "Deny", from: [toNs("b")], ports: [{ portNumber: { protocol: "ICMP", port: 1 } }] }] }), code: "INVALID_PROTOCOL", field: "spec.ingress[0].ports[0].portNumber.protocol" },
  { name: "more than 25 rules in a ClusterNetworkPolicy", policy: cnp("p", "Admin", 1, { ingress: Array.from({ length: 26 }, () => ing("Deny", [toNs("b")])) }), code: "INVALID_OBJECT", field: "spec.ingress" },
  { name: "a rule name longer than 100 characters", policy: cnp("p", "Admin", 1, { ingress: [ing("Deny", [toNs("b")], undefined, "x".repeat(101))] }), code: "INVALID_NAME", field: "spec.ingress[0].name" },
  { name: "a wrong apiVersion for the kind", policy: raw("AdminNetworkPolicy", { priority: 1, subject: { namespaces: {} } }, "p", "policy.networking.k8s.io/v1alpha2"), code: "INVALID_OBJECT", field: "apiVersion" },
  { name: "an unknown kind", policy: raw("TieredPolicy", {}), code: "INVALID_OBJECT", field: "kind" },
  { name: "an invalid selector", policy: anp("p", 1, { subject: { namespaces: { matchLabels: { "bad key!": "x" } } } }), code: "INVALID_SELECTOR", field: "spec.subject.namespaces.matchLabels" },
];

describe("tiered policy validation", () => {
  it.each(BAD.map((row) => [row.name, row] as const))("%s is rejected", (_, row) => {
    const { world, diagnostics } = tierWorld([row.policy]);
    expect(world.tieredPolicies).toEqual([]);
    expect(diagnostics).toContainEqual(expect.objectContaining({ severity: "error", code: row.code, field: row.field }));
  });

  it("a rejected policy leaves no peers behind (peer ids stay dense)", () => {
    const { world } = tierWorld([
      cnp("a", "Admin", 1, { ingress: [ing("Deny", [toNs("b")])] }),
      cnp("bad", "Admin", 2, { ingress: [ing("Deny", [toNs("b")]), ing("Nope" as "Deny", [toNs("c")])] }),
      cnp("c", "Admin", 3, { egress: [eg("Deny", [networks("10.0.0.0/8", "fd00::/8")])] }),
    ]);
    expect(world.tieredPolicies.map((p) => p.ref.name)).toEqual(["a", "c"]);
    world.peers.forEach((p, i) => expect(p.id).toBe(i));
  });

  it("duplicates are reported; kinds are separate name spaces", () => {
    const { world, diagnostics } = tierWorld([cnp("x", "Admin", 1, {}), cnp("x", "Admin", 2, {}), anp("x", 3, {})]);
    expect(world.tieredPolicies.map((p) => `${p.kind}/${p.ref.name}/${p.priority}`)).toEqual(["ClusterNetworkPolicy/x/1", "AdminNetworkPolicy/x/3"]);
    expect(diagnostics).toContainEqual(expect.objectContaining({ code: "DUPLICATE_OBJECT", object: "ClusterNetworkPolicy x" }));
  });

  it("both API versions compile to one model", () => {
    const { world, diagnostics } = tierWorld([
      anp("v1", 10, { subject: nsSubject("a"), ingress: [{ name: "r", action: "Allow", from: [toNs("b")], ports: [{ portNumber: { protocol: "UDP", port: 53 } }, { namedPort: "http" }, { portRange: { start: 80, end: 90 } }] }] }),
      cnp("v2", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Accept", [toNs("b")], [udpEntry(53), { destinationNamedPort: "http" }, { tcp: { destinationPort: { range: { start: 80, end: 90 } } } }], "r")] }),
    ]);
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const [a, b] = world.tieredPolicies.map((p) => ({ tier: p.tier, priority: p.priority, subject: p.subject.namespaceSelector.key, rules: p.ingress.map((r) => ({ action: r.action, name: r.name, ports: r.ports })) }));
    expect(a).toEqual(b);
    expect(a!.rules[0]!.ports).toEqual([
      { kind: "range", protocol: "UDP", from: 53, to: 53 },
      { kind: "namedAny", name: "http" },
      { kind: "range", protocol: "TCP", from: 80, to: 90 },
    ]);
  });

  it("v1beta1 ClusterNetworkPolicy has the v1alpha2 schema", () => {
    const { world, diagnostics } = tierWorld([{ ...cnp("p", "Baseline", 3, { egress: [eg("Deny", [networks("0.0.0.0/0")])] }), apiVersion: "policy.networking.k8s.io/v1beta1" }]);
    expect(diagnostics).toEqual([]);
    expect(world.tieredPolicies[0]).toMatchObject({ kind: "ClusterNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1beta1", tier: "baseline", priority: 3 });
  });

  it("nodes and domainNames peers compile with an UNRESOLVED_PEER warning", () => {
    const { world, diagnostics } = tierWorld([cnp("p", "Admin", 1, { egress: [eg("Accept", [{ nodes: { matchLabels: { role: "cp" } } }, { domainNames: ["*.example.com"] }], [tcpPort(443)])] })]);
    expect(diagnostics.map((d) => [d.code, d.field])).toEqual([
      ["UNRESOLVED_PEER", "spec.egress[0].to[0].nodes"],
      ["UNRESOLVED_PEER", "spec.egress[0].to[1].domainNames"],
    ]);
    expect(world.tieredPolicies[0]!.egress[0]!.peers).toEqual([expect.objectContaining({ kind: "nodes" }), { kind: "domainNames", names: ["*.example.com"] }]);
  });

  it("a peer of an unknown kind makes the rule fail closed, with a warning", () => {
    const { world, diagnostics } = tierWorld([
      cnp("deny", "Admin", 1, { ingress: [ing("Pass", [{ serviceAccounts: {} }], [tcpPort(80)])] }),
      cnp("accept", "Admin", 2, { ingress: [ing("Accept", [toNs("b"), { serviceAccounts: {} }])] }),
    ]);
    expect(diagnostics.map((d) => d.code)).toEqual(["UNSUPPORTED_PEER", "UNSUPPORTED_PEER"]);
    const [deny, accept] = world.tieredPolicies;
    expect(deny!.ingress[0]).toMatchObject({ action: "deny", peers: "any", ports: "any" });
    expect(accept!.ingress[0]).toMatchObject({ action: "accept", peers: [expect.objectContaining({ kind: "selector" })] });
  });

  it("an omitted namespaceSelector in a pods peer selects every namespace", () => {
    const { world, diagnostics } = tierWorld([cnp("p", "Admin", 1, { ingress: [ing("Deny", [{ pods: { podSelector: { matchLabels: { app: "client" } } } }])] })]);
    expect(diagnostics).toEqual([]);
    expect(world.tieredPolicies[0]!.ingress[0]!.peers).toEqual([expect.objectContaining({ kind: "selector", matchKey: "nsSel()/pods(app In (client))" })]);
  });
});

function udpEntry(n: number) {
  return { udp: { destinationPort: { number: n } } };
}
