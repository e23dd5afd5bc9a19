/** The pure matrix delta: which stored rows a recompute closes and opens. */
import { describe, expect, it } from "vitest";
import { computeMatrixDelta, deltaCounts, isEmptyDelta } from "../../src/store/matrixDelta.js";
import { classPairKey, memberKey, splitClassPairKey, storedClassKey, type ClassKey } from "../../src/domain/keys.js";
import type { ClassMember, MatrixClass, MatrixSnapshot } from "../../src/domain/repositories.js";

const wl = (name: string, pods = 1, kind = "Deployment"): ClassMember => ({ type: "workload", namespace: "ns", kind, name, pods });
const ext = (start: string, end: string): ClassMember => ({ type: "external", family: 4, start, end });
const cls = (key: string, members: ClassMember[], kind: MatrixClass["kind"] = "pod"): [ClassKey, MatrixClass] => [storedClassKey(key), { key: storedClassKey(key), kind, members }];
const connectionKey = (src: string, dst: string) => classPairKey(storedClassKey(src), storedClassKey(dst));

function snapshot(classes: [ClassKey, MatrixClass][], connections: [string, string, string][]): MatrixSnapshot {
  return { classes: new Map(classes), connections: new Map(connections.map(([s, d, c]) => [connectionKey(s, d), c])) };
}

const base = snapshot(
  [cls("A", [wl("a1"), wl("a2", 2)]), cls("B", [wl("b1")]), cls("X", [ext("10.0.0.0", "10.0.0.255")], "external")],
  [
    ["A", "B", "TCP 80"],
    ["B", "A", "TCP 443"],
    ["A", "X", "all"],
  ],
);

describe("computeMatrixDelta", () => {
  it("opens everything for a first generation", () => {
    expect(deltaCounts(computeMatrixDelta(undefined, base))).toEqual({
      classesClosed: 0,
      classesOpened: 3,
      membersClosed: 0,
      membersOpened: 4,
      connectionsClosed: 0,
      connectionsOpened: 3,
    });
  });

  it("is empty for an equal snapshot, whatever the insertion order", () => {
    const reordered = snapshot(
      [cls("X", [ext("10.0.0.0", "10.0.0.255")], "external"), cls("B", [wl("b1")]), cls("A", [wl("a2", 2), wl("a1")])],
      [
        ["A", "X", "all"],
        ["B", "A", "TCP 443"],
        ["A", "B", "TCP 80"],
      ],
    );
    expect(isEmptyDelta(computeMatrixDelta(base, reordered))).toBe(true);
  });

  it("closes and reopens only a changed connection, and handles added and removed ones", () => {
    const next = snapshot(
      [...base.classes],
      [
        ["A", "B", "TCP 8080"],
        ["A", "X", "all"],
        ["X", "B", "UDP 53"],
      ],
    );
    const d = computeMatrixDelta(base, next);
    expect(d.closeConnections).toEqual([
      { srcClass: "A", dstClass: "B" },
      { srcClass: "B", dstClass: "A" },
    ]);
    expect(d.openConnections).toEqual([
      { srcClass: "A", dstClass: "B", conn: "TCP 8080" },
      { srcClass: "X", dstClass: "B", conn: "UDP 53" },
    ]);
    expect(d.closeClasses).toEqual([]);
    expect(d.openMembers).toEqual([]);
  });

  it("replaces a member whose pod count changed, and moves workloads between classes", () => {
    const next = snapshot([cls("A", [wl("a1", 5)]), cls("B", [wl("b1"), wl("a2", 2)]), cls("X", [ext("10.0.0.0", "10.0.0.255")], "external")], [...base.connections].map(([k, c]) => [...Object.values(splitClassPairKey(k)), c] as [string, string, string]));
    const d = computeMatrixDelta(base, next);
    expect(d.closeMembers).toEqual([
      { classKey: "A", memberKey: memberKey(wl("a1")) },
      { classKey: "A", memberKey: memberKey(wl("a2", 2)) },
    ]);
    expect(d.openMembers).toEqual([
      { classKey: "A", memberKey: memberKey(wl("a1")), member: wl("a1", 5) },
      { classKey: "B", memberKey: memberKey(wl("a2")), member: wl("a2", 2) },
    ]);
    expect(d.closeClasses).toEqual([]);
    expect(d.closeConnections).toEqual([]);
  });

  it("closes a removed class with its members, and reopens a class whose kind changed", () => {
    const next = snapshot([cls("A", [wl("a1"), wl("a2", 2)]), cls("X", [ext("10.0.0.0", "10.0.0.255")], "pod")], [["A", "X", "all"]]);
    const d = computeMatrixDelta(base, next);
    expect(d.closeClasses).toEqual(["B", "X"]);
    expect(d.openClasses).toEqual([{ key: "X", kind: "pod" }]);
    expect(d.closeMembers.map((m) => m.classKey)).toEqual(["B", "X"]);
    expect(d.openMembers.map((m) => m.classKey)).toEqual(["X"]);
    expect(d.closeConnections).toEqual([
      { srcClass: "A", dstClass: "B" },
      { srcClass: "B", dstClass: "A" },
    ]);
  });

  it("keeps the last of duplicate members in one class", () => {
    const next = snapshot([cls("A", [wl("a1"), wl("a2", 2), wl("a1", 3)]), ...[...base.classes].slice(1)], []);
    const d = computeMatrixDelta(base, next);
    expect(d.openMembers).toEqual([{ classKey: "A", memberKey: memberKey(wl("a1")), member: wl("a1", 3) }]);
  });
});

