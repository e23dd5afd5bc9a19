/**
 * The generation chain's content digest of scheme 1 (generationChain.ts, matrixDigest), kept from
 * one generation to the next instead of recomputed from scratch at every commit. Pure.
 *
 * Commits now use the bucketed schemes (matrixDigestTree.ts; 3 since 2026-12-07 night, 2 before):
 * scheme 1 still hashes every line at every commit (~0.4 s at 150,000 pods). Scheme 1 stays what
 * `audit verify` recomputes for the generations committed with it, and its lines (classLine,
 * connectionLine) are those of schemes 2 and 3 too.
 *
 * matrixDigest canonicalises every class and connection (RFC 8785), sorts them and hashes the
 * lines: at 10,000 pods (2,836 classes, 42,028 connections) that is ~200 ms of CPU per commit on a
 * busy 2-core machine, inside the commit's transaction, for a change that touched a few rows. This
 * state keeps each item's line and the sorted keys; the next generation's state is derived from the
 * keys the snapshot says changed (MatrixSnapshot.changedSince), so only those are canonicalised
 * and re-placed, and the digest is one pass of SHA-256 over lines already built. The digest is the
 * same string matrixDigest gives (test/domain/audit/matrixDigestState.test.ts), so stored chains and
 * `audit verify` are unchanged.
 */
import { createHash } from "node:crypto";
import type { ClassKey, ClassPairKey } from "../keys.js";
import type { MatrixClass, MatrixSnapshot } from "../repositories.js";
import { canonicalize, jsonString } from "./hashChain.js";
import { drain, YIELD_EVERY, type SlicedWork } from "../TimeSlicer.js";
// Strings in the order of Array.prototype.sort with `<`, which matrixDigest uses.
import { sortSliced } from "../../engine/util/sortSliced.js";

/** Bytes of lines handed to the hash at once: one update per line costs more than the hashing. */
const CHUNK = 1 << 16;

export class MatrixDigestState {
  private constructor(
    /** Sorted keys and, at the same index, their lines. */
    private readonly classes: SortedLines<ClassKey>,
    private readonly connections: SortedLines<ClassPairKey>,
  ) {}

  /** The state of a whole snapshot (every line built once). */
  static of(snapshot: MatrixSnapshot): MatrixDigestState {
    return drain(MatrixDigestState.ofSliced(snapshot));
  }

  /** of() as sliced work (TimeSlicer): at 150,000 pods the lines of a whole matrix are seconds of CPU. */
  static *ofSliced(snapshot: MatrixSnapshot): SlicedWork<MatrixDigestState> {
    const classKeys = yield* sortSliced([...snapshot.classes.keys()]);
    const connectionKeys = yield* sortSliced([...snapshot.connections.keys()]);
    const classLines: string[] = [];
    for (const k of classKeys) {
      classLines.push(classLine(snapshot.classes.get(k)!));
      if (classLines.length % YIELD_EVERY === 0) yield;
    }
    const connectionLines: string[] = [];
    for (const k of connectionKeys) {
      connectionLines.push(connectionLine(k, snapshot.connections.get(k)!));
      if (connectionLines.length % YIELD_EVERY === 0) yield;
    }
    return new MatrixDigestState({ keys: classKeys, lines: classLines }, { keys: connectionKeys, lines: connectionLines });
  }

  /**
   * The state of `next`, which equals this state's snapshot but for the class and connection keys
   * listed (changed, added or removed). This state is left as it was.
   */
  derive(next: MatrixSnapshot, changedClasses: Iterable<ClassKey>, changedConnections: Iterable<ClassPairKey>): MatrixDigestState {
    return drain(this.deriveSliced(changedLines(next, changedClasses, changedConnections)));
  }

  /** derive() from the values of the changed keys (MatrixSnapshot.changedSince). */
  deriveFrom(changed: NonNullable<MatrixSnapshot["changedSince"]>): SlicedWork<MatrixDigestState> {
    return this.deriveSliced(hintedLines(changed));
  }

