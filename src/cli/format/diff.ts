/**
 * The semantic diff of `kubereach diff` in each output format, and the --fail-on report. JSON rows
 * are `{"diff_type", "src", "dst", "conn_before", "conn_after"}` (plus `explanation` with --explain).
 */
import { FAIL_ON_DESCRIPTIONS, formatConnEndpoint, formatPolicy, type ImpactRow, type PolicyChange, type TrippedRule } from "../../engine/index.js";
import { UnreachableFormat } from "./common.js";
import { toCsv, toMarkdown } from "./table.js";

import { DIFF_FORMATS, type DiffFormat } from "./formats.js";
export { DIFF_FORMATS, type DiffFormat };

export interface DiffRecord {
  readonly diff_type: "added" | "removed" | "changed";
  readonly src: string;
  readonly dst: string;
  readonly conn_before: string;
  readonly conn_after: string;
  readonly explanation?: readonly string[];
}

export function toDiffRecords(rows: readonly ImpactRow[], explain: boolean): DiffRecord[] {
  return rows.map((r) => ({
    diff_type: r.diffType,
    src: formatConnEndpoint(r.src),
    dst: formatConnEndpoint(r.dst),
    conn_before: r.before.key,
    conn_after: r.after.key,
    ...(explain ? { explanation: r.causes.map((c) => c.text) } : {}),
  }));
}

const MARK = { added: "+", removed: "-", changed: "~" } as const;

/** `+ src => dst : conn` (added), `- src => dst : conn` (removed), `~ src => dst : before -> after` (changed). */
export function diffLine(r: ImpactRow): string {
  const conn = r.diffType === "added" ? r.after.key : r.diffType === "removed" ? r.before.key : `${r.before.key} -> ${r.after.key}`;
  return `${MARK[r.diffType]} ${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)} : ${conn}`;
}

export function formatDiff(rows: readonly ImpactRow[], format: DiffFormat, options: { explain: boolean; policyChanges: readonly PolicyChange[] }): string {
  const explain = options.explain;
  const records = toDiffRecords(rows, explain);
  const header = ["diff_type", "src", "dst", "conn_before", "conn_after", ...(explain ? ["explanation"] : [])];
  const cells = records.map((r) => [r.diff_type, r.src, r.dst, r.conn_before, r.conn_after, ...(explain ? [(r.explanation ?? []).join("; ")] : [])]);
  switch (format) {
    case "text":
      return diffText(rows, options.policyChanges);
    case "json":
      return `${JSON.stringify(records, null, 2)}\n`;
    case "csv":
      return toCsv(header, cells);
    case "md":
      return toMarkdown(header, cells);
    default:
      throw new UnreachableFormat(format);
  }
}

function diffText(rows: readonly ImpactRow[], policyChanges: readonly PolicyChange[]): string {
  const lines: string[] = [];
  if (policyChanges.length > 0) lines.push(`policies: ${policyChanges.map((c) => `${c.kind} ${formatPolicy(c.ref)}`).join(", ")}`);
  const count = (t: ImpactRow["diffType"]) => rows.filter((r) => r.diffType === t).length;
  lines.push(rows.length === 0 ? "no change in connectivity" : `${rows.length} connectivity change${rows.length === 1 ? "" : "s"}: ${count("added")} added, ${count("removed")} removed, ${count("changed")} changed`);
  for (const r of rows) {
    lines.push(diffLine(r));
    for (const c of r.causes) lines.push(`    because ${c.text}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The readable report of tripped --fail-on rules (stderr). */
export function formatFailOn(tripped: readonly TrippedRule<ImpactRow>[], limit = 10): string {
  const lines = [`kubereach diff: ${tripped.length} --fail-on rule${tripped.length === 1 ? "" : "s"} tripped:`];
  for (const t of tripped) {
    lines.push(`  ${t.rule} (${FAIL_ON_DESCRIPTIONS[t.rule]}): ${t.rows.length} row${t.rows.length === 1 ? "" : "s"}`);
    for (const r of t.rows.slice(0, limit)) lines.push(`    ${diffLine(r)}`);
    if (t.rows.length > limit) lines.push(`    ... and ${t.rows.length - limit} more`);
  }
  return `${lines.join("\n")}\n`;
}
