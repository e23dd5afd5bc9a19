/**
 * Expands the class matrix into the connectivity list users read: workload -> workload and
 * external range <-> workload, with the union of what any member pod pair allows. A workload's
 * traffic to itself is not listed; adjacent external atoms with the same connections are merged.
 */
import { formatWorkload, workloadKey, type WorkloadKey, type WorkloadRef } from "../model/ids.js";
import { formatIpRange, type IpRange } from "../net/ip.js";
import { NONE_ID, type ConnId } from "../ports/ConnTable.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";
import type { ClassMatrix } from "./buildMatrix.js";

export type ConnEndpoint = { readonly kind: "workload"; readonly ref: WorkloadRef } | { readonly kind: "external"; readonly range: IpRange };

export interface ConnectivityRow {
  readonly src: ConnEndpoint;
  readonly dst: ConnEndpoint;
  readonly conn: ConnectionSet;
}

export function formatConnEndpoint(e: ConnEndpoint): string {
  return e.kind === "workload" ? formatWorkload(e.ref) : `${formatIpRange(e.range)}[External]`;
}

export interface WorkloadIndex {
  readonly workloads: readonly WorkloadRef[];
  readonly byKey: ReadonlyMap<WorkloadKey, number>;
  /** Workload indices of each class (pod classes only). */
  readonly ofClass: readonly (readonly number[])[];
  /** Classes of each workload. */
  readonly classesOf: readonly (readonly number[])[];
}

export function buildWorkloadIndex(matrix: ClassMatrix): WorkloadIndex {
  const workloads: WorkloadRef[] = [];
  const byKey = new Map<WorkloadKey, number>();
  const ofClass: Set<number>[] = matrix.classes.classes.map(() => new Set());
  const classesOf: Set<number>[] = [];
  for (const pod of matrix.world.pods) {
    const key = workloadKey(pod.workload);
    let w = byKey.get(key);
    if (w === undefined) {
      w = workloads.length;
      workloads.push(pod.workload);
      byKey.set(key, w);
      classesOf.push(new Set());
    }
    const c = matrix.classes.classOfPod[pod.index]!;
    ofClass[c]!.add(w);
    classesOf[w]!.add(c);
  }
  return {
    workloads,
    byKey,
    ofClass: ofClass.map((s) => [...s]),
    classesOf: classesOf.map((s) => [...s].sort((a, b) => a - b)),
  };
}

export interface ConnectivityOptions {
  /** Only rows whose source or destination is this workload. */
  readonly focus?: WorkloadKey;
  /** Only rows with this destination / source workload. */
  readonly dst?: WorkloadKey;
  readonly src?: WorkloadKey;
}

/**
 * Endpoint ids inside this module: workloads are >= 0, external atoms are -(atom + 1).
 * Rows are sorted by their printed source, then destination.
 */
export function buildConnectivity(matrix: ClassMatrix, options: ConnectivityOptions = {}, index = buildWorkloadIndex(matrix)): ConnectivityRow[] {
  const { conns } = matrix;
  const cls = matrix.classes.classes;
  const want = (k: WorkloadKey | undefined) => (k === undefined ? undefined : (index.byKey.get(k) ?? -2));
  const focus = want(options.focus);
  const onlyDst = want(options.dst);
  const onlySrc = want(options.src);
  const endpointsOf = (c: number): readonly number[] => {
    const k = cls[c]!;
    return k.kind === "pod" ? index.ofClass[c]! : k.atoms.map((a) => -(a + 1));
  };
  const keep = (s: number, d: number) =>
    s !== d &&
    (focus === undefined || s === focus || d === focus) &&
    (onlyDst === undefined || d === onlyDst) &&
    (onlySrc === undefined || s === onlySrc);

  const acc = new Map<number, Map<number, ConnId>>();
  const dstClasses = onlyDst !== undefined && onlyDst >= 0 ? index.classesOf[onlyDst]! : cls.map((c) => c.id);
  for (const d of dstClasses) {
    const row = matrix.incoming[d]!;
    const dstEps = endpointsOf(d);
    for (let i = 0; i < row.src.length; i++) {
      const srcEps = endpointsOf(row.src[i]!);
      const conn = row.conn[i]!;
      for (const se of srcEps)
        for (const de of dstEps) {
          if (!keep(se, de)) continue;
          let m = acc.get(se);
          if (!m) acc.set(se, (m = new Map()));
          m.set(de, conns.union(m.get(de) ?? NONE_ID, conn));
        }
    }
  }

  const atoms = matrix.classes.partition.atoms;
  const rows: ConnectivityRow[] = [];
  const wl = (w: number): ConnEndpoint => ({ kind: "workload", ref: index.workloads[w]! });
  // Workload sources: one row per destination, external destinations merged per run of atoms.
  const externalRuns: { fixed: number; atom: number; conn: ConnId; srcIsFixed: boolean }[] = [];
  for (const [s, m] of acc) {
    for (const [d, conn] of m) {
      if (s >= 0 && d >= 0) rows.push({ src: wl(s), dst: wl(d), conn: conns.get(conn) });
      else if (s >= 0) externalRuns.push({ fixed: s, atom: -d - 1, conn, srcIsFixed: true });
      else externalRuns.push({ fixed: d, atom: -s - 1, conn, srcIsFixed: false });
    }
  }
  externalRuns.sort((a, b) => Number(a.srcIsFixed) - Number(b.srcIsFixed) || a.fixed - b.fixed || a.atom - b.atom);
  for (let i = 0; i < externalRuns.length; ) {
    const first = externalRuns[i]!;
    let j = i + 1;
    let last = first;
    while (j < externalRuns.length) {
      const next = externalRuns[j]!;
      const contiguous =
        next.srcIsFixed === first.srcIsFixed && next.fixed === first.fixed && next.conn === first.conn && next.atom === last.atom + 1 && atoms[next.atom]!.family === atoms[first.atom]!.family;
      if (!contiguous) break;
      last = next;
      j++;
    }
    const range: IpRange = { family: atoms[first.atom]!.family, start: atoms[first.atom]!.start, end: atoms[last.atom]!.end };
    const ext: ConnEndpoint = { kind: "external", range };
    rows.push(first.srcIsFixed ? { src: wl(first.fixed), dst: ext, conn: conns.get(first.conn) } : { src: ext, dst: wl(first.fixed), conn: conns.get(first.conn) });
    i = j;
  }
  const keyed = rows.map((r) => ({ r, s: formatConnEndpoint(r.src), d: formatConnEndpoint(r.dst) }));
  keyed.sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : a.d < b.d ? -1 : a.d > b.d ? 1 : 0));
  return keyed.map((k) => k.r);
}
