/**
 * The generation chain's content digest, schemes 2 and 3: a digest a commit updates in the time of
 * what it changed. Pure.
 *
 * Scheme 1 (matrixDigest, MatrixDigestState) is one SHA-256 over every line of the matrix. At
 * 150,000 pods that is 833,000 lines, 82 MB, hashed again at every commit: ~0.5 s of CPU for a
 * policy change that moved no connection, most of the 0.45-0.65 s such a commit took (bench,
 * 2026-12-07). Schemes 2 and 3 hash the same lines in buckets, then the buckets' digests:
 *
 * - each class line and each connection line (classLine, connectionLine: the lines of scheme 1) goes
 *   to bucket FNV-1a-32(its key's UTF-16 code units) mod B, classes and connections apart;
 * - a bucket's digest is SHA-256 over its lines in key order (`<`, UTF-16 code units), each ending in
 *   a newline (an empty bucket: SHA-256 of nothing);
 * - scheme 2: B = 4,096; the content digest is hex SHA-256 over "kubereach matrix digest 2\n", then
 *   the 4,096 class buckets' digests, then the 4,096 connection buckets' digests (32 bytes each, by
 *   index);
 * - scheme 3: B = 65,536, in 4,096 groups of 16 consecutive buckets (group g holds buckets 16g to
 *   16g + 15); a group's digest is SHA-256 over its 16 bucket digests (32 bytes each, in order); the
 *   content digest is hex SHA-256 over "kubereach matrix digest 3\n", then the 4,096 class groups'
 *   digests, then the 4,096 connection groups' digests.
 *
 * Positions are fixed, so the layout is unambiguous; every digest is SHA-256, so a change of any
 * line changes the root (the partition needs no cryptographic strength: it only decides which
 * lines are hashed together). A change of k keys rehashes at most k buckets and 256 KB of group
 * digests. Why scheme 3: at 150,000 pods a scheme-2 bucket holds ~200 connection lines, and a change
 * of ~11,000 connections touches nearly all 4,096 buckets, so it rebuilt and hashed ~800,000 lines
 * (0.6-2 s of CPU, the critical path of such a commit); with 65,536 buckets of ~12 lines it touches
 * about a sixth of them. The groups keep the root's input at 256 KB, so a small change costs what
 * it did. An auditor recomputes either with any SHA-256 and the 32-bit FNV-1a above (offset basis
 * 2166136261, prime 16777619).
 */
import { createHash } from "node:crypto";
import type { ClassKey, ClassPairKey } from "../keys.js";
import type { MatrixClass, MatrixSnapshot } from "../repositories.js";
import { classLine, connectionLine, encodeConnectionLine } from "./matrixDigestState.js";
import { drain, YIELD_EVERY, type SlicedWork } from "../TimeSlicer.js";

/** The tree schemes (`matrix_generations.content_digest_scheme`). */
export type DigestTreeScheme = 2 | 3;

/** The tree scheme new generations are committed with. */
export const DIGEST_TREE_SCHEME: DigestTreeScheme = 3;

/** How a tree scheme lays its lines out (see the header). */
export interface DigestLayout {
  readonly scheme: DigestTreeScheme;
  /** Buckets per section (classes, connections): a power of two. */
  readonly buckets: number;
  /** Consecutive buckets per group; 1: the root hashes the bucket digests themselves. */
  readonly groupSize: number;
  readonly prefix: string;
}

export const DIGEST_LAYOUTS: Readonly<Record<DigestTreeScheme, DigestLayout>> = {
  2: { scheme: 2, buckets: 4096, groupSize: 1, prefix: "kubereach matrix digest 2\n" },
  3: { scheme: 3, buckets: 65536, groupSize: 16, prefix: "kubereach matrix digest 3\n" },
};

const DIGEST_BYTES = 32;
const EMPTY_BUCKET = createHash("sha256").digest();

/** 32-bit FNV-1a over a key's UTF-16 code units. */
export function fnv1a32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The bucket of a key under `layout`: FNV-1a-32 modulo its bucket count. */
export function digestBucketOf(key: string, layout: DigestLayout = DIGEST_LAYOUTS[DIGEST_TREE_SCHEME]): number {
  return fnv1a32(key) & (layout.buckets - 1);
}

