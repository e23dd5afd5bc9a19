/**
 * One table per numbered point of /work/shared/SEMANTICS.md (items 1-13). Each row is a small
 * world, a source, a destination and the expected connection set as text; every row is checked
 * against evaluatePair AND against the class matrix (for distinct endpoints), so a row pins the
 * semantics of both evaluation paths.
 */
import { describe, expect, it } from "vitest";
import {
  buildConnectivity,
  buildMatrix,
  evaluatePair,
  explain,
  formatConnEndpoint,
  NAMESPACE_NAME_LABEL,
  podKey,
  type NamespaceInput,
  type NetworkPolicyInput,
  type PodInput,
} from "../../src/engine/index.js";
import { buildWorld, endpoint, evalConn, matrixConn, namespace, pod, policy, tcp, udp } from "../helpers/worldBuilders.js";

const ALL = "All Connections";
const NONE = "No Connections";

const BASE_NAMESPACES: NamespaceInput[] = [namespace("x", { ns: "x" }), namespace("y", { ns: "y", team: "blue" }), namespace("z", { ns: "z" })];

const BASE_PODS: PodInput[] = [
  pod({ ns: "x", name: "a", labels: { app: "a" }, ip: "10.0.1.1", ports: [tcp(8080, "http"), udp(5353, "dns")] }),
  pod({ ns: "x", name: "b", labels: { app: "b" }, ip: "10.0.1.2" }),
  pod({ ns: "x", name: "c", labels: { app: "c" }, ip: "10.0.1.3" }),
  pod({ ns: "y", name: "a", labels: { app: "a" }, ip: "10.0.2.1", ports: [tcp(9090, "http"), tcp(53, "dns")] }),
  pod({ ns: "y", name: "b", labels: { app: "b" }, ip: "10.0.2.2" }),
  pod({ ns: "z", name: "b", labels: { app: "b" }, ip: "10.0.3.2" }),
];

interface Row {
  readonly name: string;
  readonly policies?: readonly NetworkPolicyInput[];
  readonly namespaces?: readonly NamespaceInput[];
  readonly extraPods?: readonly PodInput[];
  readonly src: string;
  readonly dst: string;
  readonly expected: string;
}

function check(row: Row): void {
  const world = buildWorld({
    namespaces: row.namespaces ?? BASE_NAMESPACES,
    pods: [...BASE_PODS, ...(row.extraPods ?? [])],
    policies: row.policies ?? [],
  });
  expect(evalConn(world, row.src, row.dst).key, "evaluatePair").toBe(row.expected);
  if (row.src !== row.dst) expect(matrixConn(buildMatrix(world), row.src, row.dst).key, "class matrix").toBe(row.expected);
}

// Policy shorthands (raw specs, exactly as YAML would give them).
const sel = (matchLabels: Record<string, string>) => ({ matchLabels });
const ingressOnly = (ns: string, name: string, podSelector: unknown, ingress: unknown[]) =>
  policy(ns, name, { podSelector, policyTypes: ["Ingress"], ingress });
const egressOnly = (ns: string, name: string, podSelector: unknown, egress: unknown[]) => policy(ns, name, { podSelector, policyTypes: ["Egress"], egress });
const denyIngress = (ns: string, podSelector: unknown = {}) => policy(ns, "deny-ingress", { podSelector, policyTypes: ["Ingress"] });
const denyEgress = (ns: string, podSelector: unknown = {}) => policy(ns, "deny-egress", { podSelector, policyTypes: ["Egress"] });
const toXa = (ingress: unknown[]) => [ingressOnly("x", "to-x-a", sel({ app: "a" }), ingress)];
const fromXa = (egress: unknown[]) => [egressOnly("x", "from-x-a", sel({ app: "a" }), egress)];

describe("1. isolation is per pod and per direction", () => {
  it.each<Row>([
    { name: "no policy anywhere: everything is allowed", src: "x/b", dst: "x/a", expected: ALL },
    { name: "a policy selecting the destination isolates its ingress", policies: [denyIngress("x", sel({ app: "a" }))], src: "x/b", dst: "x/a", expected: NONE },
    { name: "a policy selecting another pod does not isolate the destination", policies: [denyIngress("x", sel({ app: "a" }))], src: "x/a", dst: "x/b", expected: ALL },
    { name: "a policy in another namespace never isolates", policies: [denyIngress("y")], src: "x/a", dst: "x/b", expected: ALL },
    { name: "spec.podSelector omitted selects every pod of the namespace", policies: [policy("x", "no-selector", { policyTypes: ["Ingress"] })], src: "x/a", dst: "x/c", expected: NONE },
    { name: "spec.podSelector {} selects every pod of the namespace", policies: [denyIngress("x", {})], src: "y/a", dst: "x/c", expected: NONE },
    { name: "ingress isolation leaves the pod's egress open", policies: [denyIngress("x", sel({ app: "a" }))], src: "x/a", dst: "y/b", expected: ALL },
    { name: "egress isolation blocks the pod's egress", policies: [denyEgress("x", sel({ app: "a" }))], src: "x/a", dst: "y/b", expected: NONE },
    { name: "egress isolation leaves the pod's ingress open", policies: [denyEgress("x", sel({ app: "a" }))], src: "y/b", dst: "x/a", expected: ALL },
  ])("$name", check);
});

