/**
 * explain(from, to, port, protocol): the verdict with its reasons, rendered from what evaluatePair
 * recorded (the tiered rules that decided or passed each side, the NetworkPolicies that isolate it
 * and the rules that matched), never re-derived.
 */
import type { CompiledPod, CompiledTieredPolicy, CompiledTierRule, CompiledWorld, Direction, Tier, TierAction } from "../compile/model.js";
import { formatTier, formatTierAction } from "../compile/model.js";
import { evaluatePair, type DirectionVerdict, type PairVerdict, type RuleMatch, type TierMatch } from "../eval/evaluatePair.js";
import { externalEndpoint, formatEndpoint, podEndpoint, type Endpoint } from "../eval/endpoint.js";
import { formatPolicy, formatWorkload, type PolicyRef } from "../model/ids.js";
import type { Protocol } from "../model/protocol.js";
import { formatIp } from "../net/ip.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import { PortSet } from "../ports/PortSet.js";
import { resolveEndpoint, type EndpointQuery } from "../query/resolve.js";
import { describePeer, describeRulePorts, describeTierPeer, describeTierRule } from "./describe.js";
import { appendAll } from "../util/appendAll.js";

/**
 * UNKNOWN: the answer depends on a fact kubereach does not hold: a denial that a named port on an
 * address it does not know as a pod, or the IP of a pod not yet scheduled, could turn into an
 * allowance; or a verdict that a tiered rule with a `nodes` or `domainNames` peer (which kubereach
 * cannot resolve) would change if its peer matched.
 */
export type Verdict = "ALLOWED" | "DENIED" | "UNKNOWN";

export interface RuleReason {
  readonly policy: PolicyRef;
  /** `spec.ingress[0]` */
  readonly rule: string;
  readonly peer: string;
  readonly ports: string;
}

/** A rule of a cluster-scoped tier (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy). */
export interface TierRuleReason {
  readonly tier: Tier;
  readonly policy: PolicyRef;
  /** Undefined for the BaselineAdminNetworkPolicy, which has none. */
  readonly priority: number | undefined;
  /** `spec.egress[2]` */
  readonly rule: string;
  /** The rule's `name`, when it has one. */
  readonly ruleName: string | undefined;
  readonly action: TierAction;
  readonly peer: string;
  readonly ports: string;
}

/** Where a side's answer for the probed connection came from. */
export type DecidedIn = "admin" | "networkPolicy" | "baseline" | "default" | "ungoverned";

