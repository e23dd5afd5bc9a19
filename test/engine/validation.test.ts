/**
 * Validation as the API server does it: every invalid object yields an error diagnostic naming
 * the object and the offending field path, and is left out of the world (valid objects next to it
 * stay). Assertions are on `code`, `field` and `object`, never on message text.
 */
import { describe, expect, it } from "vitest";
import type { DiagnosticCode, NamespaceInput, NetworkPolicyInput, PodInput } from "../../src/engine/index.js";
import { compileParts, evalConn, namespace, pod, policy, tcp } from "../helpers/worldBuilders.js";

interface PolicyRow {
  readonly name: string;
  readonly spec: unknown;
  readonly code: DiagnosticCode;
  readonly field: string;
}

const KEEP = policy("x", "keep", { podSelector: {}, ingress: [{}] });
const ok = { podSelector: {} };
const inRule = (rule: unknown) => ({ ...ok, ingress: [rule] });
const egRule = (rule: unknown) => ({ ...ok, policyTypes: ["Egress"], egress: [rule] });
const fromPeers = (...from: unknown[]) => inRule({ from });
const toPeers = (...to: unknown[]) => egRule({ to });
const inPorts = (...ports: unknown[]) => inRule({ ports });
const egPorts = (...ports: unknown[]) => egRule({ ports });
const podSel = (matchExpressions: unknown[]) => ({ ...ok, podSelector: { matchExpressions } });

