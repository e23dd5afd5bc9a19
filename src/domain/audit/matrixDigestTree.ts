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
import type { MatrixSnapshot } from "../repositories.js";
import { changedLines, classLine, connectionLine, hintedLines, type ChangedLines } from "./matrixDigestState.js";
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
 * One bucket: its keys in `<` order and their lines, UTF-8 encoded one after the other in `bytes`,
 * line i ending at `ends[i]`. Never changed once built. Bytes, not strings: a line is a string of
 * several parts (a template's pieces) of ~100-200 characters, and 833,000 of them held as strings
 * were ~260 MB of heap at 150,000 pods, all traced by every major GC; as bytes they are their UTF-8
 * length, outside the heap, and a bucket is hashed in one update.
 */
interface Bucket {
  readonly keys: readonly string[];
  readonly bytes: Buffer;
  readonly ends: Uint32Array;
}

const NO_BUCKET: Bucket = { keys: [], bytes: Buffer.alloc(0), ends: new Uint32Array(0) };

/** A bucket of `keys` (in `<` order) and their `lines`. */
function bucketOf(keys: readonly string[], lines: readonly string[]): Bucket {
  if (keys.length === 0) return NO_BUCKET;
  const ends = new Uint32Array(lines.length);
  let end = 0;
  for (let i = 0; i < lines.length; i++) ends[i] = end += Buffer.byteLength(lines[i]!, "utf8");
  const bytes = Buffer.allocUnsafeSlow(end);
  let at = 0;
  for (const l of lines) at += bytes.write(l, at, "utf8");
  return { keys, bytes, ends };
}

/** SHA-256 over a bucket's lines, in order. */
function hashBucket(bucket: Bucket): Buffer {
  return bucket.keys.length === 0 ? EMPTY_BUCKET : createHash("sha256").update(bucket.bytes).digest();
}

/** One section (classes or connections): its buckets and their digests, DIGEST_BYTES each by index. */
interface Section {
  readonly buckets: readonly Bucket[];
  readonly digests: Buffer;
}

export class MatrixDigestTree {
  private constructor(
    private readonly classes: Section,
    private readonly connections: Section,
  ) {}

  /** The tree of a whole snapshot (every line built and hashed once). */
  static of(snapshot: MatrixSnapshot): MatrixDigestTree {
    return drain(MatrixDigestTree.ofSliced(snapshot));
  }

  /** of() as sliced work (TimeSlicer): at 150,000 pods the lines of a whole matrix are seconds of CPU. */
  static *ofSliced(snapshot: MatrixSnapshot): SlicedWork<MatrixDigestTree> {
    const classes = yield* section(snapshot.classes, (_k, c) => classLine(c));
    const connections = yield* section(snapshot.connections, (k, conn) => connectionLine(k, conn));
    return new MatrixDigestTree(classes, connections);
  }

  /**
   * The tree of `next`, which equals this tree's snapshot but for the class and connection keys
   * listed (changed, added or removed). This tree is left as it was (a failed commit keeps it usable).
   */
  derive(next: MatrixSnapshot, changedClasses: Iterable<ClassKey>, changedConnections: Iterable<ClassPairKey>): MatrixDigestTree {
    return drain(this.deriveSliced(changedLines(next, changedClasses, changedConnections)));
  }

  /** derive() from the values of the changed keys (MatrixSnapshot.changedSince). */
  deriveFrom(changed: NonNullable<MatrixSnapshot["changedSince"]>): SlicedWork<MatrixDigestTree> {
    return this.deriveSliced(hintedLines(changed));
  }

  private *deriveSliced(changed: ChangedLines): SlicedWork<MatrixDigestTree> {
    const classes = yield* patch(this.classes, changed.classes, changed.classLine);
    const connections = yield* patch(this.connections, changed.connections, changed.connectionLine);
    return new MatrixDigestTree(classes, connections);
  }

  /** The content digest (hex) of the snapshot this tree stands for: one hash over the bucket digests. */
  digest(): string {
    return createHash("sha256").update(ROOT_PREFIX, "utf8").update(this.classes.digests).update(this.connections.digests).digest("hex");
  }
}

/** A section from scratch: keys bucketed, each bucket sorted, its lines built and hashed. */
function* section<K extends string, V>(map: ReadonlyMap<K, V>, line: (k: K, v: V) => string): SlicedWork<Section> {
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
  const buckets: Bucket[] = new Array<Bucket>(DIGEST_BUCKETS);
  const digests = Buffer.alloc(DIGEST_BUCKETS * DIGEST_BYTES);
  let work = 0;
  for (let b = 0; b < DIGEST_BUCKETS; b++) {
    // Default sort: UTF-16 code unit order, the engine's own string comparison.
    const sorted = grouped[b]!.sort();
    const bucket = bucketOf(sorted, sorted.map((k) => line(k, values.get(k)!)));
    buckets[b] = bucket;
    hashBucket(bucket).copy(digests, b * DIGEST_BYTES);
    work += sorted.length + 1;
    if (work >= YIELD_EVERY) {
      work = 0;
      yield;
    }
  }
  return { buckets, digests };
}

/**
 * `s` with the changed keys re-read through `line` (undefined: the key is gone): only the buckets
 * they fall in are rebuilt and rehashed; the others are shared with `s`.
 */
function* patch<K extends string>(s: Section, changed: Iterable<K>, line: (k: K) => string | undefined): SlicedWork<Section> {
  const edits = new Map<number, Map<string, string | undefined>>();
  let n = 0;
  for (const k of changed) {
    const b = digestBucketOf(k);
    let e = edits.get(b);
    if (!e) edits.set(b, (e = new Map()));
    if (!e.has(k)) e.set(k, line(k));
    if (++n % YIELD_EVERY === 0) yield;
  }
  if (edits.size === 0) return s;
  const buckets = s.buckets.slice();
  const digests = Buffer.from(s.digests);
  let work = 0;
  for (const [b, e] of edits) {
    const bucket = merge(buckets[b]!, e);
    buckets[b] = bucket;
    hashBucket(bucket).copy(digests, b * DIGEST_BYTES);
    work += bucket.keys.length + e.size;
    if (work >= YIELD_EVERY * 8) {
      work = 0;
      yield;
    }
  }
  return { buckets, digests };
}

/**
 * A bucket with `edits` applied (a key to its new line, or undefined: removed), keys kept in `<`
 * order. The result is written into one new buffer: the runs of unchanged lines between the changed
 * keys are copied as bytes, the new lines encoded in place (a Buffer per line cost more than the
 * hashing when a change rewrote every bucket).
 */
function merge(bucket: Bucket, edits: ReadonlyMap<string, string | undefined>): Bucket {
  const changed = [...edits.keys()].sort();
  const keys: string[] = [];
  const lengths: number[] = [];
  /** What the new bytes are made of, in order: a run [from, to) of `bucket`'s lines, or a new line. */
  const pieces: (readonly [number, number] | string)[] = [];
  let total = 0;
  const startOf = (i: number) => (i === 0 ? 0 : bucket.ends[i - 1]!);
  const keep = (from: number, to: number) => {
    if (from === to) return;
    pieces.push([from, to]);
    total += bucket.ends[to - 1]! - startOf(from);
    for (let j = from; j < to; j++) {
      keys.push(bucket.keys[j]!);
      lengths.push(bucket.ends[j]! - startOf(j));
    }
  };
  let i = 0;
  for (const k of changed) {
    const from = i;
    while (i < bucket.keys.length && bucket.keys[i]! < k) i++;
    keep(from, i);
    if (i < bucket.keys.length && bucket.keys[i] === k) i++; // replaced or removed
    const l = edits.get(k);
    if (l !== undefined) {
      const length = Buffer.byteLength(l, "utf8");
      keys.push(k);
      lengths.push(length);
      pieces.push(l);
      total += length;
    }
  }
  keep(i, bucket.keys.length);
  if (keys.length === 0) return NO_BUCKET;
  const bytes = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const p of pieces) at += typeof p === "string" ? bytes.write(p, at, "utf8") : bucket.bytes.copy(bytes, at, startOf(p[0]), bucket.ends[p[1] - 1]!);
  const ends = new Uint32Array(lengths.length);
  let end = 0;
  for (let j = 0; j < lengths.length; j++) ends[j] = end += lengths[j]!;
  return { keys, bytes, ends };
}
