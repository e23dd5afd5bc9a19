/**
 * RULE_SHADOWED_BY_ADMIN_TIER, one row per case: a NetworkPolicy rule fully denied by the Admin tier
 * (medium), fully accepted by it already (info), partly denied (low, by ports or by peers); Pass and the
 * Baseline tier never shadow; first match in priority order decides (a Pass before a Deny leaves the
 * Deny what the Pass does not match); ClusterNetworkPolicy v1alpha2 and AdminNetworkPolicy v1alpha1;
 * ingress and egress; named ports on either side; unresolved peers are never a reason to claim.
 * The world is test/engine/tiers/builders.ts's: a/web (http=8080/TCP), a/db, a/host (hostNetwork),
 * a/pending (no IP), b/client, c/client.
 */
import { describe, expect, it } from "vitest";
import { findings, type Finding, type NetworkPolicyInput, type TieredPolicyInput } from "../../src/engine/index.js";
import { policy } from "../helpers/worldBuilders.js";
import { anp, banp, buildTierWorld, cnp, egressRule as eg, ingressRule as ing, namedPort, networks, nsSubject, podSubject, tcpPort, toNs } from "./tiers/builders.js";

interface Row {
  readonly name: string;
  readonly tiered: readonly TieredPolicyInput[];
  readonly policies: readonly NetworkPolicyInput[];
  /** `severity direction policy field <- tiered policy field, ...`, one per finding of the kind. */
  readonly expected: readonly string[];
}

const nsPeer = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
const allowIngress = (ns: string, name: string, from: unknown[], ports?: unknown[], podSelector: unknown = {}) =>
  policy(ns, name, { podSelector, ingress: [{ from, ...(ports ? { ports } : {}) }] });
const allowEgress = (ns: string, name: string, to: unknown[], ports?: unknown[]) => policy(ns, name, { podSelector: {}, policyTypes: ["Egress"], egress: [{ to, ...(ports ? { ports } : {}) }] });
/** v1alpha1 ports. */
const anpPort = (port: number) => ({ portNumber: { protocol: "TCP", port } });

const fromB = allowIngress("a", "from-b", [nsPeer("b")]);
const fromB80and443 = allowIngress("a", "from-b", [nsPeer("b")], [{ port: 80 }, { port: 443 }]);