describe("2. effective policyTypes", () => {
  const egressDns = [{ ports: [{ protocol: "UDP", port: 53 }] }];
  it.each<Row>([
    { name: "policyTypes omitted without egress: Ingress only (ingress isolated)", policies: [policy("x", "p", { podSelector: {}, ingress: [] })], src: "y/a", dst: "x/a", expected: NONE },
    { name: "policyTypes omitted without egress: Ingress only (egress open)", policies: [policy("x", "p", { podSelector: {}, ingress: [] })], src: "x/a", dst: "y/a", expected: ALL },
    { name: "policyTypes omitted with non-empty egress: Egress is added", policies: [policy("x", "p", { podSelector: {}, egress: egressDns })], src: "x/a", dst: "y/a", expected: "UDP 53" },
    { name: "policyTypes omitted with non-empty egress: Ingress is still there", policies: [policy("x", "p", { podSelector: {}, egress: egressDns })], src: "y/a", dst: "x/a", expected: NONE },
    { name: "policyTypes [] is treated as omitted (Egress added for non-empty egress)", policies: [policy("x", "p", { podSelector: {}, policyTypes: [], egress: egressDns })], src: "x/a", dst: "y/a", expected: "UDP 53" },
    { name: "policyTypes [] is treated as omitted (Ingress isolated)", policies: [policy("x", "p", { podSelector: {}, policyTypes: [], egress: egressDns })], src: "y/a", dst: "x/a", expected: NONE },
    { name: "egress: [] without policyTypes does NOT isolate egress (len(Egress) != 0)", policies: [policy("x", "p", { podSelector: {}, egress: [] })], src: "x/a", dst: "y/a", expected: ALL },
    { name: "egress: [] without policyTypes still isolates ingress", policies: [policy("x", "p", { podSelector: {}, egress: [] })], src: "y/a", dst: "x/a", expected: NONE },
    { name: "policyTypes [Egress] with egress: [] isolates egress", policies: [policy("x", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [] })], src: "x/a", dst: "y/a", expected: NONE },
    { name: "policyTypes [Egress] does not isolate ingress", policies: [policy("x", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [] })], src: "y/a", dst: "x/a", expected: ALL },
    {
      name: "ingress rules are ignored when policyTypes is [Egress]",
      policies: [policy("x", "p", { podSelector: {}, policyTypes: ["Egress"], ingress: [{ ports: [{ port: 80 }] }], egress: [] })],
      src: "y/a",
      dst: "x/a",
      expected: ALL,
    },
    {
      name: "egress rules are ignored when policyTypes is [Ingress]",
      policies: [policy("x", "p", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}], egress: [{ ports: [{ port: 80 }] }] })],
      src: "x/a",
      dst: "y/a",
      expected: ALL,
    },
    {
      name: "policyTypes [Ingress, Egress] with no rules isolates both (egress side)",
      policies: [policy("x", "p", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })],
      src: "x/a",
      dst: "y/a",
      expected: NONE,
    },
  ])("$name", check);
});

describe("3. union across policies; egress AND ingress", () => {
  it.each<Row>([
    {
      name: "two policies selecting the same pod union their ingress rules",
      policies: [
        ingressOnly("x", "p1", sel({ app: "a" }), [{ ports: [{ port: 80 }] }]),
        ingressOnly("x", "p2", sel({ app: "a" }), [{ ports: [{ protocol: "UDP", port: 53 }] }]),
      ],
      src: "y/a",
      dst: "x/a",
      expected: "TCP 80,UDP 53",
    },
    {
      name: "two rules of one policy union",
      policies: toXa([{ ports: [{ port: 80 }] }, { ports: [{ port: 443 }] }]),
      src: "y/a",
      dst: "x/a",
      expected: "TCP 80,443",
    },
    {
      name: "a deny-all policy cannot subtract from another policy's allow-all",
      policies: [denyIngress("x"), ingressOnly("x", "allow", {}, [{}])],
      src: "y/a",
      dst: "x/a",
      expected: ALL,
    },
    {
      name: "policy order is irrelevant (allow-all listed first)",
      policies: [ingressOnly("x", "allow", {}, [{}]), denyIngress("x")],
      src: "y/a",
      dst: "x/a",
      expected: ALL,
    },
    {
      name: "two policies union their egress rules",
      policies: [
        egressOnly("x", "e1", sel({ app: "a" }), [{ ports: [{ port: 80 }] }]),
        egressOnly("x", "e2", sel({ app: "a" }), [{ to: [{ namespaceSelector: sel({ ns: "y" }) }], ports: [{ port: 81 }] }]),
      ],
      src: "x/a",
      dst: "y/b",
      expected: "TCP 80-81",
    },
    {
      name: "the connection is the intersection of the egress side and the ingress side",
      policies: [
        egressOnly("x", "e", sel({ app: "a" }), [{ to: [{ namespaceSelector: sel({ ns: "y" }) }], ports: [{ port: 80, endPort: 90 }] }]),
        ingressOnly("y", "i", sel({ app: "a" }), [{ ports: [{ port: 85, endPort: 100 }] }]),
      ],
      src: "x/a",
      dst: "y/a",
      expected: "TCP 85-90",
    },
    {
      name: "egress denied on the client side even though the server's ingress allows it",
      policies: [denyEgress("x", sel({ app: "a" })), ingressOnly("y", "i", sel({ app: "a" }), [{ from: [{ namespaceSelector: sel({ ns: "x" }) }] }])],
      src: "x/a",
      dst: "y/a",
      expected: NONE,
    },
    {
      name: "ingress denied on the server side even though the client's egress allows it",
      policies: [egressOnly("x", "e", sel({ app: "a" }), [{}]), denyIngress("y", sel({ app: "a" }))],
      src: "x/a",
      dst: "y/a",
      expected: NONE,
    },
  ])("$name", check);
});

