/**
 * Random worlds for property tests (fast-check): namespace and pod labels from a small vocabulary,
 * IPv4/IPv6/absent pod IPs (some inside the generated ipBlocks, some on their boundaries),
 * hostNetwork pods, named container ports, and policies with selectors and expressions, ipBlocks
 * with except, numeric/ranged/named/protocol-only ports, every policyTypes variant and empty vs
 * absent lists. Every generated world compiles without diagnostics.
 */
import fc from "fast-check";
import type { ContainerPortInput, NamespaceInput, NetworkPolicyInput, PodInput, TieredPolicyInput, WorldInput } from "../../src/engine/index.js";

// --- generators ----------------------------------------------------------------------------------

const NS_NAMES = ["n0", "n1", "n2"];
const KEYS = ["app", "tier", "env"];
const VALUES = ["a", "b", "c"];

const labelsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 });

const selectorArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant({}),
  fc.record({ matchLabels: labelsArb }),
  fc.record(
    {
      matchLabels: labelsArb,
      matchExpressions: fc.array(
        fc.oneof(
          fc.constantFrom(...KEYS, "ns").chain((key) =>
            fc.record({
              key: fc.constant(key),
              operator: fc.constantFrom("In", "NotIn"),
              // Values from the key's own vocabulary, so that multi-value In/NotIn really splits pods.
              values: fc.uniqueArray(fc.constantFrom(...(key === "ns" ? [...VALUES, ...NS_NAMES] : VALUES)), { minLength: 1, maxLength: 3 }),
            }),
          ),
          fc.record({ key: fc.constantFrom(...KEYS, "ns", "kubernetes.io/metadata.name"), operator: fc.constantFrom("Exists", "DoesNotExist") }),
        ),
        { minLength: 1, maxLength: 2 },
      ),
    },
    { requiredKeys: ["matchExpressions"] },
  ),
  fc.record({ matchLabels: fc.record({ "kubernetes.io/metadata.name": fc.constantFrom(...NS_NAMES) }) }),
);

/** ipBlocks whose excepts are strict subsets (valid input), including host bits set and IPv6. */
const IP_BLOCKS = [
  { cidr: "10.0.0.0/16" },
  { cidr: "10.0.0.0/16", except: ["10.0.1.0/24"] },
  { cidr: "10.0.1.7/24", except: ["10.0.1.2/31", "10.0.1.8/32"] },
  { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] },
  { cidr: "10.0.0.0/8", except: ["10.0.2.0/24", "10.0.3.1/32"] },
  { cidr: "10.0.3.0/30" },
  { cidr: "192.168.0.0/16" },
  { cidr: "fd00::/64", except: ["fd00::2/127"] },
  { cidr: "::/0" },
  { cidr: "fd00::1/128" },
];

/** Pod IPs: inside and outside the blocks above, on their edges, IPv6, and "none". */
const POD_IPS = ["10.0.0.1", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.8", "10.0.2.5", "10.0.3.1", "10.0.3.3", "10.0.3.4", "192.168.1.1", "172.16.0.1", "fd00::1", "fd00::2", "fd00::3", "fd01::1", undefined];

const peerArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ podSelector: selectorArb }),
  fc.record({ namespaceSelector: selectorArb }),
  fc.record({ podSelector: selectorArb, namespaceSelector: selectorArb }),
  fc.constantFrom(...IP_BLOCKS).map((ipBlock) => ({ ipBlock })),
);

