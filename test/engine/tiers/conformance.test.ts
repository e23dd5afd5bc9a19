/**
 * The upstream network-policy-api conformance expectations (kubernetes-sigs/network-policy-api,
 * conformance/tests/*.go with their base manifests), ported probe by probe: each row is one
 * `PokeServer(client, server, protocol, port, shouldConnect)` of the Go test, checked against
 * evaluatePair and the class matrix. The policies are the suite's YAML; the tests' patches (swap
 * rules, change an action or a priority, insert a rule, delete the NetworkPolicy) are applied in the
 * same order, cumulatively, as the Go subtests apply them to the live object.
 *
 * Ported: CNPAdminTierGress, CNPBaselineTierGress, CNPAdminTierIntegration (v1beta1 / v1alpha2 and
 * its v1alpha1 twin with AdminNetworkPolicy + BaselineAdminNetworkPolicy), CNPAdminTierPriorityField,
 * CNPAdminTierEgressInlineCIDRPeers, CNPAdminTierSamePriority, CNPAdminTierIngressRulesEgressUnaffected
 * and CNPAdminTierEgressRulesIngressUnaffected. The v1alpha1 twin uses the current v1alpha1 peer
 * shape (`namespaces: <selector>`), not the pre-v0.1.5 `namespaces: {namespaceSelector: ...}` of the
 * old core files.
 */
import { describe, expect, it } from "vitest";
import { clone, conformanceWorld, manifests, NS, podIp, poke, specOf, swap, type ConformanceManifests, type Probe } from "./conformanceWorld.js";

interface Step {
  /** The Go subtest's name. */
  readonly subtest: string;
  /** The patch the subtest applies first (cumulative with earlier steps). */
  readonly mutate?: (m: ConformanceManifests) => void;
  readonly probes: readonly Probe[];
}

interface ConformanceTest {
  readonly shortName: string;
  readonly yaml: string;
  readonly steps: readonly Step[];
}

const ns = (house: string) => `kubernetes.io/metadata.name: ${NS(house as never)}`;
const protocols = (a: [string, number][]) => `\n    protocols:\n${a.map(([p, n]) => `      - ${p}:\n          destinationPort:\n            number: ${n}`).join("\n")}`;
const rule = (name: string, action: string, peerKey: "from" | "to", house: string, extra = "") =>
  `  - name: "${name}"\n    action: "${action}"\n    ${peerKey}:\n    - namespaces:\n        matchLabels:\n          ${ns(house)}${extra}`;

// --- conformance/base/admin_tier/standard-gress-rules-combined.yaml ---------------------------------
const P80_53_9003 = protocols([["tcp", 80], ["udp", 53], ["sctp", 9003]]);
const P8080_5353_9003 = protocols([["tcp", 8080], ["udp", 5353], ["sctp", 9003]]);
const P80_5353_9003 = protocols([["tcp", 80], ["udp", 5353], ["sctp", 9003]]);
const GRESS_RULES = (tier: "Admin" | "Baseline", name: string, pass: boolean) => `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata:
  name: ${name}
spec:
  tier: ${tier}
  priority: ${tier === "Admin" ? 15 : 10}
  subject:
    namespaces:
      matchLabels:
        ${ns("gryffindor")}
  egress:
${[
  rule("allow-to-ravenclaw-everything", "Accept", "to", "ravenclaw"),
  rule("deny-to-ravenclaw-everything", "Deny", "to", "ravenclaw"),
  ...(pass ? [rule("pass-to-ravenclaw-everything", "Pass", "to", "ravenclaw")] : []),
  rule("deny-to-slytherin-at-ports-80-53-9003", "Deny", "to", "slytherin", P80_53_9003),
  ...(pass ? [rule("pass-to-slytherin-at-port-80-53-9003", "Pass", "to", "slytherin", P80_53_9003)] : []),
  rule("allow-to-hufflepuff-at-ports-8080-5353-9003", "Accept", "to", "hufflepuff", P8080_5353_9003),
  rule("deny-to-hufflepuff-everything-else", "Deny", "to", "hufflepuff"),
].join("\n")}
  ingress:
${[
  rule("allow-from-ravenclaw-everything", "Accept", "from", "ravenclaw"),
  rule("deny-from-ravenclaw-everything", "Deny", "from", "ravenclaw"),
  ...(pass ? [rule("pass-from-ravenclaw-everything", "Pass", "from", "ravenclaw")] : []),
  rule("deny-from-slytherin-at-port-80-53-9003", "Deny", "from", "slytherin", P80_53_9003),
  ...(pass ? [rule("pass-from-slytherin-at-port-80-53-9003", "Pass", "from", "slytherin", P80_53_9003)] : []),
  rule("allow-from-hufflepuff-at-port-80-5353-9003", "Accept", "from", "hufflepuff", P80_5353_9003),
  rule("deny-from-hufflepuff-everything-else", "Deny", "from", "hufflepuff"),
].join("\n")}
`;

