/**
 * What changes between two matrix snapshots, at the granularity of stored rows. Pure: the matrix
 * repository turns the delta into UPDATEs (close rows: valid_to = g) and INSERTs (open rows:
 * valid_from = g), so a recompute that changes one connection writes two rows, not the matrix.
 *
 * Row identities: a class by its key; a member by (class key, member key); a connection by
 * (source class, destination class). A row whose identity survives but whose content changed
 * (a class's kind, a workload's pod count, a connection set) is closed and reopened.
 */
import type { ClassMember, MatrixClass, MatrixSnapshot } from "../domain/repositories.js";
import { drain, YIELD_EVERY, type SlicedWork } from "../domain/TimeSlicer.js";
import { compareUtf16, sortSliced } from "../engine/util/sortSliced.js";
import { memberKey, splitClassPairKey, type ClassKey, type ClassPair, type ClassPairKey, type MemberKey } from "../domain/keys.js";

export interface OpenMember {
  readonly classKey: ClassKey;
  readonly memberKey: MemberKey;
  readonly member: ClassMember;
}

export type ConnectionRef = ClassPair;

export interface OpenConnection extends ConnectionRef {
  readonly conn: string;
}

export interface MatrixDelta {
  readonly closeClasses: readonly ClassKey[];
  readonly openClasses: readonly Pick<MatrixClass, "key" | "kind">[];
  readonly closeMembers: readonly Omit<OpenMember, "member">[];
  readonly openMembers: readonly OpenMember[];
  readonly closeConnections: readonly ConnectionRef[];
  readonly openConnections: readonly OpenConnection[];
}

export interface MatrixDeltaCounts {
  readonly classesClosed: number;
  readonly classesOpened: number;
  readonly membersClosed: number;
  readonly membersOpened: number;
  readonly connectionsClosed: number;
  readonly connectionsOpened: number;
}

function sameMember(a: ClassMember, b: ClassMember): boolean {
  // Identity is equal (same memberKey); only a workload's pod count can differ.
  return a.type !== "workload" || b.type !== "workload" || a.pods === b.pods;
}

/** Members by key; a duplicate identity in one class keeps the last occurrence. */
function membersByKey(c: MatrixClass): Map<MemberKey, ClassMember> {
  return new Map(c.members.map((m) => [memberKey(m), m]));
}

export function computeMatrixDelta(previous: MatrixSnapshot | undefined, next: MatrixSnapshot): MatrixDelta {
  return drain(computeMatrixDeltaSliced(previous, next));
}

