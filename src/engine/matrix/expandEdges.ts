/**
 * Workload-level rows from class-level edges whose members come from anywhere (the in-memory
 * ClassMatrix, or a stored generation read back from the database): the union of what any member
 * pair allows, a workload's traffic to itself left out, and adjacent external ranges with the same
 * connections toward the same workload merged. The API reads stored generations through this, so
 * its answers are the connectivity list's answers.
 */
import { workloadKey } from "../model/ids.js";
import type { IpRange } from "../net/ip.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";
import { runSteps, STEP_ITEMS, type Steps } from "../util/steps.js";
import { sortSliced } from "../util/sortSliced.js";
import { formatConnEndpoint, type ConnEndpoint, type ConnectivityRow } from "./connectivity.js";

export interface ClassEdge {
  readonly src: readonly ConnEndpoint[];
  readonly dst: readonly ConnEndpoint[];
  readonly conn: ConnectionSet;
}

/**
 * Each endpoint's key and text, kept while the endpoint is in use: the API hands the same endpoint
 * objects to answer after answer (a class's members, src/api/query/members.ts), and keying and
 * formatting ten thousand peers per answer was most of a large answer's time and garbage.
 */
const keys = new WeakMap<ConnEndpoint, string>();
const texts = new WeakMap<ConnEndpoint, string>();

function endpointKey(e: ConnEndpoint): string {
  let k = keys.get(e);
  if (k === undefined) keys.set(e, (k = e.kind === "workload" ? `w${workloadKey(e.ref)}` : `e${e.range.family}:${e.range.start}-${e.range.end}`));
  return k;
}

function endpointText(e: ConnEndpoint): string {
  let t = texts.get(e);
  if (t === undefined) texts.set(e, (t = formatConnEndpoint(e)));
  return t;
}

export function expandEdges(edges: Iterable<ClassEdge>): ConnectivityRow[] {
  return runSteps(expandEdgesSteps(edges));
}

/**
 * expandEdges as steps (a yield every STEP_ITEMS member pairs, rows, and during the sort): the API
 * answers a workload reached from ten thousand others in time slices, one such answer at a time.
 * In one piece, an answer of 12,000-15,000 rows held the event loop 20-120 ms at 150,000 pods.
 */
export function* expandEdgesSteps(edges: Iterable<ClassEdge>): Steps<ConnectivityRow[]> {
  const acc = new Map<string, { src: ConnEndpoint; dst: ConnEndpoint; conn: ConnectionSet }>();
  let n = 0;
  for (const edge of edges) {
    for (const s of edge.src)
      for (const d of edge.dst) {
        if (++n % STEP_ITEMS === 0) yield;
        if (s.kind === "external" && d.kind === "external") continue;
        const sk = endpointKey(s);
        const dk = endpointKey(d);
        if (sk === dk) continue; // a workload's traffic to itself is not listed
        const k = `${sk}\u0000${dk}`;
        const prev = acc.get(k);
        acc.set(k, { src: s, dst: d, conn: prev ? prev.conn.union(edge.conn) : edge.conn });
      }
  }
  const rows: ConnectivityRow[] = [];
  // External ranges: merged per (workload, direction, connection) when contiguous.
  const runs = new Map<string, { workload: ConnEndpoint; workloadIsSrc: boolean; conn: ConnectionSet; ranges: IpRange[] }>();
  for (const r of acc.values()) {
    if (++n % STEP_ITEMS === 0) yield;
    if (r.src.kind === "workload" && r.dst.kind === "workload") {
      rows.push(r);
      continue;
    }
    const workloadIsSrc = r.src.kind === "workload";
    const workload = workloadIsSrc ? r.src : r.dst;
    const range = ((workloadIsSrc ? r.dst : r.src) as { range: IpRange }).range;
    const k = `${workloadIsSrc ? ">" : "<"}${endpointKey(workload)}\u0000${r.conn.key}`;
    const run = runs.get(k) ?? { workload, workloadIsSrc, conn: r.conn, ranges: [] };
    run.ranges.push(range);
    runs.set(k, run);
  }
  for (const run of runs.values()) {
    if (++n % STEP_ITEMS === 0) yield;
    run.ranges.sort((a, b) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let cur: IpRange | undefined;
    const flush = () => {
      if (!cur) return;
      const ext: ConnEndpoint = { kind: "external", range: cur };
      rows.push(run.workloadIsSrc ? { src: run.workload, dst: ext, conn: run.conn } : { src: ext, dst: run.workload, conn: run.conn });
    };
    for (const r of run.ranges) {
      if (cur && cur.family === r.family && cur.end + 1n >= r.start) cur = { family: r.family, start: cur.start, end: r.end > cur.end ? r.end : cur.end };
      else {
        flush();
        cur = r;
      }
    }
    flush();
  }
  const keyed: { r: ConnectivityRow; s: string; d: string }[] = [];
  for (const r of rows) {
    keyed.push({ r, s: endpointText(r.src), d: endpointText(r.dst) });
    if (keyed.length % STEP_ITEMS === 0) yield;
  }
  const sorted = yield* sortSliced(keyed, (a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : a.d < b.d ? -1 : a.d > b.d ? 1 : 0));
  return sorted.map((k) => k.r);
}