export interface SideExplanation {
  readonly direction: Direction;
  readonly subject: string;
  readonly governed: boolean;
  /** The tier that decided the probed connection: Admin, NetworkPolicy, Baseline, the default (allow), or none (an external address). */
  readonly decidedIn: DecidedIn;
  /** The tiered Accept/Deny rule that decided it, when a cluster-scoped tier did. */
  readonly decidedBy: TierRuleReason | undefined;
  /** Pass rules that handed the probed connection on to the next tier, in evaluation order. */
  readonly passedBy: readonly TierRuleReason[];
  /** Tiered policies applying to the subject for this direction, in evaluation order. */
  readonly tieredPolicies: readonly PolicyRef[];
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

export interface ExplainOptions {
  /**
   * False for a caller who may not see cluster-scoped policies (a token scoped to namespaces): a
   * decision of the Admin or Baseline tier is still reported, by tier and action, but the policy's
   * name, priority, rule and peers are not (see HIDDEN_TIERED_POLICY).
   */
  readonly showClusterScoped?: boolean;
}

/** What stands for a cluster-scoped policy's name, rule and peer when the caller may not see them. */
export const HIDDEN_TIERED_POLICY = "(a cluster-scoped policy not visible to this token)";

export function explain(world: CompiledWorld, from: EndpointQuery, to: EndpointQuery, port: number, protocol: Protocol, options: ExplainOptions = {}): ExplainResult {
  const hide = options.showClusterScoped === false;
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
  // Pairs whose answer an unresolved tiered peer (nodes, domainNames) could turn around.
  const flips = new Map(verdicts.map((v) => [v, unresolvedFlips(world, v, probe, hide)]));
  const certainlyAllowed = allowedPairs.filter((v) => flips.get(v)!.length === 0);
  // The workload-level answer is the union over member pods (as the connectivity list): show an allowing pair if any.
  const shown = certainlyAllowed[0] ?? allowedPairs[0] ?? verdicts[0]!;
  const egress = explainSide(shown.egress, shown, probe, port, protocol, hide);
  const ingress = explainSide(shown.ingress, shown, probe, port, protocol, hide);
  let unknowns: string[];
  if (certainlyAllowed.length > 0) unknowns = [];
  else if (allowedPairs.length > 0) unknowns = [...new Set(allowedPairs.flatMap((v) => flips.get(v)!))];
  else unknowns = [...new Set(verdicts.flatMap((v) => [...unknownFacts(v, probe), ...flips.get(v)!]))];
  const verdict: Verdict = certainlyAllowed.length > 0 ? "ALLOWED" : unknowns.length > 0 ? "UNKNOWN" : allowedPairs.length > 0 ? "ALLOWED" : "DENIED";
  const fromLabel = a.side.label;
  const toLabel = b.side.label;
  const summary: string[] = [`${fromLabel} => ${toLabel} on ${protocol} ${port}: ${verdict}`];
  if (shown.self) summary.push("a pod's traffic to itself is always allowed (\"a pod cannot block access to itself\", Kubernetes NetworkPolicy docs)");
  else summary.push(egress.reason, ingress.reason);
  appendAll(summary, unknowns.map((u) => `unknown: ${u}`));
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

function tierReason(m: TierMatch, direction: Direction, hide: boolean): TierRuleReason {
  if (hide)
    return { tier: m.tier, policy: { kind: "(hidden)", namespace: "", name: HIDDEN_TIERED_POLICY }, priority: undefined, rule: "", ruleName: undefined, action: m.rule.action, peer: HIDDEN_TIERED_POLICY, ports: HIDDEN_TIERED_POLICY };
  return {
    tier: m.tier,
    policy: m.policy.ref,
    priority: m.policy.priority,
    rule: m.rule.field,
    ruleName: m.rule.name,
    action: m.rule.action,
    peer: describeTierPeer(m.peer, direction),
    ports: describeRulePorts(m.rule),
  };
}

/** `ClusterNetworkPolicy x (Admin tier, priority 10) rule spec.ingress[0] "name" (Deny; from: ...; ports: ...)` */
function tierRuleSentence(m: TierMatch, direction: Direction, hide: boolean): string {
  if (hide) return hiddenTierRule(m.policy, m.rule);
  const text = describeTierRule(m.policy, m.rule);
  return `${text.slice(0, -1)}; ${direction === "ingress" ? "from" : "to"}: ${describeTierPeer(m.peer, direction)}; ports: ${describeRulePorts(m.rule)})`;
}

/** The tiered rule of `tier` that decided (or passed) the probe on this side, if any. */
function tierDecision(v: DirectionVerdict, tier: Tier, probe: ConnectionSet): TierMatch | undefined {
  return v.tierMatches.find((m) => m.tier === tier && !m.decided.intersect(probe).isEmpty());
}

/** A tiered rule as a caller who may not see cluster-scoped policies reads it: tier and action only. */
function hiddenTierRule(policy: CompiledTieredPolicy, rule: CompiledTierRule): string {
  return `a rule of a cluster-scoped policy of the ${formatTier(policy.tier)} tier (${formatTierAction(policy, rule.action)}; not visible to this token)`;
}

function explainSide(v: DirectionVerdict, pair: PairVerdict, probe: ConnectionSet, port: number, protocol: Protocol, hide: boolean): SideExplanation {
  const subject = formatEndpoint(v.subject);
  const other = formatEndpoint(v.direction === "egress" ? pair.dst : pair.src);
  const dir = v.direction;
  const admitting = v.matches.filter((m) => !m.conn.intersect(probe).isEmpty());
  const near = v.matches.filter((m) => m.conn.intersect(probe).isEmpty());
  const passedBy: TierRuleReason[] = [];
  const base = {
    direction: dir,
    subject,
    governed: v.governed,
    passedBy,
    tieredPolicies: hide ? [] : v.tiered.map((p) => p.ref),
    isolatedBy: v.isolating.map((p) => p.ref),
    admittedBy: admitting.map((m) => ruleReason(m, dir)),
    nearMisses: near.map((m) => ruleReason(m, dir)),
  };
  const side = (decidedIn: DecidedIn, allowed: boolean, reason: string, decidedBy?: TierMatch) => ({ ...base, decidedIn, decidedBy: decidedBy && tierReason(decidedBy, dir, hide), allowed, reason });
  if (!v.governed) return side("ungoverned", true, `${dir} of ${subject} is not governed by NetworkPolicy (an address outside the cluster's pods)`);

  // The Admin tier first: an Accept or Deny is final; a Pass hands the connection on.
  let prefix = "";
  const admin = tierDecision(v, "admin", probe);
  if (admin && admin.rule.action !== "pass") {
    const allowed = admin.rule.action === "accept";
    return side("admin", allowed, `${dir} ${allowed ? "allowed" : "denied"} by the Admin tier: ${tierRuleSentence(admin, dir, hide)}, before any NetworkPolicy`, admin);
  }
  if (admin) {
    passedBy.push(tierReason(admin, dir, hide));
    prefix = `the Admin tier passes ${dir} ${dir === "ingress" ? "from" : "to"} ${other} on to the next tier (${tierRuleSentence(admin, dir, hide)}); then `;
  } else if (v.tiered.some((p) => p.tier === "admin")) prefix = `no Admin-tier rule matches ${other} on ${protocol} ${port}; then `;

  if (v.isolating.length === 0) {
    // No NetworkPolicy selects the subject: the Baseline tier, then the default.
    const baseline = tierDecision(v, "baseline", probe);
    if (baseline && baseline.rule.action !== "pass") {
      const allowed = baseline.rule.action === "accept";
      return side("baseline", allowed, `${prefix}no NetworkPolicy selects ${subject} for ${dir}, and ${dir} is ${allowed ? "allowed" : "denied"} by the Baseline tier: ${tierRuleSentence(baseline, dir, hide)}`, baseline);
    }
    if (baseline) {
      passedBy.push(tierReason(baseline, dir, hide));
      return side("default", true, `${prefix}no NetworkPolicy selects ${subject} for ${dir}; the Baseline tier passes it (${tierRuleSentence(baseline, dir, hide)}), so it is allowed by default`);
    }
    if (v.tiered.length > 0)
      return side("default", true, `${prefix}no NetworkPolicy selects ${subject} for ${dir} and no Baseline-tier rule matches ${other} on ${protocol} ${port}, so it is allowed by default`);
    return side("default", true, `no NetworkPolicy selects ${subject} for ${dir}, so all ${dir} traffic is allowed`);
  }
  if (admitting.length > 0) {
    const rules = admitting.map((m) => `${formatPolicy(m.policy.ref)} rule ${m.rule.field} (${dir === "ingress" ? "from" : "to"}: ${describePeer(m.peer, dir)}; ports: ${describeRulePorts(m.rule)})`);
    return side("networkPolicy", true, `${prefix}${dir} allowed by ${rules.join("; and by ")}`);
  }
  const policies = v.isolating.map((p) => formatPolicy(p.ref)).join(", ");
  let reason = `${prefix}${dir} denied by default: ${subject} is isolated for ${dir} by ${policies}, and no ${dir} rule admits ${other} on ${protocol} ${port}`;
  if (near.length > 0)
    reason += ` (${near.map((m) => `${formatPolicy(m.policy.ref)} ${m.rule.field} matches ${other} but admits only ${m.conn.isEmpty() ? `${describeRulePorts(m.rule)}, which resolves to nothing here` : m.conn.key}`).join("; ")})`;
  if (v.tiered.some((p) => p.tier === "baseline")) reason += `; the Baseline tier does not apply to a pod a NetworkPolicy selects`;
  return side("networkPolicy", false, reason);
}

/**
 * Tiered rules with unresolved peers (nodes, domainNames) that could turn this pair's answer for
 * `probe` around if their peer matched: each is re-evaluated as matching (alone, then all together),
 * with the same evaluator.
 */
function unresolvedFlips(world: CompiledWorld, v: PairVerdict, probe: ConnectionSet, hide: boolean): string[] {
  const ruleText = (u: { policy: CompiledTieredPolicy; rule: CompiledTierRule }) => (hide ? hiddenTierRule(u.policy, u.rule) : describeTierRule(u.policy, u.rule));
  if (v.self) return [];
  const candidates = [...v.egress.unresolved, ...v.ingress.unresolved].filter((u) => !u.conn.intersect(probe).isEmpty());
  if (candidates.length === 0) return [];
  const allowed = !v.allowed.intersect(probe).isEmpty();
  const flipsWith = (rules: ReadonlySet<CompiledTierRule>) => !evaluatePair(world, v.src, v.dst, { assumeMatching: rules }).allowed.intersect(probe).isEmpty() !== allowed;
  const out: string[] = [];
  for (const u of candidates) {
    if (!flipsWith(new Set([u.rule]))) continue;
    const other = formatEndpoint(u.rule.direction === "egress" ? v.dst : v.src);
    const peerText = hide ? (u.peer.kind === "nodes" ? "nodes" : "domain names") : describeTierPeer(u.peer, u.rule.direction);
    const what = u.peer.kind === "nodes" ? `the node addresses of ${peerText}` : `what ${peerText} resolve to`;
    out.push(
      `${ruleText(u)} names ${peerText}, which kubereach cannot resolve; if ${other} is among ${what}, its ${formatTierAction(u.policy, u.rule.action)} would make the connection ${allowed ? "denied" : "allowed"}`,
    );
  }
  if (out.length === 0 && candidates.length > 1 && flipsWith(new Set(candidates.map((u) => u.rule))))
    out.push(`${candidates.map(ruleText).join(", ")} name nodes or domain names kubereach cannot resolve; if they all matched, the connection would be ${allowed ? "denied" : "allowed"}`);
  return out;
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
