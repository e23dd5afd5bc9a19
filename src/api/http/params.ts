/** Query-string parameters of the REST routes, validated with messages that say what is expected. */
import type { Request } from "express";
import { BadInputError } from "../../domain/errors.js";

/** A Kubernetes namespace name (RFC 1123 label). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CLUSTER = /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/;
/** A date (UTC midnight) or an RFC 3339 date-time. */
const TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Every query parameter must be known and given at most once. */
export function queryParams(req: Request, known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(req.query)) {
    if (!known.includes(key)) throw new BadInputError(`unknown parameter ${JSON.stringify(key)} (parameters: ${known.join(", ")})`);
    if (typeof value !== "string") throw new BadInputError(`parameter ${key} must be given once, as a plain value`);
    out.set(key, value);
  }
  return out;
}

export function optionalNamespace(params: Map<string, string>, key = "namespace"): string | undefined {
  const v = params.get(key);
  if (v === undefined || v === "") return undefined;
  if (!NAMESPACE.test(v)) throw new BadInputError(`${key}: ${JSON.stringify(v)} is not a namespace name (lowercase letters, digits and '-', at most 63)`);
  return v;
}

export function optionalCluster(params: Map<string, string>): string | undefined {
  const v = params.get("cluster");
  if (v === undefined || v === "") return undefined;
  if (!CLUSTER.test(v)) throw new BadInputError(`cluster: ${JSON.stringify(v)} is not a cluster id`);
  return v;
}

export function optionalTime(params: Map<string, string>, key: string): Date | undefined {
  const v = params.get(key);
  if (v === undefined || v === "") return undefined;
  const d = parseTime(v);
  if (!d) throw new BadInputError(`${key}: ${JSON.stringify(v)} is not a date or date-time (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)`);
  return d;
}

/** `2026-11-01` (UTC midnight) or an RFC 3339 date-time (UTC when no offset is given). */
export function parseTime(text: string): Date | undefined {
  const t = text.trim();
  if (!TIME.test(t)) return undefined;
  let iso = t.replace(" ", "T");
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += "T00:00:00Z";
  else if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) iso += "Z";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  // Date accepts 2026-02-31 (rolling over): refuse days the calendar does not have.
  const [y, m, day] = t.slice(0, 10).split("-").map(Number) as [number, number, number];
  const check = new Date(Date.UTC(y, m - 1, day));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== day) return undefined;
  return d;
}

export function formatParam<T extends string>(params: Map<string, string>, formats: readonly T[], fallback: T): T {
  const v = params.get("format");
  if (v === undefined || v === "") return fallback;
  if (!(formats as readonly string[]).includes(v)) throw new BadInputError(`format: ${JSON.stringify(v)} is not supported; formats: ${formats.join(", ")}`);
  return v as T;
}

/** `attachment; filename="..."` with a name of safe characters only. */
export function attachment(name: string): string {
  return `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, "_")}"`;
}

/** A timestamp for file names: 20261101T120000Z. */
export function fileStamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}