  /** derive() as sliced work (TimeSlicer): linear in the matrix, so it gives the event loop turns. */
  private *deriveSliced(changed: ChangedLines): SlicedWork<MatrixDigestState> {
    const classes = yield* patch(this.classes, changed.classes, changed.classLine);
    const connections = yield* patch(this.connections, changed.connections, changed.connectionLine);
    return new MatrixDigestState(classes, connections);
  }

  /** matrixDigest of the snapshot this state stands for. */
  digest(): string {
    return drain(this.digestSliced());
  }

  /** digest() as sliced work: one yield per CHUNK of bytes hashed. */
  *digestSliced(): SlicedWork<string> {
    const h = createHash("sha256");
    let buffer = "";
    for (const lines of [this.classes.lines, this.connections.lines])
      for (const line of lines) {
        buffer += line;
        if (buffer.length >= CHUNK) {
          h.update(buffer, "utf8");
          buffer = "";
          yield;
        }
      }
    h.update(buffer, "utf8");
    return h.digest("hex");
  }
}

/** Keys in digest order and their lines, index for index (arrays: no map lookups when hashing). */
interface SortedLines<K extends string> {
  readonly keys: readonly K[];
  readonly lines: readonly string[];
}

/** The keys a derive re-reads and their new lines (undefined: the key is gone). */
interface ChangedLines {
  readonly classes: Iterable<ClassKey>;
  readonly classLine: (k: ClassKey) => string | undefined;
  readonly connections: Iterable<ClassPairKey>;
  readonly connectionLine: (k: ClassPairKey) => string | undefined;
}

/** The lines of the listed keys, read from `next`. */
function changedLines(next: MatrixSnapshot, classes: Iterable<ClassKey>, connections: Iterable<ClassPairKey>): ChangedLines {
  return linesOf(classes, connections, (k) => next.classes.get(k), (k) => next.connections.get(k));
}

/** The lines of the keys a snapshot's changedSince hint names, read from the hint's values. */
function hintedLines(changed: NonNullable<MatrixSnapshot["changedSince"]>): ChangedLines {
  return linesOf(changed.classes.keys(), changed.connections.keys(), (k) => changed.classes.get(k), (k) => changed.connections.get(k));
}

function linesOf(
  classes: Iterable<ClassKey>,
  connections: Iterable<ClassPairKey>,
  classOf: (k: ClassKey) => MatrixClass | undefined,
  connectionOf: (k: ClassPairKey) => string | undefined,
): ChangedLines {
  return {
    classes,
    classLine: (k) => {
      const c = classOf(k);
      return c && classLine(c);
    },
    connections,
    connectionLine: (k) => {
      const conn = connectionOf(k);
      return conn === undefined ? undefined : connectionLine(k, conn);
    },
  };
}

/** One class as matrixDigest hashes it (members in canonical order), with its newline. */
export function classLine(c: MatrixClass): string {
  const members = c.members.map((m) => canonicalize(m.type === "workload" ? { t: "w", ns: m.namespace, k: m.kind, n: m.name, p: m.pods } : { t: "e", f: m.family, s: m.start, e: m.end })).sort();
  return `${canonicalize(["class", c.key, c.kind, members])}\n`;
}

/**
 * One connection as matrixDigest hashes it (canonicalize(["conn", key, conn])), with its newline.
 * Written out: an array of three strings needs no sorting, and the general canonicalize allocated
 * several objects for each of the tens of thousands of lines a large change rebuilds.
 */
export function connectionLine(key: string, conn: string): string {
  return `["conn",${jsonString(key)},${jsonString(conn)}]\n`;
}

/** Printable ASCII but `"` and `\`: the characters JSON (RFC 8785) writes as they are, one byte each in UTF-8. */
const PLAIN_CHAR = String.raw`[\x20\x21\x23-\x5b\x5d-\x7e]`;
const PLAIN = new RegExp(`^${PLAIN_CHAR}*$`);
/** A connection key of two plain class keys around one NUL (classPairKey's separator). */
const PLAIN_PAIR = new RegExp(String.raw`^${PLAIN_CHAR}*\u0000${PLAIN_CHAR}*$`);

