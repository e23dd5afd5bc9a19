/**
 * expandEdges (how the API expands stored class-level generations) must give exactly the
 * connectivity list buildConnectivity gives from the in-memory matrix.
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
import { STEP_ITEMS } from "../../src/engine/util/steps.js";

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

  it("as steps, yields every STEP_ITEMS member pairs and gives the same rows (a workload that thousands of workloads reach)", () => {
    const self: ConnEndpoint = { kind: "workload", ref: { namespace: "prod", kind: "Deployment", name: "db" } };
    const conn = parseConnectionSet("TCP 5432");
    const edges: ClassEdge[] = Array.from({ length: 40 }, (_, c) => ({
      src: Array.from({ length: 50 }, (_, i): ConnEndpoint => ({ kind: "workload", ref: { namespace: `ns${c}`, kind: "Deployment", name: `w${i}` } })),
      dst: [self],
      conn,
    }));
    const steps = expandEdgesSteps(edges);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    expect(yields).toBeGreaterThanOrEqual(Math.floor((40 * 50) / STEP_ITEMS));
    expect(text(step.value)).toEqual(text(expandEdges(edges)));
    expect(step.value).toHaveLength(2000);
  });
});
