/**
 * reachability_impacts.gained / lost as stored JSON <-> ImpactSide (src/domain/impacts.ts).
 *
 * The JSON shape is part of the data contract and the table is append-only, so rows are never
 * rewritten. Rows written since the structured refs exist carry `srcRef` / `dstRef` next to the
 * display strings; older rows carry only the display strings, and this file is the ONE place that
 * derives refs from them (formatConnEndpoint's notation: `ns/name[Kind]`, `start-end[External]`).
 * Nothing else parses a display string.
 */
import type { JsonValue } from "../domain/objects.js";
import { EMPTY_IMPACT_SIDE, type ImpactEndpoint, type ImpactRow, type ImpactSide } from "../domain/impacts.js";

export function impactSideToJson(side: ImpactSide): JsonValue {
  return side as unknown as JsonValue;
}

/** Reads a stored side; tolerant of any JSON (a side without rows reads as empty, as it always has). */
export function impactSideFromJson(json: unknown): ImpactSide {
  if (!isObject(json)) return EMPTY_IMPACT_SIDE;
  const rows = Array.isArray(json.rows) ? json.rows.filter(isObject).map(impactRowFromJson) : [];
  return {
    total: typeof json.total === "number" ? json.total : 0,
    truncated: json.truncated === true,
    rows,
    ...(typeof json.skipped === "string" ? { skipped: json.skipped } : {}),
  };
}

function impactRowFromJson(r: Record<string, unknown>): ImpactRow {
  const src = text(r.src);
  const dst = text(r.dst);
  return {
    src,
    dst,
    srcRef: endpointFromJson(r.srcRef) ?? legacyEndpointRef(src),
    dstRef: endpointFromJson(r.dstRef) ?? legacyEndpointRef(dst),
    conn: text(r.conn),
    connBefore: text(r.connBefore),
    connAfter: text(r.connAfter),
  };
}

function endpointFromJson(v: unknown): ImpactEndpoint | undefined {
  if (!isObject(v)) return undefined;
  if (v.type === "workload" && typeof v.namespace === "string" && typeof v.kind === "string" && typeof v.name === "string") {
    return { type: "workload", namespace: v.namespace, kind: v.kind, name: v.name };
  }
  if (v.type === "external" && (v.family === 4 || v.family === 6) && typeof v.start === "string" && typeof v.end === "string") {
    return { type: "external", family: v.family, start: v.start, end: v.end };
  }
  return undefined;
}

const EXTERNAL_SUFFIX = "[External]";

/**
 * The ref of an endpoint of a row written before refs were stored, from its display string.
 * Kubernetes names and namespaces contain no "/" or "[", so `ns/name[Kind]` splits unambiguously.
 * A string in neither notation (never written by kubereach) gets namespace "": only a token for
 * all namespaces sees it, so a malformed row can never widen what a scoped token sees.
 */
export function legacyEndpointRef(display: string): ImpactEndpoint {
  if (display.endsWith(EXTERNAL_SUFFIX)) {
    const range = display.slice(0, -EXTERNAL_SUFFIX.length);
    const dash = range.indexOf("-");
    const start = dash < 0 ? range : range.slice(0, dash);
    const end = dash < 0 ? range : range.slice(dash + 1);
    return { type: "external", family: start.includes(":") ? 6 : 4, start, end };
  }
  const slash = display.indexOf("/");
  if (slash <= 0) return { type: "workload", namespace: "", kind: "", name: display };
  const rest = display.slice(slash + 1);
  const bracket = rest.lastIndexOf("[");
  const kind = bracket >= 0 && rest.endsWith("]") ? rest.slice(bracket + 1, -1) : "";
  const name = bracket >= 0 && rest.endsWith("]") ? rest.slice(0, bracket) : rest;
  return { type: "workload", namespace: display.slice(0, slash), kind, name };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function text(v: unknown): string {
  return typeof v === "string" ? v : "";
}
