/**
 * expandEdges (how the API expands stored class-level generations) must give exactly the
 * connectivity list buildConnectivity gives from the in-memory matrix; expandEdgesSteps (the API's
 * large answers, in time slices) must yield along the way and give expandEdges' rows.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildConnectivity,
  buildMatrix,
  buildWorkloadIndex,
  compileWorld,
  expandEdges,
  expandEdgesSteps,
  formatConnEndpoint,
  parseConnectionSet,
  type ClassEdge,
  type ClassMatrix,
  type ConnEndpoint,
  type ConnectivityRow,
} from "../../src/engine/index.js";
import { worldArb } from "../helpers/randomWorld.js";

function edgesOf(matrix: ClassMatrix): ClassEdge[] {
  const index = buildWorkloadIndex(matrix);
  const cls = matrix.classes.classes;
  const members = cls.map((c): ConnEndpoint[] =>
    c.kind === "pod"
      ? index.ofClass[c.id]!.map((w) => ({ kind: "workload", ref: index.workloads[w]! }))
      : c.atoms.map((a) => ({ kind: "external", range: matrix.classes.partition.atoms[a]! })),
  );
  const out: ClassEdge[] = [];
  matrix.incoming.forEach((row, d) => {
    for (let i = 0; i < row.src.length; i++) out.push({ src: members[row.src[i]!]!, dst: members[d]!, conn: matrix.conns.get(row.conn[i]!) });
  });
  return out;
}

const text = (rows: readonly ConnectivityRow[]) => rows.map((r) => `${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)} : ${r.conn.key}`);

describe("expandEdges", () => {
  it("equals buildConnectivity on random worlds", () => {
    fc.assert(
      fc.property(worldArb, (input) => {
        const matrix = buildMatrix(compileWorld(input).world);
        expect(text(expandEdges(edgesOf(matrix)))).toEqual(text(buildConnectivity(matrix)));
      }),
      { numRuns: 300 },
    );
  });

  it("as steps, yields on a large answer and gives expandEdges' rows", () => {
    // A workload reached from 9,000 workloads (some through two connections, united), and from
    // adjacent external ranges (merged): past the sort's runs of 4,096 rows.
    const self: ConnEndpoint = { kind: "workload", ref: { namespace: "shop", kind: "Deployment", name: "db" } };
    const peer = (i: number): ConnEndpoint => ({ kind: "workload", ref: { namespace: `ns-${i % 7}`, kind: "Deployment", name: `w-${i}` } });
    const edges: ClassEdge[] = [];
    for (let i = 0; i < 9000; i += 3) edges.push({ src: [peer(i), peer(i + 1), peer(i + 2)], dst: [self], conn: parseConnectionSet(i % 2 ? "TCP 5432" : "TCP 80") });
    for (let i = 0; i < 9000; i += 10) edges.push({ src: [peer(i)], dst: [self], conn: parseConnectionSet("UDP 53") });
    for (let i = 0; i < 600; i++) edges.push({ src: [{ kind: "external", range: { family: 4, start: BigInt(i * 4), end: BigInt(i * 4 + 3) } }], dst: [self], conn: parseConnectionSet(i < 300 ? "TCP 443" : "TCP 8443") });
    const steps = expandEdgesSteps(edges);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    const rows = step.value;
    expect(yields).toBeGreaterThan(50);
    expect(rows).toHaveLength(9000 + 2);
    expect(text(rows)).toEqual(text(expandEdges(edges)));
    // The order is the connectivity list's: by source, then destination.
    const sources = rows.map((r) => formatConnEndpoint(r.src));
    expect(sources).toEqual([...sources].sort());
  });
});