describe("4. rule lists: ingress [] vs [{}], from/to and ports omitted vs []", () => {
  it.each<Row>([
    { name: "ingress: [] allows nothing", policies: [policy("x", "p", { podSelector: {}, ingress: [] })], src: "x/b", dst: "x/a", expected: NONE },
    { name: "ingress omitted allows nothing", policies: [policy("x", "p", { podSelector: {} })], src: "x/b", dst: "x/a", expected: NONE },
    { name: "ingress: [{}] allows everything", policies: [policy("x", "p", { podSelector: {}, ingress: [{}] })], src: "z/b", dst: "x/a", expected: ALL },
    { name: "ingress: [{}] admits external addresses too", policies: [policy("x", "p", { podSelector: {}, ingress: [{}] })], src: "203.0.113.5", dst: "x/a", expected: ALL },
    { name: "egress: [{}] allows everything", policies: [policy("x", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] })], src: "x/a", dst: "8.8.8.8", expected: ALL },
    { name: "from omitted matches every peer, external included", policies: toXa([{ ports: [{ port: 80 }] }]), src: "203.0.113.5", dst: "x/a", expected: "TCP 80" },
    { name: "from: [] matches every peer, external included", policies: toXa([{ from: [], ports: [{ port: 80 }] }]), src: "203.0.113.5", dst: "x/a", expected: "TCP 80" },
    { name: "from: [] matches pods of other namespaces", policies: toXa([{ from: [], ports: [{ port: 80 }] }]), src: "z/b", dst: "x/a", expected: "TCP 80" },
    { name: "to omitted matches an external destination", policies: fromXa([{ ports: [{ port: 443 }] }]), src: "x/a", dst: "8.8.8.8", expected: "TCP 443" },
    { name: "to: [] matches an external destination", policies: fromXa([{ to: [], ports: [{ port: 443 }] }]), src: "x/a", dst: "8.8.8.8", expected: "TCP 443" },
    { name: "ports omitted matches every port and protocol", policies: toXa([{ from: [{ podSelector: sel({ app: "b" }) }] }]), src: "x/b", dst: "x/a", expected: ALL },
    { name: "ports: [] matches every port and protocol", policies: toXa([{ from: [{ podSelector: sel({ app: "b" }) }], ports: [] }]), src: "x/b", dst: "x/a", expected: ALL },
    { name: "a rule needs its peers to match (ports alone are not enough)", policies: toXa([{ from: [{ podSelector: sel({ app: "b" }) }], ports: [{ port: 80 }] }]), src: "x/c", dst: "x/a", expected: NONE },
    { name: "a rule admits only its ports to a matching peer", policies: toXa([{ from: [{ podSelector: sel({ app: "b" }) }], ports: [{ port: 80 }] }]), src: "x/b", dst: "x/a", expected: "TCP 80" },
  ])("$name", check);
});

