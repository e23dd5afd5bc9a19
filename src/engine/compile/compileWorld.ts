/**
 * WorldInput -> CompiledWorld + diagnostics. Objects Kubernetes would reject are left out and
 * reported; namespaces that are referenced but not defined exist implicitly; every namespace gets
 * its `kubernetes.io/metadata.name` label (overwriting a user-supplied value, as the API server does).
 */
import type { Diagnostic } from "../diagnostics.js";
import { podKey, type PodKey } from "../model/ids.js";
import type { Labels, PodInput, WorldInput } from "../model/input.js";
import { isProtocol } from "../model/protocol.js";
import { parseIp } from "../net/ip.js";
import { isValidLabelKey, isValidLabelValue } from "../selectors/LabelSelector.js";
import { compileNetworkPolicy } from "./compilePolicy.js";
import type { CompiledNamespace, CompiledNetworkPolicy, CompiledPeer, CompiledPod, CompiledWorld, CompileResult, NamedPort } from "./model.js";
import { isRecord, isValidPortName, isValidPortNumber, ObjectContext } from "./validation.js";

export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export function compileWorld(input: WorldInput): CompileResult {
  const diagnostics: Diagnostic[] = [];

  // Namespaces: defined ones first, then the ones only referenced.
  const namespaces: CompiledNamespace[] = [];
  const namespaceByName = new Map<string, CompiledNamespace>();
  const addNamespace = (name: string, labels: Labels, defined: boolean) => {
    const ns: CompiledNamespace = { index: namespaces.length, name, labels: { ...labels, [NAMESPACE_NAME_LABEL]: name }, defined };
    namespaces.push(ns);
    namespaceByName.set(name, ns);
    return ns;
  };
  for (const ns of input.namespaces) {
    const ctx = new ObjectContext(`Namespace ${ns.name}`, ns.origin, diagnostics);
    if (namespaceByName.has(ns.name)) {
      ctx.error("DUPLICATE_OBJECT", "metadata.name", `namespace ${ns.name} is defined more than once; the first definition is used`);
      continue;
    }
    const labels = checkLabels(ns.labels, "metadata.labels", ctx);
    if (labels) addNamespace(ns.name, labels, true);
  }
  const namespaceOf = (name: string) => namespaceByName.get(name) ?? addNamespace(name, {}, false);

  // Pods.
  const pods: CompiledPod[] = [];
  const podByKey = new Map<PodKey, CompiledPod>();
  for (const p of input.pods) {
    const ctx = new ObjectContext(`Pod ${p.namespace}/${p.name}`, p.origin, diagnostics);
    const key = podKey(p);
    if (podByKey.has(key)) {
      ctx.error("DUPLICATE_OBJECT", "metadata.name", `pod ${p.namespace}/${p.name} appears more than once; the first one is used`);
      continue;
    }
    const pod = compilePod(p, pods.length, namespaceOf(p.namespace), ctx);
    if (!pod) continue;
    pods.push(pod);
    podByKey.set(key, pod);
  }

  // Network policies.
  const networkPolicies: CompiledNetworkPolicy[] = [];
  const peers: CompiledPeer[] = [];
  const seenPolicies = new Set<string>();
  let nextPeerId = 0;
  const ids = { next: () => nextPeerId++ };
  for (const np of input.networkPolicies) {
    const ctx = new ObjectContext(`NetworkPolicy ${np.namespace}/${np.name}`, np.origin, diagnostics);
    const id = `${np.namespace}/${np.name}`;
    if (seenPolicies.has(id)) {
      ctx.error("DUPLICATE_OBJECT", "metadata.name", `network policy ${id} appears more than once; the first one is used`);
      continue;
    }
    seenPolicies.add(id);
    const mark = nextPeerId;
    const compiled = compileNetworkPolicy(np, networkPolicies.length, ctx, ids, peers);
    if (!compiled) {
      nextPeerId = mark; // keep peer ids dense: world.peers[id] is the peer
      continue;
    }
    namespaceOf(np.namespace);
    networkPolicies.push(compiled);
  }

  const policiesByNamespace = new Map<string, CompiledNetworkPolicy[]>();
  for (const p of networkPolicies) {
    const list = policiesByNamespace.get(p.namespace) ?? [];
    list.push(p);
    policiesByNamespace.set(p.namespace, list);
  }

  const world: CompiledWorld = { namespaces, namespaceByName, pods, podByKey, networkPolicies, policiesByNamespace, peers };
  return { world, diagnostics };
}

function checkLabels(raw: unknown, field: string, ctx: ObjectContext): Labels | undefined {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) return ctx.error("INVALID_OBJECT", field, "labels must be a map of strings");
  for (const [k, v] of Object.entries(raw)) {
    if (!isValidLabelKey(k)) return ctx.error("INVALID_OBJECT", field, `invalid label key ${JSON.stringify(k)}`);
    if (typeof v !== "string" || !isValidLabelValue(v))
      return ctx.error("INVALID_OBJECT", `${field}.${k}`, `invalid label value ${JSON.stringify(v)} (at most 63 characters: letters, digits, '-', '_', '.'; quote numbers and booleans in YAML)`);
  }
  return raw as Labels;
}

function compilePod(p: PodInput, index: number, namespace: CompiledNamespace, ctx: ObjectContext): CompiledPod | undefined {
  const labels = checkLabels(p.labels, "metadata.labels", ctx);
  if (!labels) return undefined;
  let ip;
  if (p.ip !== undefined && p.ip !== null && p.ip !== "") {
    ip = parseIp(p.ip);
    if (!ip) return ctx.error("INVALID_IP", "status.podIP", `${JSON.stringify(p.ip)} is not an IPv4 or IPv6 address`);
  }
  const namedPorts = new Map<string, NamedPort>();
  for (const [i, cp] of (p.containerPorts ?? []).entries()) {
    const field = `spec.containers.ports[${i}]`;
    if (!isValidPortNumber(cp.containerPort))
      return ctx.error("INVALID_PORT", `${field}.containerPort`, `containerPort ${JSON.stringify(cp.containerPort)} is out of range: must be 1-65535`);
    const protocol = cp.protocol ?? "TCP";
    if (!isProtocol(protocol)) return ctx.error("INVALID_PROTOCOL", `${field}.protocol`, `unsupported protocol ${JSON.stringify(protocol)}`);
    if (cp.name === undefined || cp.name === null || cp.name === "") continue;
    if (!isValidPortName(cp.name)) return ctx.error("INVALID_PORT", `${field}.name`, `${JSON.stringify(cp.name)} is not a valid port name`);
    const first = namedPorts.get(cp.name);
    if (first) {
      // Upstream validates uniqueness per container only, so two containers may share a name: the pod
      // stays valid and the name resolves to its first definition, as most implementations do.
      ctx.warning("INVALID_PORT", `${field}.name`, `port name ${JSON.stringify(cp.name)} is defined more than once in the pod; kubereach resolves it to the first (${first.protocol} ${first.port})`);
      continue;
    }
    namedPorts.set(cp.name, { protocol, port: cp.containerPort });
  }
  return {
    index,
    ref: { namespace: p.namespace, name: p.name },
    key: podKey(p),
    namespace,
    labels,
    ip,
    hostNetwork: p.hostNetwork === true,
    namedPorts,
    workload: p.workload ?? { namespace: p.namespace, kind: "Pod", name: p.name },
    origin: p.origin,
  };
}

