/**
 * The content digest of schemes 2 and 3 (MatrixDigestTree): what a commit derives from the keys it
 * changed must be the digest of the whole snapshot. A reference written out plainly from the
 * definition in the file header (FNV-1a buckets, lines sorted by key, SHA-256 per bucket; scheme 3:
 * SHA-256 per group of 16 bucket digests; SHA-256 over the bucket or group digests) pins the format
 * an auditor recomputes; golden values pin it across versions; random edit streams compare derive()
 * with a recomputation, under each scheme.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { editGenerations, EMPTY_SNAPSHOT, GOLDEN_SNAPSHOT, snapshotsOf } from "./helpers/digestEdits.js";
import type { MatrixClass, MatrixSnapshot } from "../../../src/domain/repositories.js";
import { classPairKey, storedClassKey, type ClassPairKey } from "../../../src/domain/keys.js";
import { matrixDigest, matrixDigestOf } from "../../../src/domain/audit/generationChain.js";
import { classLine, connectionLine } from "../../../src/domain/audit/matrixDigestState.js";
import { DIGEST_LAYOUTS, DIGEST_TREE_SCHEME, digestBucketOf, fnv1a32, MatrixDigestTree, type DigestTreeScheme } from "../../../src/domain/audit/matrixDigestTree.js";

/** 32-bit FNV-1a over bytes, as its specification gives it (keys here are ASCII: bytes = code units). */
function fnv1a(bytes: Buffer): number {
  let h = 2166136261;
  for (const b of bytes) h = Number((BigInt((h ^ b) >>> 0) * 16777619n) % 2n ** 32n);
  return h;
}

const EMPTY = createHash("sha256").update("").digest();

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest();
/** SHA-256 of 16 empty buckets' digests: scheme 3's empty group (computed once, as EMPTY). */
const EMPTY_GROUP = sha256(Buffer.concat(Array.from({ length: 16 }, () => EMPTY)));

/** Schemes 2 and 3 written out plainly: what derive() and of() must equal. */
function reference(s: MatrixSnapshot, scheme: DigestTreeScheme = 2): string {
  const buckets = scheme === 2 ? 4096 : 65536;
  const section = (items: [string, string][]) => {
    const byBucket = new Map<number, [string, string][]>();
    for (const item of items) {
      const b = fnv1a(Buffer.from(item[0], "latin1")) % buckets;
      byBucket.set(b, [...(byBucket.get(b) ?? []), item]);
    }
    // An empty bucket's digest is SHA-256 of nothing (computed once: 8,192 hashes per call made the property test slow).
    const bucketDigest = (b: number) => {
      const lines = byBucket.get(b);
      return lines === undefined ? EMPTY : createHash("sha256").update(lines.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([, l]) => l).join(""), "utf8").digest();
    };
    if (scheme === 2) return Array.from({ length: 4096 }, (_, b) => bucketDigest(b));
    // Scheme 3: group g is buckets 16g..16g+15; its digest, SHA-256 over theirs.
    return Array.from({ length: 4096 }, (_, g) => {
      const members = Array.from({ length: 16 }, (_, i) => 16 * g + i);
      return members.some((b) => byBucket.has(b)) ? sha256(Buffer.concat(members.map(bucketDigest))) : EMPTY_GROUP;
    });
  };
  const classes = section([...s.classes].map(([k, c]) => [k, classLine(c)]));
  const connections = section([...s.connections].map(([k, c]) => [k, connectionLine(k, c)]));
  return createHash("sha256").update(`kubereach matrix digest ${scheme}\n`).update(Buffer.concat([...classes, ...connections])).digest("hex");
}

const k = storedClassKey;
const snapshot = (classes: MatrixClass[], connections: [ClassPairKey, string][]): MatrixSnapshot => ({ classes: new Map(classes.map((c) => [c.key, c])), connections: new Map(connections) });

