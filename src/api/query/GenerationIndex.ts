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
import { PersistentMap } from "../../domain/PersistentMap.js";

/**
 * The index's maps. Persistent (PersistentMap): a derived index shares what did not change with
 * the one it was derived from. Native copies of the four maps (~40,000 keys each at 150,000 pods)
 * took 150-200 ms per generation in one piece, a stall every reader of the event loop waited out.
 */
interface IndexMaps {
  readonly workloads: PersistentMap<WorkloadNameKey, WorkloadClassRow[]>;
  readonly into: PersistentMap<ClassKey, MatrixConnectionRow[]>;
  readonly outOf: PersistentMap<ClassKey, MatrixConnectionRow[]>;
  readonly membersOf: PersistentMap<ClassKey, readonly ClassMember[]>;
}

export class GenerationIndex implements MatrixReader {
  private readonly workloads: IndexMaps["workloads"];
  private readonly into: IndexMaps["into"];
  private readonly outOf: IndexMaps["outOf"];
  private readonly membersOf: IndexMaps["membersOf"];
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

  /**
   * derive() as sliced work (TimeSlicer): a batch of changes rewrites the rows of thousands of
   * classes. `hint`: what `snapshot` changed since `previous`'s snapshot, read when the snapshot was
   * handed over (the sync drops a snapshot's hint once it computes the next generation on it).
   */
  static *deriveSliced(previous: GenerationIndex, snapshot: MatrixSnapshot, hint: MatrixSnapshot["changedSince"] = snapshot.changedSince): SlicedWork<GenerationIndex> {
    if (!hint) return yield* GenerationIndex.buildSliced(snapshot);
    // The edits of each map (undefined: the key goes), applied to new versions of `previous`'s maps at the end.
    const members = new Map<ClassKey, readonly ClassMember[] | undefined>();
    const workloads = new Map<WorkloadNameKey, WorkloadClassRow[] | undefined>();
    const into = new Map<ClassKey, MatrixConnectionRow[] | undefined>();
    const outOf = new Map<ClassKey, MatrixConnectionRow[] | undefined>();
    // Classes whose members changed: drop their workload rows, then add the new ones.
    const touchedWorkloads = new Set<WorkloadNameKey>();
    // The changed values come with the hint (native maps): no reads of the snapshot's persistent maps.
    for (const [key, c] of hint.classes) {
      for (const m of previous.membersOf.get(key) ?? []) if (m.type === "workload") touchedWorkloads.add(workloadNameKey(m.namespace, m.name));
      members.set(key, c?.members);
    }
    for (const w of touchedWorkloads) {
      const kept = (previous.workloads.get(w) ?? []).filter((r) => !hint.classes.has(r.classKey));
      workloads.set(w, kept.length > 0 ? kept : undefined);
    }
    for (const [key, c] of hint.classes) {
      for (const m of c?.members ?? []) {
        if (m.type !== "workload") continue;
        const k = workloadNameKey(m.namespace, m.name);
        const rows = workloads.has(k) ? workloads.get(k) : previous.workloads.get(k);
        // A fresh array when it is still the previous index's (that index stays in use by its generation).
        const own = rows && touchedWorkloads.has(k) ? rows : [...(rows ?? [])];
        touchedWorkloads.add(k);
        own.push({ classKey: key, workloadKind: m.kind, pods: m.pods });
        workloads.set(k, own);
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
      into.set(dst, rows.length > 0 ? rows : undefined);
      yield;
    }
    for (const [src, dsts] of changedOutOf) {
      const rows = (previous.outOf.get(src) ?? []).filter((r) => !dsts.has(r.dstClass));
      for (const dst of dsts) {
        const conn = hint.connections.get(classPairKey(src, dst));
        if (conn !== undefined) rows.push({ srcClass: src, dstClass: dst, conn });
      }
      outOf.set(src, rows.length > 0 ? rows : undefined);
      yield;
    }
    const next = new GenerationIndex({
      workloads: yield* PersistentMap.withEditsSliced(previous.workloads, workloads),
      into: yield* PersistentMap.withEditsSliced(previous.into, into),
      outOf: yield* PersistentMap.withEditsSliced(previous.outOf, outOf),
      membersOf: yield* PersistentMap.withEditsSliced(previous.membersOf, members),
    });
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
    const index = new IndexBuilder();
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
    // Persistent over the builder's native maps, which nothing changes from now on: no copy.
    return new GenerationIndex({
      workloads: PersistentMap.over(index.workloads),
      into: PersistentMap.over(index.into),
      outOf: PersistentMap.over(index.outOf),
      membersOf: PersistentMap.over(index.membersOf),
    });
  }

  /** buildSliced() in one go (tests; the service builds sliced). */
  static build(snapshot: MatrixSnapshot): GenerationIndex {
    return drain(GenerationIndex.buildSliced(snapshot));
  }

  /** The lists inside the maps are replaced, never changed, by derive(): an index stays valid for its generation. */
  private constructor(maps: IndexMaps) {
    this.workloads = maps.workloads;
    this.into = maps.into;
    this.outOf = maps.outOf;
    this.membersOf = maps.membersOf;
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

/** A whole snapshot's index as native maps, filled by buildSliced and then made persistent. */
class IndexBuilder {
  readonly workloads = new Map<WorkloadNameKey, WorkloadClassRow[]>();
  readonly into = new Map<ClassKey, MatrixConnectionRow[]>();
  readonly outOf = new Map<ClassKey, MatrixConnectionRow[]>();
  readonly membersOf = new Map<ClassKey, readonly ClassMember[]>();

  addClass(c: MatrixClass): void {
    this.membersOf.set(c.key, c.members);
    for (const m of c.members) {
      if (m.type !== "workload") continue;
      const k = workloadNameKey(m.namespace, m.name);
      let rows = this.workloads.get(k);
      if (!rows) this.workloads.set(k, (rows = []));
      rows.push({ classKey: c.key, workloadKind: m.kind, pods: m.pods });
    }
  }

  addConnection(pair: ClassPairKey, conn: string): void {
    // Named fields, not `{ ...splitClassPairKey(pair), conn }`: an index of 800,000 connections was
    // built in 2.7-4.1 s and held 311 MiB with spread rows, 1.6-2.5 s and 159 MiB with these.
    const { srcClass, dstClass } = splitClassPairKey(pair);
    const row: MatrixConnectionRow = { srcClass, dstClass, conn };
    push(this.into, dstClass, row);
    push(this.outOf, srcClass, row);
  }
}
