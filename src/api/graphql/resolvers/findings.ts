/** The findings query: weak spots of the latest generation's policies, scoped to the caller's namespaces. */
import { severityRank, type Finding } from "../../../engine/index.js";
import type { QueryResolvers, Severity } from "../../../generated/graphql.js";
import { simulationService } from "./simulate.js";

const SEVERITY: Readonly<Record<Finding["severity"], Severity>> = { high: "HIGH", medium: "MEDIUM", low: "LOW", info: "INFO" };
const FROM_SEVERITY: Readonly<Record<Severity, Finding["severity"]>> = { HIGH: "high", MEDIUM: "medium", LOW: "low", INFO: "info" };

export const findingsQueries: Pick<QueryResolvers, "findings"> = {
  async findings(_, args, ctx) {
    const a = await simulationService(ctx).findings(ctx.scope, { cluster: args.cluster, namespace: args.namespace });
    const min = severityRank(FROM_SEVERITY[args.minSeverity ?? "INFO"]);
    return {
      cluster: a.cluster,
      generation: a.generation,
      findings: a.findings
        .filter((f) => severityRank(f.severity) <= min)
        .map((f) => ({
          kind: f.kind,
          severity: SEVERITY[f.severity],
          direction: f.direction === undefined ? null : f.direction === "ingress" ? ("INGRESS" as const) : ("EGRESS" as const),
          namespace: f.namespace,
          message: f.message,
          hint: f.hint,
          objects: f.objects.map((o) => ({ kind: o.kind, namespace: o.namespace, name: o.name, field: o.field ?? null })),
        })),
    };
  },
};