/** Probes shared by CNPAdminTierGress and CNPBaselineTierGress (the Go subtests are the same). */
const ALLOW_GRESS: Probe[] = [
  ["harry-potter-0", "luna-lovegood-0", "tcp", 80, true],
  ["harry-potter-1", "luna-lovegood-0", "udp", 53, true],
  ["harry-potter-0", "luna-lovegood-0", "sctp", 9003, true],
  ["luna-lovegood-0", "harry-potter-0", "tcp", 80, true],
  ["luna-lovegood-1", "harry-potter-0", "udp", 53, true],
  ["luna-lovegood-1", "harry-potter-0", "sctp", 9003, true],
];
const ALLOW_GRESS_AT_PORTS: Probe[] = [
  ["harry-potter-0", "cedric-diggory-1", "tcp", 8080, true],
  ["harry-potter-1", "cedric-diggory-1", "tcp", 80, false],
  ["harry-potter-0", "cedric-diggory-1", "udp", 5353, true],
  ["harry-potter-1", "cedric-diggory-1", "udp", 53, false],
  ["harry-potter-0", "cedric-diggory-1", "sctp", 9003, true],
  ["harry-potter-1", "cedric-diggory-1", "sctp", 9005, false],
  ["cedric-diggory-0", "harry-potter-1", "tcp", 80, true],
  ["cedric-diggory-1", "harry-potter-1", "tcp", 8080, false],
  ["cedric-diggory-0", "harry-potter-1", "udp", 5353, true],
  ["cedric-diggory-1", "harry-potter-1", "udp", 53, false],
  ["cedric-diggory-0", "harry-potter-1", "sctp", 9003, true],
  ["cedric-diggory-1", "harry-potter-1", "sctp", 9005, false],
];
const DENY_GRESS: Probe[] = [
  ["harry-potter-0", "luna-lovegood-1", "tcp", 80, false],
  ["harry-potter-1", "luna-lovegood-1", "udp", 53, false],
  ["harry-potter-0", "luna-lovegood-1", "sctp", 9003, false],
  ["luna-lovegood-0", "harry-potter-1", "tcp", 80, false],
  ["luna-lovegood-1", "harry-potter-1", "udp", 53, false],
  ["luna-lovegood-1", "harry-potter-1", "sctp", 9003, false],
];
/** Slytherin at 80/53/9003 from/to gryffindor: `expected` there, and allowed on the other ports (no rule matches). */
const SLYTHERIN_AT_PORTS = (expected: boolean): Probe[] => [
  ["harry-potter-0", "draco-malfoy-0", "tcp", 80, expected],
  ["harry-potter-1", "draco-malfoy-0", "tcp", 8080, true],
  ["harry-potter-0", "draco-malfoy-0", "udp", 53, expected],
  ["harry-potter-1", "draco-malfoy-0", "udp", 5353, true],
  ["harry-potter-0", "draco-malfoy-0", "sctp", 9003, expected],
  ["harry-potter-1", "draco-malfoy-0", "sctp", 9005, true],
  ["draco-malfoy-0", "harry-potter-0", "tcp", 80, expected],
  ["draco-malfoy-1", "harry-potter-0", "tcp", 8080, true],
  ["draco-malfoy-0", "harry-potter-0", "udp", 53, expected],
  ["draco-malfoy-1", "harry-potter-0", "udp", 5353, true],
  ["draco-malfoy-0", "harry-potter-0", "sctp", 9003, expected],
  ["draco-malfoy-1", "harry-potter-0", "sctp", 9005, true],
];
const swapBoth = (name: string, i: number, j: number) => (m: ConformanceManifests) => {
  swap(specOf(m, name).egress, i, j);
  swap(specOf(m, name).ingress, i, j);
};