const ROWS: readonly Row[] = [
  // --- fully shadowed ---
  {
    name: "fully shadowed by a Deny (ClusterNetworkPolicy v1alpha2)",
    tiered: [cnp("deny-b", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Deny", [toNs("b")], undefined, "no-b")] })],
    policies: [fromB],
    expected: ["medium ingress from-b spec.ingress[0] <- ClusterNetworkPolicy deny-b spec.ingress[0]"],
  },
  {
    name: "fully shadowed by a Deny (AdminNetworkPolicy v1alpha1)",
    tiered: [anp("deny-b", 10, { subject: nsSubject("a"), ingress: [ing("Deny", [toNs("b")])] })],
    policies: [fromB],
    expected: ["medium ingress from-b spec.ingress[0] <- AdminNetworkPolicy deny-b spec.ingress[0]"],
  },
  {
    name: "everything already accepted (Accept) is info",
    tiered: [cnp("accept-b", "Admin", 10, { subject: nsSubject("a"), ingress: [ing("Accept", [toNs("b")])] })],
    policies: [fromB],
    expected: ["info ingress from-b spec.ingress[0] <- ClusterNetworkPolicy accept-b spec.ingress[0]"],
  },
  {
    name: "everything already accepted (v1alpha1 Allow) is info",
    tiered: [anp("allow-b", 10, { subject: nsSubject("a"), ingress: [ing("Allow", [toNs("b")])] })],
    policies: [fromB],
    expected: ["info ingress from-b spec.ingress[0] <- AdminNetworkPolicy allow-b spec.ingress[0]"],
  },
  {
    name: "fully decided, part accepted and part denied: medium, naming both rules",
    tiered: [cnp("accept-80", "Admin", 5, { ingress: [ing("Accept", [toNs("b")], [tcpPort(80)])] }), cnp("deny-b", "Admin", 10, { ingress: [ing("Deny", [toNs("b")])] })],
    policies: [fromB80and443],
    expected: ["medium ingress from-b spec.ingress[0] <- ClusterNetworkPolicy deny-b spec.ingress[0], ClusterNetworkPolicy accept-80 spec.ingress[0]"],
  },
  {
    name: "a Deny on exactly the rule's ports, by several rules together",
    tiered: [cnp("deny-ports", "Admin", 10, { ingress: [ing("Deny", [toNs("b")], [tcpPort(80)]), ing("Deny", [toNs("b")], [tcpPort(443)])] })],
    policies: [fromB80and443],
    expected: ["medium ingress from-b spec.ingress[0] <- ClusterNetworkPolicy deny-ports spec.ingress[0], ClusterNetworkPolicy deny-ports spec.ingress[1]"],
  },
  // --- partly shadowed ---
  {
    name: "partly: some ports denied",
    tiered: [cnp("deny-443", "Admin", 10, { ingress: [ing("Deny", [toNs("b")], [tcpPort(443)])] })],
    policies: [fromB80and443],
    expected: ["low ingress from-b spec.ingress[0] <- ClusterNetworkPolicy deny-443 spec.ingress[0]"],
  },
  {
    name: "partly: some peers denied",
    tiered: [cnp("deny-b", "Admin", 10, { ingress: [ing("Deny", [toNs("b")])] })],
    policies: [allowIngress("a", "from-all", [{ namespaceSelector: {} }])],
    expected: ["low ingress from-all spec.ingress[0] <- ClusterNetworkPolicy deny-b spec.ingress[0]"],
  },
  {
    name: "partly: the Admin policy applies to some of the rule's pods only",
    tiered: [cnp("deny-b-to-web", "Admin", 10, { subject: podSubject("a", { app: "web" }), ingress: [ing("Deny", [toNs("b")])] })],
    policies: [fromB],
    expected: ["low ingress from-b spec.ingress[0] <- ClusterNetworkPolicy deny-b-to-web spec.ingress[0]"],
  },
  {
    name: "partly accepted, partly denied, the rest to NetworkPolicy: low, naming the Deny only",
    tiered: [cnp("accept-80", "Admin", 5, { ingress: [ing("Accept", [toNs("b")], [tcpPort(80)])] }), cnp("deny-443", "Admin", 10, { ingress: [ing("Deny", [toNs("b")], [tcpPort(443)])] })],
    policies: [allowIngress("a", "from-b", [nsPeer("b")], [{ port: 80 }, { port: 443 }, { port: 8443 }])],
    expected: ["low ingress from-b spec.ingress[0] <- ClusterNetworkPolicy deny-443 spec.ingress[0]"],
  },
  {
    name: "partly accepted, nothing denied: not reported (the rule still decides the rest)",
    tiered: [cnp("accept-80", "Admin", 10, { ingress: [ing("Accept", [toNs("b")], [tcpPort(80)])] })],
    policies: [fromB80and443],
    expected: [],
  },
  // --- Pass, priorities, Baseline ---
  {
    name: "Pass does not shadow (even with a Deny after it)",
    tiered: [cnp("pass-b", "Admin", 10, { ingress: [ing("Pass", [toNs("b")]), ing("Deny", [toNs("b")])] })],
    policies: [fromB],
    expected: [],
  },
  {
    name: "a Pass at a higher priority before a Deny: the Deny decides what the Pass does not match",
    tiered: [cnp("pass-80", "Admin", 5, { ingress: [ing("Pass", [toNs("b")], [tcpPort(80)])] }), cnp("deny-b", "Admin", 10, { ingress: [ing("Deny", [toNs("b")])] })],
    policies: [fromB80and443],
    expected: ["low ingress from-b spec.ingress[0] <- ClusterNetworkPolicy deny-b spec.ingress[0]"],
  },
  {
    name: "a Pass at a higher priority covering all the rule admits: nothing shadowed",
    tiered: [cnp("pass-80", "Admin", 5, { ingress: [ing("Pass", [toNs("b")], [tcpPort(80)])] }), cnp("deny-b", "Admin", 10, { ingress: [ing("Deny", [toNs("b")])] })],
    policies: [allowIngress("a", "from-b", [nsPeer("b")], [{ port: 80 }])],
    expected: [],
  },
  {
    name: "a Pass at a higher priority that matches other ports only: the Deny shadows the whole rule",
    tiered: [anp("pass-80", 5, { ingress: [{ action: "Pass", from: [toNs("b")], ports: [anpPort(80)] }] }), cnp("deny-b", "Admin", 10, { ingress: [ing("Deny", [toNs("b")])] })],
    policies: [allowIngress("a", "from-b", [nsPeer("b")], [{ port: 443 }])],
    expected: ["medium ingress from-b spec.ingress[0] <- ClusterNetworkPolicy deny-b spec.ingress[0]"],
  },
  {
    name: "a Deny at a higher priority before an Accept: denied, not accepted",
    tiered: [cnp("accept-b", "Admin", 10, { ingress: [ing("Accept", [toNs("b")])] }), anp("deny-b", 5, { ingress: [ing("Deny", [toNs("b")])] })],
    policies: [fromB],
    expected: ["medium ingress from-b spec.ingress[0] <- AdminNetworkPolicy deny-b spec.ingress[0]"],
  },
  {
    name: "the Baseline tier never shadows NetworkPolicy",
    tiered: [cnp("deny-b", "Baseline", 10, { ingress: [ing("Deny", [toNs("b")])] }), banp({ ingress: [ing("Deny", [toNs("b")])] })],
    policies: [fromB],
    expected: [],
  },
  // --- egress ---
  {
    name: "egress: fully shadowed by a Deny",
    tiered: [cnp("no-a", "Admin", 10, { subject: nsSubject("b"), egress: [eg("Deny", [toNs("a")])] })],
    policies: [allowEgress("b", "to-a", [nsPeer("a")])],
    expected: ["medium egress to-a spec.egress[0] <- ClusterNetworkPolicy no-a spec.egress[0]"],
  },
  {
    name: "egress: a Deny on networks shadows part of an ipBlock rule",
    tiered: [cnp("no-pods", "Admin", 10, { subject: nsSubject("b"), egress: [eg("Deny", [networks("10.0.1.0/24")])] })],
    policies: [allowEgress("b", "to-anywhere", [{ ipBlock: { cidr: "0.0.0.0/0" } }])],
    expected: ["low egress to-anywhere spec.egress[0] <- ClusterNetworkPolicy no-pods spec.egress[0]"],
  },
  {
    name: "egress: a rule an unresolved peer could take over is not claimed where it could match (nodes: external addresses)",
    tiered: [cnp("nodes-first", "Admin", 10, { subject: nsSubject("b"), egress: [eg("Pass", [{ nodes: {} }]), eg("Deny", [networks("0.0.0.0/0")])] })],
    policies: [allowEgress("b", "to-anywhere", [{ ipBlock: { cidr: "0.0.0.0/0" } }])],
    expected: ["low egress to-anywhere spec.egress[0] <- ClusterNetworkPolicy nodes-first spec.egress[1]"],
  },
  // --- named ports ---
  {
    name: "a NetworkPolicy named port: shadowed where it resolves (a/web's http)",
    tiered: [cnp("deny-8080", "Admin", 10, { ingress: [ing("Deny", [toNs("b")], [tcpPort(8080)])] })],
    policies: [allowIngress("a", "http-from-b", [nsPeer("b")], [{ port: "http" }])],
    expected: ["medium ingress http-from-b spec.ingress[0] <- ClusterNetworkPolicy deny-8080 spec.ingress[0]"],
  },
  {
    name: "an Admin named port: it denies 8080 only on the pods that name it, the rest reaches NetworkPolicy",
    tiered: [cnp("deny-http", "Admin", 10, { ingress: [ing("Deny", [toNs("b")], [namedPort("http")])] })],
    policies: [allowIngress("a", "8080-from-b", [nsPeer("b")], [{ port: 8080 }])],
    expected: ["low ingress 8080-from-b spec.ingress[0] <- ClusterNetworkPolicy deny-http spec.ingress[0]"],
  },
  {
    name: "egress named port (resolved on the destination), fully shadowed",
    tiered: [cnp("no-http", "Admin", 10, { subject: nsSubject("b"), egress: [eg("Deny", [toNs("a")], [namedPort("http")])] })],
    policies: [allowEgress("b", "http-to-a", [nsPeer("a")], [{ port: "http" }])],
    expected: ["medium egress http-to-a spec.egress[0] <- ClusterNetworkPolicy no-http spec.egress[0]"],
  },
  {
    name: "a rule that admits nothing (its named port resolves nowhere) is not reported",
    tiered: [cnp("deny-b", "Admin", 10, { ingress: [ing("Deny", [toNs("b")])] })],
    policies: [allowIngress("a", "nope-from-b", [nsPeer("b")], [{ port: "nope" }])],
    expected: [],
  },
];

const shadowed = (list: readonly Finding[]) => list.filter((f) => f.kind === "RULE_SHADOWED_BY_ADMIN_TIER");
/** The findings of the kind in the world of the row with this name. */
const ofRow = (name: string) => {
  const row = ROWS.find((r) => r.name === name)!;
  return shadowed(findings(buildTierWorld(row.tiered, row.policies)));
};
const show = (f: Finding) => {
  const [rule, ...by] = f.objects;
  return `${f.severity} ${f.direction} ${rule!.name} ${rule!.field} <- ${by.map((o) => `${o.kind} ${o.name} ${o.field}`).join(", ")}`;
};

describe("RULE_SHADOWED_BY_ADMIN_TIER", () => {
  it.each(ROWS)("$name", ({ tiered, policies, expected }) => {
    expect(shadowed(findings(buildTierWorld(tiered, policies))).map(show)).toEqual(expected);
  });

  it("names the deciding rule, its priority and action, and says whether it denies or already accepts", () => {
    const deny = ofRow("fully shadowed by a Deny (ClusterNetworkPolicy v1alpha2)")[0]!;
    expect(deny).toEqual({
      kind: "RULE_SHADOWED_BY_ADMIN_TIER",
      severity: "medium",
      direction: "ingress",
      namespace: "a",
      message:
        'NetworkPolicy a/from-b spec.ingress[0] never takes effect: everything it admits is denied by ClusterNetworkPolicy deny-b (Admin tier, priority 10) rule spec.ingress[0] "no-b" (Deny), before NetworkPolicy is consulted',
      hint: "delete spec.ingress[0] from from-b; if the traffic is needed, have the Admin tier pass it to NetworkPolicy (a Pass rule before the Deny) or accept it",
      objects: [
        { kind: "NetworkPolicy", namespace: "a", name: "from-b", field: "spec.ingress[0]" },
        { kind: "ClusterNetworkPolicy", namespace: "", name: "deny-b", field: "spec.ingress[0]" },
      ],
    });
    const accept = ofRow("everything already accepted (v1alpha1 Allow) is info")[0]!;
    expect(accept.message).toBe(
      "NetworkPolicy a/from-b spec.ingress[0] is irrelevant: everything it admits is already accepted by AdminNetworkPolicy allow-b (Admin tier, priority 10) rule spec.ingress[0] (Allow), before NetworkPolicy is consulted",
    );
    const mixed = ofRow("fully decided, part accepted and part denied: medium, naming both rules")[0]!;
    expect(mixed.message).toBe(
      "NetworkPolicy a/from-b spec.ingress[0] never takes effect: the Admin tier decides everything it admits: TCP 443 denied by ClusterNetworkPolicy deny-b (Admin tier, priority 10) rule spec.ingress[0] (Deny); TCP 80 already accepted by ClusterNetworkPolicy accept-80 (Admin tier, priority 5) rule spec.ingress[0] (Accept), before NetworkPolicy is consulted",
    );
  });

  it("a partial finding counts the workload pairs, names the ports and gives a few examples", () => {
    const byPorts = ofRow("partly: some ports denied")[0]!;
    expect(byPorts.message).toBe(
      "NetworkPolicy a/from-b spec.ingress[0] is partly shadowed by the Admin tier: TCP 443 of what it admits is denied for 3 workload pairs by ClusterNetworkPolicy deny-443 (Admin tier, priority 10) rule spec.ingress[0] (Deny), before NetworkPolicy is consulted (e.g. b/client[Pod] -> a/web[Pod] on TCP 443; b/client[Pod] -> a/db[Pod] on TCP 443; b/client[Pod] -> a/pending[Pod] on TCP 443)",
    );
    const egress = ofRow("egress: a Deny on networks shadows part of an ipBlock rule")[0]!;
    // a/web and a/db have IPs in 10.0.1.0/24 (a/pending has none), and so have the external addresses there.
    expect(egress.message).toBe(
      "NetworkPolicy b/to-anywhere spec.egress[0] is partly shadowed by the Admin tier: All Connections of what it admits is denied for 3 workload pairs by ClusterNetworkPolicy no-pods (Admin tier, priority 10) rule spec.egress[0] (Deny), before NetworkPolicy is consulted (e.g. b/client[Pod] -> a/web[Pod] on All Connections; b/client[Pod] -> a/db[Pod] on All Connections; b/client[Pod] -> 10.0.1.0-10.0.1.255[External] on All Connections)",
    );
  });
});
