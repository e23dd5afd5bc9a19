/**
 * explain(from, to, port, protocol): the verdict with its reasons, rendered from what evaluatePair
 * recorded (the policies that isolate each side and the rules that matched), never re-derived.
 */
import type { CompiledPod, CompiledWorld, Direction } from "../compile/model.js";
import { evaluatePair, type DirectionVerdict, type PairVerdict, type RuleMatch } from "../eval/evaluatePair.js";
import { externalEndpoint, formatEndpoint, podEndpoint, type Endpoint } from "../eval/endpoint.js";
import { formatPolicy, formatWorkload, type PolicyRef } from "../model/ids.js";
import type { Protocol } from "../model/protocol.js";
import { formatIp } from "../net/ip.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import { PortSet } from "../ports/PortSet.js";
import { resolveEndpoint, type EndpointQuery } from "../query/resolve.js";
import { describePeer, describeRulePorts } from "./describe.js";

/**
 * UNKNOWN: denied by what kubereach knows, but the answer depends on a fact it does not hold
 * (a named port on an address it does not know as a pod, the IP of a pod not yet scheduled).
 */
export type Verdict = "ALLOWED" | "DENIED" | "UNKNOWN";

export interface RuleReason {
  readonly policy: PolicyRef;
  /** `spec.ingress[0]` */
  readonly rule: string;
  readonly peer: string;
  readonly ports: string;
}

export interface SideExplanation {
  readonly direction: Direction;
  readonly subject: string;
  readonly governed: boolean;
  readonly isolatedBy: readonly PolicyRef[];
  /** Rules that match the other end and admit the probed port. */
  readonly admittedBy: readonly RuleReason[];
  /** Rules that match the other end but not the probed port. */
  readonly nearMisses: readonly RuleReason[];
  readonly allowed: boolean;
  readonly reason: string;
}

export interface Explanation {
  readonly verdict: Verdict;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly self: boolean;
  readonly egress: SideExplanation;
  readonly ingress: SideExplanation;
  /** How many member pod pairs were evaluated and how many allow the port (workloads have several pods). */
  readonly podPairs: { readonly total: number; readonly allowed: number };
  /** Facts kubereach does not hold that could turn a denial into an allowance (the reasons for UNKNOWN). */
  readonly unknowns: readonly string[];
  /** Everything above as sentences, in reading order. */
  readonly summary: readonly string[];
}

export type ExplainResult =
  | { readonly ok: true; readonly explanation: Explanation }
  | { readonly ok: false; readonly code: "NOT_FOUND" | "AMBIGUOUS" | "INVALID"; readonly message: string };

interface Side {
  readonly label: string;
  readonly endpoints: readonly Endpoint[];
}

function toSide(world: CompiledWorld, q: EndpointQuery): { ok: true; side: Side } | { ok: false; code: "NOT_FOUND" | "AMBIGUOUS" | "INVALID"; message: string } {
  const r = resolveEndpoint(world, q);
  if (!r.ok) return r;
  if (r.type === "ip") return { ok: true, side: { label: `${formatIp(r.ip)}[External]`, endpoints: [externalEndpoint(r.ip)] } };
  // A pod named directly (not its workload) is labelled as that pod of its workload.
  const single = r.pods.length === 1 ? r.pods[0]! : undefined;
  const label = single && q.type === "workload" && q.name === single.ref.name && single.ref.name !== r.ref.name ? `${formatWorkload(r.ref)} (pod ${single.ref.name})` : formatWorkload(r.ref);
  return { ok: true, side: { label, endpoints: r.pods.map((p: CompiledPod) => podEndpoint(p)) } };
}

export function explain(world: CompiledWorld, from: EndpointQuery, to: EndpointQuery, port: number, protocol: Protocol): ExplainResult {
  const a = toSide(world, from);
  if (!a.ok) return a;
  const b = toSide(world, to);
  if (!b.ok) return b;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, code: "INVALID", message: `port ${port} is out of range: must be 1-65535` };
  const probe = ConnectionSet.of(protocol, PortSet.single(port));

  // Every member pod pair; a pod to itself only when the workload has a single pod.
  const verdicts: PairVerdict[] = [];
  for (const s of a.side.endpoints)
    for (const d of b.side.endpoints) {
      const same = s.kind === "pod" && d.kind === "pod" && s.pod === d.pod;
      if (same && (a.side.endpoints.length > 1 || b.side.endpoints.length > 1)) continue;
      verdicts.push(evaluatePair(world, s, d));
    }
  const allowedPairs = verdicts.filter((v) => !v.allowed.intersect(probe).isEmpty());
  // The workload-level answer is the union over member pods (as the connectivity list): show an allowing pair if any.
  const shown = allowedPairs[0] ?? verdicts[0]!;
  const egress = explainSide(shown.egress, shown, probe, port, protocol);
  const ingress = explainSide(shown.ingress, shown, probe, port, protocol);
  const unknowns = allowedPairs.length > 0 ? [] : [...new Set(verdicts.flatMap((v) => unknownFacts(v, probe)))];
  const verdict: Verdict = allowedPairs.length > 0 ? "ALLOWED" : unknowns.length > 0 ? "UNKNOWN" : "DENIED";
  const fromLabel = a.side.label;
  const toLabel = b.side.label;
  const summary: string[] = [`${fromLabel} => ${toLabel} on ${protocol} ${port}: ${verdict}`];
  if (shown.self) summary.push("a pod's traffic to itself is always allowed (\"a pod cannot block access to itself\", Kubernetes NetworkPolicy docs)");
  else summary.push(egress.reason, ingress.reason);
  summary.push(...unknowns.map((u) => `unknown: ${u}`));
  if (verdicts.length > 1 && allowedPairs.length !== 0 && allowedPairs.length !== verdicts.length)
    summary.push(`only ${allowedPairs.length} of ${verdicts.length} member pod pairs allow it (the pods are treated differently, e.g. by ipBlocks or named ports); shown: ${formatEndpoint(shown.src)} => ${formatEndpoint(shown.dst)}`);
  return {
    ok: true,
    explanation: {
      verdict,
      from: fromLabel,
      to: toLabel,
      port,
      protocol,
      self: shown.self,
      egress,
      ingress,
      podPairs: { total: verdicts.length, allowed: allowedPairs.length },
      unknowns,
      summary,
    },
  };
}

