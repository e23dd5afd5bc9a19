/**
 * CI gates over a semantic diff (`kubereach diff --fail-on`): a small vocabulary of rules, each a
 * predicate on one row's gained and lost connections. A rule trips when any row satisfies it.
 */
import type { DiffRow } from "../diff/diffConnectivity.js";
import type { ConnEndpoint } from "../matrix/connectivity.js";

export const FAIL_ON_RULES = [
  "added-any",
  "removed-any",
  "changed-any",
  "added-external-ingress",
  "added-external-egress",
  "added-cross-namespace",
  "added-same-namespace",
  "added-all-connections",
  "removed-external-ingress",
  "removed-external-egress",
  "removed-cross-namespace",
  "removed-same-namespace",
] as const;
export type FailOnRule = (typeof FAIL_ON_RULES)[number];

/** One line per rule, for --help. "Gains" = the row's connections after minus before; "loses" = before minus after. */
export const FAIL_ON_DESCRIPTIONS: Readonly<Record<FailOnRule, string>> = {
  "added-any": "any row gains connections (a new pair, or more ports on a pair)",
  "removed-any": "any row loses connections (a pair cut off, or fewer ports)",
  "changed-any": "any row at all (anything gained or lost)",
  "added-external-ingress": "a row from an external range to a workload gains connections",
  "added-external-egress": "a row from a workload to an external range gains connections",
  "added-cross-namespace": "a row between workloads of two different namespaces gains connections",
  "added-same-namespace": "a row between two workloads of one namespace gains connections",
  "added-all-connections": "a row becomes All Connections (every port of every protocol)",
  "removed-external-ingress": "a row from an external range to a workload loses connections",
  "removed-external-egress": "a row from a workload to an external range loses connections",
  "removed-cross-namespace": "a row between workloads of two different namespaces loses connections",
  "removed-same-namespace": "a row between two workloads of one namespace loses connections",
};

export function isFailOnRule(s: string): s is FailOnRule {
  return (FAIL_ON_RULES as readonly string[]).includes(s);
}

const ns = (e: ConnEndpoint) => (e.kind === "workload" ? e.ref.namespace : undefined);

export function rowTrips(rule: FailOnRule, row: DiffRow): boolean {
  const gains = !row.after.subtract(row.before).isEmpty();
  const loses = !row.before.subtract(row.after).isEmpty();
  const fromOutside = row.src.kind === "external";
  const toOutside = row.dst.kind === "external";
  const internal = !fromOutside && !toOutside;
  const cross = internal && ns(row.src) !== ns(row.dst);
  const same = internal && ns(row.src) === ns(row.dst);
  switch (rule) {
    case "added-any":
      return gains;
    case "removed-any":
      return loses;
    case "changed-any":
      return gains || loses;
    case "added-external-ingress":
      return gains && fromOutside;
    case "added-external-egress":
      return gains && toOutside;
    case "added-cross-namespace":
      return gains && cross;
    case "added-same-namespace":
      return gains && same;
    case "added-all-connections":
      return row.after.isAll() && !row.before.isAll();
    case "removed-external-ingress":
      return loses && fromOutside;
    case "removed-external-egress":
      return loses && toOutside;
    case "removed-cross-namespace":
      return loses && cross;
    case "removed-same-namespace":
      return loses && same;
    default: {
      const never: never = rule;
      throw new Error(`unknown --fail-on rule ${String(never)}`);
    }
  }
}

export interface TrippedRule<R extends DiffRow = DiffRow> {
  readonly rule: FailOnRule;
  readonly rows: readonly R[];
}

/** The rules that trip, in the order given, each with the rows that trip it. */
export function checkFailOn<R extends DiffRow>(rows: readonly R[], rules: readonly FailOnRule[]): TrippedRule<R>[] {
  const out: TrippedRule<R>[] = [];
  for (const rule of [...new Set(rules)]) {
    const hits = rows.filter((r) => rowTrips(rule, r));
    if (hits.length > 0) out.push({ rule, rows: hits });
  }
  return out;
}
