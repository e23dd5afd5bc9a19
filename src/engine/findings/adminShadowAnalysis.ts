/**
 * The analysis behind RULE_SHADOWED_BY_ADMIN_TIER (adminShadow.ts explains the semantics): for a
 * NetworkPolicy rule, what the Admin tier decides of the connections it admits, over the class pairs
 * of its subjects and peers. One instance per findings run memoises, across rules, the Admin rules'
 * matched classes, the subject groups, the ports' connection sets and the Admin walks.
 */
import { tierRulesFor, type CompiledRule, type CompiledTieredPolicy, type CompiledTierRule, type Direction, type TierAction, type UnresolvedPeer } from "../compile/model.js";
import { rulePortsToward } from "../eval/matching.js";
import { tieredPoliciesFor, unresolvedPeerCouldMatch, walkTier } from "../eval/tiers.js";
import type { EndpointClass } from "../matrix/classes.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import type { AdminRule, AdminStep, AdminWalk, Attribution, DeniedPair, Outcome, RuleShadow, SubjectGroup } from "./adminShadowTypes.js";
import type { FindingsContext } from "./context.js";

/** Subjects of one group (and, for ingress, one connection set of the rule toward them). */
interface Bucket {
  readonly group: SubjectGroup;
  readonly members: number[];
}

/** What the Admin tier decides of one rule, gathered over its class pairs. */
interface RuleTally {
  reachesNetworkPolicy: boolean;
  readonly denied: Map<CompiledTierRule, Attribution>;
  readonly accepted: Map<CompiledTierRule, Attribution>;
  readonly deniedPairs: DeniedPair[];
}

const byOrder = (a: Attribution, b: Attribution) => a.policy.index - b.policy.index || a.rule.index - b.rule.index;

/** The groups, walks and rule ports, memoised across rules. */
export class AdminShadowAnalysis {
  private readonly classes: readonly EndpointClass[];
  private readonly n: number;
  /** Admin rules and the classes their resolved peers match, by rule. */
  private readonly ruleReach = new Map<CompiledTierRule, AdminRule>();
  /** Per direction and class: its group, null when no Admin-tier policy applies, undefined before asked. */
  private readonly groupsOf: Record<Direction, (SubjectGroup | null | undefined)[]>;
  private readonly groupByKey = new Map<string, SubjectGroup>();
  private readonly rulesByKey = new Map<string, Pick<SubjectGroup, "rules" | "reach">>();
  /** Connection sets by key: one object per distinct set, so outcomes can be memoised by identity. */
  private readonly interned = new Map<string, ConnectionSet>();
  /** One set for a rule without named ports; else by the destination's named ports. */
  private readonly connMemo = new Map<CompiledRule, ConnectionSet | Map<string, ConnectionSet>>();
  /** Walks shared by every (group, class) with the same matching rules (and named ports where those name ports). */
  private readonly walkByKey = new Map<string, AdminWalk>();

  constructor(private readonly ctx: FindingsContext) {
    this.classes = ctx.matrix.classes.classes;
    this.n = this.classes.length;
    this.groupsOf = { ingress: new Array(this.n), egress: new Array(this.n) };
  }

  /** The group of subject class `c` for a direction; undefined when no Admin-tier policy selects it. */
  groupOf(c: number, direction: Direction): SubjectGroup | undefined {
    const hit = this.groupsOf[direction][c];
    if (hit !== undefined) return hit ?? undefined;
    const policies = tieredPoliciesFor(this.ctx.world, this.ctx.representative(c), direction).filter((p) => p.tier === "admin");
    if (policies.length === 0) {
      this.groupsOf[direction][c] = null;
      return undefined;
    }
    // For ingress the Admin rules' named ports resolve on the subject: only the names they mention split groups.
    const namedText = direction === "ingress" ? adminNamedPortsText(policies, this.classes[c]!) : "";
    const policiesKey = `${direction}:${policies.map((p) => p.index).join(",")}`;
    const key = `${policiesKey}|${namedText}`;
    let group = this.groupByKey.get(key);
    if (!group) {
      const shared = this.rulesOfPolicies(policies, direction, policiesKey);
      group = { id: this.groupByKey.size, ...shared, namedOn: direction === "ingress" ? c : undefined, namedText, walks: new Array(this.n) };
      this.groupByKey.set(key, group);
    }
    this.groupsOf[direction][c] = group;
    return group;
  }

