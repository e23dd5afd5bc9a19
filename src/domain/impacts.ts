/**
 * The rows of a reachability impact (reachability_impacts.gained / lost): which workload pairs
 * gained or lost which connections. Each row carries its endpoints twice: as display strings
 * (`ns/name[Kind]`, `10.0.0.0-10.0.0.255[External]`, what users read) and as structured refs (what
 * code reads: a scope filter takes the namespace from the ref, never from the display string).
 *
 * The stored JSON is part of the data contract. Rows written before the refs existed have only the
 * display strings; src/store/impactRows.ts derives their refs when it reads them, in that one place.
 */
import { formatConnEndpoint, formatIp, type ConnEndpoint } from "../engine/index.js";

export type ImpactEndpoint =
  | { readonly type: "workload"; readonly namespace: string; readonly kind: string; readonly name: string }
  | { readonly type: "external"; readonly family: 4 | 6; readonly start: string; readonly end: string };

export interface ImpactRow {
  /** Display strings of the endpoints (formatConnEndpoint). */
  readonly src: string;
  readonly dst: string;
  readonly srcRef: ImpactEndpoint;
  readonly dstRef: ImpactEndpoint;
  /** The connections gained (or lost), and the whole connection set before and after. */
  readonly conn: string;
  readonly connBefore: string;
  readonly connAfter: string;
}

/** One side (gained or lost) of an impact. */
export interface ImpactSide {
  /** Rows in the whole diff; `rows` holds at most a capped number of them. */
  readonly total: number;
  readonly truncated: boolean;
  readonly rows: readonly ImpactRow[];
  /** Set when the diff was not computed, saying why. */
  readonly skipped?: string;
}

export const EMPTY_IMPACT_SIDE: ImpactSide = { total: 0, truncated: false, rows: [] };

/** The structured ref of an engine connectivity endpoint. */
export function impactEndpoint(e: ConnEndpoint): ImpactEndpoint {
  if (e.kind === "workload") return { type: "workload", namespace: e.ref.namespace, kind: e.ref.kind, name: e.ref.name };
  const family = e.range.family;
  return { type: "external", family, start: formatIp({ family, value: e.range.start }), end: formatIp({ family, value: e.range.end }) };
}

/** A row of the diff between two connectivity lists, for the pair `src` -> `dst`. */
export function impactRow(src: ConnEndpoint, dst: ConnEndpoint, conn: string, connBefore: string, connAfter: string): ImpactRow {
  return { src: formatConnEndpoint(src), dst: formatConnEndpoint(dst), srcRef: impactEndpoint(src), dstRef: impactEndpoint(dst), conn, connBefore, connAfter };
}
