/**
 * RULE_SHADOWED_BY_ADMIN_TIER: a NetworkPolicy rule that admits connections the Admin tier decides
 * before NetworkPolicy is consulted (SEMANTICS.md, "Cluster-scoped tiers": the Admin tier walks
 * first, by priority, and the first matching rule decides; Accept and Deny are final, Pass hands
 * the connection to NetworkPolicy).
 *
 * For each rule, over the pod classes its policy selects (subjects) and the classes its peers match,
 * the connections it admits toward each class pair (rulePortsToward, named ports resolved on the
 * destination) are put through the Admin tier's first-match walk for that pair: the subject's
 * Admin-tier policies (tieredPoliciesFor), their rules that match the other class (read from the
 * class matrix's peer groups, as tierMatrix.ts does; unresolvedPeerCouldMatch for nodes and
 * domainNames) and walkTier, the walk evaluatePair runs. Subjects with the same Admin policies share
 * the walks, and walks are shared by every class pair with the same matching rules. What the walk
 * accepts or denies never reaches the rule. Reported:
 * - fully shadowed, something of it denied (medium): the rule's allow never takes effect, and
 *   deleting the rule changes no connection;
 * - fully shadowed, all of it accepted (info): the rule is irrelevant while the Admin rule stands;
 * - partly shadowed by a Deny (low): some of what it admits is denied, with the number of workload
 *   pairs, the ports and a few examples.
 * (The wording is in adminShadowFinding.ts.)
 * Only Admin-tier policies can shadow NetworkPolicy: Pass rules hand over, the Baseline tier comes
 * after NetworkPolicy. A rule whose peer kubereach cannot resolve (nodes, domainNames) and that could
 * match the other end is walked as a Pass: what it might decide is never claimed as shadowed by a
 * later rule, so a claim holds whether or not that peer matches. A pod's traffic to itself (a
 * one-pod class toward itself) is left out: it is allowed whatever the policies say.
 */
import { rulesFor, tierRulesFor, type CompiledRule, type CompiledTieredPolicy, type CompiledTierRule, type Direction, type TierAction, type UnresolvedPeer } from "../compile/model.js";
import { rulePortsToward } from "../eval/matching.js";
import type { EndpointClass } from "../matrix/classes.js";
import { tieredPoliciesFor, unresolvedPeerCouldMatch, walkTier } from "../eval/tiers.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import { shadowFinding } from "./adminShadowFinding.js";
import type { FindingsContext } from "./context.js";
import type { Finding } from "./types.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

/**
 * Subject classes of one direction that the Admin tier treats alike: the same Admin-tier policies
 * and, for ingress (named ports resolve on the subject), the same values for the port names their
 * rules mention. Every walk is shared by the members of a group.
 */
interface SubjectGroup {
  readonly id: number;
  /** The rules of the Admin-tier policies, in evaluation order. */
  readonly rules: readonly AdminRule[];
  /** Per class: 1 when one of those rules matches it by a resolved peer (or has no peers). */
  readonly reach: Uint8Array;
  /** For ingress, a member: the destination whose named ports the Admin rules resolve on. */
  readonly namedOn: number | undefined;
  /** For ingress, those named ports as text (part of the walk keys). */
  readonly namedText: string;
  /** The walk toward each other class, computed on first use. */
  readonly walks: (AdminWalk | undefined)[];
}

/** An Admin-tier rule and the classes it matches. */
interface AdminRule {
  readonly id: number;
  readonly policy: CompiledTieredPolicy;
  readonly rule: CompiledTierRule;
  /** Per class: 1 when a resolved peer (selector, networks) matches it, or the rule has no peers. */
  readonly matches: Uint8Array;
  /** Peers kubereach cannot resolve (nodes, domainNames). */
  readonly unresolved: readonly UnresolvedPeer[];
  /** Whether its ports name ports (resolved on the destination). */
  readonly named: boolean;
}

interface AdminStep {
  readonly policy: CompiledTieredPolicy;
  readonly rule: CompiledTierRule;
  /** The rule's action, or "pass" for a rule whose unresolved peer only could match. */
  readonly action: TierAction;
  readonly conn: ConnectionSet;
}

