/**
 * Builders for small engine worlds in tests, plus lookups that turn "ns/name" or an IP into the
 * engine's endpoints and read a connection back from evaluatePair and from the class matrix.
 * Test code only: nothing in src/ may import this.
 */
import {
  compileWorld,
  externalEndpoint,
  parseIp,
  podEndpoint,
  evaluatePair,
  type ClassMatrix,
  type CompiledWorld,
  type ConnectionSet,
  type ContainerPortInput,
  type Diagnostic,
  type Endpoint,
  type NamespaceInput,
  type NetworkPolicyInput,
  type PodInput,
  type WorkloadRef,
  type WorldInput,
} from "../../src/engine/index.js";

export interface PodSpec {
  readonly ns: string;
  readonly name: string;
  readonly labels?: Record<string, string>;
  readonly ip?: string;
  readonly ports?: readonly ContainerPortInput[];
  readonly hostNetwork?: boolean;
  readonly workload?: WorkloadRef;
}

export function pod(spec: PodSpec): PodInput {
  return {
    namespace: spec.ns,
    name: spec.name,
    labels: spec.labels ?? {},
    ...(spec.ip !== undefined ? { ip: spec.ip } : {}),
    ...(spec.ports !== undefined ? { containerPorts: spec.ports } : {}),
    ...(spec.hostNetwork !== undefined ? { hostNetwork: spec.hostNetwork } : {}),
    ...(spec.workload !== undefined ? { workload: spec.workload } : {}),
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): NamespaceInput {
  return { name, labels };
}

/** A NetworkPolicy with a raw (unvalidated) spec, exactly as it would come from YAML. */
export function policy(ns: string, name: string, spec: unknown): NetworkPolicyInput {
  return { namespace: ns, name, spec };
}

/** Container ports of `spec.containers`. */
export function tcp(port: number, name?: string): ContainerPortInput {
  return name === undefined ? { containerPort: port, protocol: "TCP" } : { containerPort: port, protocol: "TCP", name };
}
export function udp(port: number, name?: string): ContainerPortInput {
  return name === undefined ? { containerPort: port, protocol: "UDP" } : { containerPort: port, protocol: "UDP", name };
}
export function sctp(port: number, name?: string): ContainerPortInput {
  return name === undefined ? { containerPort: port, protocol: "SCTP" } : { containerPort: port, protocol: "SCTP", name };
}

export interface WorldParts {
  readonly namespaces?: readonly NamespaceInput[];
  readonly pods?: readonly PodInput[];
  readonly policies?: readonly NetworkPolicyInput[];
}

export function worldInput(parts: WorldParts): WorldInput {
  return { namespaces: parts.namespaces ?? [], pods: parts.pods ?? [], networkPolicies: parts.policies ?? [] };
}

/** Compiles and fails loudly on any diagnostic: semantic tests must not silently drop a policy. */
export function buildWorld(parts: WorldParts): CompiledWorld {
  const { world, diagnostics } = compileWorld(worldInput(parts));
  if (diagnostics.length > 0) throw new Error(`unexpected diagnostics: ${JSON.stringify(diagnostics, null, 2)}`);
  return world;
}

export function compileParts(parts: WorldParts): { world: CompiledWorld; diagnostics: readonly Diagnostic[] } {
  return compileWorld(worldInput(parts));
}

/** "ns/name" -> the pod's endpoint; anything that parses as an IP -> an external endpoint. */
export function endpoint(world: CompiledWorld, ref: string): Endpoint {
  const ip = parseIp(ref);
  if (ip) return externalEndpoint(ip);
  const p = world.pods.find((x) => `${x.ref.namespace}/${x.ref.name}` === ref);
  if (!p) throw new Error(`no pod ${ref} in the world`);
  return podEndpoint(p);
}

export function evalConn(world: CompiledWorld, src: string, dst: string): ConnectionSet {
  return evaluatePair(world, endpoint(world, src), endpoint(world, dst)).allowed;
}

/** The class of an endpoint in the matrix: a pod's class, or the external class holding the address's atom. */
export function classOf(matrix: ClassMatrix, e: Endpoint): number {
  if (e.kind === "pod") return matrix.classes.classOfPod[e.pod.index]!;
  const { atoms } = matrix.classes.partition;
  const atom = atoms.findIndex((a) => a.family === e.ip.family && a.start <= e.ip.value && e.ip.value <= a.end);
  if (atom < 0) throw new Error("address outside every atom of the partition");
  const cls = matrix.classes.classes.find((c) => c.kind === "external" && c.atoms.includes(atom));
  if (!cls) throw new Error(`atom ${atom} has no external class`);
  return cls.id;
}

export function matrixConn(matrix: ClassMatrix, src: string, dst: string): ConnectionSet {
  return matrix.get(classOf(matrix, endpoint(matrix.world, src)), classOf(matrix, endpoint(matrix.world, dst)));
}