// --- conformance/base/api_integration/standard-anp-np-banp.yaml (and the v1alpha1 core twin) ---------
const ALLOW_NP = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-gress-from-to-slytherin-to-gryffindor
  namespace: ${NS("gryffindor")}
spec:
  podSelector:
  policyTypes:
    - Ingress
    - Egress
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          conformance-house: slytherin
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          conformance-house: slytherin`;
const houseRule = (name: string, action: string, peerKey: "from" | "to") => `  - name: "${name}"
    action: "${action}"
    ${peerKey}:
    - namespaces:
        matchLabels:
          conformance-house: slytherin`;
const denySlytherin = () => `  ingress:\n${houseRule("deny-all-ingress-from-slytherin", "Deny", "from")}\n  egress:\n${houseRule("deny-all-egress-to-slytherin", "Deny", "to")}`;
const INTEGRATION_V1BETA1 = `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata:
  name: pass-example
spec:
  tier: Admin
  priority: 10
  subject:
    namespaces:
      matchLabels:
        conformance-house: gryffindor
${denySlytherin()}
---
${ALLOW_NP}
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata:
  name: default
spec:
  tier: Baseline
  priority: 10
  subject:
    namespaces:
      matchLabels:
        conformance-house: gryffindor
${denySlytherin()}
`;
const INTEGRATION_V1ALPHA1 = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: pass-example
spec:
  priority: 10
  subject:
    namespaces:
      matchLabels:
        conformance-house: gryffindor
${denySlytherin()}
---
${ALLOW_NP}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata:
  name: default
spec:
  subject:
    namespaces:
      matchLabels:
        conformance-house: gryffindor
${denySlytherin()}
`;
const integrationSteps = (pass: string): Step[] => [
  {
    subtest: "Should Deny traffic from slytherin to gryffindor respecting admin CNP",
    probes: [
      ["draco-malfoy-0", "harry-potter-0", "tcp", 80, false],
      ["draco-malfoy-1", "harry-potter-0", "tcp", 8080, false],
    ],
  },
  {
    subtest: "Should Deny traffic to slytherin from gryffindor respecting admin CNP",
    probes: [
      ["harry-potter-0", "draco-malfoy-0", "tcp", 80, false],
      ["harry-potter-1", "draco-malfoy-0", "tcp", 8080, false],
    ],
  },
  {
    subtest: "Should support a 'pass-ingress' policy for admin CNP and respect the match for network policy",
    mutate: (m) => void ((specOf(m, "pass-example").ingress[0] as { action: string }).action = pass),
    probes: [
      ["draco-malfoy-0", "harry-potter-0", "tcp", 80, true],
      ["draco-malfoy-1", "harry-potter-0", "tcp", 8080, true],
    ],
  },
  {
    subtest: "Should support a 'pass-egress' policy for admin CNP and respect the match for network policy",
    mutate: (m) => void ((specOf(m, "pass-example").egress[0] as { action: string }).action = pass),
    probes: [
      ["harry-potter-0", "draco-malfoy-0", "tcp", 80, true],
      ["harry-potter-1", "draco-malfoy-0", "tcp", 8080, true],
    ],
  },
  {
    subtest: "Should support a 'pass-ingress' policy for admin CNP and respect the match for baseline cluster network policy",
    mutate: (m) => void m.networkPolicies.splice(0, 1),
    probes: [
      ["draco-malfoy-0", "harry-potter-0", "tcp", 80, false],
      ["draco-malfoy-1", "harry-potter-0", "tcp", 8080, false],
    ],
  },
  {
    subtest: "Should support a 'pass-egress' policy for admin CNP and respect the match for baseline cluster network policy",
    probes: [
      ["harry-potter-0", "draco-malfoy-0", "tcp", 80, false],
      ["harry-potter-1", "draco-malfoy-0", "tcp", 8080, false],
    ],
  },
];

// --- conformance/base/admin_tier/standard-priority-field.yaml ------------------------------------
const podsPeer = (house: string) => `    - pods:
        namespaceSelector:
          matchLabels:
            conformance-house: ${house}
        podSelector:
          matchLabels:
            conformance-house: ${house}`;