describe("NetworkPolicy validation", () => {
  it.each<PolicyRow>([
    // ipBlock
    { name: "bad CIDR (octet > 255)", spec: fromPeers({ podSelector: {} }, { ipBlock: { cidr: "10.0.0.300/8" } }), code: "INVALID_CIDR", field: "spec.ingress[0].from[1].ipBlock.cidr" },
    { name: "CIDR without a prefix length", spec: fromPeers({ ipBlock: { cidr: "10.0.0.1" } }), code: "INVALID_CIDR", field: "spec.ingress[0].from[0].ipBlock.cidr" },
    { name: "CIDR prefix too long", spec: toPeers({ ipBlock: { cidr: "10.0.0.0/33" } }), code: "INVALID_CIDR", field: "spec.egress[0].to[0].ipBlock.cidr" },
    { name: "IPv6 CIDR prefix too long", spec: toPeers({ ipBlock: { cidr: "fd00::/129" } }), code: "INVALID_CIDR", field: "spec.egress[0].to[0].ipBlock.cidr" },
    { name: "ipBlock without cidr", spec: toPeers({ ipBlock: { except: ["10.0.0.0/24"] } }), code: "INVALID_CIDR", field: "spec.egress[0].to[0].ipBlock.cidr" },
    { name: "except equal to cidr is not a strict subset", spec: toPeers({ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.0.0/8"] } }), code: "INVALID_EXCEPT", field: "spec.egress[0].to[0].ipBlock.except[0]" },
    { name: "except wider than cidr", spec: toPeers({ ipBlock: { cidr: "10.1.0.0/16", except: ["10.0.0.0/8"] } }), code: "INVALID_EXCEPT", field: "spec.egress[0].to[0].ipBlock.except[0]" },
    { name: "except outside cidr", spec: toPeers({ ipBlock: { cidr: "10.0.0.0/16", except: ["10.0.1.0/24", "192.168.0.0/24"] } }), code: "INVALID_EXCEPT", field: "spec.egress[0].to[0].ipBlock.except[1]" },
    { name: "except of the other family", spec: toPeers({ ipBlock: { cidr: "0.0.0.0/0", except: ["fd00::/64"] } }), code: "INVALID_EXCEPT", field: "spec.egress[0].to[0].ipBlock.except[0]" },
    { name: "except that is not a CIDR", spec: toPeers({ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.0.1"] } }), code: "INVALID_EXCEPT", field: "spec.egress[0].to[0].ipBlock.except[0]" },
    // peers
    { name: "ipBlock combined with podSelector", spec: fromPeers({ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }), code: "INVALID_PEER", field: "spec.ingress[0].from[0]" },
    { name: "ipBlock combined with namespaceSelector", spec: toPeers({ namespaceSelector: {} }, { ipBlock: { cidr: "10.0.0.0/8" }, namespaceSelector: {} }), code: "INVALID_PEER", field: "spec.egress[0].to[1]" },
    { name: "empty peer", spec: fromPeers({}), code: "INVALID_PEER", field: "spec.ingress[0].from[0]" },
    { name: "from is not a list", spec: inRule({ from: { podSelector: {} } }), code: "INVALID_PEER", field: "spec.ingress[0].from" },
    // selectors
    { name: "bad selector operator", spec: podSel([{ key: "app", operator: "Equals", values: ["a"] }]), code: "INVALID_SELECTOR", field: "spec.podSelector.matchExpressions[0].operator" },
    { name: "In without values", spec: podSel([{ key: "app", operator: "In" }]), code: "INVALID_SELECTOR", field: "spec.podSelector.matchExpressions[0].values" },
    { name: "NotIn with an empty values list", spec: podSel([{ key: "app", operator: "NotIn", values: [] }]), code: "INVALID_SELECTOR", field: "spec.podSelector.matchExpressions[0].values" },
    { name: "Exists with values", spec: podSel([{ key: "app", operator: "Exists", values: ["a"] }]), code: "INVALID_SELECTOR", field: "spec.podSelector.matchExpressions[0].values" },
    { name: "DoesNotExist with values", spec: podSel([{ key: "app", operator: "Exists" }, { key: "tier", operator: "DoesNotExist", values: ["x"] }]), code: "INVALID_SELECTOR", field: "spec.podSelector.matchExpressions[1].values" },
    { name: "invalid label key in an expression", spec: podSel([{ key: "-app", operator: "Exists" }]), code: "INVALID_SELECTOR", field: "spec.podSelector.matchExpressions[0].key" },
    { name: "invalid matchLabels value in a peer", spec: fromPeers({ namespaceSelector: { matchLabels: { team: "not valid" } } }), code: "INVALID_SELECTOR", field: "spec.ingress[0].from[0].namespaceSelector.matchLabels.team" },
    { name: "unknown field in a selector", spec: fromPeers({ podSelector: { matchLabel: { app: "a" } } }), code: "INVALID_SELECTOR", field: "spec.ingress[0].from[0].podSelector.matchLabel" },
    // ports
    { name: "port 0", spec: inPorts({ port: 0 }), code: "INVALID_PORT", field: "spec.ingress[0].ports[0].port" },
    { name: "port 70000", spec: inPorts({ port: 80 }, { port: 70000 }), code: "INVALID_PORT", field: "spec.ingress[0].ports[1].port" },
    { name: "fractional port", spec: inPorts({ port: 80.5 }), code: "INVALID_PORT", field: "spec.ingress[0].ports[0].port" },
    { name: "quoted number port \"80\" (not a valid port name)", spec: inPorts({ port: "80" }), code: "INVALID_PORT", field: "spec.ingress[0].ports[0].port" },
    { name: "port name longer than 15 characters", spec: inPorts({ port: "a-very-long-port-name" }), code: "INVALID_PORT", field: "spec.ingress[0].ports[0].port" },
    { name: "port name with uppercase letters", spec: inPorts({ port: "HTTP" }), code: "INVALID_PORT", field: "spec.ingress[0].ports[0].port" },
    { name: "endPort < port", spec: egPorts({ port: 9000, endPort: 8000 }), code: "INVALID_END_PORT", field: "spec.egress[0].ports[0].endPort" },
    { name: "endPort without port", spec: egPorts({ endPort: 8000 }), code: "INVALID_END_PORT", field: "spec.egress[0].ports[0].endPort" },
    { name: "endPort with a named port", spec: egPorts({ port: "http", endPort: 8000 }), code: "INVALID_END_PORT", field: "spec.egress[0].ports[0].endPort" },
    { name: "endPort 70000", spec: egPorts({ port: 8000, endPort: 70000 }), code: "INVALID_END_PORT", field: "spec.egress[0].ports[0].endPort" },
    { name: "bad protocol", spec: inPorts({ protocol: "ICMP", port: 80 }), code: "INVALID_PROTOCOL", field: "spec.ingress[0].ports[0].protocol" },
    { name: "lower-case protocol (protocols are case-sensitive)", spec: inPorts({ protocol: "tcp", port: 80 }), code: "INVALID_PROTOCOL", field: "spec.ingress[0].ports[0].protocol" },
    // policyTypes
    { name: "bad policyTypes value", spec: { ...ok, policyTypes: ["Ingress", "ingress"] }, code: "INVALID_POLICY_TYPE", field: "spec.policyTypes[1]" },
    { name: "policyTypes not a list", spec: { ...ok, policyTypes: "Ingress" }, code: "INVALID_POLICY_TYPE", field: "spec.policyTypes" },
    { name: "more than two policyTypes (upstream: may not specify more than two)", spec: { ...ok, policyTypes: ["Ingress", "Egress", "Ingress"] }, code: "INVALID_POLICY_TYPE", field: "spec.policyTypes" },
    // unknown fields (typos change meaning silently)
    { name: "unknown field in a rule (typo 'form')", spec: inRule({ form: [{ podSelector: {} }] }), code: "INVALID_OBJECT", field: "spec.ingress[0].form" },
    { name: "unknown field in an egress rule (typo 'from' in egress)", spec: egRule({ from: [{ podSelector: {} }] }), code: "INVALID_OBJECT", field: "spec.egress[0].from" },
    { name: "unknown field in spec (typo 'ingres')", spec: { ...ok, ingres: [] }, code: "INVALID_OBJECT", field: "spec.ingres" },
    { name: "unknown field in a peer", spec: fromPeers({ podselector: {} }), code: "INVALID_OBJECT", field: "spec.ingress[0].from[0].podselector" },
    { name: "unknown field in a port", spec: inPorts({ port: 80, endport: 90 }), code: "INVALID_OBJECT", field: "spec.ingress[0].ports[0].endport" },
    { name: "unknown field in an ipBlock", spec: toPeers({ ipBlock: { cidr: "10.0.0.0/8", exclude: ["10.0.0.0/16"] } }), code: "INVALID_OBJECT", field: "spec.egress[0].to[0].ipBlock.exclude" },
    { name: "ingress is not a list", spec: { ...ok, ingress: {} }, code: "INVALID_OBJECT", field: "spec.ingress" },
    { name: "spec is missing", spec: undefined, code: "INVALID_OBJECT", field: "spec" },
  ])("$name -> $code at $field", ({ spec, code, field }) => {
    const { world, diagnostics } = compileParts({ policies: [policy("x", "bad", spec), KEEP] });
    expect(diagnostics).toEqual([expect.objectContaining({ severity: "error", code, field, object: "NetworkPolicy x/bad" })]);
    // The invalid policy is left out; the valid one next to it stays.
    expect(world.networkPolicies.map((p) => p.ref.name)).toEqual(["keep"]);
    // No peer of the rejected policy leaks into world.peers (ids stay dense).
    expect(world.peers.map((p) => p.id)).toEqual(world.peers.map((_, i) => i));
  });

  it("a rejected policy has no effect on evaluation", () => {
    const { world } = compileParts({
      pods: [pod({ ns: "x", name: "a", ip: "10.0.0.1" }), pod({ ns: "x", name: "b", ip: "10.0.0.2" })],
      policies: [policy("x", "deny-but-typo", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ form: [] }] })],
    });
    expect(world.networkPolicies).toEqual([]);
    expect(evalConn(world, "x/b", "x/a").key).toBe("All Connections");
  });

  it("validates rules of a direction outside policyTypes too (the API server does)", () => {
    const { diagnostics } = compileParts({ policies: [policy("x", "bad", { podSelector: {}, policyTypes: ["Ingress"], egress: [{ ports: [{ port: 0 }] }] })] });
    expect(diagnostics).toEqual([expect.objectContaining({ code: "INVALID_PORT", field: "spec.egress[0].ports[0].port" })]);
  });

  it("keeps peer ids dense when a policy with valid peers is rejected after them", () => {
    const { world } = compileParts({
      policies: [
        policy("x", "first", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }),
        policy("x", "bad", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: {} }, {}] }] }),
        policy("x", "last", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }] }),
      ],
    });
    expect(world.networkPolicies.map((p) => p.ref.name)).toEqual(["first", "last"]);
    expect(world.peers.map((p) => [p.id, p.kind])).toEqual([
      [0, "selector"],
      [1, "ipBlock"],
    ]);
  });
});