  /** What the Admin tier decides of what `rule` admits for `subjects` (the classes its policy selects); undefined when its peers match no class. */
  ofRule(rule: CompiledRule, subjects: readonly number[]): RuleShadow | undefined {
    const matched = this.ctx.ruleClasses(rule);
    if (matched.length === 0) return undefined;
    const tally: RuleTally = { reachesNetworkPolicy: false, denied: new Map(), accepted: new Map(), deniedPairs: [] };
    const buckets = this.bucketSubjects(rule, subjects, matched, tally);
    for (const bucket of buckets) for (const o of matched) this.tallyPair(rule, bucket, o, tally);
    const { reachesNetworkPolicy, denied, accepted, deniedPairs } = tally;
    return { reachesNetworkPolicy, denied: [...denied.values()].sort(byOrder), accepted: [...accepted.values()].sort(byOrder), deniedPairs };
  }

  /**
   * Subjects by group and, for ingress, by what the rule admits toward them (its named ports
   * resolve on the subject); those without Admin-tier policies hand everything to NetworkPolicy.
   */
  private bucketSubjects(rule: CompiledRule, subjects: readonly number[], matched: readonly number[], tally: RuleTally): Iterable<Bucket> {
    const ingress = rule.direction === "ingress";
    const buckets = new Map<string, Bucket>();
    for (const s of subjects) {
      const group = this.groupOf(s, rule.direction);
      if (!group) {
        if (!tally.reachesNetworkPolicy) tally.reachesNetworkPolicy = matched.some((o) => !this.selfOnly(s, o) && !this.connToward(rule, ingress ? s : o).isEmpty());
        continue;
      }
      const key = ingress ? `${group.id}|${this.connToward(rule, s).key}` : `${group.id}`;
      const bucket = buckets.get(key);
      if (bucket) bucket.members.push(s);
      else buckets.set(key, { group, members: [s] });
    }
    return buckets.values();
  }

  /** Adds what the Admin walk of a bucket toward class `o` decides of the rule's connections to the tally. */
  private tallyPair(rule: CompiledRule, { group, members: list }: Bucket, o: number, tally: RuleTally): void {
    if (list.length === 1 && this.selfOnly(list[0]!, o)) return;
    const conn = this.connToward(rule, rule.direction === "ingress" ? list[0]! : o);
    if (conn.isEmpty()) return;
    if (group.reach[o] === 0) {
      tally.reachesNetworkPolicy = true;
      return;
    }
    const outcome = this.outcomeOf(this.walkOf(group, rule.direction, o), conn);
    if (outcome.reaches) tally.reachesNetworkPolicy = true;
    for (const { step, part } of outcome.parts) {
      const into = step.action === "deny" ? tally.denied : tally.accepted;
      const a = into.get(step.rule);
      if (a) a.parts.add(part);
      else into.set(step.rule, { policy: step.policy, rule: step.rule, parts: new Set([part]) });
    }
    if (!outcome.denied.isEmpty()) tally.deniedPairs.push({ subjects: list, other: o, conn: outcome.denied });
  }

  /** The Admin rules of a policy list and the classes any of them matches, shared by the groups of that list. */
  private rulesOfPolicies(policies: readonly CompiledTieredPolicy[], direction: Direction, policiesKey: string): Pick<SubjectGroup, "rules" | "reach"> {
    let shared = this.rulesByKey.get(policiesKey);
    if (shared) return shared;
    const rules = policies.flatMap((p) => tierRulesFor(p, direction).map((r) => this.adminRule(p, r)));
    const reach = new Uint8Array(this.n);
    for (const r of rules) for (let o = 0; o < this.n; o++) reach[o] |= r.matches[o]!;
    this.rulesByKey.set(policiesKey, (shared = { rules, reach }));
    return shared;
  }