function ruleReason(m: RuleMatch, direction: Direction): RuleReason {
  return { policy: m.policy.ref, rule: m.rule.field, peer: describePeer(m.peer, direction), ports: describeRulePorts(m.rule) };
}

function explainSide(v: DirectionVerdict, pair: PairVerdict, probe: ConnectionSet, port: number, protocol: Protocol): SideExplanation {
  const subject = formatEndpoint(v.subject);
  const other = formatEndpoint(v.direction === "egress" ? pair.dst : pair.src);
  const dir = v.direction;
  const admitting = v.matches.filter((m) => !m.conn.intersect(probe).isEmpty());
  const near = v.matches.filter((m) => m.conn.intersect(probe).isEmpty());
  const base = {
    direction: dir,
    subject,
    governed: v.governed,
    isolatedBy: v.isolating.map((p) => p.ref),
    admittedBy: admitting.map((m) => ruleReason(m, dir)),
    nearMisses: near.map((m) => ruleReason(m, dir)),
  };
  if (!v.governed) return { ...base, allowed: true, reason: `${dir} of ${subject} is not governed by NetworkPolicy (an address outside the cluster's pods)` };
  if (v.isolating.length === 0)
    return { ...base, allowed: true, reason: `no NetworkPolicy selects ${subject} for ${dir}, so all ${dir} traffic is allowed` };
  if (admitting.length > 0) {
    const rules = admitting.map((m) => `${formatPolicy(m.policy.ref)} rule ${m.rule.field} (${dir === "ingress" ? "from" : "to"}: ${describePeer(m.peer, dir)}; ports: ${describeRulePorts(m.rule)})`);
    return { ...base, allowed: true, reason: `${dir} allowed by ${rules.join("; and by ")}` };
  }
  const policies = v.isolating.map((p) => formatPolicy(p.ref)).join(", ");
  let reason = `${dir} denied by default: ${subject} is isolated for ${dir} by ${policies}, and no ${dir} rule admits ${other} on ${protocol} ${port}`;
  if (near.length > 0)
    reason += ` (${near.map((m) => `${formatPolicy(m.policy.ref)} ${m.rule.field} matches ${other} but admits only ${m.conn.isEmpty() ? `${describeRulePorts(m.rule)}, which resolves to nothing here` : m.conn.key}`).join("; ")})`;
  return { ...base, allowed: false, reason };
}

/**
 * What a denial of `probe` depends on that kubereach cannot know:
 * - a rule toward an external address that names a port: if the address is in fact a pod kubereach
 *   has never seen, the name may resolve to the probed port;
 * - a pod without an IP facing ipBlock rules that admit the probe: they may match it once scheduled.
 */
function unknownFacts(v: PairVerdict, probe: ConnectionSet): string[] {
  const out: string[] = [];
  const admitsProbeSomehow = (rule: RuleMatch["rule"]) =>
    rule.ports === "any" || rule.ports.some((p) => p.kind === "named" || p.kind === "any" ? p.protocol === probeProtocol(probe) : !ConnectionSet.of(p.protocol, PortSet.range(p.from, p.to)).intersect(probe).isEmpty());
  if (v.dst.kind === "external" && v.egress.allowed.intersect(probe).isEmpty() && v.egress.isolating.length > 0) {
    for (const m of v.egress.matches) {
      const named = m.rule.ports === "any" ? [] : m.rule.ports.filter((p) => p.kind === "named" && p.protocol === probeProtocol(probe));
      for (const p of named)
        if (p.kind === "named")
          out.push(`${formatPolicy(m.policy.ref)} ${m.rule.field} admits the named port "${p.name}" toward ${formatEndpoint(v.dst)}; if that address is a pod kubereach has not seen, the name could resolve to the probed port`);
    }
  }
  for (const side of [v.egress, v.ingress]) {
    if (!side.allowed.intersect(probe).isEmpty() || side.isolating.length === 0) continue;
    const other = side.direction === "egress" ? v.dst : v.src;
    if (other.kind !== "pod" || other.pod.ip !== undefined) continue;
    for (const policy of side.isolating)
      for (const rule of (side.direction === "egress" ? policy.egress : policy.ingress) ?? [])
        if (rule.peers !== "any" && rule.peers.some((p) => p.kind === "ipBlock") && admitsProbeSomehow(rule))
          out.push(`${formatEndpoint(other)} has no IP yet, and ${formatPolicy(policy.ref)} ${rule.field} admits the probed port from ipBlocks that may match it once it is scheduled`);
  }
  return out;
}

function probeProtocol(probe: ConnectionSet): Protocol {
  return (["TCP", "UDP", "SCTP"] as const).find((p) => !probe.portsFor(p).isEmpty()) ?? "TCP";
}
