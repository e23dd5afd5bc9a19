/**
 * The RULE_SHADOWED_BY_ADMIN_TIER finding of one NetworkPolicy rule, from what adminShadow.ts found:
 * its severity, the sentence naming the deciding Admin-tier rules (policy, priority, rule, action, as
 * explanations name them), and for a partial shadow the ports, the number of workload pairs and a
 * few examples. Wording only: no policy semantics here.
 */
import type { CompiledNetworkPolicy, CompiledRule, Direction } from "../compile/model.js";
import { describeTierRule } from "../explain/describe.js";
import { formatPolicy, formatWorkload } from "../model/ids.js";
import { formatIpRange } from "../net/ip.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import type { Attribution, DeniedPair, RuleShadow } from "./adminShadowTypes.js";
import { listText, policyObject, type FindingsContext } from "./context.js";
import type { Finding, FindingObject } from "./types.js";

/** Example pairs named in a partial finding's message. */
const MAX_EXAMPLES = 3;
/** Deciding tiered rules named in one message. */
const MAX_RULES = 3;
/** Deciding tiered rules among one finding's objects. */
const MAX_OBJECTS = 20;
/** Distinct workload pairs counted exactly up to this many, then reported as "at least". */
const MAX_COUNTED_PAIRS = 10_000;

export function shadowFinding(ctx: FindingsContext, policy: CompiledNetworkPolicy, rule: CompiledRule, shadow: RuleShadow): Finding | undefined {
  const { denied, accepted, reachesNetworkPolicy } = shadow;
  if (denied.length === 0 && (accepted.length === 0 || reachesNetworkPolicy)) return undefined;
  const direction = rule.direction;
  const subject = `${formatPolicy(policy.ref)} ${rule.field}`;
  const rules = (list: readonly Attribution[]) => listText(list.map((a) => describeTierRule(a.policy, a.rule)), MAX_RULES);
  const union = (list: readonly Attribution[]) => {
    let out = ConnectionSet.NONE;
    for (const a of list) for (const part of a.parts) out = out.union(part);
    return out;
  };
  // The deciding rules the message names: a partial finding is about the Deny rules only.
  const deciding = reachesNetworkPolicy ? denied : [...denied, ...accepted];
  const objects: FindingObject[] = [policyObject(policy, rule.field), ...deciding.slice(0, MAX_OBJECTS).map(tieredRuleObject)];
  const base = { kind: "RULE_SHADOWED_BY_ADMIN_TIER", direction, namespace: policy.namespace, objects } as const;

  if (!reachesNetworkPolicy && denied.length === 0)
    return {
      ...base,
      severity: "info",
      message: `${subject} is irrelevant: everything it admits is already accepted by ${rules(accepted)}, before NetworkPolicy is consulted`,
      hint: `delete ${rule.field} from ${policy.ref.name}, or keep it as a fallback for when the Admin-tier rule is removed`,
    };
  if (!reachesNetworkPolicy) {
    const how =
      accepted.length === 0
        ? `everything it admits is denied by ${rules(denied)}`
        : `the Admin tier decides everything it admits: ${union(denied).key} denied by ${rules(denied)}; ${union(accepted).key} already accepted by ${rules(accepted)}`;
    return {
      ...base,
      severity: "medium",
      message: `${subject} never takes effect: ${how}, before NetworkPolicy is consulted`,
      hint: `delete ${rule.field} from ${policy.ref.name}; if the traffic is needed, have the Admin tier pass it to NetworkPolicy (a Pass rule before the Deny) or accept it`,
    };
  }
  const { count, examples } = deniedExamples(ctx, direction, shadow.deniedPairs);
  return {
    ...base,
    severity: "low",
    message: `${subject} is partly shadowed by the Admin tier: ${union(denied).key} of what it admits is denied for ${count} workload pair${count === "1" ? "" : "s"} by ${rules(denied)}, before NetworkPolicy is consulted (e.g. ${examples.join("; ")})`,
    hint: `narrow ${rule.field} of ${policy.ref.name} to what the Admin tier leaves to NetworkPolicy; if the denied traffic is needed, have the Admin tier pass or accept it`,
  };
}

function tieredRuleObject(a: Attribution): FindingObject {
  const p = a.policy;
  return { kind: p.ref.kind, namespace: p.ref.namespace, name: p.ref.name, field: a.rule.field, ...(p.origin !== undefined ? { origin: p.origin } : {}) };
}

/**
 * Distinct (subject workload, other workload or external range) pairs where something is denied,
 * counted up to MAX_COUNTED_PAIRS, and the first few as `src -> dst on conn`.
 */
function deniedExamples(ctx: FindingsContext, direction: Direction, pairs: readonly DeniedPair[]): { count: string; examples: string[] } {
  const { classes, partition } = ctx.matrix.classes;
  const { workloads, ofClass } = ctx.workloads;
  // Pair ids: subject workload * width + (other workload, or workloads.length + atom).
  const width = workloads.length + partition.atoms.length;
  const seen = new Set<number>();
  const examples: string[] = [];
  let capped = false;
  const text = (other: number, index: number) =>
    classes[other]!.kind === "pod" ? formatWorkload(workloads[index]!) : `${formatIpRange(partition.atoms[index - workloads.length]!)}[External]`;
  pairs: for (const { subjects, other, conn } of pairs) {
    const c = classes[other]!;
    const others = c.kind === "pod" ? ofClass[other]! : c.atoms.map((a) => workloads.length + a);
    for (const s of subjects) {
      if (s === other && c.pods.length < 2) continue; // a pod's traffic to itself
      for (const w of ofClass[s]!)
        for (const x of others) {
          const id = w * width + x;
          if (seen.has(id)) continue;
          if (seen.size >= MAX_COUNTED_PAIRS) {
            capped = true;
            break pairs;
          }
          seen.add(id);
          if (examples.length < MAX_EXAMPLES) {
            const mine = formatWorkload(workloads[w]!);
            const theirs = text(other, x);
            examples.push(`${direction === "ingress" ? `${theirs} -> ${mine}` : `${mine} -> ${theirs}`} on ${conn.key}`);
          }
        }
    }
  }
  return { count: capped ? `at least ${seen.size}` : `${seen.size}`, examples };
}