  /** An Admin rule and the classes its resolved peers match (the class matrix's peer groups, as in tierMatrix.ts). */
  private adminRule(policy: CompiledTieredPolicy, rule: CompiledTierRule): AdminRule {
    let hit = this.ruleReach.get(rule);
    if (hit) return hit;
    const matches = new Uint8Array(this.n);
    const unresolved: UnresolvedPeer[] = [];
    if (rule.peers === "any") matches.fill(1);
    else
      for (const peer of rule.peers) {
        if (peer.kind === "nodes" || peer.kind === "domainNames") unresolved.push(peer);
        else for (const o of this.ctx.peerClasses(peer)) matches[o] = 1;
      }
    const named = rule.ports !== "any" && rule.ports.some((p) => p.kind === "namedAny");
    this.ruleReach.set(rule, (hit = { id: this.ruleReach.size, policy, rule, matches, unresolved, named }));
    return hit;
  }

  /** The one object of this set's key (outcomes are memoised by the set's identity). */
  private intern(conn: ConnectionSet): ConnectionSet {
    const hit = this.interned.get(conn.key);
    if (hit) return hit;
    this.interned.set(conn.key, conn);
    return conn;
  }

  /** What a rule's ports admit toward a destination class (named ports resolve on it), interned. */
  private connToward(rule: CompiledRule, dst: number): ConnectionSet {
    const c = this.classes[dst]!;
    let m = this.connMemo.get(rule);
    if (!m) {
      const named = rule.ports !== "any" && rule.ports.some((p) => p.kind === "named");
      this.connMemo.set(rule, (m = named ? new Map() : this.intern(rulePortsToward(rule, undefined))));
    }
    if (m instanceof ConnectionSet) return m;
    let hit = m.get(c.namedPortsKey);
    if (!hit) m.set(c.namedPortsKey, (hit = this.intern(rulePortsToward(rule, c.namedPorts))));
    return hit;
  }

  /** The Admin walk of a group toward another class, shared through its key by every pair with the same matching rules. */
  private walkOf(group: SubjectGroup, direction: Direction, other: number): AdminWalk {
    let hit = group.walks[other];
    if (hit) return hit;
    const { matching, key } = this.matchingRules(group, direction, other);
    hit = this.walkByKey.get(key);
    if (!hit) {
      const namedPorts = this.classes[direction === "ingress" ? group.namedOn! : other]!.namedPorts;
      const steps = matching.map(({ r, action }): AdminStep => ({ policy: r.policy, rule: r.rule, action, conn: rulePortsToward(r.rule, namedPorts) }));
      const w = walkTier(
        steps.map((st) => ({ action: st.action, conn: st.conn, resolved: true })),
        ConnectionSet.ALL,
      );
      this.walkByKey.set(key, (hit = { steps, decided: w.decided, final: w.accepted.union(w.denied), outcomes: new Map() }));
    }
    group.walks[other] = hit;
    return hit;
  }

  /**
   * The group's rules that match class `other`, with the action each is walked with, and the walk's
   * key: their ids (and, where they name ports, the named ports the walk resolves them on).
   */
  private matchingRules(group: SubjectGroup, direction: Direction, other: number): { matching: { r: AdminRule; action: TierAction }[]; key: string } {
    const classes = this.classes;
    const external = classes[other]!.kind === "external" || this.ctx.world.pods[classes[other]!.pods[0]!]!.hostNetwork;
    const endpoint = external ? this.ctx.representative(other) : undefined;
    const matching: { r: AdminRule; action: TierAction }[] = [];
    let key = "";
    let named = false;
    for (const r of group.rules) {
      let action: TierAction;
      if (r.matches[other] === 1) action = r.rule.action;
      // A peer kubereach cannot resolve that could match the other end: walked as a Pass (see adminShadow.ts).
      else if (endpoint && r.unresolved.some((p) => unresolvedPeerCouldMatch(p, endpoint))) action = "pass";
      else continue;
      matching.push({ r, action });
      key += action === r.rule.action ? `${r.id},` : `${r.id}u,`;
      if (r.named) named = true;
    }
    if (named) key += `|${direction === "ingress" ? group.namedText : classes[other]!.namedPortsKey}`;
    return { matching, key };
  }

  /** What a walk decides of one connection set a NetworkPolicy rule admits (memoised per walk by the interned set). */
  private outcomeOf(walk: AdminWalk, conn: ConnectionSet): Outcome {
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
  }

  /** A one-pod class toward itself is that pod's traffic to itself. */
  private selfOnly(s: number, o: number): boolean {
    return s === o && this.classes[s]!.pods.length < 2;
  }
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