describe("5. peers: scope of podSelector and namespaceSelector, AND vs OR", () => {
  const extraPods = [pod({ ns: "y", name: "c", labels: { app: "c" }, ip: "10.0.2.3" })];
  it.each<Row>([
    { name: "podSelector alone matches pods of the policy's namespace", policies: toXa([{ from: [{ podSelector: sel({ app: "b" }) }] }]), src: "x/b", dst: "x/a", expected: ALL },
    { name: "podSelector alone never matches pods of other namespaces", policies: toXa([{ from: [{ podSelector: sel({ app: "b" }) }] }]), src: "y/b", dst: "x/a", expected: NONE },
    {
      name: "podSelector alone in an egress rule is scoped to the policy's namespace too",
      policies: fromXa([{ to: [{ podSelector: sel({ app: "b" }) }] }]),
      src: "x/a",
      dst: "y/b",
      expected: NONE,
    },
    { name: "namespaceSelector alone matches every pod of matching namespaces", policies: toXa([{ from: [{ namespaceSelector: sel({ team: "blue" }) }] }]), src: "y/a", dst: "x/a", expected: ALL },
    { name: "namespaceSelector alone does not match the policy's own namespace unless selected", policies: toXa([{ from: [{ namespaceSelector: sel({ team: "blue" }) }] }]), src: "x/b", dst: "x/a", expected: NONE },
    {
      name: "podSelector and namespaceSelector in one peer are ANDed (both match)",
      policies: toXa([{ from: [{ namespaceSelector: sel({ team: "blue" }), podSelector: sel({ app: "b" }) }] }]),
      src: "y/b",
      dst: "x/a",
      expected: ALL,
    },
    {
      name: "podSelector and namespaceSelector in one peer are ANDed (namespace only)",
      policies: toXa([{ from: [{ namespaceSelector: sel({ team: "blue" }), podSelector: sel({ app: "b" }) }] }]),
      src: "y/a",
      dst: "x/a",
      expected: NONE,
    },
    {
      name: "podSelector and namespaceSelector in one peer are ANDed (pod only)",
      policies: toXa([{ from: [{ namespaceSelector: sel({ team: "blue" }), podSelector: sel({ app: "b" }) }] }]),
      src: "z/b",
      dst: "x/a",
      expected: NONE,
    },
    {
      name: "two peers are ORed (namespace peer matches)",
      policies: toXa([{ from: [{ namespaceSelector: sel({ team: "blue" }) }, { podSelector: sel({ app: "b" }) }] }]),
      src: "y/a",
      dst: "x/a",
      expected: ALL,
    },
    {
      name: "two peers are ORed (pod peer matches in the policy's namespace)",
      policies: toXa([{ from: [{ namespaceSelector: sel({ team: "blue" }) }, { podSelector: sel({ app: "b" }) }] }]),
      src: "x/b",
      dst: "x/a",
      expected: ALL,
    },
    {
      name: "two peers are ORed (neither matches)",
      policies: toXa([{ from: [{ namespaceSelector: sel({ team: "blue" }) }, { podSelector: sel({ app: "b" }) }] }]),
      src: "z/b",
      dst: "x/a",
      expected: NONE,
    },
    { name: "podSelector {} matches every pod of the policy's namespace", policies: toXa([{ from: [{ podSelector: {} }] }]), src: "x/c", dst: "x/a", expected: ALL },
    { name: "podSelector {} does not reach into other namespaces", policies: toXa([{ from: [{ podSelector: {} }] }]), src: "y/a", dst: "x/a", expected: NONE },
    { name: "namespaceSelector {} matches pods of every namespace", policies: toXa([{ from: [{ namespaceSelector: {} }] }]), extraPods, src: "y/c", dst: "x/a", expected: ALL },
    { name: "selectors never match an external address", policies: toXa([{ from: [{ namespaceSelector: {}, podSelector: {} }] }]), src: "203.0.113.5", dst: "x/a", expected: NONE },
  ])("$name", check);
});

describe("6. ipBlock", () => {
  const v6 = [pod({ ns: "y", name: "v6", labels: { app: "v6" }, ip: "fd00::5" }), pod({ ns: "y", name: "noip", labels: { app: "noip" } })];
  const toBlock = (ipBlock: unknown) => fromXa([{ to: [{ ipBlock }] }]);
  it.each<Row>([
    { name: "podIP/32 matches that pod (e2e: egress to server in CIDR block)", policies: toBlock({ cidr: "10.0.2.2/32" }), src: "x/a", dst: "y/b", expected: ALL },
    { name: "podIP/32 does not match another pod", policies: toBlock({ cidr: "10.0.2.2/32" }), src: "x/a", dst: "y/a", expected: NONE },
    { name: "a CIDR matches an external address inside it", policies: toXa([{ from: [{ ipBlock: { cidr: "203.0.113.0/24" } }] }]), src: "203.0.113.77", dst: "x/a", expected: ALL },
    { name: "a CIDR does not match an external address outside it", policies: toXa([{ from: [{ ipBlock: { cidr: "203.0.113.0/24" } }] }]), src: "203.0.114.1", dst: "x/a", expected: NONE },
    { name: "except removes a pod IP from the block", policies: toBlock({ cidr: "10.0.0.0/16", except: ["10.0.2.2/32"] }), src: "x/a", dst: "y/b", expected: NONE },
    { name: "except leaves the rest of the block", policies: toBlock({ cidr: "10.0.0.0/16", except: ["10.0.2.2/32"] }), src: "x/a", dst: "y/a", expected: ALL },
    { name: "except removes external addresses too", policies: toBlock({ cidr: "0.0.0.0/0", except: ["8.8.8.0/24"] }), src: "x/a", dst: "8.8.8.8", expected: NONE },
    { name: "host bits are masked: podIP/4 covers the pod's /4 (10.0.1.1/4 = 0.0.0.0/4)", policies: toBlock({ cidr: "10.0.1.1/4" }), src: "x/a", dst: "y/b", expected: ALL },
    { name: "host bits are masked: last address of 0.0.0.0/4 is inside", policies: toBlock({ cidr: "10.0.1.1/4" }), src: "x/a", dst: "15.255.255.255", expected: ALL },
    { name: "host bits are masked: 16.0.0.0 is outside 10.0.1.1/4", policies: toBlock({ cidr: "10.0.1.1/4" }), src: "x/a", dst: "16.0.0.0", expected: NONE },
    { name: "podIP/4 with except podB/32 (e2e except clause) excludes pod b", policies: toBlock({ cidr: "10.0.1.1/4", except: ["10.0.1.2/32"] }), src: "x/a", dst: "x/b", expected: NONE },
    { name: "podIP/4 with except podB/32 (e2e except clause) keeps pod c", policies: toBlock({ cidr: "10.0.1.1/4", except: ["10.0.1.2/32"] }), src: "x/a", dst: "x/c", expected: ALL },
    { name: "an IPv6 CIDR matches an IPv6 pod IP", policies: toBlock({ cidr: "fd00::/64" }), extraPods: v6, src: "x/a", dst: "y/v6", expected: ALL },
    { name: "an IPv6 CIDR matches an IPv6 external address", policies: toBlock({ cidr: "2001:db8::/32" }), src: "x/a", dst: "2001:db8:1::1", expected: ALL },
    { name: "an IPv6 except removes an address", policies: toBlock({ cidr: "fd00::/64", except: ["fd00::5/128"] }), extraPods: v6, src: "x/a", dst: "y/v6", expected: NONE },
    { name: "IPv6 host bits are masked", policies: toBlock({ cidr: "fd00::1:2:3:4/64" }), extraPods: v6, src: "x/a", dst: "y/v6", expected: ALL },
    { name: "0.0.0.0/0 never matches an IPv6 pod", policies: toBlock({ cidr: "0.0.0.0/0" }), extraPods: v6, src: "x/a", dst: "y/v6", expected: NONE },
    { name: "::/0 never matches an IPv4 pod", policies: toBlock({ cidr: "::/0" }), src: "x/a", dst: "y/a", expected: NONE },
    { name: "::/0 never matches an IPv4 external address", policies: toBlock({ cidr: "::/0" }), src: "x/a", dst: "8.8.8.8", expected: NONE },
    { name: "a pod without IP never matches 0.0.0.0/0 (destination)", policies: toBlock({ cidr: "0.0.0.0/0" }), extraPods: v6, src: "x/a", dst: "y/noip", expected: NONE },
    { name: "a pod without IP never matches ::/0 (destination)", policies: toBlock({ cidr: "::/0" }), extraPods: v6, src: "x/a", dst: "y/noip", expected: NONE },
    {
      name: "a pod without IP never matches 0.0.0.0/0 (source)",
      policies: toXa([{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }]),
      extraPods: v6,
      src: "y/noip",
      dst: "x/a",
      expected: NONE,
    },
  ])("$name", check);
});