/**
 * connectionLine(key, conn)'s bytes written into `buf` at `at` (returns where they end), without
 * building the line: for the usual connection, whose key is two plain class keys around one NUL
 * (JSON writes it \u0000) and whose text is plain. undefined for any other, or when `buf` has no
 * room for it: the caller writes connectionLine then.
 */
export function encodeConnectionLine(buf: Buffer, at: number, key: string, conn: string): number | undefined {
  // ["conn","<src>\u0000<dst>","<conn>"] and a newline: the key and the text, and 20 bytes (the NUL is written as 6).
  if (at + key.length + conn.length + 20 > buf.length || !PLAIN_PAIR.test(key) || !PLAIN.test(conn)) return undefined;
  // The key is written whole (one byte per character), then its NUL byte becomes the 6 bytes of
  // its escape: no substrings (two per line were ~60 MB of garbage per million lines).
  const nul = key.indexOf("\u0000");
  buf.set(LINE_START, at);
  at += LINE_START.length;
  buf.write(key, at, "latin1");
  buf.copyWithin(at + nul + ESCAPED_NUL.length, at + nul + 1, at + key.length);
  buf.set(ESCAPED_NUL, at + nul);
  at += key.length - 1 + ESCAPED_NUL.length;
  buf.set(TEXT_START, at);
  at += buf.write(conn, at + TEXT_START.length, "latin1") + TEXT_START.length;
  buf.set(LINE_END, at);
  return at + LINE_END.length;
}

const LINE_START = Buffer.from('["conn","', "latin1");
const ESCAPED_NUL = Buffer.from("\\u0000", "latin1");
const TEXT_START = Buffer.from('","', "latin1");
const LINE_END = Buffer.from('"]\n', "latin1");

/**
 * `sorted` with the `changed` keys re-read through `line` (undefined: the key is gone): the changed
 * keys sorted once, then one merge pass that copies the unchanged runs between them. Linear in the
 * matrix with native array copies, whatever the number of changes (no re-sort of every key).
 */
function* patch<K extends string>(sorted: SortedLines<K>, changed: Iterable<K>, line: (k: K) => string | undefined): SlicedWork<SortedLines<K>> {
  const edits = yield* sortSliced([...new Set(changed)]);
  if (edits.length === 0) return sorted;
  const keys: K[] = [];
  const lines: string[] = [];
  let from = 0;
  let work = 0;
  for (const k of edits) {
    const at = lowerBound(sorted.keys, k, from);
    for (let i = from; i < at; i++) {
      keys.push(sorted.keys[i]!);
      lines.push(sorted.lines[i]!);
    }
    const copied = at - from;
    from = at < sorted.keys.length && sorted.keys[at] === k ? at + 1 : at;
    const l = line(k);
    // A line built costs about what COPY_WEIGHT copied items cost per LINE_CHARS of it: a class
    // line canonicalizes each member, and one of a large class is thousands of characters.
    work += copied + COPY_WEIGHT * Math.ceil((l?.length ?? 1) / LINE_CHARS);
    if (l !== undefined) {
      keys.push(k);
      lines.push(l);
    }
    if (work >= YIELD_EVERY * COPY_WEIGHT) {
      work = 0;
      yield;
    }
  }
  for (let i = from; i < sorted.keys.length; i++) {
    keys.push(sorted.keys[i]!);
    lines.push(sorted.lines[i]!);
    if (i % (YIELD_EVERY * COPY_WEIGHT) === 0) yield;
  }
  return { keys, lines };
}

/** Copying an unchanged line is this many times cheaper than building a changed one of LINE_CHARS (canonicalize). */
const COPY_WEIGHT = 64;
/** About a connection line's length. */
const LINE_CHARS = 128;

/** Index of the first key >= k, at or after `lo`. */
function lowerBound(keys: readonly string[], k: string, lo = 0): number {
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
