/**
 * The upstream network-policy-api conformance world (conformance/base/manifests.yaml): four
 * namespaces labelled `conformance-house`, a StatefulSet of two pods in each, and probes "client ->
 * server on protocol/port" evaluated with evaluatePair AND read from the class matrix. Pod IPs are
 * ours (the suite reads them from the cluster). Policies are the suite's YAML, transcribed, and the
 * tests' mutations (swapping rules, changing an action or priority, inserting a rule, deleting a
 * NetworkPolicy) are applied to the parsed objects, as the Go tests patch them.
 * Test code only.
 */
import { parse, parseAllDocuments } from "yaml";
import {
  buildMatrix,
  compileWorld,
  evaluatePair,
  podEndpoint,
  type ClassMatrix,
  type CompiledWorld,
  type Diagnostic,
  type NetworkPolicyInput,
  type PodInput,
  type Protocol,
  type TieredPolicyInput,
} from "../../../src/engine/index.js";

export const HOUSES = { gryffindor: "harry-potter", slytherin: "draco-malfoy", hufflepuff: "cedric-diggory", ravenclaw: "luna-lovegood" } as const;
export type House = keyof typeof HOUSES;
export const NS = (house: House) => `network-policy-conformance-${house}`;

/** `harry-potter-0` -> its pod; the house is found from the StatefulSet name. */
function houseOf(podName: string): House {
  const h = (Object.keys(HOUSES) as House[]).find((k) => podName.startsWith(`${HOUSES[k]}-`));
  if (!h) throw new Error(`not a conformance pod: ${podName}`);
  return h;
}

/** IPv4 addresses per pod: one /24 per house, .10 and .11 for ordinals 0 and 1. */
export function podIp(podName: string): string {
  const house = houseOf(podName);
  const ordinal = Number(podName.slice(podName.lastIndexOf("-") + 1));
  return `10.244.${(Object.keys(HOUSES) as House[]).indexOf(house) + 1}.${10 + ordinal}`;
}

function basePods(): PodInput[] {
  const pods: PodInput[] = [];
  for (const house of Object.keys(HOUSES) as House[])
    for (const ordinal of [0, 1]) {
      const name = `${HOUSES[house]}-${ordinal}`;
      pods.push({
        namespace: NS(house),
        name,
        labels: { "conformance-house": house, "statefulset.kubernetes.io/pod-name": name },
        ip: podIp(name),
        workload: { namespace: NS(house), kind: "StatefulSet", name: HOUSES[house] },
      });
    }
  return pods;
}

export interface ConformanceManifests {
  readonly networkPolicies: NetworkPolicyInput[];
  readonly tieredPolicies: TieredPolicyInput[];
}

/** Parses multi-document YAML into engine inputs (NetworkPolicies and tiered policies). */
export function manifests(yaml: string): ConformanceManifests {
  const out: ConformanceManifests = { networkPolicies: [], tieredPolicies: [] };
  for (const doc of parseAllDocuments(yaml)) {
    const o = doc.toJSON() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: unknown };
    if (o.kind === "NetworkPolicy") out.networkPolicies.push({ namespace: o.metadata.namespace!, name: o.metadata.name, spec: o.spec });
    else out.tieredPolicies.push({ kind: o.kind, apiVersion: o.apiVersion, name: o.metadata.name, spec: o.spec });
  }
  return out;
}

/** A deep copy to mutate, as the Go tests DeepCopy before patching. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** The spec of the named tiered policy, for mutation. */
export function specOf(m: ConformanceManifests, name: string): { ingress: unknown[]; egress: unknown[]; priority: number; [k: string]: unknown } {
  const p = m.tieredPolicies.find((x) => x.name === name);
  if (!p) throw new Error(`no tiered policy ${name}`);
  return p.spec as { ingress: unknown[]; egress: unknown[]; priority: number };
}

export function swap(list: unknown[], i: number, j: number): void {
  const t = list[i];
  list[i] = list[j];
  list[j] = t;
}

export interface ConformanceWorld {
  readonly world: CompiledWorld;
  readonly matrix: ClassMatrix;
  readonly diagnostics: readonly Diagnostic[];
}

export function conformanceWorld(m: ConformanceManifests): ConformanceWorld {
  const namespaces = (Object.keys(HOUSES) as House[]).map((house) => ({ name: NS(house), labels: { "conformance-house": house } }));
  const { world, diagnostics } = compileWorld({ namespaces, pods: basePods(), networkPolicies: m.networkPolicies, tieredPolicies: m.tieredPolicies });
  return { world, matrix: buildMatrix(world), diagnostics };
}

/** [client pod, server pod, protocol, port, expected]: PokeServer(client, server's podIP, protocol, port, shouldConnect). */
export type Probe = readonly [string, string, "tcp" | "udp" | "sctp", number, boolean];

/** The answer of evaluatePair and of the class matrix for one probe; both must agree. */
export function poke(w: ConformanceWorld, client: string, server: string, protocol: "tcp" | "udp" | "sctp", port: number): { direct: boolean; matrix: boolean } {
  const pod = (name: string) => {
    const p = w.world.pods.find((x) => x.ref.name === name);
    if (!p) throw new Error(`no pod ${name}`);
    return p;
  };
  const src = pod(client);
  const dst = pod(server);
  const proto = protocol.toUpperCase() as Protocol;
  return {
    direct: evaluatePair(w.world, podEndpoint(src), podEndpoint(dst)).allowed.contains(port, proto),
    matrix: w.matrix.podToPod(src.index, dst.index).contains(port, proto),
  };
}

export { parse };
