/**
 * One generation's matrix in memory, indexed for whoCanReach/reachableFrom: the classes of each
 * workload, the connections into and out of each class, and each class's members. Loaded with one
 * read of the stored snapshot, so the first question about each workload after a new generation is
 * answered from memory instead of three database reads per workload (the difference between a
 * dashboard's first pass taking seconds and taking one snapshot read). It is a MatrixReader
 * (src/domain/matrixReader.ts), answering as the store's reader of the same generation would.
 */
import type { MatrixReader } from "../../domain/matrixReader.js";
import type { ClassKey, ClassMember, MatrixClass, MatrixConnectionRow, MatrixSnapshot, WorkloadClassRow } from "../../domain/repositories.js";
import { drain, YIELD_EVERY, type SlicedWork } from "../../domain/TimeSlicer.js";
import { classPairKey, splitClassPairKey, workloadNameKey, type ClassPairKey, type WorkloadNameKey } from "../../domain/keys.js";

export class GenerationIndex implements MatrixReader {
  private readonly workloads: Map<WorkloadNameKey, WorkloadClassRow[]>;
  private readonly into: Map<ClassKey, MatrixConnectionRow[]>;
  private readonly outOf: Map<ClassKey, MatrixConnectionRow[]>;
  private readonly membersOf: Map<ClassKey, readonly ClassMember[]>;
  /** Set by derive(): the index this one was derived from and what differs (classes; classes whose incoming / outgoing rows changed). */
  derived: { readonly from: GenerationIndex; readonly classes: { has(k: ClassKey): boolean }; readonly into: ReadonlySet<ClassKey>; readonly outOf: ReadonlySet<ClassKey> } | undefined;

  /**
   * The index of a snapshot an incremental recompute derived from `previous`'s snapshot (its
   * changedSince hint names what differs): built from `previous` by replacing only the rows of
   * changed classes and connections, so a generation committed in this process is indexed in time
   * proportional to the change, and no reader waits for a whole snapshot read.
   */
  static derive(previous: GenerationIndex, snapshot: MatrixSnapshot): GenerationIndex {
    return drain(GenerationIndex.deriveSliced(previous, snapshot));
  }

  /** derive() as sliced work (TimeSlicer): a batch of changes rewrites the rows of thousands of classes. */
  static *deriveSliced(previous: GenerationIndex, snapshot: MatrixSnapshot): SlicedWork<GenerationIndex> {
    const hint = snapshot.changedSince;
    if (!hint) return yield* GenerationIndex.buildSliced(snapshot);
    const next = new GenerationIndex(previous);
    // Classes whose members changed: drop their workload rows, then add the new ones.
    const touchedWorkloads = new Set<WorkloadNameKey>();
    // The changed values come with the hint (native maps): no reads of the snapshot's persistent maps.
    for (const [key, c] of hint.classes) {
      for (const m of previous.membersOf.get(key) ?? []) if (m.type === "workload") touchedWorkloads.add(workloadNameKey(m.namespace, m.name));
      if (c) next.membersOf.set(key, c.members);
      else next.membersOf.delete(key);
    }
    for (const w of touchedWorkloads) {
      const kept = (previous.workloads.get(w) ?? []).filter((r) => !hint.classes.has(r.classKey));
      if (kept.length > 0) next.workloads.set(w, kept);
      else next.workloads.delete(w);
    }
    for (const [key, c] of hint.classes) {
      for (const m of c?.members ?? []) {
        if (m.type !== "workload") continue;
        const k = workloadNameKey(m.namespace, m.name);
        const rows = next.workloads.get(k);
        // A fresh array when it is still the previous index's (that index stays in use by its generation).
        const own = rows && touchedWorkloads.has(k) ? rows : [...(rows ?? [])];
        touchedWorkloads.add(k);
        own.push({ classKey: key, workloadKind: m.kind, pods: m.pods });
        next.workloads.set(k, own);
      }
    }
    // Connections: per class whose rows changed, its list without the changed pairs, plus their new rows.
    const changedInto = new Map<ClassKey, Set<ClassKey>>();
    const changedOutOf = new Map<ClassKey, Set<ClassKey>>();
    let n = 0;
    for (const pair of hint.connections.keys()) {
      const { srcClass: src, dstClass: dst } = splitClassPairKey(pair);
      addTo(changedInto, dst, src);
      addTo(changedOutOf, src, dst);
      if (++n % YIELD_EVERY === 0) yield;
    }
    for (const [dst, srcs] of changedInto) {
      const rows = (previous.into.get(dst) ?? []).filter((r) => !srcs.has(r.srcClass));
      for (const src of srcs) {
        const conn = hint.connections.get(classPairKey(src, dst));
        if (conn !== undefined) rows.push({ srcClass: src, dstClass: dst, conn });
      }
      if (rows.length > 0) next.into.set(dst, rows);
      else next.into.delete(dst);
      yield;
    }
    for (const [src, dsts] of changedOutOf) {
      const rows = (previous.outOf.get(src) ?? []).filter((r) => !dsts.has(r.dstClass));
      for (const dst of dsts) {
        const conn = hint.connections.get(classPairKey(src, dst));
        if (conn !== undefined) rows.push({ srcClass: src, dstClass: dst, conn });
      }
      if (rows.length > 0) next.outOf.set(src, rows);
      else next.outOf.delete(src);
      yield;
    }
    // Only one step back is kept: the index before `previous` is not needed any more.
    previous.derived = undefined;
    next.derived = { from: previous, classes: hint.classes, into: new Set(changedInto.keys()), outOf: new Set(changedOutOf.keys()) };
    return next;
  }

