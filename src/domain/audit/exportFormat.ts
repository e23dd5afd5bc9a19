/**
 * The audit and matrix export formats: what the exporter writes and the offline verifier reads.
 *
 * Audit export (kubereach-audit-export/v1). Every revision row carries the fields its hash covers,
 * under the names of the hash chain (src/domain/audit/hashChain.ts: ChainRecord), with `seq` and
 * `id` as decimal strings and `observedAt` as ISO 8601, plus `prevHash`, `hash` and `canonical`
 * (the exact text that was hashed).
 * - json:   {"format", "cluster", "exportedAt", "filter", "complete", "chainHead", "revisions": [...], "count"}
 * - ndjson: a header line {"format", "cluster", "exportedAt", "filter", "complete", "chainHead"},
 *           one revision per line, then a trailer line {"end": true, "count": N}
 * - csv:    `# kubereach-audit-export/v1 cluster=... chainHead.seq=... chainHead.hash=... complete=...`
 *           (then exportedAt= and the filter), a header row, one row per revision (JSON columns as
 *           JSON text), and a last line `# end count=N`. Lines end with CRLF (RFC 4180).
 * The count/trailer lets a verifier tell a download that was cut short from a short export.
 */
import type { JsonValue } from "../objects.js";
import type { ChainHead, StoredRevision } from "../repositories.js";

export const AUDIT_FORMAT = "kubereach-audit-export/v1";
export const MATRIX_FORMAT = "kubereach-matrix-export/v1";

export const AUDIT_FORMATS = ["json", "ndjson", "csv"] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];
export const MATRIX_FORMATS = ["json", "csv"] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

export interface AuditFilter {
  readonly namespace: string | null;
  /** observedAt >= since (ISO 8601) */
  readonly since: string | null;
  /** observedAt < until (ISO 8601) */
  readonly until: string | null;
  /** The namespaces of the token that made the export; null for an unscoped token. */
  readonly tokenNamespaces: readonly string[] | null;
}

export interface ExportChainHead {
  readonly seq: string;
  readonly hash: string;
}

export interface AuditHeader {
  readonly format: typeof AUDIT_FORMAT;
  readonly cluster: string;
  readonly exportedAt: string;
  readonly filter: AuditFilter;
  /** True when the export holds the whole chain, seq 1 to chainHead (no filter, unscoped token). */
  readonly complete: boolean;
  /** The chain head when the export started; later revisions are not included. */
  readonly chainHead: ExportChainHead;
}

export interface ExportRevision {
  readonly seq: string;
  readonly id: string;
  readonly clusterId: string;
  readonly objectKind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly operation: string;
  readonly observedAt: string;
  readonly observedVia: string;
  readonly finalStateUnknown: boolean;
  readonly sourceRef: string | null;
  readonly before: JsonValue | null;
  readonly after: JsonValue | null;
  readonly diff: JsonValue;
  readonly prevHash: string;
  readonly hash: string;
  readonly canonical: string;
}

/** CSV columns, in order. */
export const AUDIT_COLUMNS = [
  "seq",
  "id",
  "clusterId",
  "objectKind",
  "namespace",
  "name",
  "uid",
  "resourceVersion",
  "operation",
  "observedAt",
  "observedVia",
  "finalStateUnknown",
  "sourceRef",
  "before",
  "after",
  "diff",
  "prevHash",
  "hash",
  "canonical",
] as const satisfies readonly (keyof ExportRevision)[];

/** Columns holding JSON values, written as JSON text in CSV. */
const JSON_COLUMNS = new Set<string>(["before", "after", "diff"]);

export function exportRevision(r: StoredRevision): ExportRevision {
  return {
    seq: r.seq.toString(),
    id: r.id.toString(),
    clusterId: r.clusterId,
    objectKind: r.objectKind,
    namespace: r.namespace,
    name: r.name,
    uid: r.uid,
    resourceVersion: r.resourceVersion,
    operation: r.operation,
    observedAt: r.observedAt.toISOString(),
    observedVia: r.observedVia,
    finalStateUnknown: r.finalStateUnknown,
    sourceRef: r.sourceRef,
    before: r.before,
    after: r.after,
    diff: r.diff,
    prevHash: r.prevHash,
    hash: r.hash,
    canonical: r.canonical,
  };
}

export function exportHead(head: ChainHead): ExportChainHead {
  return { seq: head.seq.toString(), hash: head.hash };
}

// ---------------------------------------------------------------------------------------------
// CSV

/**
 * Cells a spreadsheet would run as a formula (OWASP "CSV injection", CWE-1236) get a leading `'`.
 * A cell that itself starts with `'` gets one too, so the guard is reversible: a reader strips
 * exactly one leading `'` (unguardCell) and has the exported text back.
 */
const GUARDED_START = /^[=+\-@\t\r\0']/;

export function guardCell(text: string): string {
  return GUARDED_START.test(text) ? `'${text}` : text;
}

export function unguardCell(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/** One CSV cell: guarded, then quoted when it holds a quote, comma or line break (RFC 4180). */
export function csvCell(text: string): string {
  const safe = guardCell(text);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** The text of a revision's field in a CSV cell (before guarding). */
export function auditCellText(column: (typeof AUDIT_COLUMNS)[number], value: unknown): string {
  if (JSON_COLUMNS.has(column)) return JSON.stringify(value ?? null);
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

export function auditCsvRow(r: ExportRevision): string {
  return csvRow(AUDIT_COLUMNS.map((c) => auditCellText(c, r[c])));
}

/** `key=value` pairs of a CSV comment line; values are URI-encoded so they never hold spaces. */
export function commentLine(title: string, pairs: readonly (readonly [string, string | null | undefined])[]): string {
  const kv = pairs.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(v!)}`);
  return `# ${[title, ...kv].join(" ")}\r\n`;
}

/** Parses a comment line written by commentLine: the title and its pairs. */
export function parseCommentLine(line: string): { title: string; pairs: Map<string, string> } | undefined {
  const m = /^#\s*(\S+)((?:\s+[^\s=]+=\S*)*)\s*$/.exec(line);
  if (!m) return undefined;
  const pairs = new Map<string, string>();
  for (const kv of m[2]!.trim().split(/\s+/).filter(Boolean)) {
    const i = kv.indexOf("=");
    try {
      pairs.set(kv.slice(0, i), decodeURIComponent(kv.slice(i + 1)));
    } catch {
      return undefined;
    }
  }
  return { title: m[1]!, pairs };
}

export function auditCsvPreamble(h: AuditHeader): string {
  return commentLine(AUDIT_FORMAT, [
    ["cluster", h.cluster],
    ["chainHead.seq", h.chainHead.seq],
    ["chainHead.hash", h.chainHead.hash],
    ["complete", String(h.complete)],
    ["exportedAt", h.exportedAt],
    ["namespace", h.filter.namespace],
    ["since", h.filter.since],
    ["until", h.filter.until],
    ["tokenNamespaces", h.filter.tokenNamespaces ? h.filter.tokenNamespaces.join(",") : null],
  ]);
}