const priorityPolicy = (name: string, tier: string, priority: number, action: string, verb: string) => `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: ${name}
spec:
  tier: ${tier}
  priority: ${priority}
  subject:
    pods:
      namespaceSelector:
        matchLabels:
          conformance-house: gryffindor
      podSelector:
        matchLabels:
          conformance-house: gryffindor
  ingress:
  - name: "${verb}-all-ingress-from-slytherin"
    action: "${action}"
    from:
${podsPeer("slytherin")}
  egress:
  - name: "${verb}-all-egress-to-slytherin"
    action: "${action}"
    to:
${podsPeer("slytherin")}`;
const PRIORITY_FIELD = [
  priorityPolicy("priority-50-example", "Admin", 50, "Deny", "deny"),
  priorityPolicy("old-priority-60-new-priority-40-example", "Admin", 60, "Pass", "pass"),
  priorityPolicy("default", "Baseline", 10, "Accept", "allow"),
].join("\n---\n");

// --- conformance/base/admin_tier/standard-egress-inline-cidr-rules.yaml ---------------------------
const INLINE_CIDR = `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: inline-cidr-as-peers-example
spec:
  tier: Admin
  priority: 85
  subject:
    pods:
      namespaceSelector:
        matchLabels:
          conformance-house: gryffindor
      podSelector:
        matchLabels:
          conformance-house: gryffindor
  egress:
  - name: "allow-egress-to-slytherin"
    action: "Accept"
    to:
${podsPeer("slytherin")}
  - name: "deny-egress-to-internet"
    action: "Deny"
    to:
    - networks:
        - 0.0.0.0/0
        - ::/0
`;
const threeProtocols = (client: string, server: string, expected: boolean): Probe[] => [
  [client, server, "tcp", 80, expected],
  [client, server, "udp", 53, expected],
  [client, server, "sctp", 9003, expected],
];

// --- conformance/base/admin_tier/standard-same-priority.yaml (as the test's comments describe it) ----
const samePriority = (name: string, subject: string, peer: string, port: number) => `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: ${name}
spec:
  tier: Admin
  priority: 30
  subject:
    namespaces:
      matchLabels:
        ${ns(subject)}
  ingress:
${rule(`deny-from-${peer}`, "Deny", "from", peer, protocols([["tcp", port]]))}
  egress:
${rule(`deny-to-${peer}`, "Deny", "to", peer, protocols([["tcp", port]]))}`;
const SAME_PRIORITY = [
  samePriority("same-priority-gryffindor-slytherin", "gryffindor", "slytherin", 80),
  samePriority("same-priority-gryffindor-hufflepuff", "gryffindor", "hufflepuff", 80),
  samePriority("same-priority-hufflepuff-slytherin", "hufflepuff", "slytherin", 8080),
].join("\n---\n");

// --- conformance/base/admin_tier/standard-{ingress,egress}-isolation.yaml -------------------------
const isolation = (direction: "ingress" | "egress") => `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: admin-${direction}-isolation
spec:
  tier: Admin
  priority: 20
  subject:
    namespaces:
      matchLabels:
        ${ns("gryffindor")}
  ${direction}:
${rule(direction === "ingress" ? "deny-from-slytherin" : "deny-to-slytherin", "Deny", direction === "ingress" ? "from" : "to", "slytherin")}
`;