/** What the walk decides of one connection set a NetworkPolicy rule admits. */
interface Outcome {
  /** Part of the set reaches NetworkPolicy (passed, or matched by no Admin rule). */
  readonly reaches: boolean;
  /** The steps that decide part of the set (Accept or Deny), with that part. */
  readonly parts: readonly { readonly step: AdminStep; readonly part: ConnectionSet }[];
  readonly denied: ConnectionSet;
}

interface AdminWalk {
  readonly steps: readonly AdminStep[];
  /** What each step decided: its conn minus what earlier steps decided. */
  readonly decided: readonly ConnectionSet[];
  /** Accepted or denied: decided by the Admin tier, never handed to NetworkPolicy. */
  readonly final: ConnectionSet;
  /** Outcomes by the connection set (interned: one object per distinct set). */
  readonly outcomes: Map<ConnectionSet, Outcome>;
}

/** A deciding tiered rule and the parts of the NetworkPolicy rule's connections it decides. */
export interface Attribution {
  readonly policy: CompiledTieredPolicy;
  readonly rule: CompiledTierRule;
  /** Few distinct objects (parts are memoised per walk): unioned once, when the finding is written. */
  readonly parts: Set<ConnectionSet>;
}

/** Subject classes toward another class where the Admin tier denies some of what the rule admits. */
export interface DeniedPair {
  readonly subjects: readonly number[];
  readonly other: number;
  readonly conn: ConnectionSet;
}

export interface RuleShadow {
  /** Something the rule admits reaches NetworkPolicy. */
  readonly reachesNetworkPolicy: boolean;
  readonly denied: readonly Attribution[];
  readonly accepted: readonly Attribution[];
  readonly deniedPairs: readonly DeniedPair[];
}

export function adminShadowedRules(ctx: FindingsContext): Finding[] {
  const { world } = ctx;
  if (!world.tieredPolicies.some((p) => p.tier === "admin")) return [];
  const shadows = shadowAnalysis(ctx);
  const out: Finding[] = [];
  for (const policy of world.networkPolicies)
    for (const direction of DIRECTIONS) {
      const subjects = ctx.selected[direction][policy.index]!;
      if (!subjects.some((s) => shadows.groupOf(s, direction))) continue;
      for (const rule of rulesFor(policy, direction)!) {
        const shadow = shadows.ofRule(rule, subjects);
        const finding = shadow && shadowFinding(ctx, policy, rule, shadow);
        if (finding) out.push(finding);
      }
    }
  return out;
}