describe("7. label selectors", () => {
  const extraPods = [
    pod({ ns: "x", name: "web", labels: { app: "l", tier: "web" }, ip: "10.0.1.10" }),
    pod({ ns: "x", name: "db", labels: { app: "l", tier: "db" }, ip: "10.0.1.11" }),
    pod({ ns: "x", name: "none", labels: { app: "l" }, ip: "10.0.1.12" }),
    pod({ ns: "x", name: "empty", labels: { app: "l", tier: "" }, ip: "10.0.1.13" }),
  ];
  const fromExpr = (podSelector: unknown) => toXa([{ from: [{ podSelector }] }]);
  const expr = (key: string, operator: string, values?: string[]) => ({ matchExpressions: [values ? { key, operator, values } : { key, operator }] });
  const rows: Row[] = [
    { name: "In matches a listed value", policies: fromExpr(expr("tier", "In", ["web", "db"])), src: "x/db", dst: "x/a", expected: ALL },
    { name: "In does not match an object without the key", policies: fromExpr(expr("tier", "In", ["web", "db"])), src: "x/none", dst: "x/a", expected: NONE },
    { name: "In does not match an unlisted value", policies: fromExpr(expr("tier", "In", ["web"])), src: "x/db", dst: "x/a", expected: NONE },
    { name: "NotIn matches an unlisted value", policies: fromExpr(expr("tier", "NotIn", ["web"])), src: "x/db", dst: "x/a", expected: ALL },
    { name: "NotIn matches an object WITHOUT the key", policies: fromExpr(expr("tier", "NotIn", ["web"])), src: "x/none", dst: "x/a", expected: ALL },
    { name: "NotIn excludes a listed value", policies: fromExpr(expr("tier", "NotIn", ["web"])), src: "x/web", dst: "x/a", expected: NONE },
    { name: "Exists matches a key with an empty value", policies: fromExpr(expr("tier", "Exists")), src: "x/empty", dst: "x/a", expected: ALL },
    { name: "Exists does not match an object without the key", policies: fromExpr(expr("tier", "Exists")), src: "x/none", dst: "x/a", expected: NONE },
    { name: "DoesNotExist matches an object WITHOUT the key", policies: fromExpr(expr("tier", "DoesNotExist")), src: "x/none", dst: "x/a", expected: ALL },
    { name: "DoesNotExist excludes an object with the key, even with an empty value", policies: fromExpr(expr("tier", "DoesNotExist")), src: "x/empty", dst: "x/a", expected: NONE },
    {
      name: "matchLabels and matchExpressions are ANDed (both hold)",
      policies: fromExpr({ matchLabels: { app: "l" }, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }),
      src: "x/db",
      dst: "x/a",
      expected: ALL,
    },
    {
      name: "matchLabels and matchExpressions are ANDed (expression holds, labels do not)",
      policies: fromExpr({ matchLabels: { app: "l" }, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }),
      src: "x/b",
      dst: "x/a",
      expected: NONE,
    },
    {
      name: "several expressions are ANDed",
      policies: fromExpr({ matchExpressions: [{ key: "tier", operator: "Exists" }, { key: "tier", operator: "NotIn", values: ["db"] }] }),
      src: "x/db",
      dst: "x/a",
      expected: NONE,
    },
    {
      name: "expressions in spec.podSelector decide isolation (DoesNotExist selects pods without the key)",
      policies: [denyIngress("x", expr("tier", "DoesNotExist"))],
      src: "y/a",
      dst: "x/none",
      expected: NONE,
    },
    { name: "expressions in spec.podSelector decide isolation (pod with the key not selected)", policies: [denyIngress("x", expr("tier", "DoesNotExist"))], src: "y/a", dst: "x/web", expected: ALL },
    {
      name: "expressions in namespaceSelector (NotIn matches namespaces without the key)",
      policies: toXa([{ from: [{ namespaceSelector: expr("team", "NotIn", ["blue"]) }] }]),
      src: "z/b",
      dst: "x/a",
      expected: ALL,
    },
  ];
  it.each<Row>(rows.map((r) => ({ ...r, extraPods })))("$name", check);
});