const PORT_NAMES = ["http", "dns", "metrics"];
// TCP-heavy, so that named ports (protocol defaults to TCP) resolve often enough to matter.
const protocolArb = fc.oneof({ weight: 3, arbitrary: fc.constant("TCP") }, { weight: 1, arbitrary: fc.constant("UDP") }, { weight: 1, arbitrary: fc.constant("SCTP") });
const portArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ protocol: protocolArb }),
  fc.record({ protocol: protocolArb, port: fc.constantFrom(53, 80, 81, 443, 8080) }, { requiredKeys: ["port"] }),
  fc
    .tuple(fc.constantFrom(80, 8000, 8079), fc.integer({ min: 0, max: 100 }), fc.option(protocolArb, { nil: undefined }))
    .map(([port, width, protocol]) => ({ port, endPort: port + width, ...(protocol ? { protocol } : {}) })),
  fc.record({ protocol: protocolArb, port: fc.constantFrom(...PORT_NAMES) }, { requiredKeys: ["port"] }),
);

/** A list that may be absent, empty, or have items. */
const listArb = (item: fc.Arbitrary<unknown>, max: number) => fc.oneof(fc.constant(undefined), fc.constant([]), fc.array(item, { minLength: 1, maxLength: max }));

const ruleArb = (peerKey: "from" | "to") =>
  fc.tuple(listArb(peerArb, 3), listArb(portArb, 3)).map(([peers, ports]) => ({ ...(peers !== undefined ? { [peerKey]: peers } : {}), ...(ports !== undefined ? { ports } : {}) }));

const policyTypesArb = fc.constantFrom(undefined, [], ["Ingress"], ["Egress"], ["Ingress", "Egress"], ["Egress", "Ingress"]);

const policyArb = (i: number): fc.Arbitrary<NetworkPolicyInput> =>
  fc
    .record({
      ns: fc.constantFrom(...NS_NAMES),
      podSelector: fc.option(selectorArb, { nil: undefined }),
      policyTypes: policyTypesArb,
      ingress: listArb(ruleArb("from"), 3),
      egress: listArb(ruleArb("to"), 3),
    })
    .map(({ ns, podSelector, policyTypes, ingress, egress }) => ({
      namespace: ns,
      name: `np${i}`,
      spec: {
        ...(podSelector !== undefined ? { podSelector } : {}),
        ...(policyTypes !== undefined ? { policyTypes } : {}),
        ...(ingress !== undefined ? { ingress } : {}),
        ...(egress !== undefined ? { egress } : {}),
      },
    }));

const containerPortsArb: fc.Arbitrary<ContainerPortInput[]> = fc.uniqueArray(
  fc.record({ name: fc.constantFrom(...PORT_NAMES), containerPort: fc.constantFrom(53, 80, 81, 8080, 9090), protocol: protocolArb }),
  { selector: (p) => p.name, minLength: 1, maxLength: 3 },
);

const podArb = (i: number): fc.Arbitrary<PodInput> =>
  fc
    .record({
      ns: fc.constantFrom(...NS_NAMES),
      labels: labelsArb,
      ip: fc.constantFrom(...POD_IPS),
      hostNetwork: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      containerPorts: containerPortsArb,
    })
    .map(({ ns, labels, ip, hostNetwork, containerPorts }) => ({
      namespace: ns,
      name: `p${i}`,
      labels,
      ...(ip !== undefined ? { ip } : {}),
      ...(hostNetwork ? { hostNetwork } : {}),
      containerPorts,
    }));

const namespacesArb: fc.Arbitrary<NamespaceInput[]> = fc
  .tuple(fc.integer({ min: 1, max: NS_NAMES.length }), fc.array(fc.dictionary(fc.constantFrom("ns", "env", "team"), fc.constantFrom(...VALUES, ...NS_NAMES), { maxKeys: 2 }), { minLength: 3, maxLength: 3 }))
  // Some namespaces stay undefined: they exist implicitly, with only the name label.
  .map(([defined, labels]) => NS_NAMES.slice(0, defined).map((name, i) => ({ name, labels: labels[i]! })));

