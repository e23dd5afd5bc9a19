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
  const slots = collectSlots(matrix, index, endpointFilter(index, options));
  const writer = new RowWriter(matrix, index);
  const externalRuns = writer.workloadRows(slots, slotsBySourceAppearance(slots));
  writer.externalRows(externalRuns);
  return writer.sorted();
}

/** Which endpoint pairs the options keep (never an endpoint with itself); a workload the index lacks matches nothing. */
function endpointFilter(index: WorkloadIndex, options: ConnectivityOptions): { keep: (s: number, d: number) => boolean; onlyDst: number | undefined } {
  const want = (k: WorkloadKey | undefined) => (k === undefined ? undefined : (index.byKey.get(k) ?? -2));
  const focus = want(options.focus);
  const onlyDst = want(options.dst);
  const onlySrc = want(options.src);
  const keep = (s: number, d: number) =>
    s !== d &&
    (focus === undefined || s === focus || d === focus) &&
    (onlyDst === undefined || d === onlyDst) &&
    (onlySrc === undefined || s === onlySrc);
  return { keep, onlyDst };
}

/**
 * (source endpoint, destination endpoint) -> union of what their class pairs allow, kept in
 * "slots" in order of first contribution. A pair whose two endpoints each lie in a single class
 * gets exactly one contribution (each class pair is one matrix entry, each destination class is
 * visited once), so only pairs touching a workload spread over several classes need the map.
 * (A Map of Maps here cost ~1.5M hash operations at 100k pods.)
 */
class EndpointPairSlots {
  readonly src = new IntList();
  readonly dst = new IntList();
  readonly conn = new IntList();
  /** Order of first appearance of each source endpoint (indexed by endpoint + atomCount). */
  readonly srcAppearance: Int32Array;
  /** Number of distinct source endpoints. */
  sources = 0;
  private readonly slotOfPair = new Map<number, number>();
  private readonly endpointCount: number;

  constructor(
    private readonly conns: ClassMatrix["conns"],
    readonly atomCount: number,
    workloads: number,
  ) {
    this.endpointCount = workloads + atomCount;
    this.srcAppearance = new Int32Array(this.endpointCount).fill(-1);
  }

  /** A pair's only contribution (both endpoints in a single class): a slot of its own. */
  addSingle(se: number, de: number, conn: ConnId): void {
    if (this.srcAppearance[se + this.atomCount] === -1) this.srcAppearance[se + this.atomCount] = this.sources++;
    this.src.push(se);
    this.dst.push(de);
    this.conn.push(conn);
  }

  /** One of possibly several contributions: unioned into the pair's slot. */
  merge(se: number, de: number, conn: ConnId): void {
    const key = (se + this.atomCount) * this.endpointCount + (de + this.atomCount);
    const slot = this.slotOfPair.get(key);
    if (slot === undefined) {
      this.slotOfPair.set(key, this.src.length);
      this.addSingle(se, de, conn);
    } else this.conn.set(slot, this.conns.union(this.conn.get(slot), conn));
  }
}

/** Every matrix entry spread over the endpoint pairs of its two classes that the filter keeps. */
function collectSlots(matrix: ClassMatrix, index: WorkloadIndex, { keep, onlyDst }: ReturnType<typeof endpointFilter>): EndpointPairSlots {
  const cls = matrix.classes.classes;
  const slots = new EndpointPairSlots(matrix.conns, matrix.classes.partition.atoms.length, index.workloads.length);
  // Computed once per class: external classes used to re-map their atoms for every matrix entry.
  const endpointsCache: (readonly number[] | undefined)[] = new Array(cls.length);
  const endpointsOf = (c: number): readonly number[] => {
    const k = cls[c]!;
    return (endpointsCache[c] ??= k.kind === "pod" ? index.ofClass[c]! : k.atoms.map((a) => -(a + 1)));
  };
  const multiClass = new Uint8Array(index.workloads.length);
  index.classesOf.forEach((c, w) => (multiClass[w] = c.length > 1 ? 1 : 0));
  const singleClass = (e: number) => e < 0 || multiClass[e] === 0;
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
          if (singleClass(se) && singleClass(de)) slots.addSingle(se, de, conn);
          else slots.merge(se, de, conn);
        }
    }
  }
  return slots;
}

