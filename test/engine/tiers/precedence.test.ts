/**
 * The precedence rules of the cluster-scoped tiers (SEMANTICS.md, "Cluster-scoped tiers"), one row
 * per rule, each checked with evaluatePair and with the class matrix:
 * Admin tier by priority (first match per port; Accept and Deny final; Pass hands over and skips the
 * rest of the Admin tier), then NetworkPolicy when it isolates the pod, then the Baseline tier, then
 * default allow; both directions; peers, ports, named ports, networks, hostNetwork pods.
 */
import { describe, expect, it } from "vitest";
import { buildMatrix, type NetworkPolicyInput, type TieredPolicyInput } from "../../../src/engine/index.js";
import { evalConn, matrixConn, policy } from "../../helpers/worldBuilders.js";
import {
  anp,
  banp,
  buildTierWorld,
  cnp,
  egressRule as eg,
  ingressRule as ing,
  namedPort,
  networks,
  nsSubject,
  podSubject,
  tcpPort,
  tcpRange,
  tierWorld,
  toNs,
  toPods,
  udpPort,
} from "./builders.js";

interface Row {
  readonly name: string;
  readonly tiered: readonly TieredPolicyInput[];
  readonly policies?: readonly NetworkPolicyInput[];
  readonly src: string;
  readonly dst: string;
  /** The allowed connection set, as text. */
  readonly expected: string;
}