const TESTS: readonly ConformanceTest[] = [
  {
    shortName: "CNPAdminTierGress",
    yaml: GRESS_RULES("Admin", "gress-rules", true),
    steps: [
      { subtest: "Should support an 'allow-gress' policy across different protocols", probes: ALLOW_GRESS },
      { subtest: "Should support an 'allow-gress' policy across different protocols at the specified ports", probes: ALLOW_GRESS_AT_PORTS },
      { subtest: "Should support an 'deny-gress' policy across different protocols", mutate: swapBoth("gress-rules", 0, 1), probes: DENY_GRESS },
      { subtest: "Should support a 'deny-gress' policy across different protocols at the specified ports", probes: SLYTHERIN_AT_PORTS(false) },
      {
        subtest: "Should support an 'pass-gress' policy across different protocols",
        mutate: swapBoth("gress-rules", 0, 2),
        probes: [
          ["harry-potter-0", "luna-lovegood-0", "tcp", 80, true],
          ["harry-potter-0", "luna-lovegood-0", "udp", 5353, true],
          ["harry-potter-0", "luna-lovegood-0", "sctp", 9003, true],
          ["luna-lovegood-0", "harry-potter-0", "tcp", 80, true],
          ["luna-lovegood-1", "harry-potter-0", "udp", 53, true],
          ["luna-lovegood-1", "harry-potter-0", "sctp", 9003, true],
        ],
      },
      { subtest: "Should support a 'pass-gress' policy across different protocols at the specified ports", mutate: swapBoth("gress-rules", 3, 4), probes: SLYTHERIN_AT_PORTS(true) },
    ],
  },
  {
    shortName: "CNPBaselineTierGress",
    yaml: GRESS_RULES("Baseline", "default", false),
    steps: [
      { subtest: "Should support an 'allow-gress' policy across different protocols", probes: ALLOW_GRESS },
      { subtest: "Should support an 'allow-gress' policy across different protocols at the specified ports", probes: ALLOW_GRESS_AT_PORTS },
      { subtest: "Should support an 'deny-gress' policy across different protocols", mutate: swapBoth("default", 0, 1), probes: DENY_GRESS },
      { subtest: "Should support a 'deny-gress' policy across different protocols at the specified ports", probes: SLYTHERIN_AT_PORTS(false) },
    ],
  },
  { shortName: "CNPAdminTierIntegration", yaml: INTEGRATION_V1BETA1, steps: integrationSteps("Pass") },
  { shortName: "AdminNetworkPolicyIntegration (v1alpha1 ANP + NP + BANP)", yaml: INTEGRATION_V1ALPHA1, steps: integrationSteps("Pass") },
  {
    shortName: "CNPAdminTierPriorityField",
    yaml: PRIORITY_FIELD,
    steps: [
      {
        subtest: "Should Deny traffic from slytherin to gryffindor respecting admin CNP",
        probes: [
          ["draco-malfoy-0", "harry-potter-0", "tcp", 80, false],
          ["draco-malfoy-1", "harry-potter-0", "tcp", 8080, false],
        ],
      },
      {
        subtest: "Should Deny traffic to slytherin from gryffindor respecting admin CNP",
        probes: [
          ["harry-potter-0", "draco-malfoy-0", "tcp", 80, false],
          ["harry-potter-1", "draco-malfoy-0", "tcp", 8080, false],
        ],
      },
      {
        subtest: "Should respect admin CNP priority field; thus passing both ingress and egress traffic over to baseline CNP",
        mutate: (m) => void (specOf(m, "old-priority-60-new-priority-40-example").priority = 40),
        probes: [
          ["draco-malfoy-0", "harry-potter-0", "tcp", 80, true],
          ["draco-malfoy-1", "harry-potter-0", "tcp", 8080, true],
          ["harry-potter-0", "draco-malfoy-0", "tcp", 80, true],
          ["harry-potter-1", "draco-malfoy-0", "tcp", 8080, true],
        ],
      },
    ],
  },
  {
    shortName: "CNPAdminTierEgressInlineCIDRPeers",
    yaml: INLINE_CIDR,
    steps: [
      {
        subtest: "Should support a 'deny-egress' rule policy for egress-cidr-peer",
        probes: [...threeProtocols("harry-potter-1", "luna-lovegood-0", false), ...threeProtocols("harry-potter-1", "cedric-diggory-0", false), ...threeProtocols("harry-potter-1", "draco-malfoy-0", true)],
      },
      {
        subtest: "Should support an 'allow-egress' rule policy for egress-cidr-peer",
        mutate: (m) =>
          void specOf(m, "inline-cidr-as-peers-example").egress.unshift({
            name: "allow-egress-to-specific-podIPs",
            action: "Accept",
            to: [{ networks: [`${podIp("luna-lovegood-0")}/32`, `${podIp("cedric-diggory-0")}/32`] }],
          }),
        probes: [
          ...threeProtocols("harry-potter-1", "luna-lovegood-0", true),
          ...threeProtocols("harry-potter-1", "cedric-diggory-0", true),
          ...threeProtocols("harry-potter-1", "luna-lovegood-1", false),
          ...threeProtocols("harry-potter-1", "cedric-diggory-1", false),
        ],
      },
    ],
  },
  {
    shortName: "CNPAdminTierSamePriority",
    yaml: SAME_PRIORITY,
    steps: [
      {
        subtest: "Should deny traffic in both directions for each same-priority policy",
        probes: [
          ["draco-malfoy-0", "harry-potter-0", "tcp", 80, false],
          ["harry-potter-0", "draco-malfoy-0", "tcp", 80, false],
          ["cedric-diggory-0", "harry-potter-0", "tcp", 80, false],
          ["harry-potter-1", "cedric-diggory-0", "tcp", 80, false],
          ["draco-malfoy-1", "cedric-diggory-0", "tcp", 8080, false],
          ["cedric-diggory-1", "draco-malfoy-0", "tcp", 8080, false],
        ],
      },
      {
        subtest: "Should not apply one same-priority policy's rules to another policy's subject",
        probes: [
          ["draco-malfoy-0", "harry-potter-0", "tcp", 8080, true],
          ["harry-potter-0", "draco-malfoy-0", "tcp", 8080, true],
          ["draco-malfoy-1", "cedric-diggory-0", "tcp", 80, true],
          ["cedric-diggory-0", "draco-malfoy-0", "tcp", 80, true],
        ],
      },
      {
        subtest: "Should not affect traffic matching no same-priority policy",
        probes: [
          ["luna-lovegood-0", "harry-potter-0", "tcp", 80, true],
          ["harry-potter-1", "luna-lovegood-0", "tcp", 80, true],
        ],
      },
    ],
  },
  {
    shortName: "CNPAdminTierIngressRulesEgressUnaffected",
    yaml: isolation("ingress"),
    steps: [
      { subtest: "Should enforce the ingress rule: deny ingress from slytherin to gryffindor", probes: [["draco-malfoy-0", "harry-potter-0", "tcp", 80, false]] },
      { subtest: "Should not affect egress: gryffindor can still egress to ravenclaw", probes: [["harry-potter-0", "luna-lovegood-0", "tcp", 80, true]] },
      { subtest: "Should not affect egress: gryffindor can still egress to hufflepuff", probes: [["harry-potter-0", "cedric-diggory-0", "tcp", 80, true]] },
    ],
  },
  {
    shortName: "CNPAdminTierEgressRulesIngressUnaffected",
    yaml: isolation("egress"),
    steps: [
      { subtest: "Should enforce the egress rule: deny egress from gryffindor to slytherin", probes: [["harry-potter-0", "draco-malfoy-0", "tcp", 80, false]] },
      { subtest: "Should not affect ingress: ravenclaw can still reach gryffindor", probes: [["luna-lovegood-0", "harry-potter-0", "tcp", 80, true]] },
      { subtest: "Should not affect ingress: hufflepuff can still reach gryffindor", probes: [["cedric-diggory-0", "harry-potter-0", "tcp", 80, true]] },
    ],
  },
];

