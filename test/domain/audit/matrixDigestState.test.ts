/**
 * The content digest kept across generations (MatrixDigestState) must be the digest of the whole
 * snapshot, whatever changed: a golden value pins the stored format (chains committed by earlier
 * versions must still verify), and random edit streams compare derive() with a recomputation.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { editGenerations, EMPTY_SNAPSHOT, GOLDEN_SNAPSHOT, snapshotsOf } from "./helpers/digestEdits.js";
import type { MatrixSnapshot } from "../../../src/domain/repositories.js";
import { matrixDigest } from "../../../src/domain/audit/generationChain.js";
import { canonicalize } from "../../../src/domain/audit/hashChain.js";
import { classLine, connectionLine, encodeConnectionLine, MatrixDigestState } from "../../../src/domain/audit/matrixDigestState.js";
import { createHash } from "node:crypto";

/** The digest written out plainly (every line, sorted by key with `<`, one SHA-256): what derive() must equal. */
function reference(s: MatrixSnapshot): string {
  const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const classes = [...s.classes].map(([k, c]): [string, string] => [k, classLine(c)]).sort(byKey);
  const connections = [...s.connections].map(([k, c]): [string, string] => [k, connectionLine(k, c)]).sort(byKey);
  return createHash("sha256").update([...classes, ...connections].map(([, l]) => l).join("")).digest("hex");
}

describe("MatrixDigestState", () => {
  it.each([
    ["plain", "pod|a->pod|b", "TCP 80"],
    ["quotes and backslashes", 'pod|ns/"x"\\y', "All Connections"],
    ["control characters", "pod|a\u0001\n\t", "UDP 53"],
    ["non-ASCII and astral", "pod|café-😀", "SCTP 9"],
  ])("writes a connection line as canonicalize does (%s)", (_name, key, conn) => {
    expect(connectionLine(key, conn)).toBe(`${canonicalize(["conn", key, conn])}\n`);
  });
  it("refuses a lone surrogate in a connection line, as canonicalize does", () => {
    expect(() => connectionLine("pod|\ud800", "TCP 1")).toThrow(/lone surrogate/);
  });
  it("writes the same line as canonicalize for any well-formed strings (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), (key, conn) => {
        fc.pre(!/[\ud800-\udfff]/.test(conn) || /^(?:[\ud800-\udbff][\udc00-\udfff]|[^\ud800-\udfff])*$/.test(conn));
        expect(connectionLine(key, conn)).toBe(`${canonicalize(["conn", key, conn])}\n`);
      }),
    );
  });
  it("gives the digest chains have always stored (golden value, computed by the version before it)", () => {
    const s = GOLDEN_SNAPSHOT;
    expect(matrixDigest(s)).toBe("6f42684e3fec8d8b617d2e8eb075931860b2e71f4422c510b0a28cf94fa0f272");
    expect(MatrixDigestState.of(s).digest()).toBe(matrixDigest(s));
    expect(reference(s)).toBe(matrixDigest(s));
  });

  it("derives the digest of the next snapshot from the keys that changed, equal to a recomputation", () => {
    fc.assert(
      fc.property(editGenerations, (generations) => {
        let state = MatrixDigestState.of(EMPTY_SNAPSHOT);
        for (const { next, changedClasses, changedConnections } of snapshotsOf(generations)) {
          const before = state.digest();
          const derived = state.derive(next, changedClasses, changedConnections);
          expect(derived.digest()).toBe(matrixDigest(next));
          expect(derived.digest()).toBe(reference(next));
          // The state derived from is left as it was (a failed commit keeps it usable).
          expect(state.digest()).toBe(before);
          state = derived;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("encodes a connection line in place as connectionLine's UTF-8 bytes, or leaves it to connectionLine (property)", () => {
    const plain = fc.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/);
    const any = fc.string({ unit: "binary" });
    fc.assert(
      fc.property(fc.oneof(plain, any), fc.oneof(plain, any), fc.oneof(plain, any), fc.nat(40), (src, dst, conn, at) => {
        const key = `${src}\u0000${dst}`;
        const expected = Buffer.from(connectionLine(key, conn), "utf8");
        const buf = Buffer.alloc(at + 3 * (key.length + conn.length) + 32, 0xaa);
        const end = encodeConnectionLine(buf, at, key, conn);
        const isPlain = [src, dst, conn].every((x) => /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(x));
        expect(end !== undefined).toBe(isPlain);
        if (end !== undefined) {
          expect(buf.subarray(at, end)).toEqual(expected);
          expect(buf.subarray(0, at).every((b) => b === 0xaa)).toBe(true);
        }
        // Without room for the line: left to connectionLine.
        if (isPlain) expect(encodeConnectionLine(Buffer.alloc(at + expected.length - 1), at, key, conn)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});