const denyAllIngress = (ns: string) => policy(ns, "deny-all", { podSelector: {}, policyTypes: ["Ingress"] });
const allowIngressFrom = (ns: string, from: string, ports?: unknown[]) =>
  policy(ns, `allow-from-${from}`, { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": from } } }], ...(ports ? { ports } : {}) }] });

const ALL = "All Connections";
const NONE = "No Connections";

const ROWS: readonly Row[] = [
  // --- Admin tier ---
  { name: "Admin Deny beats a NetworkPolicy that allows", tiered: [cnp("deny", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Deny", [toNs("b")])] })], policies: [allowIngressFrom("a", "b")], src: "b/client", dst: "a/web", expected: NONE },
  { name: "Admin Accept beats a NetworkPolicy that isolates and allows nothing", tiered: [cnp("accept", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Accept", [toNs("b")])] })], policies: [denyAllIngress("a")], src: "b/client", dst: "a/web", expected: ALL },
  { name: "Admin Accept beats a Baseline Deny", tiered: [cnp("accept", "Admin", 10, { ingress: [ing("Accept", [toNs("b")])] }), cnp("deny", "Baseline", 10, { ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: ALL },
  { name: "Admin Accept covers only its ports; the rest falls to NetworkPolicy", tiered: [cnp("accept", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Accept", [toNs("b")], [tcpPort(443)])] })], policies: [allowIngressFrom("a", "b", [{ port: 80 }])], src: "b/client", dst: "a/web", expected: "TCP 80,443" },
  { name: "lower priority number first: Deny at 5 beats Accept at 10", tiered: [cnp("accept", "Admin", 10, { ingress: [ing("Accept", [toNs("b")])] }), cnp("deny", "Admin", 5, { ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: NONE },
  { name: "lower priority number first: Accept at 5 beats Deny at 10", tiered: [cnp("accept", "Admin", 5, { ingress: [ing("Accept", [toNs("b")])] }), cnp("deny", "Admin", 10, { ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: ALL },
  { name: "rule order inside a policy: first match decides, per port", tiered: [cnp("p", "Admin", 10, { ingress: [ing("Accept", [toNs("b")], [tcpPort(80)]), ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: "TCP 80" },
  { name: "a later rule only decides what earlier rules left", tiered: [cnp("p", "Admin", 10, { ingress: [ing("Deny", [toNs("b")], [tcpRange(1, 1000)]), ing("Accept", [toNs("b")], [tcpRange(900, 2000)]), ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: "TCP 1001-2000" },
  // --- Pass ---
  { name: "Pass hands over to NetworkPolicy, which allows", tiered: [cnp("pass", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Pass", [toNs("b")]), ing("Deny", [toNs("b")])] })], policies: [allowIngressFrom("a", "b")], src: "b/client", dst: "a/web", expected: ALL },
  { name: "Pass hands over to NetworkPolicy, which denies", tiered: [cnp("pass", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Pass", [toNs("b")])] })], policies: [denyAllIngress("a")], src: "b/client", dst: "a/web", expected: NONE },
  { name: "Pass skips every later Admin rule, in lower-priority policies too", tiered: [cnp("pass", "Admin", 10, { ingress: [ing("Pass", [toNs("b")])] }), cnp("deny", "Admin", 20, { ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: ALL },
  { name: "Pass without a NetworkPolicy goes to the Baseline tier", tiered: [cnp("pass", "Admin", 10, { ingress: [ing("Pass", [toNs("b")])] }), cnp("deny", "Baseline", 10, { ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: NONE },
  { name: "Pass on some ports only: the others meet the later Deny", tiered: [cnp("p", "Admin", 10, { ingress: [ing("Pass", [toNs("b")], [tcpPort(80)]), ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: "TCP 80" },
  // --- NetworkPolicy and Baseline ---
  { name: "a NetworkPolicy that selects the pod decides; the Baseline tier is not consulted", tiered: [cnp("accept", "Baseline", 10, { ingress: [ing("Accept", [toNs("b")])] })], policies: [denyAllIngress("a")], src: "b/client", dst: "a/web", expected: NONE },
  { name: "Baseline Deny applies when no NetworkPolicy selects the pod", tiered: [cnp("deny", "Baseline", 10, { ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: NONE },
  { name: "a NetworkPolicy overrides a Baseline Deny", tiered: [cnp("deny", "Baseline", 10, { ingress: [ing("Deny", [toNs("b")])] })], policies: [allowIngressFrom("a", "b", [{ port: 80 }])], src: "b/client", dst: "a/web", expected: "TCP 80" },
  { name: "Baseline Pass falls through to the default (allow)", tiered: [cnp("pass", "Baseline", 10, { ingress: [ing("Pass", [toNs("b")])] }), cnp("deny", "Baseline", 20, { ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: ALL },
  { name: "Baseline by priority: Accept at 5 beats Deny at 10", tiered: [cnp("deny", "Baseline", 10, { ingress: [ing("Deny", [toNs("b")])] }), cnp("accept", "Baseline", 5, { ingress: [ing("Accept", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: ALL },
  { name: "the BaselineAdminNetworkPolicy comes after every Baseline ClusterNetworkPolicy", tiered: [banp({ ingress: [ing("Deny", [toNs("b")])] }), cnp("accept", "Baseline", 1000, { ingress: [ing("Accept", [toNs("b")], [tcpPort(80)])] })], src: "b/client", dst: "a/web", expected: "TCP 80" },
  { name: "the BaselineAdminNetworkPolicy alone denies", tiered: [banp({ ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: NONE },
  { name: "default allow when no tier decides", tiered: [cnp("deny", "Admin", 10, { ingress: [ing("Deny", [toNs("c")])] })], src: "b/client", dst: "a/web", expected: ALL },
  // --- both API versions ---
  { name: "v1alpha1 AdminNetworkPolicy Allow is Accept (beats a NetworkPolicy deny)", tiered: [anp("allow", 10, { subject: nsSubject("a"), ingress: [{ action: "Allow", from: [toNs("b")], ports: [{ portNumber: { protocol: "TCP", port: 80 } }] }] })], policies: [denyAllIngress("a")], src: "b/client", dst: "a/web", expected: "TCP 80" },
  { name: "v1alpha1 and v1alpha2 share one priority scale in the Admin tier", tiered: [anp("deny", 5, { ingress: [{ action: "Deny", from: [toNs("b")] }] }), cnp("accept", "Admin", 6, { ingress: [ing("Accept", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: NONE },
  { name: "v1alpha1 portRange is inclusive", tiered: [anp("deny", 5, { ingress: [{ action: "Deny", from: [toNs("b")], ports: [{ portRange: { protocol: "TCP", start: 1, end: 79 } }, { portRange: { start: 81, end: 65535 } }] }] })], src: "b/client", dst: "a/web", expected: "SCTP 1-65535,TCP 80,UDP 1-65535" },
  // --- directions ---
  { name: "Admin egress Deny blocks the source even though the destination allows", tiered: [cnp("deny", "Admin", 10, { subject: nsSubject("b"), egress: [eg("Deny", [toNs("a")])] })], src: "b/client", dst: "a/web", expected: NONE },
  { name: "Admin egress Accept does not override the destination's ingress side", tiered: [cnp("accept", "Admin", 10, { subject: nsSubject("b"), egress: [eg("Accept", [toNs("a")])] })], policies: [denyAllIngress("a")], src: "b/client", dst: "a/web", expected: NONE },
  { name: "a policy without egress rules does not affect egress", tiered: [cnp("deny", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Deny", [toNs("b")])] })], src: "a/web", dst: "b/client", expected: ALL },
  // --- peers ---
  { name: "pods peer: namespace AND pod selector", tiered: [cnp("deny", "Admin", 10, { egress: [eg("Deny", [toPods("a", { app: "db" })])] })], src: "b/client", dst: "a/web", expected: ALL },
  { name: "pods peer matches its pods", tiered: [cnp("deny", "Admin", 10, { egress: [eg("Deny", [toPods("a", { app: "db" })])] })], src: "b/client", dst: "a/db", expected: NONE },
  { name: "pods subject: only matching pods are subjects", tiered: [cnp("deny", "Admin", 10, { subject: podSubject("a", { app: "db" }), ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: ALL },
  { name: "namespace selectors follow the namespaces' labels", tiered: [cnp("deny", "Admin", 10, { ingress: [ing("Deny", [{ namespaces: { matchLabels: { team: "blue" } } }])] })], src: "b/client", dst: "a/web", expected: NONE },
  { name: "networks match pod IPs", tiered: [cnp("deny", "Admin", 10, { egress: [eg("Deny", [networks("10.0.1.0/24")])] })], src: "b/client", dst: "a/web", expected: NONE },
  { name: "networks match external addresses", tiered: [cnp("deny", "Admin", 10, { egress: [eg("Deny", [networks("0.0.0.0/0")])] })], src: "b/client", dst: "8.8.8.8", expected: NONE },
  { name: "networks of the other family do not match", tiered: [cnp("deny", "Admin", 10, { egress: [eg("Deny", [networks("::/0")])] })], src: "b/client", dst: "8.8.8.8", expected: ALL },
  { name: "a pod without an IP is not matched by networks", tiered: [cnp("deny", "Admin", 10, { egress: [eg("Deny", [networks("0.0.0.0/0")])] })], src: "b/client", dst: "a/pending", expected: ALL },
  { name: "a pod without an IP is matched by selector peers", tiered: [cnp("deny", "Admin", 10, { egress: [eg("Deny", [toNs("a")])] })], src: "b/client", dst: "a/pending", expected: NONE },
  { name: "ingress rules name no addresses: an external source is not matched by namespace peers", tiered: [cnp("deny", "Admin", 10, { ingress: [ing("Deny", [{ namespaces: {} }])] })], src: "8.8.8.8", dst: "a/web", expected: ALL },
  { name: "an external address is no subject", tiered: [cnp("deny", "Admin", 10, { ingress: [ing("Deny", [{ namespaces: {} }])] })], src: "a/web", dst: "8.8.8.8", expected: ALL },
  // --- hostNetwork ---
  { name: "hostNetwork pods are never subjects", tiered: [cnp("deny", "Admin", 10, { subject: nsSubject("a"), egress: [eg("Deny", [{ namespaces: {} }])] })], src: "a/host", dst: "b/client", expected: ALL },
  { name: "hostNetwork pods never match namespace peers", tiered: [cnp("deny", "Admin", 10, { ingress: [ing("Deny", [toNs("a")])] })], src: "a/host", dst: "b/client", expected: ALL },
  { name: "hostNetwork pods are matched by networks through their IP", tiered: [cnp("deny", "Admin", 10, { egress: [eg("Deny", [networks("192.168.0.0/16")])] })], src: "b/client", dst: "a/host", expected: NONE },
  // --- ports ---
  { name: "protocols: several entries are OR-ed", tiered: [cnp("deny", "Admin", 10, { ingress: [ing("Deny", [toNs("b")], [tcpPort(80), udpPort(53)]), ing("Accept", [toNs("b")], [tcpPort(80), udpPort(53)])] })], policies: [denyAllIngress("a")], src: "b/client", dst: "a/web", expected: NONE },
  { name: "a port range is inclusive at both ends", tiered: [cnp("accept", "Admin", 10, { ingress: [ing("Accept", [toNs("b")], [tcpRange(8000, 8080)])] })], policies: [denyAllIngress("a")], src: "b/client", dst: "a/web", expected: "TCP 8000-8080" },
  { name: "a named port resolves on the destination, with its own protocol", tiered: [cnp("accept", "Admin", 10, { ingress: [ing("Accept", [toNs("b")], [namedPort("dns")])] })], policies: [denyAllIngress("a")], src: "b/client", dst: "a/web", expected: "UDP 5353" },
  { name: "a named port in an egress rule resolves on the destination", tiered: [cnp("deny", "Admin", 10, { subject: nsSubject("b"), egress: [eg("Accept", [toNs("a")], [namedPort("http")]), eg("Deny", [toNs("a")])] })], src: "b/client", dst: "a/web", expected: "TCP 8080" },
  { name: "a named port the destination lacks matches nothing", tiered: [cnp("deny", "Admin", 10, { subject: nsSubject("b"), egress: [eg("Accept", [toNs("a")], [namedPort("http")]), eg("Deny", [toNs("a")])] })], src: "b/client", dst: "a/db", expected: NONE },
  // --- ties ---
  { name: "equal priorities: kubereach evaluates by name (a-deny before b-accept)", tiered: [cnp("b-accept", "Admin", 10, { ingress: [ing("Accept", [toNs("b")])] }), cnp("a-deny", "Admin", 10, { ingress: [ing("Deny", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: NONE },
  { name: "equal priorities: kubereach evaluates by name (a-accept before b-deny)", tiered: [cnp("b-deny", "Admin", 10, { ingress: [ing("Deny", [toNs("b")])] }), cnp("a-accept", "Admin", 10, { ingress: [ing("Accept", [toNs("b")])] })], src: "b/client", dst: "a/web", expected: ALL },
  // --- fail closed ---
  { name: "a Deny rule with a peer of an unknown kind fails closed (denies everything)", tiered: [cnp("future", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Deny", [{ serviceAccounts: { name: "x" } }], [tcpPort(80)])] })], src: "c/client", dst: "a/web", expected: NONE },
  { name: "an Accept rule with a peer of an unknown kind fails closed (matches nothing)", tiered: [cnp("future", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Accept", [{ serviceAccounts: { name: "x" } }])] })], policies: [denyAllIngress("a")], src: "c/client", dst: "a/web", expected: NONE },
];

describe("tier precedence (evaluatePair and the class matrix)", () => {
  it.each(ROWS.map((row) => [row.name, row] as const))("%s", (_, row) => {
    const world = buildTierWorld(row.tiered, row.policies);
    expect(evalConn(world, row.src, row.dst).key).toBe(row.expected);
    expect(matrixConn(buildMatrix(world), row.src, row.dst).key).toBe(row.expected);
  });

  it("without tiered policies, evaluation is NetworkPolicy's alone", () => {
    const world = buildTierWorld([], [allowIngressFrom("a", "b", [{ port: 80 }])]);
    expect(evalConn(world, "b/client", "a/web").key).toBe("TCP 80");
    expect(evalConn(world, "c/client", "a/web").key).toBe(NONE);
    expect(world.tieredPolicies).toEqual([]);
  });

  it("evaluation order: Admin by priority, then Baseline by priority, the BaselineAdminNetworkPolicy last; ties by name", () => {
    const { world, diagnostics } = tierWorld([
      banp({ ingress: [ing("Deny", [toNs("b")])] }),
      cnp("z", "Baseline", 1, { ingress: [ing("Deny", [toNs("b")])] }),
      anp("m", 7, { ingress: [{ action: "Deny", from: [toNs("b")] }] }),
      cnp("b", "Admin", 7, { ingress: [ing("Deny", [toNs("b")])] }),
      cnp("a", "Admin", 900, { ingress: [ing("Deny", [toNs("b")])] }),
    ]);
    expect(world.tieredPolicies.map((p) => `${p.kind}/${p.ref.name}`)).toEqual([
      "ClusterNetworkPolicy/b",
      "AdminNetworkPolicy/m",
      "ClusterNetworkPolicy/a",
      "ClusterNetworkPolicy/z",
      "BaselineAdminNetworkPolicy/default",
    ]);
    expect(world.tieredPolicies.map((p) => p.index)).toEqual([0, 1, 2, 3, 4]);
    expect(world.tierTies).toEqual([{ tier: "admin", priority: 7, policies: [world.tieredPolicies[0]!.ref, world.tieredPolicies[1]!.ref] }]);
    expect(diagnostics).toEqual([expect.objectContaining({ severity: "warning", code: "PRIORITY_TIE", object: "ClusterNetworkPolicy b" })]);
  });
});