/**
 * One bucket: its keys in `<` order and, at the same index, their values (a class, or a
 * connection's text: the snapshot's own objects, shared with it). Never changed once built. No
 * lines are kept: a bucket's lines are built again each time it is hashed. Kept as bytes, a change
 * that touched thousands of buckets (most changes of ~10,000 connections touch nearly all 4,096)
 * allocated the tree's size (~80 MB at 150,000 pods) of new buffers outside the heap, and V8
 * answers that much external memory with a full collection of the whole heap (~1 s of marking on
 * the event loop at 1.2 GB, stalls of 0.3-0.9 s for every reader); as strings per line they were
 * ~260 MB of heap. Values cost a pointer each, and a rebuilt bucket's lines are short-lived.
 */
interface Bucket<V> {
  readonly keys: readonly string[];
  readonly values: readonly V[];
}

const NO_BUCKET: Bucket<never> = { keys: [], values: [] };

/**
 * Where a bucket's lines are encoded to be hashed in one update (an update per line cost more than
 * the hashing): one buffer for every bucket, grown when a bucket needs more, so that hashing
 * allocates nothing but the lines themselves.
 */
let scratch = Buffer.allocUnsafeSlow(1 << 16);

/**
 * How a section's lines are made: `line` builds one; `encode`, when given, writes the same bytes
 * straight into a buffer at an offset (returning where they end), or answers undefined for a line
 * it cannot write so (then `line` is used), without building the line.
 */
interface Lines<V> {
  readonly line: (k: string, v: V) => string;
  readonly encode?: (buf: Buffer, at: number, k: string, v: V) => number | undefined;
}

/** SHA-256 over a bucket's lines, in key order. */
function hashBucket<V>(bucket: Bucket<V>, lines: Lines<V>): Buffer {
  const n = bucket.keys.length;
  if (n === 0) return EMPTY_BUCKET;
  const { line, encode } = lines;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const end = encode?.(scratch, at, bucket.keys[i]!, bucket.values[i]!);
    if (end !== undefined) {
      at = end;
      continue;
    }
    const l = line(bucket.keys[i]!, bucket.values[i]!);
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (at + 3 * l.length > scratch.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * scratch.length, at + 3 * l.length));
      scratch.copy(grown, 0, 0, at);
      scratch = grown;
    }
    at += scratch.write(l, at, "utf8");
  }
  return createHash("sha256").update(scratch.subarray(0, at)).digest();
}

/**
 * A group of consecutive buckets and their digests (DIGEST_BYTES each, in order). Copied on write:
 * a derived tree shares every group it did not touch, so a commit copies the 4,096 group
 * references, the touched groups and 128 KB of group digests per section, not 65,536 buckets and
 * 2 MB of bucket digests (memory outside the heap, which V8 answers with full collections).
 */
interface Group<V> {
  readonly buckets: readonly Bucket<V>[];
  readonly digests: Buffer;
}

/** One section (classes or connections): its groups and their digests, DIGEST_BYTES each by index. */
interface Section<V> {
  readonly groups: readonly Group<V>[];
  readonly digests: Buffer;
}

/** A group's digest: its bucket's own when groups are single buckets (scheme 2), else SHA-256 over its bucket digests. */
function groupDigest(digests: Buffer, layout: DigestLayout): Buffer {
  return layout.groupSize === 1 ? digests : createHash("sha256").update(digests).digest();
}

/** The group of empty buckets of a layout, shared by every section that has one. */
const emptyGroups = new Map<DigestLayout, { group: Group<never>; digest: Buffer }>();
function emptyGroup(layout: DigestLayout): { group: Group<never>; digest: Buffer } {
  let e = emptyGroups.get(layout);
  if (!e) {
    const digests = Buffer.concat(Array.from({ length: layout.groupSize }, () => EMPTY_BUCKET));
    e = { group: { buckets: Array.from({ length: layout.groupSize }, () => NO_BUCKET), digests }, digest: groupDigest(digests, layout) };
    emptyGroups.set(layout, e);
  }
  return e;
}

