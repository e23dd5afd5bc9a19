/**
 * Expands the class matrix into the connectivity list users read: workload -> workload and
 * external range <-> workload, with the union of what any member pod pair allows. A workload's
 * traffic to itself is not listed; adjacent external atoms with the same connections are merged.
 */
import { formatWorkload, workloadKey, type WorkloadKey, type WorkloadRef } from "../model/ids.js";
import { formatIpRange, type IpRange } from "../net/ip.js";
import type { ConnId } from "../ports/ConnTable.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";
import type { ClassMatrix } from "./buildMatrix.js";
import { IntList } from "./intList.js";

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
  // Pods of a workload usually come one after another: compare with the previous pod's workload
  // before building and hashing a key (one string per pod otherwise).
  let previous: WorkloadRef | undefined;
  let previousIndex = -1;
  for (const pod of matrix.world.pods) {
    const ref = pod.workload;
    let w: number | undefined =
      previous !== undefined && ref.name === previous.name && ref.namespace === previous.namespace && ref.kind === previous.kind ? previousIndex : byKey.get(workloadKey(ref));
    if (w === undefined) {
      w = workloads.length;
      workloads.push(ref);
      byKey.set(workloadKey(ref), w);
      classesOf.push(new Set());
    }
    previous = ref;
    previousIndex = w;
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
  // Computed once per class: external classes used to re-map their atoms for every matrix entry.
  const endpointsCache: (readonly number[] | undefined)[] = new Array(cls.length);
  const endpointsOf = (c: number): readonly number[] => {
    const k = cls[c]!;
    return (endpointsCache[c] ??= k.kind === "pod" ? index.ofClass[c]! : k.atoms.map((a) => -(a + 1)));
  };
  const keep = (s: number, d: number) =>
    s !== d &&
    (focus === undefined || s === focus || d === focus) &&
    (onlyDst === undefined || d === onlyDst) &&
    (onlySrc === undefined || s === onlySrc);

  // (source endpoint, destination endpoint) -> union of what their class pairs allow, kept in
  // "slots" in order of first contribution. A pair whose two endpoints each lie in a single class
  // gets exactly one contribution (each class pair is one matrix entry, each destination class is
  // visited once), so only pairs touching a workload spread over several classes need the map.
  // (A Map of Maps here cost ~1.5M hash operations at 100k pods.)
  const atomCount = matrix.classes.partition.atoms.length;
  const endpointCount = index.workloads.length + atomCount;
  const multiClass = new Uint8Array(index.workloads.length);
  index.classesOf.forEach((c, w) => (multiClass[w] = c.length > 1 ? 1 : 0));
  const singleClass = (e: number) => e < 0 || multiClass[e] === 0;
  const slotOfPair = new Map<number, number>();
  const slotSrc = new IntList();
  const slotDst = new IntList();
  const slotConn = new IntList();
  // Order of first appearance of each source endpoint (indexed by endpoint + atomCount).
  const srcAppearance = new Int32Array(endpointCount).fill(-1);
  let sources = 0;
  const addSlot = (se: number, de: number, conn: ConnId) => {
    if (srcAppearance[se + atomCount] === -1) srcAppearance[se + atomCount] = sources++;
    slotSrc.push(se);
    slotDst.push(de);
    slotConn.push(conn);
  };
  const dstClasses = onlyDst !== undefined && onlyDst >= 0 ? index.classesOf[onlyDst]! : cls.map((c) => c.id);
  for (const d of dstClasses) {
    const row = matrix.incoming[d]!;
    const dstEps = endpointsOf(d);
    for (let i = 0; i < row.src.length; i++) {
      const srcEps = endpointsOf(row.src[i]!);
      const conn = row.conn[i]!;
      // Indexed loops here and below: these run once per matrix entry (or row), mostly before the
      // optimiser has kicked in, and for-of allocated an iterator result per step there.
      for (let a = 0; a < srcEps.length; a++)
        for (let b = 0; b < dstEps.length; b++) {
          const se = srcEps[a]!;
          const de = dstEps[b]!;
          if (!keep(se, de)) continue;
          if (singleClass(se) && singleClass(de)) {
            addSlot(se, de, conn);
            continue;
          }
          const key = (se + atomCount) * endpointCount + (de + atomCount);
          const slot = slotOfPair.get(key);
          if (slot === undefined) {
            slotOfPair.set(key, slotSrc.length);
            addSlot(se, de, conn);
          } else slotConn.set(slot, conns.union(slotConn.get(slot), conn));
        }
    }
  }
  // The rows used to come out of a Map of Maps: grouped by source in order of first appearance,
  // then by destination in order of first contribution. Visiting the slots stably ordered by their
  // source's first appearance reproduces that order exactly (it decides ties in the final sort).
  const slotAppearance = new Int32Array(slotSrc.length);
  for (let k = 0; k < slotSrc.length; k++) slotAppearance[k] = srcAppearance[slotSrc.get(k) + atomCount]!;
  const slots = stableCountingSort(identity(slotSrc.length), slotAppearance, sources);

  const atoms = matrix.classes.partition.atoms;
  const rows: ConnectivityRow[] = [];
  // One endpoint object per workload, shared by all its rows (rows are immutable): a fresh pair of
  // objects per row was ~1M allocations at 100k pods, and a good part of this function's GC time.
  const workloadEndpoints: (ConnEndpoint | undefined)[] = new Array(index.workloads.length);
  const wl = (w: number): ConnEndpoint => (workloadEndpoints[w] ??= { kind: "workload", ref: index.workloads[w]! });
  // Printed endpoints, for the final order: each workload is printed once.
  const texts = new TextIds();
  const workloadText = new Int32Array(index.workloads.length).fill(-1);
  const textOfWorkload = (w: number) => (workloadText[w]! >= 0 ? workloadText[w]! : (workloadText[w] = texts.id(formatConnEndpoint(wl(w)))));
  const srcText = new IntList();
  const dstText = new IntList();
  const push = (src: ConnEndpoint, srcTextId: number, dst: ConnEndpoint, dstTextId: number, conn: ConnId) => {
    rows.push({ src, dst, conn: conns.get(conn) });
    srcText.push(srcTextId);
    dstText.push(dstTextId);
  };
  // Workload sources: one row per destination, external destinations merged per run of atoms.
  const externalRuns: { fixed: number; atom: number; conn: ConnId; srcIsFixed: boolean }[] = [];
  for (let i = 0; i < slots.length; i++) {
    const k = slots[i]!;
    const s = slotSrc.get(k);
    const d = slotDst.get(k);
    const conn = slotConn.get(k);
    if (s >= 0 && d >= 0) push(wl(s), textOfWorkload(s), wl(d), textOfWorkload(d), conn);
    else if (s >= 0) externalRuns.push({ fixed: s, atom: -d - 1, conn, srcIsFixed: true });
    else externalRuns.push({ fixed: d, atom: -s - 1, conn, srcIsFixed: false });
  }
  const externalEndpoints = new Map<number, { endpoint: ConnEndpoint; text: number }>();
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
    // Many rows share a run of atoms (the internet, an office range): one endpoint and one printed
    // text per run, since printing a range converts bigints and showed up in this function's profile.
    const runKey = first.atom * atoms.length + last.atom;
    let external = externalEndpoints.get(runKey);
    if (!external) {
      const range: IpRange = { family: atoms[first.atom]!.family, start: atoms[first.atom]!.start, end: atoms[last.atom]!.end };
      const endpoint: ConnEndpoint = { kind: "external", range };
      externalEndpoints.set(runKey, (external = { endpoint, text: texts.id(formatConnEndpoint(endpoint)) }));
    }
    const { endpoint: ext, text: extText } = external;
    if (first.srcIsFixed) push(wl(first.fixed), textOfWorkload(first.fixed), ext, extText, first.conn);
    else push(ext, extText, wl(first.fixed), textOfWorkload(first.fixed), first.conn);
    i = j;
  }
  return sortByPrintedEndpoints(rows, srcText.view(), dstText.view(), texts.texts);
}

