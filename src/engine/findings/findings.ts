/**
 * findings(world): the weak spots of a state's NetworkPolicies, computed from the engine's own
 * primitives: the class matrix's classes (which policies select each class, which classes each peer
 * matches), the evaluator's isolation (isolatingPolicies, tieredPoliciesFor) and rule ports
 * (rulePortsToward). No check re-implements a policy rule. Pure.
 *
 * Kinds (severity):
 * - INGRESS_NOT_ISOLATED (medium) / EGRESS_NOT_ISOLATED (low): no pod of a workload is selected
 *   for that direction by any policy (NetworkPolicy or tiered), so it accepts / sends anything.
 * - NAMESPACE_WITHOUT_DEFAULT_DENY (ingress medium, egress low): a namespace with pods has no
 *   NetworkPolicy with an empty podSelector for that direction (one that isolates every pod,
 *   future ones included); info when cluster-scoped tiered policies apply to every pod there for
 *   that direction (a new pod then gets what they leave open).
 * - POLICY_SELECTS_NO_POD (low): the podSelector matches no pod of the namespace.
 * - PEER_MATCHES_NOTHING (medium): a selector peer matches no pod (e.g. its namespaceSelector
 *   matches no namespace).
 * - NAMED_PORT_UNDEFINED (medium): no destination the rule applies to defines that named port.
 * - REDUNDANT_RULE (low): another rule allows everything this one allows (see redundancy.ts).
 * - INGRESS_FROM_INTERNET (high; medium when ports are restricted): an ingress rule admits any
 *   address (no `from`, or an ipBlock of prefix /0).
 * - INGRESS_FROM_ALL_NAMESPACES (medium; low when the peer also selects pods by label): a peer
 *   with an empty namespaceSelector.
 * - EGRESS_TO_INTERNET (medium; low when ports are restricted): an egress rule to any address.
 * - POD_IP_IN_EXTERNAL_IPBLOCK (medium): an ipBlock wider than one address contains pod IPs;
 *   ipBlocks match pod IPs too, so those pods are admitted by it whatever their labels.
 * - RULE_SHADOWED_BY_ADMIN_TIER (medium when fully shadowed with a Deny; info when everything it
 *   admits is already accepted; low when partly denied): the Admin tier decides what a NetworkPolicy
 *   rule admits before NetworkPolicy is consulted (see adminShadow.ts).
 */
import { formatTier, rulesFor, tierRulesFor, type CompiledNetworkPolicy, type Direction } from "../compile/model.js";
import { isolatingPolicies } from "../eval/evaluatePair.js";
import { tieredPoliciesFor } from "../eval/tiers.js";
import { describePeer, describeRulePorts } from "../explain/describe.js";
import { buildMatrix, type ClassMatrix } from "../matrix/buildMatrix.js";
import { formatPolicy, formatWorkload } from "../model/ids.js";
import { formatIp, parseCidr } from "../net/ip.js";
import type { CompiledWorld } from "../compile/model.js";
import { compareWorkloads, findingsContext, listText, peerField, policyObject, workloadObject, workloadsOfClasses, type FindingsContext } from "./context.js";
import { adminShadowedRules } from "./adminShadow.js";
import { redundantRules } from "./redundancy.js";
import { severityRank, type Finding, type FindingObject, type Severity } from "./types.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];
/** Workloads or pods named in one finding's objects, at most. */
const MAX_OBJECTS = 20;

export interface FindingsOptions {
  /** The world's class matrix, when the caller has it. */
  readonly matrix?: ClassMatrix;
  /**
   * The namespaces the reader may see (default: all). Messages then name and count only pods and
   * namespaces the reader sees: a policy's peer that matches nothing is reported without naming
   * the other namespaces it looked in, and an ipBlock that contains pod IPs lists only visible pods
   * (no finding when it contains none). Which findings a reader gets at all is the caller's rule.
   */
  readonly visibleNamespace?: (namespace: string) => boolean;
}

export function findings(world: CompiledWorld, options: FindingsOptions = {}): Finding[] {
  const ctx = findingsContext(world, options.matrix ?? buildMatrix(world));
  const visible = options.visibleNamespace ?? (() => true);
  const out: Finding[] = [...isolation(ctx), ...defaultDeny(ctx), ...policies(ctx, visible), ...redundantRules(ctx), ...exposure(ctx), ...podIpsInBlocks(ctx, visible), ...adminShadowedRules(ctx)];
  return out.sort(compareFindings);
}

