/**
 * Ported from kubernetes/kubernetes test/e2e/network/netpol/network_policy.go (the version that
 * probes the full 3x3 model): namespaces x, y, z labelled ns=<name>, pods a, b, c labelled
 * pod=<name>, each serving ports 80 and 81 over TCP, UDP and SCTP with container ports named
 * serve-<port>-<protocol> (model.go). Policies are built the way the upstream helpers build them
 * (SetSpecIngressRules adds "Ingress" to policyTypes, SetSpecEgressRules adds "Egress"), and the
 * expected truth table is built with the same Reachability operations the upstream test calls.
 * As upstream (ignoreLoopback = true), the diagonal is not scored.
 *
 * Each step is checked on the class matrix and on evaluatePair.
 */
import { describe, expect, it } from "vitest";
import {
  buildMatrix,
  evaluatePair,
  NAMESPACE_NAME_LABEL,
  podEndpoint,
  type CompiledWorld,
  type ContainerPortInput,
  type NetworkPolicyInput,
  type Protocol,
} from "../../src/engine/index.js";
import { buildWorld, namespace, pod, policy } from "../helpers/worldBuilders.js";

const NAMESPACES = ["x", "y", "z"] as const;
const POD_NAMES = ["a", "b", "c"] as const;
const ALL_PODS = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => `${ns}/${p}`));

/** Pod IPs: x/a = 10.0.1.1 ... z/c = 10.0.3.3 (all inside x/a's /4, as the except-clause test needs). */
const podIp = (ns: string, name: string) => `10.0.${NAMESPACES.indexOf(ns as never) + 1}.${POD_NAMES.indexOf(name as never) + 1}`;

const CONTAINER_PORTS: ContainerPortInput[] = [80, 81].flatMap((port) =>
  (["TCP", "UDP", "SCTP"] as const).map((protocol) => ({ containerPort: port, protocol, name: `serve-${port}-${protocol.toLowerCase()}` })),
);

// --- Reachability, as test/e2e/network/netpol/reachability.go -------------------------------------

interface Peer {
  readonly namespace?: string;
  readonly pod?: string;
}

class Reachability {
  private readonly values = new Map<string, boolean>();
  constructor(defaultExpectation: boolean) {
    for (const from of ALL_PODS) for (const to of ALL_PODS) this.values.set(`${from}>${to}`, defaultExpectation);
  }
  expect(from: string, to: string, connected: boolean): void {
    this.values.set(`${from}>${to}`, connected);
  }
  /** TruthTable.SetAllTo: every source to `pod`. */
  expectAllIngress(pod: string, connected: boolean): void {
    for (const from of ALL_PODS) this.expect(from, pod, connected);
  }
  /** TruthTable.SetAllFrom: `pod` to every destination. */
  expectAllEgress(pod: string, connected: boolean): void {
    for (const to of ALL_PODS) this.expect(pod, to, connected);
  }
  expectPeer(from: Peer, to: Peer, connected: boolean): void {
    const matches = (p: Peer, s: string) => {
      const [ns, name] = s.split("/");
      return (p.namespace === undefined || p.namespace === ns) && (p.pod === undefined || p.pod === name);
    };
    for (const f of ALL_PODS) if (matches(from, f)) for (const t of ALL_PODS) if (matches(to, t)) this.expect(f, t, connected);
  }
  get(from: string, to: string): boolean {
    return this.values.get(`${from}>${to}`)!;
  }
}

/** Upstream's PrettyPrint layout: rows are sources, columns destinations; "." connected, "X" not; loopback "-". */
function truthTable(get: (from: string, to: string) => boolean): string[] {
  return ALL_PODS.map((from) => `${from}\t${ALL_PODS.map((to) => (from === to ? "-" : get(from, to) ? "." : "X")).join(" ")}`);
}

// --- upstream policy helpers ------------------------------------------------------------------------

interface Rules {
  readonly ingress?: readonly unknown[];
  readonly egress?: readonly unknown[];
  readonly policyTypes?: readonly string[];
}

