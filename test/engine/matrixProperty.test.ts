/**
 * The class matrix must equal evaluatePair on every pair, and explain must agree with the matrix.
 * Random worlds mix every feature the compiler accepts: namespace and pod labels from a small
 * vocabulary, IPv4/IPv6/absent pod IPs (some inside the generated ipBlocks, some on their
 * boundaries), hostNetwork pods, named container ports, and policies with selectors and
 * expressions, ipBlocks with except, numeric/ranged/named/protocol-only ports, every policyTypes
 * variant and empty vs absent lists.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildMatrix,
  compileWorld,
  evaluatePair,
  explain,
  externalEndpoint,
  formatIp,
  podEndpoint,
  type ContainerPortInput,
  type Endpoint,
  type EndpointQuery,
  type IpAddress,
  type NamespaceInput,
  type NetworkPolicyInput,
  type PodInput,
  type Protocol,
  type WorldInput,
} from "../../src/engine/index.js";

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

const worldArb: fc.Arbitrary<WorldInput> = fc
  .tuple(fc.integer({ min: 2, max: 7 }), fc.integer({ min: 0, max: 4 }))
  .chain(([podCount, policyCount]) =>
    fc.record({
      namespaces: namespacesArb,
      pods: fc.tuple(...Array.from({ length: podCount }, (_, i) => podArb(i))),
      networkPolicies: policyCount === 0 ? fc.constant([]) : fc.tuple(...Array.from({ length: policyCount }, (_, i) => policyArb(i))),
    }),
  );

// --- the properties --------------------------------------------------------------------------------

const PROBES: readonly [number, Protocol][] = [
  [53, "UDP"],
  [53, "TCP"],
  [80, "TCP"],
  [81, "SCTP"],
  [443, "TCP"],
  [8080, "TCP"],
  [8080, "UDP"],
  [8100, "TCP"],
  [9090, "SCTP"],
];

const RUNS = 600;

const describeEndpoint = (e: Endpoint) => (e.kind === "pod" ? e.pod.key : formatIp(e.ip));
const query = (e: Endpoint): EndpointQuery => (e.kind === "pod" ? { type: "workload", namespace: e.pod.ref.namespace, name: e.pod.ref.name } : { type: "ip", ip: formatIp(e.ip) });

describe("class matrix vs evaluatePair vs explain on random worlds", () => {
  it("generated worlds are valid input (otherwise the property would test less than it claims)", () => {
    fc.assert(
      fc.property(worldArb, (input) => {
        expect(compileWorld(input).diagnostics).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it(`matrix == evaluatePair for every pod pair and pod<->external sample, and explain agrees (${RUNS} worlds)`, () => {
    let externalChecks = 0;
    let namedPortWorlds = 0;
    fc.assert(
      fc.property(worldArb, fc.integer({ min: 0, max: 1_000_000 }), (input, salt) => {
        const { world, diagnostics } = compileWorld(input);
        expect(diagnostics).toEqual([]);
        const matrix = buildMatrix(world);
        const { classes } = matrix;
        if (world.networkPolicies.some((p) => [...(p.ingress ?? []), ...(p.egress ?? [])].some((r) => r.ports !== "any" && r.ports.some((x) => x.kind === "named")))) namedPortWorlds++;

        // Every ordered pair of distinct pods.
        const pods = world.pods.map(podEndpoint);
        const podCls = (i: number) => classes.classOfPod[world.pods[i]!.index]!;
        for (const [i, s] of pods.entries())
          for (const [j, d] of pods.entries()) {
            if (i === j) continue;
            const m = matrix.podToPod(world.pods[i]!.index, world.pods[j]!.index);
            expect(m.key, `${describeEndpoint(s)} -> ${describeEndpoint(d)}`).toBe(evaluatePair(world, s, d).allowed.key);
          }

        // One address from each atom, in both directions with every pod.
        const externalClassOfAtom = new Map<number, number>();
        for (const c of classes.classes) if (c.kind === "external") for (const a of c.atoms) externalClassOfAtom.set(a, c.id);
        const samples: { e: Endpoint; cls: number }[] = classes.partition.atoms.map((atom, i) => {
          const span = atom.end - atom.start + 1n;
          const ip: IpAddress = { family: atom.family, value: atom.start + (BigInt(salt) % span) };
          return { e: externalEndpoint(ip), cls: externalClassOfAtom.get(i)! };
        });
        expect(samples.every((s) => s.cls !== undefined)).toBe(true);
        for (const [i, p] of pods.entries()) {
          const pc = podCls(i);
          for (const x of samples) {
            expect(matrix.get(pc, x.cls).key, `${describeEndpoint(p)} -> ${describeEndpoint(x.e)}`).toBe(evaluatePair(world, p, x.e).allowed.key);
            expect(matrix.get(x.cls, pc).key, `${describeEndpoint(x.e)} -> ${describeEndpoint(p)}`).toBe(evaluatePair(world, x.e, p).allowed.key);
            externalChecks++;
          }
        }

        // explain: ALLOWED iff the matrix connection contains the probed port, on sampled pairs.
        const pairs: [Endpoint, number, Endpoint, number][] = [];
        for (let k = 0; k < 6; k++) {
          const [i, j] = [(salt + k) % pods.length, (salt + 3 * k + 1) % pods.length];
          if (i !== j) pairs.push([pods[i]!, podCls(i), pods[j]!, podCls(j)]);
        }
        const x = samples[salt % samples.length]!;
        const last = pods.length - 1;
        pairs.push([pods[0]!, podCls(0), x.e, x.cls], [x.e, x.cls, pods[last]!, podCls(last)]);
        for (const [s, sc, d, dc] of pairs) {
          const [port, protocol] = PROBES[(salt + sc + dc) % PROBES.length]!;
          const r = explain(world, query(s), query(d), port, protocol);
          expect(r.ok).toBe(true);
          if (!r.ok) continue;
          const want = matrix.get(sc, dc).contains(port, protocol) ? "ALLOWED" : "DENIED";
          expect(r.explanation.verdict, `explain ${describeEndpoint(s)} -> ${describeEndpoint(d)} ${protocol} ${port}`).toBe(want);
          expect(r.explanation.egress.allowed && r.explanation.ingress.allowed).toBe(want === "ALLOWED");
        }
      }),
      { numRuns: RUNS },
    );
    // The generators must actually exercise external classes and named ports.
    expect(externalChecks).toBeGreaterThan(RUNS);
    expect(namedPortWorlds).toBeGreaterThan(RUNS / 10);
  });
});
