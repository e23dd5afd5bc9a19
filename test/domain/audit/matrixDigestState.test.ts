/**
 * The content digest kept across generations (MatrixDigestState) must be the digest of the whole
 * snapshot, whatever changed: a golden value pins the stored format (chains committed by earlier
 * versions must still verify), and random edit streams compare derive() with a recomputation.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClassMember, MatrixClass, MatrixSnapshot } from "../../../src/domain/repositories.js";
import { classPairKey, storedClassKey, type ClassKey, type ClassPairKey } from "../../../src/domain/keys.js";
import { matrixDigest } from "../../../src/domain/audit/generationChain.js";
import { canonicalize } from "../../../src/domain/audit/hashChain.js";
import { classLine, connectionLine, MatrixDigestState } from "../../../src/domain/audit/matrixDigestState.js";
import { createHash } from "node:crypto";

/** The digest written out plainly (every line, sorted by key with `<`, one SHA-256): what derive() must equal. */
function reference(s: MatrixSnapshot): string {
  const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const classes = [...s.classes].map(([k, c]): [string, string] => [k, classLine(c)]).sort(byKey);
  const connections = [...s.connections].map(([k, c]): [string, string] => [k, connectionLine(k, c)]).sort(byKey);
  return createHash("sha256").update([...classes, ...connections].map(([, l]) => l).join("")).digest("hex");
}

const k = storedClassKey;
const pair = (a: string, b: string) => classPairKey(k(a), k(b));
const snapshot = (classes: MatrixClass[], connections: [ClassPairKey, string][]): MatrixSnapshot => ({ classes: new Map(classes.map((c) => [c.key, c])), connections: new Map(connections) });

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
    const s = snapshot(
      [
        { key: k("b2"), kind: "pod", members: [{ type: "workload", namespace: "shop", kind: "Deployment", name: "web", pods: 3 }, { type: "workload", namespace: "ops", kind: "StatefulSet", name: "db", pods: 1 }] },
        { key: k("a1"), kind: "external", members: [{ type: "external", family: 4, start: "0.0.0.0", end: "9.255.255.255" }] },
      ],
      [
        [pair("b2", "a1"), "TCP 80,443"],
        [pair("a1", "b2"), "All Connections"],
        [pair("b2", "b2"), "UDP 53"],
      ],
    );
    expect(matrixDigest(s)).toBe("6f42684e3fec8d8b617d2e8eb075931860b2e71f4422c510b0a28cf94fa0f272");
    expect(MatrixDigestState.of(s).digest()).toBe(matrixDigest(s));
    expect(reference(s)).toBe(matrixDigest(s));
  });

  const key = fc.constantFrom(..."abcdefghij".split("")).map(k);
  const member: fc.Arbitrary<ClassMember> = fc.record({ type: fc.constant("workload" as const), namespace: fc.constantFrom("a", "b"), kind: fc.constant("Deployment"), name: fc.constantFrom("x", "y", "z"), pods: fc.integer({ min: 1, max: 3 }) });
  const cls = (k: ClassKey) => fc.array(member, { maxLength: 3 }).map((members): MatrixClass => ({ key: k, kind: "pod", members }));
  const conn = fc.constantFrom("All Connections", "TCP 80", "UDP 53", "TCP 1-65535");
  /** One edit: a class set or removed, a connection set or removed. */
  const edit = fc.oneof(
    key.chain((k) => fc.option(cls(k), { nil: undefined }).map((c) => ({ kind: "class" as const, key: k, c }))),
    fc.tuple(key, key, fc.option(conn, { nil: undefined })).map(([a, b, c]) => ({ kind: "conn" as const, key: classPairKey(a, b), c })),
  );

  it("derives the digest of the next snapshot from the keys that changed, equal to a recomputation", () => {
    fc.assert(
      fc.property(fc.array(fc.array(edit, { maxLength: 80 }), { minLength: 1, maxLength: 5 }), (generations) => {
        let classes = new Map<ClassKey, MatrixClass>();
        let connections = new Map<ClassPairKey, string>();
        let state = MatrixDigestState.of({ classes, connections });
        for (const edits of generations) {
          classes = new Map(classes);
          connections = new Map(connections);
          const changedClasses = new Set<ClassKey>();
          const changedConnections = new Set<ClassPairKey>();
          for (const e of edits) {
            if (e.kind === "class") {
              changedClasses.add(e.key);
              if (e.c) classes.set(e.key, e.c);
              else classes.delete(e.key);
            } else {
              changedConnections.add(e.key);
              if (e.c) connections.set(e.key, e.c);
              else connections.delete(e.key);
            }
          }
          const next: MatrixSnapshot = { classes, connections };
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
});
