/** One analysis of a cluster state through the engine: compile, class matrix, connectivity list. */
import { buildConnectivity, buildMatrix, buildWorkloadIndex, compileWorld, type ClassMatrix, type CompiledWorld, type ConnectivityRow, type Diagnostic } from "../engine/index.js";
import type { ClusterState } from "../domain/ClusterState.js";

export interface Analysis {
  readonly world: CompiledWorld;
  readonly diagnostics: readonly Diagnostic[];
  readonly matrix: ClassMatrix;
  /** Built on first use: only impact computation needs the workload-level list. */
  connectivity(): readonly ConnectivityRow[];
  /**
   * An upper bound on the rows of connectivity(), computed from the class matrix without building
   * them: a world where nothing is isolated has a row for nearly every pair of workloads.
   */
  estimatedRows(): number;
}

export function analyze(state: ClusterState): Analysis {
  const { world, diagnostics } = compileWorld(state.toWorldInput());
  const matrix = buildMatrix(world);
  let rows: ConnectivityRow[] | undefined;
  let estimate: number | undefined;
  return {
    world,
    diagnostics,
    matrix,
    connectivity: () => (rows ??= buildConnectivity(matrix)),
    estimatedRows: () => (estimate ??= estimateRows(matrix)),
  };
}

function estimateRows(matrix: ClassMatrix): number {
  const index = buildWorkloadIndex(matrix);
  const size = matrix.classes.classes.map((c) => (c.kind === "pod" ? index.ofClass[c.id]!.length : c.atoms.length));
  let total = 0;
  matrix.incoming.forEach((row, d) => {
    for (let i = 0; i < row.src.length; i++) total += size[row.src[i]!]! * size[d]!;
  });
  return total;
}