const CLASS_LINES: Lines<MatrixClass> = { line: (_k, c) => classLine(c) };
// A change that touches every bucket rebuilds every connection line (~1 million at 150,000 pods):
// as strings, ~350 MB of garbage and twenty-odd scavenges on the thread the API's readers share.
const CONNECTION_LINES: Lines<string> = { line: connectionLine, encode: encodeConnectionLine };

export class MatrixDigestTree {
  private constructor(
    private readonly layout: DigestLayout,
    private readonly classes: Section<MatrixClass>,
    private readonly connections: Section<string>,
  ) {}

  /** The tree of a whole snapshot under `scheme` (every line built and hashed once). */
  static of(snapshot: MatrixSnapshot, scheme: DigestTreeScheme = DIGEST_TREE_SCHEME): MatrixDigestTree {
    return drain(MatrixDigestTree.ofSliced(snapshot, scheme));
  }

  /** of() as sliced work (TimeSlicer): at 150,000 pods the lines of a whole matrix are seconds of CPU. */
  static *ofSliced(snapshot: MatrixSnapshot, scheme: DigestTreeScheme = DIGEST_TREE_SCHEME): SlicedWork<MatrixDigestTree> {
    const layout = DIGEST_LAYOUTS[scheme];
    const classes = yield* section(snapshot.classes, CLASS_LINES, layout);
    const connections = yield* section(snapshot.connections, CONNECTION_LINES, layout);
    return new MatrixDigestTree(layout, classes, connections);
  }

  /** The scheme this tree's digest is of. */
  get scheme(): DigestTreeScheme {
    return this.layout.scheme;
  }

  /**
   * The tree of `next`, which equals this tree's snapshot but for the class and connection keys
   * listed (changed, added or removed). This tree is left as it was (a failed commit keeps it usable).
   */
  derive(next: MatrixSnapshot, changedClasses: Iterable<ClassKey>, changedConnections: Iterable<ClassPairKey>): MatrixDigestTree {
    return drain(this.deriveSliced(changedClasses, (k) => next.classes.get(k), changedConnections, (k) => next.connections.get(k)));
  }

  /** derive() from the values of the changed keys (MatrixSnapshot.changedSince). */
  deriveFrom(changed: NonNullable<MatrixSnapshot["changedSince"]>): SlicedWork<MatrixDigestTree> {
    return this.deriveSliced(changed.classes.keys(), (k) => changed.classes.get(k), changed.connections.keys(), (k) => changed.connections.get(k));
  }

  private *deriveSliced(
    classKeys: Iterable<ClassKey>,
    classOf: (k: ClassKey) => MatrixClass | undefined,
    connectionKeys: Iterable<ClassPairKey>,
    connectionOf: (k: ClassPairKey) => string | undefined,
  ): SlicedWork<MatrixDigestTree> {
    const classes = yield* patch(this.classes, classKeys, classOf, CLASS_LINES, this.layout);
    const connections = yield* patch(this.connections, connectionKeys, connectionOf, CONNECTION_LINES, this.layout);
    return new MatrixDigestTree(this.layout, classes, connections);
  }

  /** The content digest (hex) of the snapshot this tree stands for: one hash over the group digests. */
  digest(): string {
    return createHash("sha256").update(this.layout.prefix, "utf8").update(this.classes.digests).update(this.connections.digests).digest("hex");
  }
}