interface ObjectRow {
  readonly name: string;
  readonly namespaces?: readonly NamespaceInput[];
  readonly pods?: readonly PodInput[];
  readonly policies?: readonly NetworkPolicyInput[];
  readonly code: DiagnosticCode;
  readonly field: string;
  readonly object: string;
  /** What the world keeps afterwards. */
  readonly kept: { readonly pods?: number; readonly policies?: number; readonly namespaces?: readonly string[] };
}

describe("pod, namespace and duplicate validation", () => {
  it.each<ObjectRow>([
    { name: "invalid pod IP", pods: [pod({ ns: "x", name: "a", ip: "10.0.0.256" }), pod({ ns: "x", name: "b", ip: "10.0.0.2" })], code: "INVALID_IP", field: "status.podIP", object: "Pod x/a", kept: { pods: 1 } },
    { name: "invalid IPv6 pod IP", pods: [pod({ ns: "x", name: "a", ip: "fd00::1::2" })], code: "INVALID_IP", field: "status.podIP", object: "Pod x/a", kept: { pods: 0 } },
    { name: "pod IP given as a CIDR", pods: [pod({ ns: "x", name: "a", ip: "10.0.0.1/32" })], code: "INVALID_IP", field: "status.podIP", object: "Pod x/a", kept: { pods: 0 } },
    { name: "container port 0", pods: [pod({ ns: "x", name: "a", ports: [tcp(80), tcp(0)] })], code: "INVALID_PORT", field: "spec.containers.ports[1].containerPort", object: "Pod x/a", kept: { pods: 0 } },
    { name: "invalid container port name", pods: [pod({ ns: "x", name: "a", ports: [tcp(80, "http"), tcp(81, "Metrics")] })], code: "INVALID_PORT", field: "spec.containers.ports[1].name", object: "Pod x/a", kept: { pods: 0 } },
    { name: "invalid pod label value", pods: [pod({ ns: "x", name: "a", labels: { app: "a b" } })], code: "INVALID_OBJECT", field: "metadata.labels.app", object: "Pod x/a", kept: { pods: 0 } },
    { name: "duplicate pod", pods: [pod({ ns: "x", name: "a", ip: "10.0.0.1" }), pod({ ns: "x", name: "a", ip: "10.0.0.2" })], code: "DUPLICATE_OBJECT", field: "metadata.name", object: "Pod x/a", kept: { pods: 1 } },
    {
      name: "duplicate network policy",
      policies: [policy("x", "p", { podSelector: {} }), policy("x", "p", { podSelector: {}, ingress: [{}] })],
      code: "DUPLICATE_OBJECT",
      field: "metadata.name",
      object: "NetworkPolicy x/p",
      kept: { policies: 1 },
    },
    { name: "duplicate namespace", namespaces: [namespace("x", { a: "1" }), namespace("x", { a: "2" })], code: "DUPLICATE_OBJECT", field: "metadata.name", object: "Namespace x", kept: { namespaces: ["x"] } },
  ])("$name -> $code at $field", (row) => {
    const { world, diagnostics } = compileParts(row);
    expect(diagnostics).toEqual([expect.objectContaining({ severity: "error", code: row.code, field: row.field, object: row.object })]);
    if (row.kept.pods !== undefined) expect(world.pods).toHaveLength(row.kept.pods);
    if (row.kept.policies !== undefined) expect(world.networkPolicies).toHaveLength(row.kept.policies);
    if (row.kept.namespaces !== undefined) expect(world.namespaces.map((n) => n.name)).toEqual(row.kept.namespaces);
  });

  it("keeps the FIRST of duplicate objects", () => {
    const { world } = compileParts({
      namespaces: [namespace("x", { v: "1" }), namespace("x", { v: "2" })],
      pods: [pod({ ns: "x", name: "a", ip: "10.0.0.1" }), pod({ ns: "x", name: "a", ip: "10.0.0.2" })],
      policies: [policy("x", "p", { podSelector: {}, ingress: [] }), policy("x", "p", { podSelector: {}, ingress: [{}] })],
    });
    expect(world.namespaceByName.get("x")!.labels["v"]).toBe("1");
    expect(world.pods[0]!.ip!.value).toBe(0x0a000001n);
    expect(world.networkPolicies[0]!.ingress).toEqual([]);
  });

  it("echoes the caller's origin in diagnostics", () => {
    const { diagnostics } = compileParts({ policies: [{ ...policy("x", "bad", { podSelector: {}, ingress: [{ from: [{}] }] }), origin: "policies.yaml#2" }] });
    expect(diagnostics).toEqual([expect.objectContaining({ origin: "policies.yaml#2", code: "INVALID_PEER" })]);
  });

  it("valid input produces no diagnostics at all (no warnings either)", () => {
    const { diagnostics } = compileParts({
      namespaces: [namespace("x", { ns: "x" })],
      pods: [pod({ ns: "x", name: "a", labels: { app: "a" }, ip: "fd00::1", ports: [tcp(80, "http")] })],
      policies: [
        policy("x", "p", {
          podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["a"] }] },
          policyTypes: ["Ingress", "Egress"],
          ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.1/8", except: ["10.1.0.0/16"] } }], ports: [{ port: "http" }, { port: 8000, endPort: 8080 }, { protocol: "SCTP" }] }],
          egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "a" } } }] }],
        }),
      ],
    });
    expect(diagnostics).toEqual([]);
  });
});