/** GenNetworkPolicyWithNameAndPodSelector + SetSpecIngressRules / SetSpecEgressRules. */
function gen(ns: string, name: string, podSelector: unknown, rules: Rules): NetworkPolicyInput {
  const policyTypes = rules.policyTypes ?? [...(rules.ingress ? ["Ingress"] : []), ...(rules.egress ? ["Egress"] : [])];
  return policy(ns, name, { podSelector, policyTypes, ...(rules.ingress ? { ingress: rules.ingress } : {}), ...(rules.egress ? { egress: rules.egress } : {}) });
}
/** GenNetworkPolicyWithNameAndPodMatchLabel. */
const genML = (ns: string, name: string, matchLabels: Record<string, string>, rules: Rules) => gen(ns, name, { matchLabels }, rules);
const nsName = (name: string) => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: name } });
const notInX = { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "NotIn", values: ["x"] }] };
const podLabel = (name: string) => ({ matchLabels: { pod: name } });

// --- cases -------------------------------------------------------------------------------------------

interface Step {
  readonly policies: readonly NetworkPolicyInput[];
  readonly port: number;
  readonly protocol: Protocol;
  readonly expect: (r: Reachability) => void;
  /** Label changes made by the upstream test before this probe (AddNamespaceLabel / AddPodLabels). */
  readonly namespaceLabels?: Readonly<Record<string, Record<string, string>>>;
  readonly podLabels?: Readonly<Record<string, Record<string, string>>>;
}

interface Case {
  readonly name: string;
  readonly steps: readonly Step[];
}

const allowed = () => undefined;
const TCP = "TCP" as const;

const denyIngressX = gen("x", "deny-ingress", {}, { ingress: [] });
const denyAllX = gen("x", "deny-all", {}, { ingress: [], egress: [] });
const allowPort81FromY = genML("x", "allow-client-a-via-ns-selector", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: nsName("y") }], ports: [{ port: 81, protocol: "TCP" }] }] });
const allowPort80FromY = genML("x", "allow-client-a-via-ns-selector-80", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: nsName("y") }], ports: [{ port: 80, protocol: "TCP" }] }] });
const yOnlyToXa = (r: Reachability) => {
  r.expectPeer({ namespace: "x" }, { namespace: "x", pod: "a" }, false);
  r.expectPeer({ namespace: "y" }, { namespace: "x", pod: "a" }, true);
  r.expectPeer({ namespace: "z" }, { namespace: "x", pod: "a" }, false);
};
const exceptPolicy = genML("x", "allow-client-a-via-cidr-egress-rule", { pod: "a" }, { egress: [{ to: [{ ipBlock: { cidr: `${podIp("x", "a")}/4`, except: [`${podIp("x", "b")}/32`] } }] }] });
const podSelAndNsSelYa = (protocol: Protocol, port: number): Step => ({
  policies: [genML("x", "allow-ns-y-pod-a-via-namespace-pod-selector", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: nsName("y"), podSelector: podLabel("a") }] }] })],
  port,
  protocol,
  expect: (r) => {
    r.expectAllIngress("x/a", false);
    r.expect("y/a", "x/a", true);
  },
});
const portsFromY = (protocol: Protocol): Step => ({
  policies: [genML("x", "allow-ingress-on-port-81-ns-x", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: nsName("y") }], ports: [{ port: 81, protocol }] }] })],
  port: 81,
  protocol,
  expect: (r) => {
    r.expectPeer({ namespace: "x" }, { namespace: "x", pod: "a" }, false);
    r.expectPeer({ namespace: "z" }, { namespace: "x", pod: "a" }, false);
  },
});
const defaultDenyIngress = (protocol: Protocol): Step => ({ policies: [gen("x", "deny-all", {}, { ingress: [] })], port: 80, protocol, expect: (r) => r.expectPeer({}, { namespace: "x" }, false) });

