/**
 * Property: for random worlds (test/helpers/randomWorld.ts), canConnect over HTTP, answered by the
 * running service from the world it synced and stored, equals the engine's verdict computed
 * directly on compileWorld of the same input: explain's verdict and sentences, and, independently,
 * evaluatePair over the member pods (ALLOWED exactly when some pod pair allows the probed port).
 *
 * One service and one store serve every world: each world replaces the manifest tree (a complete
 * re-read, so the previous world's objects are deleted) and becomes the next generation. Endpoints
 * are pods and IP addresses (the worlds' pod IPs, addresses in and out of their ipBlocks, IPv6); an
 * address that is the IP of exactly one pod is answered for that pod (issue 12 item 10).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileWorld,
  evaluatePair,
  explain,
  externalEndpoint,
  parseIp,
  podEndpoint,
  PortSet,
  ConnectionSet,
  type CompiledWorld,
  type Endpoint,
  type EndpointQuery,
  type Protocol,
  type WorldInput,
} from "../../../src/engine/index.js";
import { worldArb } from "../../helpers/randomWorld.js";
import { API_BACKENDS } from "../helpers/backends.js";
import { gql, httpClient } from "../helpers/graphql.js";
import { worldToManifests } from "../helpers/manifests.js";
import { useTestService } from "../helpers/service.js";

/** Worlds per backend (KUBEREACH_PROPERTY_WORLDS for a longer run; KUBEREACH_PROPERTY_SEED replays one). */
const WORLDS = Number(process.env["KUBEREACH_PROPERTY_WORLDS"] ?? 12);
const PROBES_PER_WORLD = 40;
const IPS = ["10.0.0.1", "10.0.1.2", "10.0.1.8", "10.0.3.1", "10.0.3.3", "192.168.1.1", "172.16.0.1", "8.8.8.8", "fd00::1", "fd00::2", "fd01::1", "2001:db8::7"];
const PORTS = [1, 53, 80, 81, 443, 8000, 8079, 8080, 8180, 9090, 65535];
const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

type Pick = { readonly pod: number } | { readonly ip: string };
interface Probe {
  readonly from: Pick;
  readonly to: Pick;
  readonly port: number;
  readonly protocol: Protocol;
}

const pickArb: fc.Arbitrary<Pick> = fc.oneof({ weight: 4, arbitrary: fc.nat().map((pod) => ({ pod })) }, { weight: 1, arbitrary: fc.constantFrom(...IPS).map((ip) => ({ ip })) });
const probeArb: fc.Arbitrary<Probe> = fc.record({ from: pickArb, to: pickArb, port: fc.constantFrom(...PORTS), protocol: fc.constantFrom(...PROTOCOLS) });

const CAN = `query($from: EndpointRef!, $to: EndpointRef!, $port: Int!, $protocol: Protocol) {
  canConnect(from: $from, to: $to, port: $port, protocol: $protocol) {
    allowed explanation { summary generation egress { allowed governed isolatedBy { namespace name } } ingress { allowed governed isolatedBy { namespace name } } } } }`;

interface Answer {
  canConnect: {
    allowed: string;
    explanation: {
      summary: string[];
      generation: number;
      egress: { allowed: boolean; governed: boolean; isolatedBy: { namespace: string; name: string }[] } | null;
      ingress: { allowed: boolean; governed: boolean; isolatedBy: { namespace: string; name: string }[] } | null;
    };
  };
}

function endpointOf(world: WorldInput, pick: Pick): { api: Record<string, unknown>; query: EndpointQuery } {
  if ("ip" in pick) return { api: { ip: pick.ip }, query: { type: "ip", ip: pick.ip } };
  const pod = world.pods[pick.pod % world.pods.length]!;
  return { api: { workload: { namespace: pod.namespace, name: pod.name } }, query: { type: "workload", namespace: pod.namespace, name: pod.name } };
}

/** The members of an endpoint, for evaluatePair (a bare pod is its own one-pod workload). */
function membersOf(world: CompiledWorld, q: EndpointQuery): Endpoint[] {
  if (q.type === "ip") {
    // The IP of exactly one pod (not a node address shared by hostNetwork pods) is that pod's traffic.
    const ip = parseIp(q.ip)!;
    const owners = world.pods.filter((p) => p.ip && p.ip.family === ip.family && p.ip.value === ip.value);
    return owners.length === 1 && !owners[0]!.hostNetwork ? [podEndpoint(owners[0]!)] : [externalEndpoint(ip)];
  }
  return world.pods.filter((p) => p.namespace.name === q.namespace && p.ref.name === q.name).map(podEndpoint);
}

describe.each(API_BACKENDS)("canConnect over HTTP equals the engine on random worlds ($name)", (backend) => {
  const svc = useTestService(() => ({ backend, name: "prop", files: { "empty.yaml": [] } }));

  it(
    "for every sampled pair, port and protocol",
    async () => {
      const client = httpClient(svc().graphqlUrl);
      let worlds = 0;
      await fc.assert(
        fc.asyncProperty(worldArb, fc.array(probeArb, { minLength: PROBES_PER_WORLD, maxLength: PROBES_PER_WORLD }), async (input, probes) => {
          worlds++;
          const { world, diagnostics } = compileWorld(input);
          expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
          svc().manifests.replaceAll({ "world.yaml": worldToManifests(input) });
          const generation = await svc().reread();

          for (const probe of probes) {
            const from = endpointOf(input, probe.from);
            const to = endpointOf(input, probe.to);
            const r = await gql<Answer>(client, CAN, { from: from.api, to: to.api, port: probe.port, protocol: probe.protocol });
            const what = JSON.stringify({ probe, from: from.query, to: to.query });
            expect(r.errors, what).toEqual([]);
            const got = r.data!.canConnect;

            const direct = explain(world, from.query, to.query, probe.port, probe.protocol);
            if (!direct.ok) throw new Error(`the engine cannot answer ${what}: ${direct.message}`);
            const e = direct.explanation;
            expect(got.explanation.generation, what).toBe(generation);
            expect(got.allowed, what).toBe(e.verdict);
            expect(got.explanation.summary, what).toEqual([...e.summary]);
            const side = (s: typeof e.egress) => ({ allowed: s.allowed, governed: s.governed, isolatedBy: s.isolatedBy.map((p) => ({ namespace: p.namespace, name: p.name })) });
            expect(got.explanation.egress, what).toEqual(e.self ? null : side(e.egress));
            expect(got.explanation.ingress, what).toEqual(e.self ? null : side(e.ingress));

            // Independently of explain: ALLOWED exactly when some member pair allows the port.
            const probeSet = ConnectionSet.of(probe.protocol, PortSet.single(probe.port));
            const srcs = membersOf(world, from.query);
            const dsts = membersOf(world, to.query);
            const anyAllowed = srcs.some((s) => dsts.some((d) => !evaluatePair(world, s, d).allowed.intersect(probeSet).isEmpty()));
            expect(got.allowed === "ALLOWED", what).toBe(anyAllowed);
          }
        }),
        { numRuns: WORLDS, seed: Number(process.env["KUBEREACH_PROPERTY_SEED"] ?? Date.now() % 2_147_483_647), endOnFailure: true },
      );
      expect(worlds).toBeGreaterThanOrEqual(WORLDS);
    },
    240_000,
  );
});
