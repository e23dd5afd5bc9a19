/** Findings (`kubereach findings`) in each output format. */
import { SEVERITIES, type Finding, type FindingObject, type Severity } from "../../engine/index.js";
import { UnreachableFormat } from "./common.js";
import { toCsv, toMarkdown } from "./table.js";

import { FINDINGS_FORMATS, type FindingsFormat } from "./formats.js";
export { FINDINGS_FORMATS, type FindingsFormat };

export function formatObject(o: FindingObject): string {
  const name = o.namespace ? `${o.namespace}/${o.name}` : o.name;
  return `${o.kind} ${name}${o.field ? ` ${o.field}` : ""}`;
}

export function formatFindings(list: readonly Finding[], format: FindingsFormat): string {
  const header = ["severity", "kind", "namespace", "objects", "message", "hint"];
  const cells = list.map((f) => [f.severity, f.kind, f.namespace, f.objects.map(formatObject).join("; "), f.message, f.hint]);
  switch (format) {
    case "text":
      return findingsText(list);
    case "json":
      return `${JSON.stringify(list.map((f) => ({ ...f, objects: f.objects.map((o) => ({ ...o })) })), null, 2)}\n`;
    case "csv":
      return toCsv(header, cells);
    case "md":
      return toMarkdown(header, cells);
    default:
      throw new UnreachableFormat(format);
  }
}

function findingsText(list: readonly Finding[]): string {
  const lines: string[] = [];
  for (const f of list) {
    lines.push(`[${f.severity}] ${f.kind} (${f.namespace}): ${f.message}`);
    lines.push(`    fix: ${f.hint}`);
  }
  const counts = SEVERITIES.map((s) => [s, list.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  lines.push(list.length === 0 ? "no findings" : `${list.length} finding${list.length === 1 ? "" : "s"}: ${counts.map(([s, n]) => `${n} ${s}`).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}