export const worldArb: fc.Arbitrary<WorldInput> = fc
  .tuple(fc.integer({ min: 2, max: 7 }), fc.integer({ min: 0, max: 4 }))
  .chain(([podCount, policyCount]) =>
    fc.record({
      namespaces: namespacesArb,
      pods: fc.tuple(...Array.from({ length: podCount }, (_, i) => podArb(i))),
      networkPolicies: policyCount === 0 ? fc.constant([]) : fc.tuple(...Array.from({ length: policyCount }, (_, i) => policyArb(i))),
    }),
  );


// --- cluster-scoped tiers ------------------------------------------------------------------------

/**
 * Tiered policies of both API versions: AdminNetworkPolicy (v1alpha1, `ports`), Admin and Baseline
 * ClusterNetworkPolicy (v1alpha2, `protocols`) and the BaselineAdminNetworkPolicy; priorities from a
 * small set so that ties happen; subjects by namespace or by namespace AND pod; peers by namespace,
 * by pod, by `networks` (the ipBlocks' CIDRs, so pod IPs and external atoms are hit), and the
 * unresolvable `nodes` and `domainNames`; numbered, ranged and named ports. Every generated policy is
 * valid (named ports only with pod peers, domainNames only in Accept/Allow rules).
 */
const NETWORKS = ["10.0.0.0/16", "10.0.1.0/24", "10.0.1.2/31", "0.0.0.0/0", "10.0.3.0/30", "192.168.0.0/16", "fd00::/64", "::/0", "fd00::1/128"];

const namespacedPodArb = fc.record({ namespaceSelector: selectorArb, podSelector: selectorArb });
const subjectArb: fc.Arbitrary<unknown> = fc.oneof(fc.record({ namespaces: selectorArb }), fc.record({ pods: namespacedPodArb }));

type TierDialect = "v1alpha1" | "v1alpha2";

/** Peers of a rule; `podOnly` when the rule names ports by name (no networks/nodes/domainNames then). */
const tierPeerArb = (direction: "ingress" | "egress", podOnly: boolean, domains: boolean): fc.Arbitrary<unknown> => {
  const options: fc.Arbitrary<unknown>[] = [fc.record({ namespaces: selectorArb }), fc.record({ pods: namespacedPodArb })];
  if (direction === "egress" && !podOnly) {
    options.push(fc.uniqueArray(fc.constantFrom(...NETWORKS), { minLength: 1, maxLength: 2 }).map((networks) => ({ networks })));
    options.push(fc.record({ nodes: selectorArb }));
    if (domains) options.push(fc.constantFrom(["example.com"], ["*.example.com", "api.example.org"]).map((domainNames) => ({ domainNames })));
  }
  return fc.oneof(...options);
};

const tierPortArb = (dialect: TierDialect, allowNamed: boolean): fc.Arbitrary<unknown> => {
  const proto = fc.constantFrom("TCP", "UDP", "SCTP");
  const number = fc.constantFrom(53, 80, 81, 443, 8080);
  const range = fc.tuple(fc.constantFrom(80, 8000, 8079), fc.integer({ min: 1, max: 100 }));
  const named = fc.constantFrom(...PORT_NAMES);
  if (dialect === "v1alpha1") {
    const opts: fc.Arbitrary<unknown>[] = [
      fc.record({ protocol: proto, port: number }).map((portNumber) => ({ portNumber })),
      fc.tuple(proto, range).map(([protocol, [start, width]]) => ({ portRange: { protocol, start, end: start + width } })),
    ];
    if (allowNamed) opts.push(named.map((namedPort) => ({ namedPort })));
    return fc.oneof(...opts);
  }
  const opts: fc.Arbitrary<unknown>[] = [
    fc.tuple(fc.constantFrom("tcp", "udp", "sctp"), number).map(([p, n]) => ({ [p]: { destinationPort: { number: n } } })),
    fc.tuple(fc.constantFrom("tcp", "udp", "sctp"), range).map(([p, [start, width]]) => ({ [p]: { destinationPort: { range: { start, end: start + width } } } })),
  ];
  if (allowNamed) opts.push(named.map((destinationNamedPort) => ({ destinationNamedPort })));
  return fc.oneof(...opts);
};

