/**
 * GenerationIndex.derive: the index of a snapshot an incremental recompute derived from another is
 * built from that one's index and the changed keys, and must answer exactly as an index built from
 * the whole snapshot; the index it was derived from must keep answering for its own generation.
 */
import { describe, expect, it } from "vitest";
import { GenerationIndex } from "../../../src/api/query/GenerationIndex.js";
import { classPairKey, storedClassKey, type ClassKey } from "../../../src/domain/keys.js";
import type { ClassMember, MatrixClass, MatrixSnapshot } from "../../../src/domain/repositories.js";

const wl = (name: string, pods = 1, namespace = "ns"): ClassMember => ({ type: "workload", namespace, kind: "Deployment", name, pods });
const cls = (key: string, members: ClassMember[]): [ClassKey, MatrixClass] => [storedClassKey(key), { key: storedClassKey(key), kind: "pod", members }];
const connectionKey = (src: string, dst: string) => classPairKey(storedClassKey(src), storedClassKey(dst));
const snap = (classes: [ClassKey, MatrixClass][], connections: [string, string, string][]): MatrixSnapshot => ({
  classes: new Map(classes),
  connections: new Map(connections.map(([s, d, c]) => [connectionKey(s, d), c])),
});

/** Everything an index answers, for every workload and class named in either snapshot. */
function answers(index: GenerationIndex, workloads: string[], classNames: string[]) {
  const classes = classNames.map(storedClassKey);
  const sortRows = <T,>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    workloads: workloads.map((w) => sortRows(index.classesOfWorkload("ns", w))),
    incoming: classes.map((c) => sortRows(index.connections("incoming", [c]))),
    outgoing: classes.map((c) => sortRows(index.connections("outgoing", [c]))),
    members: classes.map((c) => [...index.members([c]).values()]),
  };
}

describe("GenerationIndex.derive", () => {
  const base = snap(
    [cls("A", [wl("a"), wl("shared", 2)]), cls("B", [wl("b"), wl("shared", 1)]), cls("C", [wl("c")])],
    [
      ["A", "B", "TCP 80"],
      ["B", "A", "TCP 443"],
      ["A", "C", "UDP 53"],
      ["C", "C", "all"],
    ],
  );
  const next: MatrixSnapshot = {
    ...snap(
      // B gone, its "shared" pod moved to A, a new class D; connections into and out of B gone, C -> A new, A -> C changed.
      [cls("A", [wl("a"), wl("shared", 3)]), cls("C", [wl("c")]), cls("D", [wl("d"), wl("a", 1)])],
      [
        ["A", "C", "TCP 53"],
        ["C", "A", "TCP 8080"],
        ["C", "C", "all"],
        ["D", "C", "TCP 1"],
      ],
    ),
  };
  // The hint names the changed keys with their values in `next` (undefined: gone).
  const hint = {
    base,
    classes: new Map(["A", "B", "D"].map(storedClassKey).map((k) => [k, next.classes.get(k)])),
    connections: new Map([connectionKey("A", "B"), connectionKey("B", "A"), connectionKey("A", "C"), connectionKey("C", "A"), connectionKey("D", "C")].map((k) => [k, next.connections.get(k)])),
  };
  Object.assign(next, { changedSince: hint });
  const workloads = ["a", "b", "c", "d", "shared"];
  const classes = ["A", "B", "C", "D"];

  it("answers as an index built from the whole snapshot", () => {
    const previous = GenerationIndex.build(base);
    expect(answers(GenerationIndex.derive(previous, next), workloads, classes)).toEqual(answers(GenerationIndex.build(next), workloads, classes));
  });

  it("leaves the index it was derived from as it was", () => {
    const previous = GenerationIndex.build(base);
    const before = answers(previous, workloads, classes);
    GenerationIndex.derive(previous, next);
    expect(answers(previous, workloads, classes)).toEqual(before);
  });
});

describe("GenerationIndex.buildSliced", () => {
  // 300 classes of 2 workloads each, every class connected to the next 5: 1,500 connections.
  const classes = Array.from({ length: 300 }, (_, i) => cls(`K${i}`, [wl(`w${i}`), wl(`w${(i + 1) % 300}`, 2)]));
  const connections = classes.flatMap((_, i) => [1, 2, 3, 4, 5].map((d): [string, string, string] => [`K${i}`, `K${(i + d) % 300}`, `TCP ${d}`]));
  const large = snap(classes, connections);

  it("gives the event loop turns on the way, and answers as the index built in one go", () => {
    const steps = GenerationIndex.buildSliced(large);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    // A yield per YIELD_EVERY (512) units: a class costs one plus its members, a connection one.
    expect(yields).toBeGreaterThanOrEqual(3);
    const names = classes.map(([k]) => k as string);
    const workloads = classes.map((_, i) => `w${i}`);
    expect(answers(step.value, workloads, names)).toEqual(answers(GenerationIndex.build(large), workloads, names));
  });

  it("is what derive() returns for a snapshot that does not say what changed", () => {
    const index = GenerationIndex.derive(GenerationIndex.build(large), base());
    expect(answers(index, ["a", "b"], ["A", "B"])).toEqual(answers(GenerationIndex.build(base()), ["a", "b"], ["A", "B"]));
  });
});

function base(): MatrixSnapshot {
  return snap([cls("A", [wl("a")]), cls("B", [wl("b")])], [["A", "B", "TCP 80"]]);
}