/** Every probe with the manifests as they stand when its subtest runs. */
const rows = TESTS.flatMap((t) => {
  const m = manifests(t.yaml);
  return t.steps.flatMap((step) => {
    step.mutate?.(m);
    const snapshot = clone(m);
    return step.probes.map((probe) => ({ test: t.shortName, subtest: step.subtest, probe, m: snapshot }));
  });
});

describe("upstream network-policy-api conformance expectations", () => {
  it("ports every listed test with its probes", () => {
    expect(new Set(rows.map((r) => r.test)).size).toBe(TESTS.length);
    expect(rows.length).toBeGreaterThan(150);
  });

  it.each(TESTS.map((t) => [t.shortName, t] as const))("%s: the manifests compile without errors", (_, t) => {
    const w = conformanceWorld(manifests(t.yaml));
    expect(w.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(w.world.tieredPolicies.length).toBeGreaterThan(0);
  });

  it.each(rows.map((r) => [`${r.test} / ${r.subtest}: ${r.probe[0]} -> ${r.probe[1]} ${r.probe[2]}/${r.probe[3]} ${r.probe[4] ? "connects" : "is blocked"}`, r] as const))("%s", (_, r) => {
    const [client, server, protocol, port, expected] = r.probe;
    const got = poke(conformanceWorld(r.m), client, server, protocol, port);
    expect(got).toEqual({ direct: expected, matrix: expected });
  });
});