describe("8. the namespace name label and implicit namespaces", () => {
  const nameSel = (name: string) => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: name } });
  const hijacked = [namespace("x", { ns: "x" }), namespace("y", { ns: "y", [NAMESPACE_NAME_LABEL]: "z" }), namespace("z", { ns: "z" })];
  const wPod = [pod({ ns: "w", name: "p", labels: { app: "p" }, ip: "10.0.4.1" })];
  it.each<Row>([
    { name: "kubernetes.io/metadata.name matches a namespace whose manifest omits it", policies: toXa([{ from: [{ namespaceSelector: nameSel("y") }] }]), src: "y/a", dst: "x/a", expected: ALL },
    { name: "kubernetes.io/metadata.name=y does not match namespace z", policies: toXa([{ from: [{ namespaceSelector: nameSel("y") }] }]), src: "z/b", dst: "x/a", expected: NONE },
    { name: "a user-supplied kubernetes.io/metadata.name is overwritten (no longer matches the fake value)", namespaces: hijacked, policies: toXa([{ from: [{ namespaceSelector: nameSel("z") }] }]), src: "y/a", dst: "x/a", expected: NONE },
    { name: "a user-supplied kubernetes.io/metadata.name is overwritten (matches the real name)", namespaces: hijacked, policies: toXa([{ from: [{ namespaceSelector: nameSel("y") }] }]), src: "y/a", dst: "x/a", expected: ALL },
    { name: "a namespace only referenced by a pod exists with its name label", policies: toXa([{ from: [{ namespaceSelector: nameSel("w") }] }]), extraPods: wPod, src: "w/p", dst: "x/a", expected: ALL },
    {
      name: "a namespace only referenced by a pod carries no other label",
      policies: toXa([{ from: [{ namespaceSelector: { matchExpressions: [{ key: "ns", operator: "Exists" }] } }] }]),
      extraPods: wPod,
      src: "w/p",
      dst: "x/a",
      expected: NONE,
    },
    { name: "a namespace only referenced by a pod is matched by namespaceSelector {}", policies: toXa([{ from: [{ namespaceSelector: {} }] }]), extraPods: wPod, src: "w/p", dst: "x/a", expected: ALL },
  ])("$name", check);

  it("a namespace referenced only by a policy exists implicitly with just the name label", () => {
    const world = buildWorld({ namespaces: BASE_NAMESPACES, pods: BASE_PODS, policies: [denyIngress("q")] });
    const q = world.namespaceByName.get("q");
    expect(q).toMatchObject({ defined: false, labels: { [NAMESPACE_NAME_LABEL]: "q" } });
    expect(Object.keys(q!.labels)).toEqual([NAMESPACE_NAME_LABEL]);
    expect(world.namespaceByName.get("y")).toMatchObject({ defined: true, labels: { ns: "y", team: "blue", [NAMESPACE_NAME_LABEL]: "y" } });
  });
});