export function compareFindings(a: Finding, b: Finding): number {
  const key = (f: Finding) => `${f.namespace}\u0000${f.objects.map((o) => `${o.kind}/${o.name}/${o.field ?? ""}`).join(",")}\u0000${f.direction ?? ""}`;
  return severityRank(a.severity) - severityRank(b.severity) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

// --- isolation -----------------------------------------------------------------------------------

function isolation(ctx: FindingsContext): Finding[] {
  const { matrix, workloads, world } = ctx;
  const out: Finding[] = [];
  for (const dir of DIRECTIONS) {
    const governed = matrix.classes.classes.map((c) => {
      if (c.kind !== "pod") return true;
      const rep = ctx.representative(c.id);
      if (rep.kind === "pod" && rep.pod.hostNetwork) return true; // cannot be isolated: not reported
      return isolatingPolicies(world, rep, dir).length > 0 || tieredPoliciesFor(world, rep, dir).length > 0;
    });
    workloads.workloads.forEach((ref, w) => {
      const cls = workloads.classesOf[w]!;
      if (cls.some((c) => governed[c])) return;
      const ingress = dir === "ingress";
      out.push({
        kind: ingress ? "INGRESS_NOT_ISOLATED" : "EGRESS_NOT_ISOLATED",
        severity: ingress ? "medium" : "low",
        direction: dir,
        namespace: ref.namespace,
        message: `${formatWorkload(ref)} is not isolated for ${dir}: no policy selects its pods, so ${ingress ? "every source, inside or outside the cluster, may connect to it" : "it may connect anywhere"}`,
        hint: `add a NetworkPolicy in ${ref.namespace} selecting its pods with policyTypes [${ingress ? "Ingress" : "Egress"}] and rules for the ${ingress ? "sources" : "destinations"} it needs (or a namespace default-deny)`,
        objects: [workloadObject(ref)],
      });
    });
  }
  return out;
}

function defaultDeny(ctx: FindingsContext): Finding[] {
  const { world } = ctx;
  const out: Finding[] = [];
  const namespaces = new Map(world.pods.filter((p) => !p.hostNetwork).map((p) => [p.namespace.name, p.namespace]));
  for (const ns of [...namespaces.keys()].sort()) {
    const policies = world.policiesByNamespace.get(ns) ?? [];
    const labels = namespaces.get(ns)!.labels;
    for (const dir of DIRECTIONS) {
      if (policies.some((p) => p.podSelector.matchesEverything && rulesFor(p, dir) !== undefined)) continue;
      const ingress = dir === "ingress";
      const type = ingress ? "Ingress" : "Egress";
      const hint = `add a NetworkPolicy in ${ns} with podSelector: {} and policyTypes: [${type}] (no ${dir} rules), then allow what is needed`;
      // Cluster-scoped policies whose subject is every pod of the namespace govern a new pod there
      // too: it is not simply open, it gets what they leave open. Named by count only: the finding
      // belongs to the namespace, and tokens scoped to it do not see cluster-scoped policies.
      const covering = world.tieredPolicies.filter((p) => p.subject.podSelector.matchesEverything && p.subject.namespaceSelector.matches(labels) && tierRulesFor(p, dir).length > 0);
      out.push({
        kind: "NAMESPACE_WITHOUT_DEFAULT_DENY",
        direction: dir,
        namespace: ns,
        objects: [{ kind: "Namespace", namespace: "", name: ns }],
        ...(covering.length === 0
          ? {
              severity: ingress ? "medium" : "low",
              message: `namespace ${ns} has no default-deny for ${dir}: no NetworkPolicy with an empty podSelector isolates all its pods, so a new pod there is open for ${dir} until a policy selects it`,
              hint,
            }
          : {
              severity: "info",
              message: `namespace ${ns} has no NetworkPolicy default-deny for ${dir}, but ${covering.length} cluster-scoped ${covering.length === 1 ? "policy applies" : "policies apply"} to every pod there for ${dir} (${[...new Set(covering.map((p) => `${formatTier(p.tier)} tier`))].join(", ")}): a new pod there gets what ${covering.length === 1 ? "it leaves" : "they leave"} open until a NetworkPolicy selects it`,
              hint: `if the cluster-scoped policies are meant as the default, nothing to do; otherwise ${hint}`,
            }),
      });
    }
  }
  return out;
}

// --- policies and rules --------------------------------------------------------------------------

function policies(ctx: FindingsContext, visible: (namespace: string) => boolean): Finding[] {
  const { world, matrix } = ctx;
  const out: Finding[] = [];
  const podsIn = new Set(world.pods.map((p) => p.namespace.name));
  for (const p of world.networkPolicies) {
    const selects = [...new Set([...ctx.selected.ingress[p.index]!, ...ctx.selected.egress[p.index]!])];
    const affects = p.ingress !== undefined || p.egress !== undefined;
    if (affects && selects.length === 0 && podsIn.has(p.namespace))
      out.push({
        kind: "POLICY_SELECTS_NO_POD",
        severity: "low",
        namespace: p.namespace,
        message: `${formatPolicy(p.ref)} selects no pod: its podSelector ${p.podSelector} matches no pod of namespace ${p.namespace}`,
        hint: `fix the podSelector labels (compare with \`kubectl get pods -n ${p.namespace} --show-labels\`), or delete the policy`,
        objects: [policyObject(p, "spec.podSelector")],
      });
    for (const dir of DIRECTIONS) {
      for (const rule of rulesFor(p, dir) ?? []) {
        if (rule.peers !== "any")
          rule.peers.forEach((peer, i) => {
            if (peer.kind !== "selector" || ctx.peerClasses(peer).length > 0) return;
            const nsMatch = peer.namespaceSelector ? world.namespaces.filter((n) => peer.namespaceSelector!.matches(n.labels)) : [world.namespaceByName.get(peer.policyNamespace)!];
            const why =
              peer.namespaceSelector && nsMatch.length === 0
                ? `its namespaceSelector ${peer.namespaceSelector} matches no namespace`
                : !nsMatch.every((n) => visible(n.name))
                  ? `no pod matches its podSelector ${peer.podSelector} in the namespaces its namespaceSelector matches`
                  : `no pod matches its podSelector ${peer.podSelector} in ${nsMatch.length === 1 ? `namespace ${nsMatch[0]!.name}` : `the ${nsMatch.length} namespaces its namespaceSelector matches`}`;
            out.push({
              kind: "PEER_MATCHES_NOTHING",
              severity: "medium",
              direction: dir,
              namespace: p.namespace,
              message: `${formatPolicy(p.ref)} ${peerField(rule, i)} (${describePeer(peer, dir)}) matches nothing: ${why}`,
              hint: "fix the selector labels (namespaces carry kubernetes.io/metadata.name=<name>), or remove the peer",
              objects: [policyObject(p, peerField(rule, i))],
            });
          });
        if (rule.ports === "any" || selects.length === 0) continue;
        // Destinations: the selected pods for ingress, the matched pods for egress.
        const destinations = dir === "ingress" ? ctx.selected.ingress[p.index]! : ctx.ruleClasses(rule).filter((c) => ctx.isPodClass(c));
        if (destinations.length === 0) continue;
        rule.ports.forEach((port, i) => {
          if (port.kind !== "named") return;
          const defined = destinations.some((c) => matrix.classes.classes[c]!.namedPorts?.get(port.name)?.protocol === port.protocol);
          if (defined) return;
          out.push({
            kind: "NAMED_PORT_UNDEFINED",
            severity: "medium",
            direction: dir,
            namespace: p.namespace,
            message: `${formatPolicy(p.ref)} ${rule.field}.ports[${i}] names port "${port.name}" (${port.protocol}), which no ${dir === "ingress" ? "selected pod" : "destination of the rule"} defines: it admits nothing`,
            hint: `use a container port name the destination pods define (with protocol ${port.protocol}), or the port number`,
            objects: [policyObject(p, `${rule.field}.ports[${i}]`)],
          });
        });
      }
    }
  }
  return out;
}

// --- broad exposure ------------------------------------------------------------------------------

const isWholeFamily = (cidr: string) => parseCidr(cidr)?.prefix === 0;

function exposure(ctx: FindingsContext): Finding[] {
  const { world } = ctx;
  const out: Finding[] = [];
  for (const p of world.networkPolicies) {
    for (const dir of DIRECTIONS) {
      const selected = ctx.selected[dir][p.index]!;
      if (selected.length === 0) continue;
      const targets = workloadsOfClasses(ctx, selected);
      const targetText = listText(targets.map(formatWorkload));
      const targetObjects = targets.slice(0, MAX_OBJECTS).map(workloadObject);
      for (const rule of rulesFor(p, dir)!) {
        const allPorts = rule.ports === "any";
        const ports = describeRulePorts(rule);
        const internet =
          rule.peers === "any" ? "any address (the rule has no peer list)" : rule.peers.filter((x) => x.kind === "ipBlock" && isWholeFamily(x.cidr)).map((x) => describePeer(x, dir))[0];
        if (internet !== undefined && dir === "ingress")
          out.push(exposureFinding(p, dir, rule.field, "INGRESS_FROM_INTERNET", allPorts ? "high" : "medium", `${formatPolicy(p.ref)} ${rule.field} admits ingress from ${internet} on ${ports} to ${targetText}`, "restrict `from` to the CIDRs and peers that need access, and `ports` to the ports served", targetObjects));
        if (internet !== undefined && dir === "egress")
          out.push(exposureFinding(p, dir, rule.field, "EGRESS_TO_INTERNET", allPorts ? "medium" : "low", `${formatPolicy(p.ref)} ${rule.field} allows egress from ${targetText} to ${internet} on ${ports}`, "restrict `to` to the CIDRs (or peers) and `ports` the workloads need", targetObjects));
        if (dir !== "ingress" || rule.peers === "any") continue;
        rule.peers.forEach((peer, i) => {
          if (peer.kind !== "selector" || !peer.namespaceSelector?.matchesEverything) return;
          const everyPod = peer.podSelector.matchesEverything;
          out.push(
            exposureFinding(
              p,
              dir,
              peerField(rule, i),
              "INGRESS_FROM_ALL_NAMESPACES",
              everyPod ? "medium" : "low",
              `${formatPolicy(p.ref)} ${peerField(rule, i)} admits ingress from ${everyPod ? "every pod of every namespace" : `pods matching ${peer.podSelector} in every namespace`} on ${ports} to ${targetText}`,
              "name the namespaces that need access in namespaceSelector (e.g. kubernetes.io/metadata.name), not {}",
              targetObjects,
            ),
          );
        });
      }
    }
  }
  return out;
}

function exposureFinding(p: CompiledNetworkPolicy, direction: Direction, field: string, kind: Finding["kind"], severity: Severity, message: string, hint: string, targets: readonly FindingObject[]): Finding {
  return { kind, severity, direction, namespace: p.namespace, message, hint, objects: [policyObject(p, field), ...targets] };
}

function podIpsInBlocks(ctx: FindingsContext, visible: (namespace: string) => boolean): Finding[] {
  const { world, matrix } = ctx;
  const out: Finding[] = [];
  for (const p of world.networkPolicies)
    for (const dir of DIRECTIONS) {
      if (ctx.selected[dir][p.index]!.length === 0) continue;
      for (const rule of rulesFor(p, dir)!) {
        if (rule.peers === "any") continue;
        rule.peers.forEach((peer, i) => {
          if (peer.kind !== "ipBlock") return;
          const cidr = parseCidr(peer.cidr);
          if (!cidr || cidr.prefix === (cidr.range.family === 4 ? 32 : 128)) return; // one address: deliberate
          const pods = ctx
            .peerClasses(peer)
            .filter((c) => ctx.isPodClass(c))
            .flatMap((c) => matrix.classes.classes[c]!.pods.map((i) => world.pods[i]!))
            .filter((pod) => !pod.hostNetwork && pod.ip !== undefined && visible(pod.ref.namespace))
            .sort((a, b) => compareWorkloads(a.workload, b.workload) || (a.ref.name < b.ref.name ? -1 : 1));
          if (pods.length === 0) return;
          const names = pods.map((pod) => `${pod.ref.namespace}/${pod.ref.name} (${formatIp(pod.ip!)})`);
          out.push({
            kind: "POD_IP_IN_EXTERNAL_IPBLOCK",
            severity: "medium",
            direction: dir,
            namespace: p.namespace,
            message: `${formatPolicy(p.ref)} ${peerField(rule, i)} ipBlock ${peer.cidr}${peer.except.length ? ` except ${peer.except.join(", ")}` : ""} contains the IPs of ${pods.length} pod${pods.length === 1 ? "" : "s"}: ${listText(names)}; ipBlocks match pod IPs too, so the rule admits them whatever their labels`,
            hint: "add the pod network (e.g. 10.0.0.0/8) to `except`, and select pods with podSelector/namespaceSelector instead",
            objects: [policyObject(p, peerField(rule, i)), ...pods.slice(0, MAX_OBJECTS).map((pod): FindingObject => ({ kind: "Pod", namespace: pod.ref.namespace, name: pod.ref.name }))],
          });
        });
      }
    }
  return out;
}