/** A section from scratch: keys bucketed, each bucket sorted, its lines built and hashed, then each group. */
function* section<K extends string, V>(map: ReadonlyMap<K, V>, lines: Lines<V>, layout: DigestLayout): SlicedWork<Section<V>> {
  // Filled as keys come (a section of a small matrix leaves most of scheme 3's 65,536 buckets empty).
  const grouped = new Array<K[] | undefined>(layout.buckets);
  // A read of a persistent map hashes its key anew: its entries are copied into a native map on the
  // one pass over them instead (a native map is read as it is).
  const values = map instanceof Map ? (map as ReadonlyMap<K, V>) : new Map<K, V>();
  let n = 0;
  for (const [k, v] of map) {
    const b = digestBucketOf(k, layout);
    (grouped[b] ??= []).push(k);
    if (values !== map) (values as Map<K, V>).set(k, v);
    if (++n % (YIELD_EVERY * 8) === 0) yield;
  }
  const size = layout.groupSize;
  const count = layout.buckets / size;
  const empty = emptyGroup(layout);
  const groups = new Array<Group<V>>(count);
  const digests = Buffer.alloc(count * DIGEST_BYTES);
  let work = 0;
  for (let g = 0; g < count; g++) {
    let filled = false;
    for (let i = 0; i < size && !filled; i++) filled = grouped[g * size + i] !== undefined;
    if (!filled) {
      groups[g] = empty.group;
      empty.digest.copy(digests, g * DIGEST_BYTES);
      continue;
    }
    const buckets = new Array<Bucket<V>>(size);
    const bucketDigests = Buffer.alloc(size * DIGEST_BYTES);
    for (let i = 0; i < size; i++) {
      // Default sort: UTF-16 code unit order, the engine's own string comparison.
      const keys = grouped[g * size + i]?.sort();
      const bucket: Bucket<V> = keys === undefined ? NO_BUCKET : { keys, values: keys.map((k) => values.get(k)!) };
      buckets[i] = bucket;
      hashBucket(bucket, lines).copy(bucketDigests, i * DIGEST_BYTES);
      work += (keys?.length ?? 0) + 1;
    }
    groups[g] = { buckets, digests: bucketDigests };
    groupDigest(bucketDigests, layout).copy(digests, g * DIGEST_BYTES);
    if (work >= YIELD_EVERY) {
      work = 0;
      yield;
    }
  }
  return { groups, digests };
}

/**
 * `s` with the changed keys re-read through `valueOf` (undefined: the key is gone): only the
 * buckets they fall in are rebuilt and rehashed, and their groups; the others are shared with `s`.
 */
function* patch<K extends string, V>(s: Section<V>, changed: Iterable<K>, valueOf: (k: K) => V | undefined, lines: Lines<V>, layout: DigestLayout): SlicedWork<Section<V>> {
  const size = layout.groupSize;
  // Group -> bucket (its index in the group) -> key -> new value.
  const edits = new Map<number, Map<number, Map<string, V | undefined>>>();
  let n = 0;
  for (const k of changed) {
    const b = digestBucketOf(k, layout);
    const g = Math.floor(b / size);
    let inGroup = edits.get(g);
    if (!inGroup) edits.set(g, (inGroup = new Map()));
    let e = inGroup.get(b % size);
    if (!e) inGroup.set(b % size, (e = new Map()));
    if (!e.has(k)) e.set(k, valueOf(k));
    if (++n % YIELD_EVERY === 0) yield;
  }
  if (edits.size === 0) return s;
  const groups = s.groups.slice();
  const digests = Buffer.from(s.digests);
  let work = 0;
  for (const [g, inGroup] of edits) {
    const before = groups[g]!;
    const buckets = before.buckets.slice();
    const bucketDigests = Buffer.from(before.digests);
    for (const [i, e] of inGroup) {
      const bucket = merge(buckets[i]!, e);
      buckets[i] = bucket;
      hashBucket(bucket, lines).copy(bucketDigests, i * DIGEST_BYTES);
      work += bucket.keys.length + e.size;
    }
    groups[g] = { buckets, digests: bucketDigests };
    groupDigest(bucketDigests, layout).copy(digests, g * DIGEST_BYTES);
    if (work >= YIELD_EVERY) {
      work = 0;
      yield;
    }
  }
  return { groups, digests };
}

/** A bucket with `edits` applied (a key to its new value, or undefined: removed), keys kept in `<` order. */
function merge<V>(bucket: Bucket<V>, edits: ReadonlyMap<string, V | undefined>): Bucket<V> {
  const changed = [...edits.keys()].sort();
  const keys: string[] = [];
  const values: V[] = [];
  let i = 0;
  for (const k of changed) {
    for (; i < bucket.keys.length && bucket.keys[i]! < k; i++) {
      keys.push(bucket.keys[i]!);
      values.push(bucket.values[i]!);
    }
    if (i < bucket.keys.length && bucket.keys[i] === k) i++; // replaced or removed
    const v = edits.get(k);
    if (v !== undefined) {
      keys.push(k);
      values.push(v);
    }
  }
  for (; i < bucket.keys.length; i++) {
    keys.push(bucket.keys[i]!);
    values.push(bucket.values[i]!);
  }
  return keys.length === 0 ? NO_BUCKET : { keys, values };
}