describe("9. ports, protocols, ranges and named ports", () => {
  const ports = (p: unknown[]) => toXa([{ ports: p }]);
  const egressPorts = (p: unknown[]) => fromXa([{ ports: p }]);
  it.each<Row>([
    { name: "protocol defaults to TCP", policies: ports([{ port: 80 }]), src: "y/b", dst: "x/a", expected: "TCP 80" },
    { name: "explicit UDP", policies: ports([{ protocol: "UDP", port: 53 }]), src: "y/b", dst: "x/a", expected: "UDP 53" },
    { name: "explicit SCTP", policies: ports([{ protocol: "SCTP", port: 80 }]), src: "y/b", dst: "x/a", expected: "SCTP 80" },
    { name: "endPort makes an inclusive range", policies: ports([{ port: 8000, endPort: 8080 }]), src: "y/b", dst: "x/a", expected: "TCP 8000-8080" },
    { name: "endPort equal to port is a single port", policies: ports([{ port: 443, endPort: 443 }]), src: "y/b", dst: "x/a", expected: "TCP 443" },
    { name: "endPort up to 65535", policies: ports([{ protocol: "UDP", port: 30000, endPort: 65535 }]), src: "y/b", dst: "x/a", expected: "UDP 30000-65535" },
    { name: "a protocol-only entry matches every port of that protocol", policies: ports([{ protocol: "UDP" }]), src: "y/b", dst: "x/a", expected: "UDP 1-65535" },
    { name: "an empty port entry is TCP on every port", policies: ports([{}]), src: "y/b", dst: "x/a", expected: "TCP 1-65535" },
    { name: "port entries union", policies: ports([{ port: 80 }, { port: 8080, endPort: 8090 }, { protocol: "UDP", port: 53 }]), src: "y/b", dst: "x/a", expected: "TCP 80,8080-8090,UDP 53" },
    { name: "adjacent ports merge", policies: ports([{ port: 81 }, { port: 80 }]), src: "y/b", dst: "x/a", expected: "TCP 80-81" },
    { name: "ingress named port resolves on the destination pod", policies: ports([{ port: "http" }]), src: "y/b", dst: "x/a", expected: "TCP 8080" },
    { name: "named port protocol defaults to TCP and must match the container port's", policies: ports([{ port: "dns" }]), src: "y/b", dst: "x/a", expected: NONE },
    { name: "named port with the matching protocol resolves", policies: ports([{ protocol: "UDP", port: "dns" }]), src: "y/b", dst: "x/a", expected: "UDP 5353" },
    {
      name: "ingress named port missing on the destination matches nothing",
      policies: [ingressOnly("x", "p", {}, [{ ports: [{ port: "http" }] }])],
      src: "y/a",
      dst: "x/b",
      expected: NONE,
    },
    { name: "egress named port resolves on the DESTINATION, not the source", policies: egressPorts([{ port: "http" }]), src: "x/a", dst: "y/a", expected: "TCP 9090" },
    { name: "egress named port uses the destination's protocol for the name", policies: egressPorts([{ port: "dns" }]), src: "x/a", dst: "y/a", expected: "TCP 53" },
    { name: "egress named port with a protocol the destination does not use matches nothing", policies: egressPorts([{ protocol: "UDP", port: "http" }]), src: "x/a", dst: "y/a", expected: NONE },
    { name: "egress named port missing on the destination matches nothing", policies: egressPorts([{ port: "http" }]), src: "x/a", dst: "y/b", expected: NONE },
    { name: "egress named port toward an external address matches nothing", policies: egressPorts([{ port: "http" }]), src: "x/a", dst: "8.8.8.8", expected: NONE },
    { name: "named and numeric entries union", policies: egressPorts([{ port: "http" }, { port: 22 }]), src: "x/a", dst: "y/a", expected: "TCP 22,9090" },
    { name: "numeric entries still apply toward an external address", policies: egressPorts([{ port: "http" }, { port: 22 }]), src: "x/a", dst: "8.8.8.8", expected: "TCP 22" },
  ])("$name", check);
});

describe("10. external endpoints", () => {
  it.each<Row>([
    { name: "egress pod->IP: a selector-only peer list does not match the address", policies: fromXa([{ to: [{ namespaceSelector: {} }] }]), src: "x/a", dst: "203.0.113.9", expected: NONE },
    { name: "egress pod->IP: the same selector peer matches pods", policies: fromXa([{ to: [{ namespaceSelector: {} }] }]), src: "x/a", dst: "y/a", expected: ALL },
    { name: "egress pod->IP: an ipBlock peer matches", policies: fromXa([{ to: [{ ipBlock: { cidr: "203.0.113.0/24" } }], ports: [{ port: 443 }] }]), src: "x/a", dst: "203.0.113.9", expected: "TCP 443" },
    { name: "egress pod->IP: a pod that is not egress-isolated reaches any address", policies: [denyIngress("x")], src: "x/a", dst: "203.0.113.9", expected: ALL },
    { name: "ingress IP->pod: an isolated pod with selector peers only is unreachable", policies: toXa([{ from: [{ namespaceSelector: {}, podSelector: {} }] }]), src: "203.0.113.9", dst: "x/a", expected: NONE },
    { name: "ingress IP->pod: a pod that is not ingress-isolated accepts any address", policies: [denyEgress("x")], src: "203.0.113.9", dst: "x/a", expected: ALL },
    { name: "ingress IP->pod: an ipBlock peer with ports", policies: toXa([{ from: [{ ipBlock: { cidr: "203.0.113.0/24" } }], ports: [{ port: 22 }] }]), src: "203.0.113.9", dst: "x/a", expected: "TCP 22" },
    { name: "an address given as external is never mapped to a pod, even when it equals a pod IP", policies: fromXa([{ to: [{ namespaceSelector: {} }] }]), src: "x/a", dst: "10.0.2.1", expected: NONE },
    {
      name: "an external source equal to a pod IP is not matched by the pod's selectors",
      policies: toXa([{ from: [{ namespaceSelector: {} }] }]),
      src: "10.0.2.1",
      dst: "x/a",
      expected: NONE,
    },
  ])("$name", check);
});

