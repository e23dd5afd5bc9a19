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
import { formatConnEndpoint, type ConnEndpoint, type ConnectivityRow } from "./connectivity.js";

export interface ClassEdge {
  readonly src: readonly ConnEndpoint[];
  readonly dst: readonly ConnEndpoint[];
  readonly conn: ConnectionSet;
}

function endpointKey(e: ConnEndpoint): string {
  return e.kind === "workload" ? `w${workloadKey(e.ref)}` : `e${e.range.family}:${e.range.start}-${e.range.end}`;
}

export function expandEdges(edges: Iterable<ClassEdge>): ConnectivityRow[] {
  const acc = new Map<string, { src: ConnEndpoint; dst: ConnEndpoint; conn: ConnectionSet }>();
  for (const edge of edges) {
    for (const s of edge.src)
      for (const d of edge.dst) {
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
  const keyed = rows.map((r) => ({ r, s: formatConnEndpoint(r.src), d: formatConnEndpoint(r.dst) }));
  keyed.sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : a.d < b.d ? -1 : a.d > b.d ? 1 : 0));
  return keyed.map((k) => k.r);
}

