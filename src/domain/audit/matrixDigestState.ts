/**
 * The generation chain's content digest (generationChain.ts, matrixDigest), kept from one
 * generation to the next instead of recomputed from scratch at every commit. Pure.
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
import { canonicalize } from "./hashChain.js";

/** Bytes of lines handed to the hash at once: one update per line costs more than the hashing. */
const CHUNK = 1 << 16;

export class MatrixDigestState {
  private constructor(
    private readonly classKeys: readonly ClassKey[],
    private readonly classLines: ReadonlyMap<ClassKey, string>,
    private readonly connectionKeys: readonly ClassPairKey[],
    private readonly connectionLines: ReadonlyMap<ClassPairKey, string>,
  ) {}

  /** The state of a whole snapshot (every line built once). */
  static of(snapshot: MatrixSnapshot): MatrixDigestState {
    const classLines = new Map<ClassKey, string>();
    for (const c of snapshot.classes.values()) classLines.set(c.key, classLine(c));
    const connectionLines = new Map<ClassPairKey, string>();
    for (const [key, conn] of snapshot.connections) connectionLines.set(key, connectionLine(key, conn));
    return new MatrixDigestState([...classLines.keys()].sort(compare), classLines, [...connectionLines.keys()].sort(compare), connectionLines);
  }

  /**
   * The state of `next`, which equals this state's snapshot but for the class and connection keys
   * listed (changed, added or removed). This state is left as it was.
   */
  derive(next: MatrixSnapshot, changedClasses: Iterable<ClassKey>, changedConnections: Iterable<ClassPairKey>): MatrixDigestState {
    const [classKeys, classLines] = patch(this.classKeys, this.classLines, changedClasses, (k) => {
      const c = next.classes.get(k);
      return c && classLine(c);
    });
    const [connectionKeys, connectionLines] = patch(this.connectionKeys, this.connectionLines, changedConnections, (k) => {
      const conn = next.connections.get(k);
      return conn === undefined ? undefined : connectionLine(k, conn);
    });
    return new MatrixDigestState(classKeys, classLines, connectionKeys, connectionLines);
  }

  /** matrixDigest of the snapshot this state stands for. */
  digest(): string {
    const h = createHash("sha256");
    let buffer = "";
    const add = (line: string) => {
      buffer += line;
      if (buffer.length >= CHUNK) {
        h.update(buffer, "utf8");
        buffer = "";
      }
    };
    for (const k of this.classKeys) add(this.classLines.get(k)!);
    for (const k of this.connectionKeys) add(this.connectionLines.get(k)!);
    h.update(buffer, "utf8");
    return h.digest("hex");
  }
}

/** One class as matrixDigest hashes it (members in canonical order), with its newline. */
export function classLine(c: MatrixClass): string {
  const members = c.members.map((m) => canonicalize(m.type === "workload" ? { t: "w", ns: m.namespace, k: m.kind, n: m.name, p: m.pods } : { t: "e", f: m.family, s: m.start, e: m.end })).sort();
  return `${canonicalize(["class", c.key, c.kind, members])}\n`;
}

/** One connection as matrixDigest hashes it, with its newline. */
export function connectionLine(key: string, conn: string): string {
  return `${canonicalize(["conn", key, conn])}\n`;
}

/** The order of Array.prototype.sort with `<` (UTF-16 code units), which matrixDigest uses. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of the first key >= k. */
function lowerBound(keys: readonly string[], k: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sorted keys and lines with `changed` re-read through `line` (undefined: the key is gone). */
function patch<K extends string>(keys: readonly K[], lines: ReadonlyMap<K, string>, changed: Iterable<K>, line: (k: K) => string | undefined): [K[], Map<K, string>] {
  const nextLines = new Map(lines);
  const added: K[] = [];
  const removed = new Set<K>();
  for (const k of changed) {
    const l = line(k);
    const had = nextLines.has(k);
    if (l === undefined) {
      if (had) {
        nextLines.delete(k);
        removed.add(k);
      }
    } else {
      nextLines.set(k, l);
      if (!had) added.push(k);
    }
  }
  if (added.length === 0 && removed.size === 0) return [keys as K[], nextLines];
  // Few changes: splice them in and out of a copy; many: sort again.
  if (added.length + removed.size > 64) return [[...nextLines.keys()].sort(compare), nextLines];
  const nextKeys = [...keys];
  for (const k of removed) nextKeys.splice(lowerBound(nextKeys, k), 1);
  for (const k of added) nextKeys.splice(lowerBound(nextKeys, k), 0, k);
  return [nextKeys, nextLines];
}