/**
 * The rows used to come out of a Map of Maps: grouped by source in order of first appearance,
 * then by destination in order of first contribution. Visiting the slots stably ordered by their
 * source's first appearance reproduces that order exactly (it decides ties in the final sort).
 */
function slotsBySourceAppearance(slots: EndpointPairSlots): Int32Array {
  const n = slots.src.length;
  const slotAppearance = new Int32Array(n);
  for (let k = 0; k < n; k++) slotAppearance[k] = slots.srcAppearance[slots.src.get(k) + slots.atomCount]!;
  return stableCountingSort(identity(n), slotAppearance, slots.sources);
}

/** A workload's row toward or from one external atom, before adjacent atoms are merged. */
interface ExternalRun {
  readonly fixed: number;
  readonly atom: number;
  readonly conn: ConnId;
  readonly srcIsFixed: boolean;
}

/** Writes the rows with shared endpoint objects, and the ids of their printed endpoints for the final order. */
class RowWriter {
  private readonly rows: ConnectivityRow[] = [];
  /**
   * One endpoint object per workload, shared by all its rows (rows are immutable): a fresh pair of
   * objects per row was ~1M allocations at 100k pods, and a good part of this function's GC time.
   */
  private readonly workloadEndpoints: (ConnEndpoint | undefined)[];
  /** Printed endpoints, for the final order: each workload is printed once. */
  private readonly texts = new TextIds();
  private readonly workloadText: Int32Array;
  private readonly srcText = new IntList();
  private readonly dstText = new IntList();

  constructor(
    private readonly matrix: ClassMatrix,
    private readonly index: WorkloadIndex,
  ) {
    this.workloadEndpoints = new Array(index.workloads.length);
    this.workloadText = new Int32Array(index.workloads.length).fill(-1);
  }

  /** Workload -> workload rows in slot order; the slots with an external end are returned as runs to merge. */
  workloadRows(slots: EndpointPairSlots, order: Int32Array): ExternalRun[] {
    const externalRuns: ExternalRun[] = [];
    for (let i = 0; i < order.length; i++) {
      const k = order[i]!;
      const s = slots.src.get(k);
      const d = slots.dst.get(k);
      const conn = slots.conn.get(k);
      if (s >= 0 && d >= 0) this.push(this.workloadEndpoint(s), this.textOfWorkload(s), this.workloadEndpoint(d), this.textOfWorkload(d), conn);
      else if (s >= 0) externalRuns.push({ fixed: s, atom: -d - 1, conn, srcIsFixed: true });
      else externalRuns.push({ fixed: d, atom: -s - 1, conn, srcIsFixed: false });
    }
    return externalRuns;
  }

  /** Workload <-> external rows: adjacent atoms of one family with the same workload and connections merged into one range. */
  externalRows(externalRuns: ExternalRun[]): void {
    const atoms = this.matrix.classes.partition.atoms;
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
        externalEndpoints.set(runKey, (external = { endpoint, text: this.texts.id(formatConnEndpoint(endpoint)) }));
      }
      const { endpoint: ext, text: extText } = external;
      if (first.srcIsFixed) this.push(this.workloadEndpoint(first.fixed), this.textOfWorkload(first.fixed), ext, extText, first.conn);
      else this.push(ext, extText, this.workloadEndpoint(first.fixed), this.textOfWorkload(first.fixed), first.conn);
      i = j;
    }
  }

  /** The rows written, by printed source, then destination. */
  sorted(): ConnectivityRow[] {
    return sortByPrintedEndpoints(this.rows, this.srcText.view(), this.dstText.view(), this.texts.texts);
  }

  /** The shared endpoint object of workload w. */
  private workloadEndpoint(w: number): ConnEndpoint {
    return (this.workloadEndpoints[w] ??= { kind: "workload", ref: this.index.workloads[w]! });
  }

  /** The id of workload w's printed text, printed once. */
  private textOfWorkload(w: number): number {
    return this.workloadText[w]! >= 0 ? this.workloadText[w]! : (this.workloadText[w] = this.texts.id(formatConnEndpoint(this.workloadEndpoint(w))));
  }

  private push(src: ConnEndpoint, srcTextId: number, dst: ConnEndpoint, dstTextId: number, conn: ConnId): void {
    this.rows.push({ src, dst, conn: this.matrix.conns.get(conn) });
    this.srcText.push(srcTextId);
    this.dstText.push(dstTextId);
  }
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
