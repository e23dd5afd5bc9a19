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
  formatConnEndpoint,
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
});
