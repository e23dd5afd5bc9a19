/**
 * REDUNDANT_RULE: a NetworkPolicy rule another rule makes redundant, in the current state. Rule A
 * covers rule B (same namespace, same direction) when every pod B's policy selects is selected by
 * A's policy, every endpoint class B's peers match is matched by A's peers, and toward every
 * destination B applies to, B's ports admit a subset of A's (named ports resolved per destination
 * with rulePortsToward). Then deleting B changes nothing: the isolated pods' union of rules is the
 * same. Of two rules that cover each other (duplicates), the later one is reported.
 * Coverage by several rules together is not looked for.
 */
import { rulesFor, type CompiledNetworkPolicy, type CompiledRule, type Direction } from "../compile/model.js";
import { rulePortsToward } from "../eval/matching.js";
import { formatPolicy } from "../model/ids.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";
import { isSubset, policyObject, type FindingsContext } from "./context.js";
import type { Finding } from "./types.js";

interface RuleEntry {
  readonly policy: CompiledNetworkPolicy;
  readonly rule: CompiledRule;
  readonly direction: Direction;
  readonly subjects: readonly number[];
  readonly matched: readonly number[];
  readonly named: boolean;
  /** (policy index, rule index): the order rules are written in. */
  readonly order: number;
}

export function redundantRules(ctx: FindingsContext): Finding[] {
  const out: Finding[] = [];
  const classes = ctx.matrix.classes.classes;
  const connMemo = new Map<CompiledRule, Map<string, ConnectionSet>>();
  const connToward = (rule: CompiledRule, dst: number | undefined): ConnectionSet => {
    const c = dst === undefined ? undefined : classes[dst]!;
    const key = c?.namedPortsKey ?? "";
    let m = connMemo.get(rule);
    if (!m) connMemo.set(rule, (m = new Map()));
    let hit = m.get(key);
    if (!hit) m.set(key, (hit = rulePortsToward(rule, c?.namedPorts)));
    return hit;
  };
  const portsCovered = (b: RuleEntry, a: RuleEntry): boolean => {
    if (!a.named && !b.named) return connToward(b.rule, undefined).isSubsetOf(connToward(a.rule, undefined));
    const destinations = b.direction === "ingress" ? b.subjects : b.matched;
    return destinations.every((d) => connToward(b.rule, d).isSubsetOf(connToward(a.rule, d)));
  };
  const covers = (a: RuleEntry, b: RuleEntry) => isSubset(b.subjects, a.subjects) && isSubset(b.matched, a.matched) && portsCovered(b, a);

  for (const [, policies] of [...ctx.world.policiesByNamespace].sort(([x], [y]) => (x < y ? -1 : 1)))
    for (const direction of ["ingress", "egress"] as const) {
      const entries: RuleEntry[] = [];
      for (const policy of policies) {
        const subjects = ctx.selected[direction][policy.index]!;
        if (subjects.length === 0) continue;
        for (const rule of rulesFor(policy, direction) ?? []) {
          const matched = ctx.ruleClasses(rule);
          if (matched.length === 0) continue; // matches nothing: reported as PEER_MATCHES_NOTHING
          const named = rule.ports !== "any" && rule.ports.some((p) => p.kind === "named");
          entries.push({ policy, rule, direction, subjects, matched, named, order: policy.index * 10_000 + rule.index });
        }
      }
      for (const b of entries) {
        if (connToward(b.rule, undefined).isEmpty() && !b.named) continue;
        const by = entries.find((a) => a !== b && covers(a, b) && (a.order < b.order || !covers(b, a)));
        if (!by) continue;
        out.push({
          kind: "REDUNDANT_RULE",
          severity: "low",
          direction,
          namespace: b.policy.namespace,
          message: `${formatPolicy(b.policy.ref)} ${b.rule.field} is redundant: ${formatPolicy(by.policy.ref)} ${by.rule.field} already allows everything it allows (it applies to every pod this rule does, matches every peer it matches and admits every port it admits)`,
          hint: `delete ${b.rule.field} from ${b.policy.ref.name} (or merge the two rules)`,
          objects: [policyObject(b.policy, b.rule.field), policyObject(by.policy, by.rule.field)],
        });
      }
    }
  return out;
}