describe("computeMatrixDelta with an incremental snapshot's hint (changedSince)", () => {
  const next = snapshot(
    [cls("A", [wl("a1"), wl("a2", 3)]), cls("C", [wl("c1")]), cls("X", [ext("10.0.0.0", "10.0.0.255")], "external")],
    [
      ["A", "C", "TCP 80"],
      ["A", "X", "all"],
      ["C", "A", "UDP 53"],
    ],
  );
  const hinted = (classes: string[], connections: [string, string][], on: MatrixSnapshot = base): MatrixSnapshot => ({
    ...next,
    // The changed keys with their values in `next` (undefined: gone), as an incremental recompute hands them over.
    changedSince: {
      base: on,
      classes: new Map(classes.map(storedClassKey).map((k) => [k, next.classes.get(k)])),
      connections: new Map(connections.map(([s, d]) => connectionKey(s, d)).map((k) => [k, next.connections.get(k)])),
    },
  });
  const changedClasses = ["A", "B", "C"];
  const changedConnections: [string, string][] = [
    ["A", "B"],
    ["B", "A"],
    ["A", "C"],
    ["C", "A"],
  ];

  it("equals the full delta when the hint names every key that changed", () => {
    expect(computeMatrixDelta(base, hinted(changedClasses, changedConnections))).toEqual(computeMatrixDelta(base, next));
  });

  it("looks only at the keys the hint names (what it leaves out is taken as unchanged)", () => {
    const d = computeMatrixDelta(base, hinted(["C"], [["C", "A"]]));
    expect(deltaCounts(d)).toEqual({ classesClosed: 0, classesOpened: 1, membersClosed: 0, membersOpened: 1, connectionsClosed: 0, connectionsOpened: 1 });
  });

  it("is ignored when the snapshot was derived from another base (the store diffs in full)", () => {
    const other = snapshot([], []);
    expect(computeMatrixDelta(base, hinted(["C"], [["C", "A"]], other))).toEqual(computeMatrixDelta(base, next));
  });
});

describe("computeMatrixDelta row order", () => {
  it("lists every kind of row in primary-key order, whatever the maps' order (more rows than one sorted run)", () => {
    // Keys in a scrambled order, as a persistent map's hash order would give them.
    const keys = Array.from({ length: 90 }, (_, i) => `k${String((i * 37) % 90).padStart(2, "0")}`);
    const before = snapshot(
      keys.map((k) => cls(k, [wl(`w${k}`), wl(`v${k}`)])),
      keys.flatMap((s) => keys.map((d): [string, string, string] => [s, d, "TCP 80"])),
    );
    const after = snapshot([], []);
    const opened = computeMatrixDelta(undefined, before);
    const closed = computeMatrixDelta(before, after);
    const sorted = <T>(rows: readonly T[], key: (r: T) => string) => [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const pair = (r: { srcClass: string; dstClass: string }) => `${r.srcClass}\u0000${r.dstClass}`;
    const member = (r: { classKey: string; memberKey: string }) => `${r.classKey}\u0000${r.memberKey}`;
    // 8,100 connections: more than one run of the sliced sort, so its merge is exercised too.
    expect(opened.openConnections.length).toBe(8100);
    expect(opened.openConnections).toEqual(sorted(opened.openConnections, pair));
    expect(closed.closeConnections).toEqual(sorted(closed.closeConnections, pair));
    expect(opened.openMembers).toEqual(sorted(opened.openMembers, member));
    expect(closed.closeMembers).toEqual(sorted(closed.closeMembers, member));
    expect(opened.openClasses.map((c) => c.key)).toEqual([...keys].sort());
    expect(closed.closeClasses).toEqual([...keys].sort());
  });
});
