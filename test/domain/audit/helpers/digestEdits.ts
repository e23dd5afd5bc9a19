/**
 * Random edit streams over a matrix snapshot, for the content digests' derive() tests: generations
 * of edits (a class set or removed, a connection set or removed, over a few keys so that they
 * collide), applied to copies of the maps as an incremental recompute would produce them.
 */
import fc from "fast-check";
import type { ClassMember, MatrixClass, MatrixSnapshot } from "../../../../src/domain/repositories.js";
import { classPairKey, storedClassKey, type ClassKey, type ClassPairKey } from "../../../../src/domain/keys.js";

const key = fc.constantFrom(..."abcdefghij".split("")).map(storedClassKey);
const member: fc.Arbitrary<ClassMember> = fc.record({ type: fc.constant("workload" as const), namespace: fc.constantFrom("a", "b"), kind: fc.constant("Deployment"), name: fc.constantFrom("x", "y", "z"), pods: fc.integer({ min: 1, max: 3 }) });
const cls = (k: ClassKey) => fc.array(member, { maxLength: 3 }).map((members): MatrixClass => ({ key: k, kind: "pod", members }));
const conn = fc.constantFrom("All Connections", "TCP 80", "UDP 53", "TCP 1-65535");
const edit = fc.oneof(
  key.chain((k) => fc.option(cls(k), { nil: undefined }).map((c) => ({ kind: "class" as const, key: k, c }))),
  fc.tuple(key, key, fc.option(conn, { nil: undefined })).map(([a, b, c]) => ({ kind: "conn" as const, key: classPairKey(a, b), c })),
);

export type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;

/** One to five generations of up to 80 edits each. */
export const editGenerations = fc.array(fc.array(edit, { maxLength: 80 }), { minLength: 1, maxLength: 5 });

export const EMPTY_SNAPSHOT: MatrixSnapshot = { classes: new Map(), connections: new Map() };

/** The snapshot whose digests the golden values pin: a pod class of two workloads, an external class, three connections. */
export const GOLDEN_SNAPSHOT: MatrixSnapshot = {
  classes: new Map(
    [
      { key: storedClassKey("b2"), kind: "pod", members: [{ type: "workload", namespace: "shop", kind: "Deployment", name: "web", pods: 3 }, { type: "workload", namespace: "ops", kind: "StatefulSet", name: "db", pods: 1 }] },
      { key: storedClassKey("a1"), kind: "external", members: [{ type: "external", family: 4, start: "0.0.0.0", end: "9.255.255.255" }] },
    ].map((c) => [c.key, c as MatrixClass]),
  ),
  connections: new Map([
    [classPairKey(storedClassKey("b2"), storedClassKey("a1")), "TCP 80,443"],
    [classPairKey(storedClassKey("a1"), storedClassKey("b2")), "All Connections"],
    [classPairKey(storedClassKey("b2"), storedClassKey("b2")), "UDP 53"],
  ]),
};

/** Each generation's snapshot (the previous one with its edits) and the keys it changed. */
export function* snapshotsOf(generations: readonly (readonly Edit[])[]): Generator<{ next: MatrixSnapshot; changedClasses: Set<ClassKey>; changedConnections: Set<ClassPairKey> }> {
  let classes = new Map<ClassKey, MatrixClass>();
  let connections = new Map<ClassPairKey, string>();
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
    yield { next: { classes, connections }, changedClasses, changedConnections };
  }
}