const CASES: Case[] = [
  { name: "should support a 'default-deny-ingress' policy", steps: [{ policies: [denyIngressX], port: 80, protocol: TCP, expect: (r) => r.expectPeer({}, { namespace: "x" }, false) }] },
  {
    name: "should support a 'default-deny-all' policy",
    steps: [
      {
        policies: [denyAllX],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectPeer({}, { namespace: "x" }, false);
          r.expectPeer({ namespace: "x" }, {}, false);
        },
      },
    ],
  },
  {
    name: "should enforce policy to allow traffic from pods within server namespace based on PodSelector",
    steps: [
      {
        policies: [genML("x", "x-a-allows-x-b", { pod: "a" }, { ingress: [{ from: [{ podSelector: podLabel("b") }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllIngress("x/a", false);
          r.expect("x/b", "x/a", true);
        },
      },
    ],
  },
  {
    name: "should enforce policy to allow ingress traffic for a target",
    steps: [
      {
        policies: [gen("x", "deny-all", {}, { ingress: [] }), genML("x", "allow-all-to-a", { pod: "a" }, { ingress: [{ from: [{ podSelector: {}, namespaceSelector: {} }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllIngress("x/a", true);
          r.expectAllIngress("x/b", false);
          r.expectAllIngress("x/c", false);
        },
      },
    ],
  },
  {
    name: "should enforce policy to allow ingress traffic from pods in all namespaces",
    steps: [{ policies: [genML("x", "allow-from-another-ns", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: { matchLabels: {} } }] }] })], port: 80, protocol: TCP, expect: allowed }],
  },
  {
    name: "should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector",
    steps: [
      {
        policies: [genML("x", "allow-client-a-via-ns-selector", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: nsName("y") }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectPeer({ namespace: "x" }, { namespace: "x", pod: "a" }, false);
          r.expectPeer({ namespace: "z" }, { namespace: "x", pod: "a" }, false);
        },
      },
    ],
  },
  {
    name: "should enforce policy based on PodSelector with MatchExpressions",
    steps: [
      {
        policies: [genML("x", "x-a-allows-x-b", { pod: "a" }, { ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["b"] }] } }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllIngress("x/a", false);
          r.expect("x/b", "x/a", true);
        },
      },
    ],
  },
  {
    name: "should enforce policy based on NamespaceSelector with MatchExpressions",
    steps: [
      {
        policies: [
          genML("x", "allow-ns-y-match-selector", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: ["y"] }] } }] }] }),
        ],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectPeer({ namespace: "x" }, { namespace: "x", pod: "a" }, false);
          r.expectPeer({ namespace: "z" }, { namespace: "x", pod: "a" }, false);
        },
      },
    ],
  },
  {
    name: "should enforce policy based on PodSelector or NamespaceSelector",
    steps: [
      {
        policies: [genML("x", "allow-ns-y-match-selector", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: notInX }, { podSelector: podLabel("b") }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expect("x/a", "x/a", false);
          r.expect("x/c", "x/a", false);
        },
      },
    ],
  },
  {
    name: "should enforce policy based on PodSelector and NamespaceSelector",
    steps: [
      {
        policies: [genML("x", "allow-ns-y-podselector-and-nsselector", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: notInX, podSelector: podLabel("b") }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllIngress("x/a", false);
          r.expect("y/b", "x/a", true);
          r.expect("z/b", "x/a", true);
        },
      },
    ],
  },
  {
    name: "should enforce policy based on Multiple PodSelectors and NamespaceSelectors",
    steps: [
      {
        policies: [
          genML("x", "allow-ns-y-z-pod-b-c", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: notInX, podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["b", "c"] }] } }] }] }),
        ],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectPeer({ namespace: "x" }, { namespace: "x", pod: "a" }, false);
          r.expect("y/a", "x/a", false);
          r.expect("z/a", "x/a", false);
        },
      },
    ],
  },
  {
    name: "should enforce policy based on any PodSelectors",
    steps: [
      {
        policies: [genML("x", "allow-ns-x-pod-b-c", { pod: "a" }, { ingress: [{ from: [{ podSelector: podLabel("b") }, { podSelector: podLabel("c") }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllIngress("x/a", false);
          r.expect("x/b", "x/a", true);
          r.expect("x/c", "x/a", true);
        },
      },
    ],
  },
  { name: "should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", steps: [podSelAndNsSelYa(TCP, 80)] },
  { name: "should enforce policy based on Ports", steps: [{ policies: [allowPort81FromY], port: 81, protocol: TCP, expect: yOnlyToXa }] },
  {
    name: "should enforce multiple, stacked policies with overlapping podSelectors",
    steps: [
      { policies: [allowPort81FromY], port: 81, protocol: TCP, expect: yOnlyToXa },
      { policies: [allowPort81FromY], port: 80, protocol: TCP, expect: (r) => r.expectAllIngress("x/a", false) },
      { policies: [allowPort81FromY, allowPort80FromY], port: 80, protocol: TCP, expect: yOnlyToXa },
    ],
  },
  {
    name: "should support allow-all policy",
    steps: [80, 81].map((port) => ({ policies: [genML("x", "allow-all", {}, { ingress: [{}] })], port, protocol: TCP, expect: allowed })),
  },
  {
    name: "should allow ingress access on one named port",
    steps: [
      { policies: [genML("x", "allow-all", {}, { ingress: [{ ports: [{ port: "serve-81-tcp" }] }] })], port: 81, protocol: TCP, expect: allowed },
      { policies: [genML("x", "allow-all", {}, { ingress: [{ ports: [{ port: "serve-81-tcp" }] }] })], port: 80, protocol: TCP, expect: (r) => r.expectPeer({}, { namespace: "x" }, false) },
    ],
  },
  {
    name: "should allow ingress access from namespace on one named port",
    steps: [80, 81].map((port) => ({
      policies: [genML("x", "allow-client-a-via-ns-selector-80", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: nsName("y") }], ports: [{ port: "serve-80-tcp", protocol: "TCP" }] }] })],
      port,
      protocol: TCP,
      expect: (r: Reachability) => {
        if (port === 81) return r.expectAllIngress("x/a", false);
        r.expectPeer({ namespace: "x" }, { namespace: "x", pod: "a" }, false);
        r.expectPeer({ namespace: "z" }, { namespace: "x", pod: "a" }, false);
      },
    })),
  },
  {
    name: "should allow egress access on one named port",
    steps: [
      { policies: [genML("x", "allow-egress", {}, { egress: [{ ports: [{ port: "serve-80-tcp" }] }] })], port: 80, protocol: TCP, expect: allowed },
      { policies: [genML("x", "allow-egress", {}, { egress: [{ ports: [{ port: "serve-80-tcp" }] }] })], port: 81, protocol: TCP, expect: (r) => r.expectPeer({ namespace: "x" }, {}, false) },
    ],
  },
  {
    name: "should enforce updated policy",
    steps: [
      { policies: [genML("x", "allow-all-mutate-to-deny-all", {}, { ingress: [{}] })], port: 81, protocol: TCP, expect: allowed },
      { policies: [genML("x", "allow-all-mutate-to-deny-all", {}, { ingress: [] })], port: 81, protocol: TCP, expect: (r) => r.expectPeer({}, { namespace: "x" }, false) },
    ],
  },
  {
    name: "should allow ingress access from updated namespace",
    steps: [
      {
        policies: [genML("x", "allow-client-a-via-ns-selector", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns2: "updated" } } }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => r.expectAllIngress("x/a", false),
      },
      {
        policies: [genML("x", "allow-client-a-via-ns-selector", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns2: "updated" } } }] }] })],
        namespaceLabels: { y: { ns: "y", ns2: "updated" } },
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllIngress("x/a", false);
          r.expectPeer({ namespace: "y" }, {}, true);
        },
      },
    ],
  },
  {
    name: "should allow ingress access from updated pod",
    steps: [
      {
        policies: [genML("x", "allow-client-a-via-pod-selector", { pod: "a" }, { ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b", pod2: "updated" } } }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => r.expectAllIngress("x/a", false),
      },
      {
        policies: [genML("x", "allow-client-a-via-pod-selector", { pod: "a" }, { ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b", pod2: "updated" } } }] }] })],
        podLabels: { "x/b": { pod: "b", pod2: "updated" } },
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllIngress("x/a", false);
          r.expect("x/b", "x/a", true);
        },
      },
    ],
  },
  {
    name: "should deny ingress from pods on other namespaces",
    steps: [
      {
        policies: [gen("x", "deny-empty-policy", {}, { ingress: [{ from: [{ podSelector: { matchLabels: {} } }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectPeer({ namespace: "y" }, { namespace: "x" }, false);
          r.expectPeer({ namespace: "z" }, { namespace: "x" }, false);
        },
      },
    ],
  },
  {
    name: "should deny ingress access to updated pod",
    steps: [
      { policies: [gen("x", "deny-ingress-via-label-selector", { matchLabels: { target: "isolated" } }, { ingress: [] })], port: 80, protocol: TCP, expect: allowed },
      {
        policies: [gen("x", "deny-ingress-via-label-selector", { matchLabels: { target: "isolated" } }, { ingress: [] })],
        podLabels: { "x/a": { pod: "a", target: "isolated" } },
        port: 80,
        protocol: TCP,
        expect: (r) => r.expectAllIngress("x/a", false),
      },
    ],
  },
  { name: "should deny egress from pods based on PodSelector", steps: [{ policies: [gen("x", "deny-egress-pod-a", podLabel("a"), { egress: [] })], port: 80, protocol: TCP, expect: (r) => r.expectAllEgress("x/a", false) }] },
  { name: "should deny egress from all pods in a namespace", steps: [{ policies: [gen("x", "deny-egress-ns-x", {}, { egress: [] })], port: 80, protocol: TCP, expect: (r) => r.expectPeer({ namespace: "x" }, {}, false) }] },
  {
    name: "should work with Ingress, Egress specified together",
    steps: [80, 81].map((port) => ({
      policies: [genML("x", "allow-client-a-via-pod-selector", { pod: "a" }, { ingress: [{ from: [{ podSelector: podLabel("b") }] }], egress: [{ ports: [{ port: 80 }] }], policyTypes: ["Egress", "Ingress"] })],
      port,
      protocol: TCP,
      expect: (r: Reachability) => {
        r.expectAllIngress("x/a", false);
        if (port === 81) r.expectAllEgress("x/a", false);
        r.expect("x/b", "x/a", true);
      },
    })),
  },
  {
    name: "should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)",
    steps: [
      {
        policies: [
          genML("x", "allow-to-ns-y-pod-a", { pod: "a" }, { egress: [{ to: [{ namespaceSelector: nsName("y"), podSelector: podLabel("a") }] }] }),
          genML("y", "allow-from-xa-on-ya-match-selector", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: nsName("x"), podSelector: podLabel("a") }] }] }),
          genML("y", "allow-from-xa-on-yb-match-selector", { pod: "b" }, { ingress: [{ from: [{ namespaceSelector: nsName("x"), podSelector: podLabel("a") }] }] }),
        ],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectPeer({ namespace: "x", pod: "a" }, {}, false);
          r.expectPeer({}, { namespace: "y", pod: "a" }, false);
          r.expectPeer({ namespace: "x", pod: "a" }, { namespace: "y", pod: "a" }, true);
          r.expectPeer({}, { namespace: "y", pod: "b" }, false);
        },
      },
    ],
  },
  {
    name: "should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector",
    steps: [
      {
        policies: [genML("x", "allow-to-ns-y-pod-a", { pod: "a" }, { egress: [{ to: [{ namespaceSelector: nsName("y"), podSelector: podLabel("a") }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllEgress("x/a", false);
          r.expect("x/a", "y/a", true);
        },
      },
    ],
  },
  {
    name: "should enforce ingress policy allowing any port traffic to a server on a specific protocol",
    steps: (["TCP", "UDP"] as const).map((protocol) => ({
      policies: [genML("x", "allow-ingress-by-proto", { pod: "a" }, { ingress: [{ ports: [{ protocol: "TCP" }] }] })],
      port: 80,
      protocol,
      expect: (r: Reachability) => {
        if (protocol === "UDP") r.expectPeer({}, { namespace: "x", pod: "a" }, false);
      },
    })),
  },
  {
    name: "should enforce multiple ingress policies with ingress allow-all policy taking precedence",
    steps: [
      { policies: [genML("x", "allow-ingress-port-80", {}, { ingress: [{ ports: [{ port: 80 }] }] })], port: 81, protocol: TCP, expect: (r) => r.expectPeer({}, { namespace: "x" }, false) },
      { policies: [genML("x", "allow-ingress-port-80", {}, { ingress: [{ ports: [{ port: 80 }] }] }), genML("x", "allow-ingress", {}, { ingress: [{}] })], port: 81, protocol: TCP, expect: allowed },
    ],
  },
  {
    name: "should enforce multiple egress policies with egress allow-all policy taking precedence",
    steps: [
      { policies: [genML("x", "allow-egress-port-80", {}, { egress: [{ ports: [{ port: 80 }] }] })], port: 81, protocol: TCP, expect: (r) => r.expectPeer({ namespace: "x" }, {}, false) },
      { policies: [genML("x", "allow-egress-port-80", {}, { egress: [{ ports: [{ port: 80 }] }] }), genML("x", "allow-egress", {}, { egress: [{}] })], port: 81, protocol: TCP, expect: allowed },
    ],
  },
  {
    name: "should stop enforcing policies after they are deleted",
    steps: [
      {
        policies: [denyAllX],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectPeer({ namespace: "x" }, {}, false);
          r.expectPeer({}, { namespace: "x" }, false);
        },
      },
      { policies: [], port: 80, protocol: TCP, expect: allowed },
    ],
  },
  {
    name: "should allow egress access to server in CIDR block",
    steps: [
      {
        policies: [genML("x", "allow-client-a-via-cidr-egress-rule", { pod: "a" }, { egress: [{ to: [{ ipBlock: { cidr: `${podIp("y", "b")}/32` } }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllEgress("x/a", false);
          r.expect("x/a", "y/b", true);
        },
      },
    ],
  },
  { name: "should enforce except clause while egress access to server in CIDR block", steps: [{ policies: [exceptPolicy], port: 80, protocol: TCP, expect: (r) => r.expect("x/a", "x/b", false) }] },
  {
    name: "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed",
    steps: [
      { policies: [exceptPolicy], port: 80, protocol: TCP, expect: (r) => r.expect("x/a", "x/b", false) },
      {
        // UpdatePolicy: the same policy name now allows only podB/32.
        policies: [genML("x", "allow-client-a-via-cidr-egress-rule", { pod: "a" }, { egress: [{ to: [{ ipBlock: { cidr: `${podIp("x", "b")}/32` } }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectAllEgress("x/a", false);
          r.expect("x/a", "x/b", true);
        },
      },
    ],
  },
  {
    name: "should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector",
    steps: [
      { policies: [gen("x", "allow-egress-for-target", podLabel("a"), { egress: [{}] })], port: 80, protocol: TCP, expect: allowed },
      {
        policies: [gen("x", "allow-egress-for-target", podLabel("a"), { egress: [{}] }), gen("x", "deny-ingress-via-label-selector", podLabel("a"), { ingress: [] })],
        port: 80,
        protocol: TCP,
        expect: (r) => r.expectAllIngress("x/a", false),
      },
    ],
  },
  {
    name: "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
    steps: [
      {
        policies: [denyIngressX, genML("x", "allow-only-sctp-ingress-on-port-81", { pod: "a" }, { ingress: [{ ports: [{ port: 81, protocol: "SCTP" }] }] })],
        port: 81,
        protocol: TCP,
        expect: (r) => r.expectPeer({}, { namespace: "x" }, false),
      },
    ],
  },
  {
    name: "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP",
    steps: [
      { policies: [genML("x", "allow-only-sctp-ingress-on-port-80", { pod: "a" }, { ingress: [{ ports: [{ port: 80, protocol: "SCTP" }] }] })], port: 81, protocol: TCP, expect: (r) => r.expectAllIngress("x/a", false) },
    ],
  },
  {
    name: "should not allow access by TCP when a policy specifies only UDP",
    steps: [{ policies: [genML("x", "allow-only-udp-ingress-on-port-81", { pod: "a" }, { ingress: [{ ports: [{ port: 81, protocol: "UDP" }] }] })], port: 81, protocol: TCP, expect: (r) => r.expectAllIngress("x/a", false) }],
  },
  {
    name: "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label",
    steps: [
      {
        policies: [genML("x", "allow-client-a-via-ns-selector-for-immutable-ns-label", { pod: "a" }, { ingress: [{ from: [{ namespaceSelector: nsName("y") }] }] })],
        port: 80,
        protocol: TCP,
        expect: (r) => {
          r.expectPeer({ namespace: "x" }, { namespace: "x", pod: "a" }, false);
          r.expectPeer({ namespace: "z" }, { namespace: "x", pod: "a" }, false);
        },
      },
    ],
  },
  {
    name: "should enforce policy based on NamespaceSelector with MatchExpressions using default ns label",
    steps: [
      {
        policies: [
          genML("x", "allow-ns-y-match-selector-for-immutable-ns-label", { pod: "a" }, { egress: [{ to: [{ namespaceSelector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "NotIn", values: ["y"] }] } }] }] }),
        ],
        port: 80,
        protocol: TCP,
        expect: (r) => r.expectPeer({ namespace: "x", pod: "a" }, { namespace: "y" }, false),
      },
    ],
  },
  { name: "UDP: should support a 'default-deny-ingress' policy", steps: [defaultDenyIngress("UDP")] },
  { name: "UDP: should enforce policy based on Ports", steps: [portsFromY("UDP")] },
  { name: "UDP: should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", steps: [podSelAndNsSelYa("UDP", 80)] },
  { name: "SCTP: should support a 'default-deny-ingress' policy", steps: [defaultDenyIngress("SCTP")] },
  { name: "SCTP: should enforce policy based on Ports", steps: [portsFromY("SCTP")] },
  { name: "SCTP: should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", steps: [podSelAndNsSelYa("SCTP", 80)] },
];

function worldFor(step: Step): CompiledWorld {
  return buildWorld({
    namespaces: NAMESPACES.map((ns) => namespace(ns, step.namespaceLabels?.[ns] ?? { ns })),
    pods: NAMESPACES.flatMap((ns) =>
      POD_NAMES.map((name) => pod({ ns, name, labels: step.podLabels?.[`${ns}/${name}`] ?? { pod: name }, ip: podIp(ns, name), ports: CONTAINER_PORTS })),
    ),
    policies: step.policies,
  });
}

describe("upstream e2e network_policy.go on the x,y,z / a,b,c model", () => {
  it("ports a good share of the upstream suite", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)("$name", ({ steps }) => {
    for (const [i, step] of steps.entries()) {
      const expected = new Reachability(true);
      step.expect(expected);
      const world = worldFor(step);
      const matrix = buildMatrix(world);
      const index = new Map(world.pods.map((p) => [`${p.ref.namespace}/${p.ref.name}`, p]));
      const viaMatrix = truthTable((f, t) => matrix.podToPod(index.get(f)!.index, index.get(t)!.index).contains(step.port, step.protocol));
      const viaPair = truthTable((f, t) => evaluatePair(world, podEndpoint(index.get(f)!), podEndpoint(index.get(t)!)).allowed.contains(step.port, step.protocol));
      const label = `step ${i + 1}: ${step.protocol} ${step.port}`;
      expect(viaMatrix, `${label} (class matrix)`).toEqual(truthTable((f, t) => expected.get(f, t)));
      expect(viaPair, `${label} (evaluatePair)`).toEqual(viaMatrix);
    }
  });
});