  /**
   * The index of a whole snapshot as sliced work (TimeSlicer), for the event loop the readers
   * share: linear in the matrix, it is seconds of CPU at hundreds of thousands of connections.
   */
  static *buildSliced(snapshot: MatrixSnapshot): SlicedWork<GenerationIndex> {
    const index = new GenerationIndex();
    let n = 0;
    for (const c of snapshot.classes.values()) {
      index.addClass(c);
      n += 1 + c.members.length;
      if (n >= YIELD_EVERY) {
        n = 0;
        yield;
      }
    }
    for (const [pair, conn] of snapshot.connections) {
      index.addConnection(pair, conn);
      if (++n >= YIELD_EVERY) {
        n = 0;
        yield;
      }
    }
    return index;
  }

  /** buildSliced() in one go (tests; the service builds sliced). */
  static build(snapshot: MatrixSnapshot): GenerationIndex {
    return drain(GenerationIndex.buildSliced(snapshot));
  }

  /** Empty, or a copy of `copyOf` for derive(); filled by buildSliced() or deriveSliced(). */
  private constructor(copyOf?: GenerationIndex) {
    // Shallow copies: the lists inside are replaced, never changed, by derive().
    this.workloads = new Map(copyOf?.workloads);
    this.into = new Map(copyOf?.into);
    this.outOf = new Map(copyOf?.outOf);
    this.membersOf = new Map(copyOf?.membersOf);
  }

  private addClass(c: MatrixClass): void {
    this.membersOf.set(c.key, c.members);
    for (const m of c.members) {
      if (m.type !== "workload") continue;
      const k = workloadNameKey(m.namespace, m.name);
      let rows = this.workloads.get(k);
      if (!rows) this.workloads.set(k, (rows = []));
      rows.push({ classKey: c.key, workloadKind: m.kind, pods: m.pods });
    }
  }

  private addConnection(pair: ClassPairKey, conn: string): void {
    const row: MatrixConnectionRow = { ...splitClassPairKey(pair), conn };
    push(this.into, row.dstClass, row);
    push(this.outOf, row.srcClass, row);
  }

  /** As MatrixRepository.classesOfWorkload. */
  classesOfWorkload(namespace: string, name: string, kind?: string): WorkloadClassRow[] {
    const rows = this.workloads.get(workloadNameKey(namespace, name)) ?? [];
    return kind ? rows.filter((r) => r.workloadKind === kind) : rows;
  }

  /** As MatrixRepository.incoming / outgoing. */
  connections(direction: "incoming" | "outgoing", classes: readonly ClassKey[]): MatrixConnectionRow[] {
    const index = direction === "incoming" ? this.into : this.outOf;
    return classes.flatMap((k) => index.get(k) ?? []);
  }

  /** As MatrixRepository.members. */
  members(classes: readonly ClassKey[]): ReadonlyMap<ClassKey, readonly ClassMember[]> {
    return new Map(classes.map((k) => [k, this.membersOf.get(k) ?? []]));
  }

  /** As MatrixRepository.allConnections: ordered by (source class, destination class). */
  allConnections(options: { readonly namespace?: string } = {}): MatrixConnectionRow[] {
    const { namespace } = options;
    const inNamespace = (k: ClassKey) => (this.membersOf.get(k) ?? []).some((m) => m.type === "workload" && m.namespace === namespace);
    const rows: MatrixConnectionRow[] = [];
    for (const list of this.outOf.values()) for (const r of list) if (namespace === undefined || inNamespace(r.srcClass) || inNamespace(r.dstClass)) rows.push(r);
    return rows.sort((a, b) => compare(a.srcClass, b.srcClass) || compare(a.dstClass, b.dstClass));
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (s) s.add(v);
  else m.set(k, new Set([v]));
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
