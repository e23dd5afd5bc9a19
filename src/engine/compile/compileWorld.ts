/**
 * WorldInput -> CompiledWorld + diagnostics. Objects Kubernetes would reject are left out and
 * reported; namespaces that are referenced but not defined exist implicitly; every namespace gets
 * its `kubernetes.io/metadata.name` label (overwriting a user-supplied value, as the API server does).
 */
import type { Diagnostic } from "../diagnostics.js";
import { podKey, type PodKey } from "../model/ids.js";
import type { Labels, NetworkPolicyInput, PodInput, WorldInput } from "../model/input.js";
import { isProtocol } from "../model/protocol.js";
import { parseIp } from "../net/ip.js";
import { compileLabelSelector, isValidLabelKey, isValidLabelValue, LabelSelector } from "../selectors/LabelSelector.js";
import { compileNetworkPolicy, type PeerIds } from "./compilePolicy.js";
import { compileTieredPolicy } from "./compileTieredPolicy.js";
import type { CompiledNamespace, CompiledNetworkPolicy, CompiledPeer, CompiledPod, CompiledTieredPolicy, CompiledWorld, CompileResult, Direction, InvalidPolicy, NamedPort, TierTie } from "./model.js";
import { formatTier } from "./model.js";
import { formatPolicy, policyKey, type PolicyRef } from "../model/ids.js";
import { checkName } from "./naming.js";
import { runSteps, STEP_ITEMS, type Steps } from "../util/steps.js";
import { isRecord, isValidPortName, isValidPortNumber, ObjectContext } from "./validation.js";

export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export function compileWorld(input: WorldInput): CompileResult {
  return runSteps(compileWorldSteps(input));
}

/**
 * compileWorld as Steps (util/steps.ts): it yields every STEP_ITEMS pods and policies, so that a
 * caller sharing its event loop (the API building a generation's world: 150,000 pods are ~1.5 s of
 * CPU) can run it in slices. Same result however it is run.
 */
export function* compileWorldSteps(input: WorldInput): Steps<CompileResult> {
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
    if (!checkName(ns.name, "dns-label", "metadata.name", ctx)) continue;
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
    if (!validNames(p, ctx)) continue;
    const pod = compilePod(p, pods.length, namespaceOf(p.namespace), ctx);
    if (!pod) continue;
    pods.push(pod);
    podByKey.set(key, pod);
    if (pods.length % STEP_ITEMS === 0) yield;
  }

  // Network policies.
  const networkPolicies: CompiledNetworkPolicy[] = [];
  const peers: CompiledPeer[] = [];
  const seenPolicies = new Set<string>();
  let nextPeerId = 0;
  const ids: PeerIds = { next: () => nextPeerId++ };
  const invalidPolicies: InvalidPolicy[] = [];
  for (const np of input.networkPolicies) {
    const ctx = new ObjectContext(`NetworkPolicy ${np.namespace}/${np.name}`, np.origin, diagnostics);
    const id = `${np.namespace}/${np.name}`;
    if (seenPolicies.has(id)) {
      ctx.error("DUPLICATE_OBJECT", "metadata.name", `network policy ${id} appears more than once; the first one is used`);
      continue;
    }
    seenPolicies.add(id);
    const firstDiagnostic = diagnostics.length;
    const mark = nextPeerId;
    const compiled = validNames(np, ctx) ? compileNetworkPolicy(np, networkPolicies.length, ctx, ids, peers) : undefined;
    if (!compiled) {
      nextPeerId = mark; // keep peer ids dense: world.peers[id] is the peer
      invalidPolicies.push(invalidPolicy(np, diagnostics.slice(firstDiagnostic)));
      continue;
    }
    namespaceOf(np.namespace);
    networkPolicies.push(compiled);
    if (seenPolicies.size % STEP_ITEMS === 0) yield;
  }

  const policiesByNamespace = new Map<string, CompiledNetworkPolicy[]>();
  for (const p of networkPolicies) {
    const list = policiesByNamespace.get(p.namespace) ?? [];
    list.push(p);
    policiesByNamespace.set(p.namespace, list);
  }

  const { tieredPolicies, tierTies } = compileTiers(input, diagnostics, ids, peers, () => nextPeerId, (mark) => (nextPeerId = mark));

  const world: CompiledWorld = { namespaces, namespaceByName, pods, podByKey, networkPolicies, policiesByNamespace, peers, tieredPolicies, tierTies, ...(invalidPolicies.length > 0 && { invalidPolicies }) };
  return { world, diagnostics };
}

/**
 * The evaluation order of tiered policies (documented in SEMANTICS.md, "Cluster-scoped tiers"):
 * the Admin tier before the Baseline tier; inside a tier, ascending priority; the
 * BaselineAdminNetworkPolicy (which has no priority) after every Baseline ClusterNetworkPolicy.
 * Equal priorities are an implementation choice upstream: kubereach orders them by name, then
 * kind (so an AdminNetworkPolicy and a ClusterNetworkPolicy of one name and priority have a fixed
 * order too), and reports each group as a PRIORITY_TIE warning.
 */