/** `domainNames` peers exist in AdminNetworkPolicy and ClusterNetworkPolicy egress rules that accept (not in the BaselineAdminNetworkPolicy). */
const tierRuleArb = (dialect: TierDialect, direction: "ingress" | "egress", actions: readonly string[]): fc.Arbitrary<unknown> =>
  fc
    .record({ action: fc.constantFrom(...actions), named: fc.boolean(), withPorts: fc.integer({ min: 0, max: 2 }), name: fc.option(fc.constantFrom("r1", "r2"), { nil: undefined }) })
    .chain(({ action, named, withPorts, name }) => {
      const domains = action === "Accept" || (action === "Allow" && actions.includes("Pass"));
      const peerKey = direction === "ingress" ? "from" : "to";
      const portsKey = dialect === "v1alpha1" ? "ports" : "protocols";
      return fc
        .tuple(fc.array(tierPeerArb(direction, named, domains), { minLength: 1, maxLength: 2 }), fc.array(tierPortArb(dialect, named), { minLength: 1, maxLength: 2 }))
        .map(([peers, ports]) => ({ ...(name ? { name } : {}), action, [peerKey]: peers, ...(withPorts > 0 ? { [portsKey]: ports } : {}) }));
    });

const tierRulesArb = (dialect: TierDialect, direction: "ingress" | "egress", actions: readonly string[]) =>
  fc.oneof(fc.constant(undefined), fc.constant([]), fc.array(tierRuleArb(dialect, direction, actions), { minLength: 1, maxLength: 3 }));

export const tieredPolicyArb = (i: number): fc.Arbitrary<TieredPolicyInput> =>
  fc.constantFrom("anp", "cnp-admin", "cnp-baseline").chain((flavour) => {
    const dialect: TierDialect = flavour === "anp" ? "v1alpha1" : "v1alpha2";
    const actions = dialect === "v1alpha1" ? ["Allow", "Deny", "Pass"] : ["Accept", "Deny", "Pass"];
    return fc
      .record({ priority: fc.constantFrom(1, 5, 5, 10), subject: subjectArb, ingress: tierRulesArb(dialect, "ingress", actions), egress: tierRulesArb(dialect, "egress", actions) })
      .map(({ priority, subject, ingress, egress }): TieredPolicyInput => {
        const spec = { ...(flavour === "anp" ? {} : { tier: flavour === "cnp-admin" ? "Admin" : "Baseline" }), priority, subject, ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}) };
        return flavour === "anp"
          ? { kind: "AdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", name: `t${i}`, spec }
          : { kind: "ClusterNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha2", name: `t${i}`, spec };
      });
  });

const banpArb: fc.Arbitrary<TieredPolicyInput> = fc
  .record({ subject: subjectArb, ingress: tierRulesArb("v1alpha1", "ingress", ["Allow", "Deny"]), egress: tierRulesArb("v1alpha1", "egress", ["Allow", "Deny"]) })
  .map(({ subject, ingress, egress }) => ({
    kind: "BaselineAdminNetworkPolicy",
    apiVersion: "policy.networking.k8s.io/v1alpha1",
    name: "default",
    spec: { subject, ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}) },
  }));

/** worldArb plus 1-4 tiered policies (and sometimes the BaselineAdminNetworkPolicy). */
export const worldWithTiersArb: fc.Arbitrary<WorldInput> = fc
  .tuple(worldArb, fc.integer({ min: 1, max: 4 }), fc.boolean())
  .chain(([world, count, banp]) =>
    fc
      .tuple(fc.tuple(...Array.from({ length: count }, (_, i) => tieredPolicyArb(i))), banp ? banpArb.map((b) => [b]) : fc.constant([]))
      .map(([tiered, b]) => ({ ...world, tieredPolicies: [...tiered, ...b] })),
  );
