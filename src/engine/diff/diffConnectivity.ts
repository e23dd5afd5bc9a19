/**
 * Semantic diff of two connectivity lists (A = before, B = after): connections added, removed and
 * changed, per endpoint pair. External ranges are cut at the boundaries of both sides first, so a
 * range that was split by a new ipBlock is compared piece by piece instead of reported as one
 * removal plus several additions. Consumes connectivity rows; never re-evaluates policies.
 */
import { formatWorkload, workloadKey } from "../model/ids.js";
import type { IpFamily, IpRange } from "../net/ip.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import type { ConnEndpoint, ConnectivityRow } from "../matrix/connectivity.js";

export type DiffType = "added" | "removed" | "changed";

export interface DiffRow {
  readonly diffType: DiffType;
  readonly src: ConnEndpoint;
  readonly dst: ConnEndpoint;
  readonly before: ConnectionSet;
  readonly after: ConnectionSet;
}

interface Side {
  readonly workload: ConnEndpoint & { kind: "workload" };
  /** True when the workload is the source and the range the destination. */
  readonly workloadIsSrc: boolean;
}

export function diffConnectivity(before: readonly ConnectivityRow[], after: readonly ConnectivityRow[]): DiffRow[] {
  const out: DiffRow[] = [];
  // Workload <-> workload pairs: keyed by the two workload keys.
  const refKey = (e: ConnEndpoint) => (e.kind === "workload" ? workloadKey(e.ref) : "");
  const pairKey = (r: ConnectivityRow) => `${refKey(r.src)}\u0000${refKey(r.dst)}`;
  const a = new Map<string, ConnectivityRow>();
  const b = new Map<string, ConnectivityRow>();
  const extA = new Map<string, { side: Side; rows: { range: IpRange; conn: ConnectionSet }[] }>();
  const extB = new Map<string, { side: Side; rows: { range: IpRange; conn: ConnectionSet }[] }>();
  const split = (rows: readonly ConnectivityRow[], pairs: Map<string, ConnectivityRow>, ext: typeof extA) => {
    for (const r of rows) {
      if (r.src.kind === "workload" && r.dst.kind === "workload") {
        pairs.set(pairKey(r), r);
        continue;
      }
      const workloadIsSrc = r.src.kind === "workload";
      const workload = (workloadIsSrc ? r.src : r.dst) as Side["workload"];
      const range = ((workloadIsSrc ? r.dst : r.src) as { range: IpRange }).range;
      const key = `${workloadIsSrc ? "out" : "in"}\u0000${workloadKey(workload.ref)}`;
      const entry = ext.get(key) ?? { side: { workload, workloadIsSrc }, rows: [] };
      entry.rows.push({ range, conn: r.conn });
      ext.set(key, entry);
    }
  };
  split(before, a, extA);
  split(after, b, extB);

  for (const [k, ra] of a) {
    const rb = b.get(k);
    const conn = rb?.conn ?? ConnectionSet.NONE;
    if (!conn.equals(ra.conn)) out.push({ diffType: rb ? "changed" : "removed", src: ra.src, dst: ra.dst, before: ra.conn, after: conn });
  }
  for (const [k, rb] of b) if (!a.has(k)) out.push({ diffType: "added", src: rb.src, dst: rb.dst, before: ConnectionSet.NONE, after: rb.conn });

  for (const key of new Set([...extA.keys(), ...extB.keys()])) {
    const ea = extA.get(key);
    const eb = extB.get(key);
    const side = (ea ?? eb)!.side;
    for (const seg of alignRanges(ea?.rows ?? [], eb?.rows ?? [])) {
      if (seg.before.equals(seg.after)) continue;
      const diffType: DiffType = seg.before.isEmpty() ? "added" : seg.after.isEmpty() ? "removed" : "changed";
      const ext: ConnEndpoint = { kind: "external", range: seg.range };
      out.push({ diffType, src: side.workloadIsSrc ? side.workload : ext, dst: side.workloadIsSrc ? ext : side.workload, before: seg.before, after: seg.after });
    }
  }
  return out.sort(compareDiffRows);
}

/** Cuts both range lists at every boundary of either, pairs the connections, and merges adjacent equal pieces. */
function alignRanges(
  a: readonly { range: IpRange; conn: ConnectionSet }[],
  b: readonly { range: IpRange; conn: ConnectionSet }[],
): { range: IpRange; before: ConnectionSet; after: ConnectionSet }[] {
  const out: { range: IpRange; before: ConnectionSet; after: ConnectionSet }[] = [];
  const families = new Set<IpFamily>([...a, ...b].map((x) => x.range.family));
  for (const family of [...families].sort()) {
    const fa = a.filter((x) => x.range.family === family);
    const fb = b.filter((x) => x.range.family === family);
    const cuts = new Set<bigint>();
    for (const x of [...fa, ...fb]) {
      cuts.add(x.range.start);
      cuts.add(x.range.end + 1n);
    }
    const points = [...cuts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const connAt = (list: typeof fa, v: bigint) => list.find((x) => x.range.start <= v && v <= x.range.end)?.conn ?? ConnectionSet.NONE;
    for (let i = 0; i + 1 < points.length; i++) {
      const start = points[i]!;
      const end = points[i + 1]! - 1n;
      const before = connAt(fa, start);
      const after = connAt(fb, start);
      if (before.isEmpty() && after.isEmpty()) continue;
      const last = out[out.length - 1];
      if (last && last.range.family === family && last.range.end + 1n === start && last.before.equals(before) && last.after.equals(after)) {
        out[out.length - 1] = { ...last, range: { family, start: last.range.start, end } };
      } else out.push({ range: { family, start, end }, before, after });
    }
  }
  return out;
}

function endpointSortKey(e: ConnEndpoint): string {
  return e.kind === "workload" ? `0${formatWorkload(e.ref)}` : `1${e.range.family}${e.range.start.toString(16).padStart(32, "0")}`;
}

function compareDiffRows(x: DiffRow, y: DiffRow): number {
  const a = endpointSortKey(x.src) + "\u0000" + endpointSortKey(x.dst);
  const b = endpointSortKey(y.src) + "\u0000" + endpointSortKey(y.dst);
  return a < b ? -1 : a > b ? 1 : 0;
}