describe("11. traffic from a pod to itself (kubereach answers allowed, citing the docs; upstream does not score it)", () => {
  const denyAll = [policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })];
  const world = () => buildWorld({ namespaces: BASE_NAMESPACES, pods: BASE_PODS, policies: denyAll });

  it("evaluatePair answers allowed for a pod to itself even under deny-all, flagged as self", () => {
    const w = world();
    const v = evaluatePair(w, endpoint(w, "x/a"), endpoint(w, "x/a"));
    expect(v.self).toBe(true);
    expect(v.allowed.key).toBe(ALL);
    // The sides themselves are still reported as denied: only the pair answer is overridden.
    expect(v.ingress.allowed.key).toBe(NONE);
    expect(v.egress.allowed.key).toBe(NONE);
  });

  it("two distinct pods of the same class are still denied (self is not class-level)", () => {
    const w = world();
    const m = buildMatrix(w);
    const [a, b] = [w.podByKey.get(podKey({ namespace: "x", name: "a" }))!, w.podByKey.get(podKey({ namespace: "x", name: "b" }))!];
    expect(m.classes.classOfPod[a.index]).toBe(m.classes.classOfPod[b.index]);
    expect(m.podToPod(a.index, b.index).key).toBe(NONE);
    expect(evalConn(w, "x/a", "x/b").key).toBe(NONE);
  });

  it("explain on a single-pod workload to itself answers ALLOWED and says why", () => {
    const r = explain(world(), { type: "workload", namespace: "x", name: "a" }, { type: "workload", namespace: "x", name: "a" }, 80, "TCP");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.explanation.verdict).toBe("ALLOWED");
    expect(r.explanation.self).toBe(true);
  });

  it("the connectivity list omits a workload's traffic to itself", () => {
    const w = buildWorld({ namespaces: BASE_NAMESPACES, pods: BASE_PODS });
    const rows = buildConnectivity(buildMatrix(w)).map((r) => [formatConnEndpoint(r.src), formatConnEndpoint(r.dst)]);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter(([s, d]) => s === d)).toEqual([]);
    expect(rows).toContainEqual(["x/a[Pod]", "x/b[Pod]"]);
  });
});

describe("12. hostNetwork pods", () => {
  const extraPods = [pod({ ns: "x", name: "h", labels: { app: "h" }, ip: "192.168.5.10", hostNetwork: true, ports: [tcp(80, "http")] })];
  const rows: Row[] = [
    { name: "never selected by spec.podSelector: a namespace-wide deny does not isolate it (ingress)", policies: [denyIngress("x")], src: "y/a", dst: "x/h", expected: ALL },
    { name: "never selected by spec.podSelector: a namespace-wide deny does not isolate it (egress)", policies: [denyEgress("x")], src: "x/h", dst: "y/a", expected: ALL },
    { name: "never matched by a podSelector peer", policies: toXa([{ from: [{ podSelector: {} }] }]), src: "x/h", dst: "x/a", expected: NONE },
    { name: "never matched by a namespaceSelector peer", policies: toXa([{ from: [{ namespaceSelector: {} }] }]), src: "x/h", dst: "x/a", expected: NONE },
    { name: "matched by an ipBlock through its IP (as source)", policies: toXa([{ from: [{ ipBlock: { cidr: "192.168.5.0/24" } }] }]), src: "x/h", dst: "x/a", expected: ALL },
    { name: "matched by an ipBlock through its IP (as destination)", policies: fromXa([{ to: [{ ipBlock: { cidr: "192.168.5.10/32" } }] }]), src: "x/a", dst: "x/h", expected: ALL },
    { name: "no named-port resolution as a destination", policies: fromXa([{ ports: [{ port: "http" }] }]), src: "x/a", dst: "x/h", expected: NONE },
  ];
  it.each<Row>(rows.map((r) => ({ ...r, extraPods })))("$name", check);
});

describe("13. pods without status.podIP", () => {
  const extraPods = [pod({ ns: "x", name: "n", labels: { app: "n" } })];
  const rows: Row[] = [
    { name: "can be selected and isolated", policies: [denyIngress("x", sel({ app: "n" }))], src: "y/a", dst: "x/n", expected: NONE },
    { name: "are not isolated when nothing selects them", policies: [denyIngress("x", sel({ app: "a" }))], src: "y/a", dst: "x/n", expected: ALL },
    { name: "are matched by podSelector peers", policies: toXa([{ from: [{ podSelector: sel({ app: "n" }) }] }]), src: "x/n", dst: "x/a", expected: ALL },
    { name: "are matched by namespaceSelector peers", policies: toXa([{ from: [{ namespaceSelector: sel({ ns: "x" }) }] }]), src: "x/n", dst: "x/a", expected: ALL },
    { name: "never match an ipBlock, even 0.0.0.0/0, as source", policies: toXa([{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }]), src: "x/n", dst: "x/a", expected: NONE },
    { name: "the same 0.0.0.0/0 block matches a pod with an IP", policies: toXa([{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }]), src: "x/b", dst: "x/a", expected: ALL },
    { name: "never match an ipBlock as destination", policies: fromXa([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }]), src: "x/a", dst: "x/n", expected: NONE },
  ];
  it.each<Row>(rows.map((r) => ({ ...r, extraPods })))("$name", check);
});
