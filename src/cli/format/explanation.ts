/**
 * `explain` output. Text: the verdict line, the reasons in reading order (the engine's own
 * sentences), then the policies involved with the file each came from. JSON: the engine's
 * Explanation as is, plus those policy origins.
 */
import { formatPolicy, policyKey, type CompiledWorld, type Explanation, type PolicyRef } from "../../engine/index.js";
import { UnreachableFormat } from "./common.js";
import { appendAll } from "../../engine/util/appendAll.js";

import { EXPLAIN_FORMATS, type ExplainFormat } from "./formats.js";
export { EXPLAIN_FORMATS, type ExplainFormat };

interface InvolvedPolicy {
  readonly policy: string;
  readonly origin?: string;
}

export function formatExplanation(e: Explanation, world: CompiledWorld, format: ExplainFormat): string {
  const policies = involvedPolicies(e, world);
  switch (format) {
    case "json":
      return `${JSON.stringify({ ...e, policies }, null, 2)}\n`;
    case "text": {
      const lines = [`${e.verdict}: ${e.from} => ${e.to} on ${e.protocol} ${e.port}`, "reasons:", ...e.summary.slice(1).map((s) => `  - ${s}`)];
      if (policies.length > 0) appendAll(lines, ["policies involved:", ...policies.map((p) => `  - ${p.policy}${p.origin ? ` (${p.origin})` : ""}`)]);
      return `${lines.join("\n")}\n`;
    }
    default:
      throw new UnreachableFormat(format);
  }
}

function involvedPolicies(e: Explanation, world: CompiledWorld): InvolvedPolicy[] {
  const refs = new Map<string, PolicyRef>();
  for (const side of [e.egress, e.ingress])
    for (const ref of [
      ...(side.decidedBy ? [side.decidedBy.policy] : []),
      ...side.passedBy.map((r) => r.policy),
      ...side.isolatedBy,
      ...side.admittedBy.map((r) => r.policy),
      ...side.nearMisses.map((r) => r.policy),
    ])
      refs.set(policyKey(ref), ref);
  const origins = new Map([...world.networkPolicies, ...world.tieredPolicies].map((p) => [p.key as string, p.origin]));
  return [...refs.entries()].map(([key, ref]) => {
    const origin = origins.get(key);
    return origin ? { policy: formatPolicy(ref), origin } : { policy: formatPolicy(ref) };
  });
}