export function compareTierOrder(a: Pick<CompiledTieredPolicy, "tier" | "priority" | "ref">, b: Pick<CompiledTieredPolicy, "tier" | "priority" | "ref">): number {
  if (a.tier !== b.tier) return a.tier === "admin" ? -1 : 1;
  const pa = a.priority ?? Number.POSITIVE_INFINITY;
  const pb = b.priority ?? Number.POSITIVE_INFINITY;
  if (pa !== pb) return pa - pb;
  if (a.ref.name !== b.ref.name) return a.ref.name < b.ref.name ? -1 : 1;
  return a.ref.kind < b.ref.kind ? -1 : a.ref.kind > b.ref.kind ? 1 : 0;
}

function compileTiers(
  input: WorldInput,
  diagnostics: Diagnostic[],
  ids: PeerIds,
  peers: CompiledPeer[],
  mark: () => number,
  reset: (mark: number) => void,
): { tieredPolicies: CompiledTieredPolicy[]; tierTies: TierTie[] } {
  const compiled: Omit<CompiledTieredPolicy, "index">[] = [];
  const seen = new Set<string>();
  for (const tp of input.tieredPolicies ?? []) {
    const ctx = new ObjectContext(`${tp.kind} ${tp.name}`, tp.origin, diagnostics);
    const id = `${tp.kind}/${tp.name}`;
    if (seen.has(id)) {
      ctx.error("DUPLICATE_OBJECT", "metadata.name", `${tp.kind} ${tp.name} appears more than once; the first one is used`);
      continue;
    }
    seen.add(id);
    if (!checkName(tp.name, "dns-subdomain", "metadata.name", ctx)) continue;
    const before = mark();
    const c = compileTieredPolicy(tp, ctx, ids, peers);
    if (!c) {
      reset(before); // keep peer ids dense: world.peers[id] is the peer
      continue;
    }
    compiled.push(c);
  }
  const tieredPolicies = compiled.sort(compareTierOrder).map((p, index): CompiledTieredPolicy => ({ ...p, index }));

  const tierTies: TierTie[] = [];
  for (let i = 0; i < tieredPolicies.length; ) {
    const first = tieredPolicies[i]!;
    let j = i + 1;
    while (j < tieredPolicies.length && tieredPolicies[j]!.tier === first.tier && tieredPolicies[j]!.priority === first.priority) j++;
    if (j - i > 1 && first.priority !== undefined) {
      const group = tieredPolicies.slice(i, j);
      tierTies.push({ tier: first.tier, priority: first.priority, policies: group.map((p) => p.ref) });
      new ObjectContext(formatPolicy(first.ref), first.origin, diagnostics).warning(
        "PRIORITY_TIE",
        "spec.priority",
        `${group.map((p) => formatPolicy(p.ref)).join(", ")} share priority ${first.priority} in the ${formatTier(first.tier)} tier; the API leaves their order to the implementation, kubereach evaluates them in this order (by name)`,
      );
    }
    i = j;
  }
  return { tieredPolicies, tierTies };
}

/** What is known of a NetworkPolicy compileNetworkPolicy refused: which pods it could select, and why it was refused. */
function invalidPolicy(np: NetworkPolicyInput, problems: readonly Diagnostic[]): InvalidPolicy {
  const spec = isRecord(np.spec) ? np.spec : undefined;
  const raw = spec?.["podSelector"];
  const scratch = new ObjectContext("", undefined, []);
  const podSelector = !spec ? undefined : raw === undefined || raw === null ? LabelSelector.EVERYTHING : compileLabelSelector(raw, "spec.podSelector", scratch);
  const ref: PolicyRef = { kind: "NetworkPolicy", namespace: np.namespace, name: np.name };
  return {
    ref,
    key: policyKey(ref),
    namespace: np.namespace,
    podSelector,
    directions: invalidPolicyDirections(spec),
    problems: problems.filter((d) => d.severity === "error").map((d) => `${d.field}: ${d.message}`),
    ...(np.origin !== undefined && { origin: np.origin }),
  };
}

/** policyTypes as written (Ingress/Egress), else Kubernetes' defaults (Ingress, plus Egress with egress rules); both when unreadable. */
function invalidPolicyDirections(spec: Record<string, unknown> | undefined): Direction[] {
  if (!spec) return ["ingress", "egress"];
  const types = spec["policyTypes"];
  if (Array.isArray(types) && types.length > 0) {
    const out: Direction[] = [];
    if (types.includes("Ingress")) out.push("ingress");
    if (types.includes("Egress")) out.push("egress");
    return types.every((t) => t === "Ingress" || t === "Egress") ? out : ["ingress", "egress"];
  }
  return Array.isArray(spec["egress"]) && spec["egress"].length > 0 ? ["ingress", "egress"] : spec["egress"] === undefined || spec["egress"] === null || Array.isArray(spec["egress"]) ? ["ingress"] : ["ingress", "egress"];
}

/** A namespaced object: its namespace is a DNS-1123 label, its name a DNS-1123 subdomain (Pod, NetworkPolicy, workloads). */
function validNames(o: { readonly namespace: string; readonly name: string }, ctx: ObjectContext): boolean {
  const ns = checkName(o.namespace, "dns-label", "metadata.namespace", ctx);
  return checkName(o.name, "dns-subdomain", "metadata.name", ctx) && ns;
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