/** The groups, walks and rule ports, memoised across rules. */
function shadowAnalysis(ctx: FindingsContext) {
  const { world } = ctx;
  const classes = ctx.matrix.classes.classes;
  const n = classes.length;

  // --- Admin rules: the classes their resolved peers match (the class matrix's peer groups, as in tierMatrix.ts) ---
  const ruleReach = new Map<CompiledTierRule, AdminRule>();
  const adminRule = (policy: CompiledTieredPolicy, rule: CompiledTierRule): AdminRule => {
    let hit = ruleReach.get(rule);
    if (hit) return hit;
    const matches = new Uint8Array(n);
    const unresolved: UnresolvedPeer[] = [];
    if (rule.peers === "any") matches.fill(1);
    else
      for (const peer of rule.peers) {
        if (peer.kind === "nodes" || peer.kind === "domainNames") unresolved.push(peer);
        else for (const o of ctx.peerClasses(peer)) matches[o] = 1;
      }
    const named = rule.ports !== "any" && rule.ports.some((p) => p.kind === "namedAny");
    ruleReach.set(rule, (hit = { id: ruleReach.size, policy, rule, matches, unresolved, named }));
    return hit;
  };

  // --- subject groups ---
  const groupsOf: Record<Direction, (SubjectGroup | null | undefined)[]> = { ingress: new Array(n), egress: new Array(n) };
  const groupByKey = new Map<string, SubjectGroup>();
  const rulesByKey = new Map<string, Pick<SubjectGroup, "rules" | "reach">>();
  const groupOf = (c: number, direction: Direction): SubjectGroup | undefined => {
    const hit = groupsOf[direction][c];
    if (hit !== undefined) return hit ?? undefined;
    const policies = tieredPoliciesFor(world, ctx.representative(c), direction).filter((p) => p.tier === "admin");
    if (policies.length === 0) {
      groupsOf[direction][c] = null;
      return undefined;
    }
    // For ingress the Admin rules' named ports resolve on the subject: only the names they mention split groups.
    const namedText = direction === "ingress" ? adminNamedPortsText(policies, classes[c]!) : "";
    const policiesKey = `${direction}:${policies.map((p) => p.index).join(",")}`;
    const key = `${policiesKey}|${namedText}`;
    let group = groupByKey.get(key);
    if (!group) {
      let shared = rulesByKey.get(policiesKey);
      if (!shared) {
        const rules = policies.flatMap((p) => tierRulesFor(p, direction).map((r) => adminRule(p, r)));
        const reach = new Uint8Array(n);
        for (const r of rules) for (let o = 0; o < n; o++) reach[o] |= r.matches[o]!;
        rulesByKey.set(policiesKey, (shared = { rules, reach }));
      }
      group = { id: groupByKey.size, ...shared, namedOn: direction === "ingress" ? c : undefined, namedText, walks: new Array(n) };
      groupByKey.set(key, group);
    }
    groupsOf[direction][c] = group;
    return group;
  };

  // --- what a rule's ports admit toward a destination class (named ports resolve on it), interned ---
  const interned = new Map<string, ConnectionSet>();
  const intern = (conn: ConnectionSet): ConnectionSet => {
    const hit = interned.get(conn.key);
    if (hit) return hit;
    interned.set(conn.key, conn);
    return conn;
  };
  /** One set for a rule without named ports; else by the destination's named ports. */
  const connMemo = new Map<CompiledRule, ConnectionSet | Map<string, ConnectionSet>>();
  const connToward = (rule: CompiledRule, dst: number): ConnectionSet => {
    const c = classes[dst]!;
    let m = connMemo.get(rule);
    if (!m) {
      const named = rule.ports !== "any" && rule.ports.some((p) => p.kind === "named");
      connMemo.set(rule, (m = named ? new Map() : intern(rulePortsToward(rule, undefined))));
    }
    if (m instanceof ConnectionSet) return m;
    let hit = m.get(c.namedPortsKey);
    if (!hit) m.set(c.namedPortsKey, (hit = intern(rulePortsToward(rule, c.namedPorts))));
    return hit;
  };

  // --- the Admin walk of a group toward another class, and what it decides of a rule's set ---
  // Walks are shared by every (group, class) whose matching rules (and, where those name ports, the
  // destination's named ports) are the same.
  const walkByKey = new Map<string, AdminWalk>();
  const walkOf = (group: SubjectGroup, direction: Direction, other: number): AdminWalk => {
    let hit = group.walks[other];
    if (hit) return hit;
    const external = classes[other]!.kind === "external" || world.pods[classes[other]!.pods[0]!]!.hostNetwork;
    const endpoint = external ? ctx.representative(other) : undefined;
    const matching: { r: AdminRule; action: TierAction }[] = [];
    let key = "";
    let named = false;
    for (const r of group.rules) {
      let action: TierAction;
      if (r.matches[other] === 1) action = r.rule.action;
      // A peer kubereach cannot resolve that could match the other end: walked as a Pass (see above).
      else if (endpoint && r.unresolved.some((p) => unresolvedPeerCouldMatch(p, endpoint))) action = "pass";
      else continue;
      matching.push({ r, action });
      key += action === r.rule.action ? `${r.id},` : `${r.id}u,`;
      if (r.named) named = true;
    }
    if (named) key += `|${direction === "ingress" ? group.namedText : classes[other]!.namedPortsKey}`;
    hit = walkByKey.get(key);
    if (!hit) {
      const namedPorts = classes[direction === "ingress" ? group.namedOn! : other]!.namedPorts;
      const steps = matching.map(({ r, action }): AdminStep => ({ policy: r.policy, rule: r.rule, action, conn: rulePortsToward(r.rule, namedPorts) }));
      const w = walkTier(
        steps.map((st) => ({ action: st.action, conn: st.conn, resolved: true })),
        ConnectionSet.ALL,
      );
      walkByKey.set(key, (hit = { steps, decided: w.decided, final: w.accepted.union(w.denied), outcomes: new Map() }));
    }
    group.walks[other] = hit;
    return hit;
  };
  const outcomeOf = (walk: AdminWalk, conn: ConnectionSet): Outcome => {
    let hit = walk.outcomes.get(conn);
    if (hit) return hit;
    const parts: { step: AdminStep; part: ConnectionSet }[] = [];
    let denied = ConnectionSet.NONE;
    walk.steps.forEach((step, i) => {
      if (step.action === "pass") return;
      const part = walk.decided[i]!.intersect(conn);
      if (part.isEmpty()) return;
      parts.push({ step, part });
      if (step.action === "deny") denied = denied.union(part);
    });
    walk.outcomes.set(conn, (hit = { reaches: !conn.isSubsetOf(walk.final), parts, denied }));
    return hit;
  };

  /** A one-pod class toward itself is that pod's traffic to itself. */
  const selfOnly = (s: number, o: number) => s === o && classes[s]!.pods.length < 2;

  const ofRule = (rule: CompiledRule, subjects: readonly number[]): RuleShadow | undefined => {
    const matched = ctx.ruleClasses(rule);
    if (matched.length === 0) return undefined;
    const direction = rule.direction;
    const ingress = direction === "ingress";
    let reachesNetworkPolicy = false;
    const denied = new Map<CompiledTierRule, Attribution>();
    const accepted = new Map<CompiledTierRule, Attribution>();
    const deniedPairs: DeniedPair[] = [];

    // Subjects by group and, for ingress, by what the rule admits toward them (its named ports
    // resolve on the subject); those without Admin-tier policies hand everything to NetworkPolicy.
    const buckets = new Map<string, { group: SubjectGroup; members: number[] }>();
    for (const s of subjects) {
      const group = groupOf(s, direction);
      if (!group) {
        if (!reachesNetworkPolicy) reachesNetworkPolicy = matched.some((o) => !selfOnly(s, o) && !connToward(rule, ingress ? s : o).isEmpty());
        continue;
      }
      const key = ingress ? `${group.id}|${connToward(rule, s).key}` : `${group.id}`;
      const bucket = buckets.get(key);
      if (bucket) bucket.members.push(s);
      else buckets.set(key, { group, members: [s] });
    }

    for (const { group, members: list } of buckets.values())
      for (const o of matched) {
        if (list.length === 1 && selfOnly(list[0]!, o)) continue;
        const conn = connToward(rule, ingress ? list[0]! : o);
        if (conn.isEmpty()) continue;
        if (group.reach[o] === 0) {
          reachesNetworkPolicy = true;
          continue;
        }
        const outcome = outcomeOf(walkOf(group, direction, o), conn);
        if (outcome.reaches) reachesNetworkPolicy = true;
        for (const { step, part } of outcome.parts) {
          const into = step.action === "deny" ? denied : accepted;
          const a = into.get(step.rule);
          if (a) a.parts.add(part);
          else into.set(step.rule, { policy: step.policy, rule: step.rule, parts: new Set([part]) });
        }
        if (!outcome.denied.isEmpty()) deniedPairs.push({ subjects: list, other: o, conn: outcome.denied });
      }
    const byOrder = (a: Attribution, b: Attribution) => a.policy.index - b.policy.index || a.rule.index - b.rule.index;
    return { reachesNetworkPolicy, denied: [...denied.values()].sort(byOrder), accepted: [...accepted.values()].sort(byOrder), deniedPairs };
  };

  return { groupOf, ofRule };
}

/** The subject's named ports among those the policies' rules name (`namedPort`, `destinationNamedPort`), as text. */
function adminNamedPortsText(policies: readonly CompiledTieredPolicy[], c: EndpointClass): string {
  if (!c.namedPorts) return "";
  const parts: string[] = [];
  for (const p of policies)
    for (const rule of p.ingress)
      if (rule.ports !== "any")
        for (const port of rule.ports) {
          if (port.kind !== "namedAny") continue;
          const np = c.namedPorts.get(port.name);
          if (np) parts.push(`${port.name}:${np.protocol}:${np.port}`);
        }
  return [...new Set(parts)].sort().join(",");
}