/** Interns strings as dense ids. */
class TextIds {
  readonly texts: string[] = [];
  private readonly ids = new Map<string, number>();

  id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(text);
      this.ids.set(text, id);
    }
    return id;
  }
}

/**
 * Orders rows by printed source, then printed destination, exactly as a stable sort comparing the
 * formatConnEndpoint texts would, without comparing strings inside the sort (printing every row and
 * comparing texts in the sort was half of buildConnectivity at 100k pods, and most of its garbage).
 * `srcText`/`dstText` are ids of the rows' printed endpoints in `texts` (distinct texts): the texts
 * are ranked in string order once, and rows ordered by (source rank, destination rank) with two
 * stable counting-sort passes. Equal texts have equal ranks and both passes are stable, so even rows
 * whose endpoints print alike keep their relative order.
 */
function sortByPrintedEndpoints(rows: readonly ConnectivityRow[], srcText: Int32Array, dstText: Int32Array, texts: readonly string[]): ConnectivityRow[] {
  // Rank of each distinct text in string (UTF-16 code unit) order, the order `<` gives.
  const byText = texts.map((_, i) => i).sort((a, b) => (texts[a]! < texts[b]! ? -1 : texts[a]! > texts[b]! ? 1 : 0));
  const rank = new Int32Array(texts.length);
  byText.forEach((id, r) => (rank[id] = r));
  const srcRank = new Int32Array(rows.length);
  const dstRank = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    srcRank[i] = rank[srcText[i]!]!;
    dstRank[i] = rank[dstText[i]!]!;
  }
  // Least significant key first: destination, then source.
  const order = stableCountingSort(stableCountingSort(identity(rows.length), dstRank, texts.length), srcRank, texts.length);
  const sorted: ConnectivityRow[] = new Array(rows.length);
  for (let k = 0; k < order.length; k++) sorted[k] = rows[order[k]!]!;
  return sorted;
}

/** [0, 1, ..., n - 1] (Int32Array.from(array.keys()) goes through the slow iterator path). */
function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** `order` stably re-ordered by `key[i]` in [0, buckets). */
function stableCountingSort(order: Int32Array, key: Int32Array, buckets: number): Int32Array {
  const start = new Int32Array(buckets + 1);
  for (let k = 0; k < order.length; k++) start[key[order[k]!]! + 1]!++;
  for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
  const out = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    out[start[key[i]!]!++] = i;
  }
  return out;
}