describe("MatrixDigestTree (content digest schemes 2 and 3)", () => {
  it.each([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
  ])("buckets a key by 32-bit FNV-1a of its code units (FNV test vector %j)", (key, fnv) => {
    expect(fnv1a(Buffer.from(key))).toBe(fnv);
    expect(fnv1a32(key)).toBe(fnv);
    expect(digestBucketOf(key, DIGEST_LAYOUTS[2])).toBe(fnv % 4096);
    expect(digestBucketOf(key, DIGEST_LAYOUTS[3])).toBe(fnv % 65536);
  });

  it("gives the digests schemes 2 and 3 define (golden values, and the definitions written out); new generations use scheme 3", () => {
    const s = GOLDEN_SNAPSHOT;
    expect(MatrixDigestTree.of(s, 2).digest()).toBe("bdcda257b6e03de52a5f2a9eae61d29fc9775c72d164afeb33f28a98bc161a06");
    expect(MatrixDigestTree.of(s, 3).digest()).toBe("f44789a807ab2e6ede9098ba811bf07b752c111d8199f51f7d2fd2a0872b54d8");
    for (const scheme of [2, 3] as const) {
      expect(reference(s, scheme)).toBe(MatrixDigestTree.of(s, scheme).digest());
      expect(matrixDigestOf(s, scheme)).toBe(MatrixDigestTree.of(s, scheme).digest());
      expect(MatrixDigestTree.of(s, scheme).scheme).toBe(scheme);
    }
    expect(MatrixDigestTree.of(s, 2).digest()).not.toBe(MatrixDigestTree.of(s, 3).digest());
    expect(matrixDigestOf(s, 1)).toBe(matrixDigest(s));
    expect(DIGEST_TREE_SCHEME).toBe(3);
    expect(MatrixDigestTree.of(s).scheme).toBe(3);
  });

  describe.each([2, 3] as const)("under scheme %i", (scheme) => {
    it("keeps lines of one bucket in key order whatever the insertion order", () => {
      // Keys that share a bucket, inserted in both orders.
      const keys: string[] = [];
      for (let i = 0; keys.length < 3; i++) if (digestBucketOf(`c${i}`) === digestBucketOf("c0")) keys.push(`c${i}`);
      const cls = (key: string): MatrixClass => ({ key: k(key), kind: "pod", members: [] });
      const forward = snapshot(keys.map(cls), []);
      const backward = snapshot([...keys].reverse().map(cls), []);
      expect(MatrixDigestTree.of(forward, scheme).digest()).toBe(MatrixDigestTree.of(backward, scheme).digest());
      expect(MatrixDigestTree.of(forward, scheme).digest()).toBe(reference(forward, scheme));
    });

    it("derives the digest of the next snapshot from the keys that changed, equal to a recomputation (property)", () => {
      fc.assert(
        fc.property(editGenerations, (generations) => {
          let tree = MatrixDigestTree.of(EMPTY_SNAPSHOT, scheme);
          for (const { next, changedClasses, changedConnections } of snapshotsOf(generations)) {
            const before = tree.digest();
            const derived = tree.derive(next, changedClasses, changedConnections);
            expect(derived.digest()).toBe(MatrixDigestTree.of(next, scheme).digest());
            expect(derived.digest()).toBe(reference(next, scheme));
            // The tree derived from is left as it was (a failed commit keeps it usable).
            expect(tree.digest()).toBe(before);
            tree = derived;
          }
        }),
        // Scheme 3 lays out 16 times the buckets: each recomputation costs more.
        { numRuns: scheme === 2 ? 300 : 100 },
      );
    });

    it("derives across many buckets as a recomputation does (thousands of keys, a third changed)", () => {
      const keys = Array.from({ length: 3000 }, (_, i) => k(`class-${i}`));
      const classes = new Map(keys.map((key) => [key, { key, kind: "pod" as const, members: [] }]));
      const connections = new Map<ClassPairKey, string>(keys.map((key, i) => [classPairKey(key, keys[(i * 7) % keys.length]!), "TCP 80"]));
      const tree = MatrixDigestTree.of({ classes, connections }, scheme);
      const nextConnections = new Map(connections);
      const changed: ClassPairKey[] = [];
      for (const [i, c] of [...connections.keys()].entries()) {
        if (i % 3 !== 0) continue;
        changed.push(c);
        if (i % 2 === 0) nextConnections.delete(c);
        else nextConnections.set(c, "UDP 53");
      }
      const added = classPairKey(keys[0]!, keys[1]!);
      nextConnections.set(added, "All Connections");
      changed.push(added);
      const next = { classes, connections: nextConnections };
      expect(tree.derive(next, [], changed).digest()).toBe(reference(next, scheme));
    });

    it("hashes connections whose keys or texts JSON must escape as the definition does (the lines not written in place)", () => {
      // Quotes, backslashes, control characters, non-ASCII, a second NUL: beside plain ones, in one bucket and across.
      // (Code units under 256 only: the reference buckets by latin1 bytes, which are the code units then.)
      const odd = ['q"uote', "back\\slash", "tab\there", "caf\u00e9", "two\u0000nuls", "plain-a", "plain-b"].map(k);
      const connections: [ClassPairKey, string][] = [];
      for (const [i, a] of odd.entries()) for (const b of odd) connections.push([classPairKey(a, b), i % 2 ? "TCP 80" : 'odd "text"\u00e9']);
      const s = snapshot([], connections);
      expect(MatrixDigestTree.of(s, scheme).digest()).toBe(reference(s, scheme));
    });
  });
});