/** computeMatrixDelta as sliced work (TimeSlicer): a full diff, or a large batched change, is long. */
export function* computeMatrixDeltaSliced(previous: MatrixSnapshot | undefined, next: MatrixSnapshot): SlicedWork<MatrixDelta> {
  let n = 0;
  const closeClasses: ClassKey[] = [];
  const openClasses: Pick<MatrixClass, "key" | "kind">[] = [];
  const closeMembers: Omit<OpenMember, "member">[] = [];
  const openMembers: OpenMember[] = [];
  const prevClasses = previous?.classes ?? new Map<ClassKey, MatrixClass>();
  // An incremental snapshot names the keys that may differ from its base: only those are compared.
  const hint = previous !== undefined && next.changedSince?.base === previous ? next.changedSince : undefined;
  const classKeys = hint ? hint.classes.keys() : undefined;

  // The changed keys' values in `next` come with the hint (a native map): no persistent-map reads.
  const nextClass = hint ? (k: ClassKey) => hint.classes.get(k) : (k: ClassKey) => next.classes.get(k);
  for (const [key, before] of classKeys ? entriesOf(prevClasses, classKeys) : prevClasses) {
    const after = nextClass(key);
    const kindChanged = after !== undefined && after.kind !== before.kind;
    if (after === undefined || kindChanged) {
      closeClasses.push(key);
      for (const mk of membersByKey(before).keys()) closeMembers.push({ classKey: key, memberKey: mk });
      continue;
    }
    const beforeMembers = membersByKey(before);
    const afterMembers = membersByKey(after);
    for (const [mk, m] of beforeMembers) {
      const now = afterMembers.get(mk);
      if (now === undefined || !sameMember(m, now)) closeMembers.push({ classKey: key, memberKey: mk });
    }
    for (const [mk, m] of afterMembers) {
      const was = beforeMembers.get(mk);
      if (was === undefined || !sameMember(was, m)) openMembers.push({ classKey: key, memberKey: mk, member: m });
    }
    if (++n % YIELD_EVERY === 0) yield;
  }
  for (const [key, after] of hint ? entriesOf(hint.classes, hint.classes.keys()) : next.classes) {
    const before = prevClasses.get(key);
    if (before !== undefined && before.kind === after.kind) continue; // handled above
    openClasses.push({ key, kind: after.kind });
    for (const [mk, m] of membersByKey(after)) openMembers.push({ classKey: key, memberKey: mk, member: m });
    if (++n % YIELD_EVERY === 0) yield;
  }

  // Keys collected, rows built once they are sorted (sorting the keys as strings is the fast sort).
  const closed: ClassPairKey[] = [];
  const opened = new Map<ClassPairKey, string>();
  const prevConnections = previous?.connections ?? new Map<ClassPairKey, string>();
  if (hint) {
    // One read of the base per changed key; the new value comes with the hint.
    for (const [key, conn] of hint.connections) {
      const was = prevConnections.get(key);
      if (was === conn) continue;
      if (was !== undefined) closed.push(key);
      if (conn !== undefined) opened.set(key, conn);
      if (++n % YIELD_EVERY === 0) yield;
    }
  } else {
    for (const [key, conn] of prevConnections) {
      if (next.connections.get(key) !== conn) closed.push(key);
      if (++n % YIELD_EVERY === 0) yield;
    }
    for (const [key, conn] of next.connections) {
      if (prevConnections.get(key) !== conn) opened.set(key, conn);
      if (++n % YIELD_EVERY === 0) yield;
    }
  }
  // Rows in primary-key order: the commit's statements then insert into (and look up) each index's
  // pages in order instead of at random ones. 800,000 connections inserted in the maps' hash order
  // took PostgreSQL 21 s, sorted 10 s. A pair key is "src NUL dst" and NUL sorts first, so the
  // keys' string order is the (source, destination) order.
  const closeConnections: ConnectionRef[] = [];
  for (const key of yield* sortSliced(closed)) {
    closeConnections.push(splitClassPairKey(key));
    if (++n % YIELD_EVERY === 0) yield;
  }
  const openConnections: OpenConnection[] = [];
  for (const key of yield* sortSliced([...opened.keys()])) {
    // Named fields, not a spread of the split: spread rows cost about twice the time and memory
    // (measured on the API's index, which built its rows that way; see GenerationIndex.addConnection).
    const { srcClass, dstClass } = splitClassPairKey(key);
    openConnections.push({ srcClass, dstClass, conn: opened.get(key)! });
    if (++n % YIELD_EVERY === 0) yield;
  }
  return {
    closeClasses: yield* sortSliced(closeClasses),
    openClasses: yield* sortSliced(openClasses, (a, b) => compareUtf16(a.key, b.key)),
    closeMembers: yield* sortSliced(closeMembers, byMember),
    openMembers: yield* sortSliced(openMembers, byMember),
    closeConnections,
    openConnections,
  };
}

function byMember(a: Omit<OpenMember, "member">, b: Omit<OpenMember, "member">): number {
  return compareUtf16(a.classKey, b.classKey) || compareUtf16(a.memberKey, b.memberKey);
}

/** The entries of `m` under `keys` (those it has). */
function* entriesOf<K, V>(m: ReadonlyMap<K, V | undefined>, keys: Iterable<K>): Generator<[K, V]> {
  for (const k of keys) {
    const v = m.get(k);
    if (v !== undefined) yield [k, v];
  }
}

export function deltaCounts(d: MatrixDelta): MatrixDeltaCounts {
  return {
    classesClosed: d.closeClasses.length,
    classesOpened: d.openClasses.length,
    membersClosed: d.closeMembers.length,
    membersOpened: d.openMembers.length,
    connectionsClosed: d.closeConnections.length,
    connectionsOpened: d.openConnections.length,
  };
}

export function isEmptyDelta(d: MatrixDelta): boolean {
  return Object.values(deltaCounts(d)).every((n) => n === 0);
}
