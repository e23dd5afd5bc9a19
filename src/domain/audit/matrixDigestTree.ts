/**
 * The generation chain's content digest, scheme 2: a digest a commit updates in the time of what it
 * changed. Pure.
 *
 * Scheme 1 (matrixDigest, MatrixDigestState) is one SHA-256 over every line of the matrix. At
 * 150,000 pods that is 833,000 lines, 82 MB, hashed again at every commit: ~0.5 s of CPU for a
 * policy change that moved no connection, most of the 0.45-0.65 s such a commit took (bench,
 * 2026-12-07). Scheme 2 hashes the same lines in buckets and then the buckets' digests:
 *
 * - each class line and each connection line (classLine, connectionLine: the lines of scheme 1) goes
 *   to bucket FNV-1a-32(its key's UTF-16 code units) mod 4096, classes and connections apart;
 * - a bucket's digest is SHA-256 over its lines in key order (`<`, UTF-16 code units), each ending in
 *   a newline (an empty bucket: SHA-256 of nothing);
 * - the content digest is hex SHA-256 over "kubereach matrix digest 2\n", then the 4,096 class
 *   buckets' digests, then the 4,096 connection buckets' digests (32 bytes each, by index).
 *
 * Positions are fixed, so the layout is unambiguous; every bucket digest is SHA-256, so a change of
 * any line changes the root (the partition needs no cryptographic strength: it only decides which
 * lines are hashed together). A change of k keys rehashes at most k buckets (~200 lines each at
 * 150,000 pods) and 256 KB of bucket digests. An auditor recomputes it with any SHA-256 and the
 * 32-bit FNV-1a above (offset basis 2166136261, prime 16777619).
 */
import { createHash } from "node:crypto";
import type { ClassKey, ClassPairKey } from "../keys.js";
import type { MatrixClass, MatrixSnapshot } from "../repositories.js";
import { classLine, connectionLine, encodeConnectionLine } from "./matrixDigestState.js";
import { drain, YIELD_EVERY, type SlicedWork } from "../TimeSlicer.js";

/** The scheme's number as `matrix_generations.content_digest_scheme` stores it. */
export const DIGEST_TREE_SCHEME = 2;

/** Buckets per section (classes, connections): a power of two. */
export const DIGEST_BUCKETS = 4096;
const DIGEST_BYTES = 32;
const ROOT_PREFIX = "kubereach matrix digest 2\n";
const EMPTY_BUCKET = createHash("sha256").digest();

/** The bucket of a key: 32-bit FNV-1a over its UTF-16 code units, modulo DIGEST_BUCKETS. */
export function digestBucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & (DIGEST_BUCKETS - 1);
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

/** One section (classes or connections): its buckets and their digests, DIGEST_BYTES each by index. */
interface Section<V> {
  readonly buckets: readonly Bucket<V>[];
  readonly digests: Buffer;
}

const CLASS_LINES: Lines<MatrixClass> = { line: (_k, c) => classLine(c) };
// A change that touches every bucket rebuilds every connection line (~1 million at 150,000 pods):
// as strings, ~350 MB of garbage and twenty-odd scavenges on the thread the API's readers share.
const CONNECTION_LINES: Lines<string> = { line: connectionLine, encode: encodeConnectionLine };

export class MatrixDigestTree {
  private constructor(
    private readonly classes: Section<MatrixClass>,
    private readonly connections: Section<string>,
  ) {}

  /** The tree of a whole snapshot (every line built and hashed once). */
  static of(snapshot: MatrixSnapshot): MatrixDigestTree {
    return drain(MatrixDigestTree.ofSliced(snapshot));
  }

  /** of() as sliced work (TimeSlicer): at 150,000 pods the lines of a whole matrix are seconds of CPU. */
  static *ofSliced(snapshot: MatrixSnapshot): SlicedWork<MatrixDigestTree> {
    const classes = yield* section(snapshot.classes, CLASS_LINES);
    const connections = yield* section(snapshot.connections, CONNECTION_LINES);
    return new MatrixDigestTree(classes, connections);
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
    const classes = yield* patch(this.classes, classKeys, classOf, CLASS_LINES);
    const connections = yield* patch(this.connections, connectionKeys, connectionOf, CONNECTION_LINES);
    return new MatrixDigestTree(classes, connections);
  }

  /** The content digest (hex) of the snapshot this tree stands for: one hash over the bucket digests. */
  digest(): string {
    return createHash("sha256").update(ROOT_PREFIX, "utf8").update(this.classes.digests).update(this.connections.digests).digest("hex");
  }
}

/** A section from scratch: keys bucketed, each bucket sorted, its lines built and hashed. */
function* section<K extends string, V>(map: ReadonlyMap<K, V>, lines: Lines<V>): SlicedWork<Section<V>> {
  const grouped: K[][] = Array.from({ length: DIGEST_BUCKETS }, () => []);
  // A read of a persistent map hashes its key anew: its entries are copied into a native map on the
  // one pass over them instead (a native map is read as it is).
  const values = map instanceof Map ? (map as ReadonlyMap<K, V>) : new Map<K, V>();
  let n = 0;
  for (const [k, v] of map) {
    grouped[digestBucketOf(k)]!.push(k);
    if (values !== map) (values as Map<K, V>).set(k, v);
    if (++n % (YIELD_EVERY * 8) === 0) yield;
  }
  const buckets = new Array<Bucket<V>>(DIGEST_BUCKETS);
  const digests = Buffer.alloc(DIGEST_BUCKETS * DIGEST_BYTES);
  let work = 0;
  for (let b = 0; b < DIGEST_BUCKETS; b++) {
    // Default sort: UTF-16 code unit order, the engine's own string comparison.
    const keys = grouped[b]!.sort();
    const bucket: Bucket<V> = keys.length === 0 ? NO_BUCKET : { keys, values: keys.map((k) => values.get(k)!) };
    buckets[b] = bucket;
    hashBucket(bucket, lines).copy(digests, b * DIGEST_BYTES);
    work += keys.length + 1;
    if (work >= YIELD_EVERY) {
      work = 0;
      yield;
    }
  }
  return { buckets, digests };
}

/**
 * `s` with the changed keys re-read through `valueOf` (undefined: the key is gone): only the
 * buckets they fall in are rebuilt and rehashed; the others are shared with `s`.
 */
function* patch<K extends string, V>(s: Section<V>, changed: Iterable<K>, valueOf: (k: K) => V | undefined, lines: Lines<V>): SlicedWork<Section<V>> {
  const edits = new Map<number, Map<string, V | undefined>>();
  let n = 0;
  for (const k of changed) {
    const b = digestBucketOf(k);
    let e = edits.get(b);
    if (!e) edits.set(b, (e = new Map()));
    if (!e.has(k)) e.set(k, valueOf(k));
    if (++n % YIELD_EVERY === 0) yield;
  }
  if (edits.size === 0) return s;
  const buckets = s.buckets.slice();
  const digests = Buffer.from(s.digests);
  let work = 0;
  for (const [b, e] of edits) {
    const bucket = merge(buckets[b]!, e);
    buckets[b] = bucket;
    hashBucket(bucket, lines).copy(digests, b * DIGEST_BYTES);
    work += bucket.keys.length + e.size;
    if (work >= YIELD_EVERY) {
      work = 0;
      yield;
    }
  }
  return { buckets, digests };
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
