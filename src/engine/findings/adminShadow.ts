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
 * The analysis is in adminShadowAnalysis.ts, the wording in adminShadowFinding.ts, and the types they
 * share in adminShadowTypes.ts (so the imports go one way: this file -> analysis, finding -> types).
 * Only Admin-tier policies can shadow NetworkPolicy: Pass rules hand over, the Baseline tier comes
 * after NetworkPolicy. A rule whose peer kubereach cannot resolve (nodes, domainNames) and that could
 * match the other end is walked as a Pass: what it might decide is never claimed as shadowed by a
 * later rule, so a claim holds whether or not that peer matches. A pod's traffic to itself (a
 * one-pod class toward itself) is left out: it is allowed whatever the policies say.
 */
import { rulesFor, type Direction } from "../compile/model.js";
import { AdminShadowAnalysis } from "./adminShadowAnalysis.js";
import { shadowFinding } from "./adminShadowFinding.js";
import type { FindingsContext } from "./context.js";
import type { Finding } from "./types.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

/** Every RULE_SHADOWED_BY_ADMIN_TIER finding of the world's NetworkPolicy rules (none without Admin-tier policies). */
export function adminShadowedRules(ctx: FindingsContext): Finding[] {
  const { world } = ctx;
  if (!world.tieredPolicies.some((p) => p.tier === "admin")) return [];
  const shadows = new AdminShadowAnalysis(ctx);
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
