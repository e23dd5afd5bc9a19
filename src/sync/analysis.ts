/** One analysis of a cluster state through the engine: compile, class matrix, connectivity list. */
import { buildConnectivity, buildMatrix, compileWorld, type ClassMatrix, type CompiledWorld, type ConnectivityRow, type Diagnostic } from "../engine/index.js";
import type { ClusterState } from "./ClusterState.js";

export interface Analysis {
  readonly world: CompiledWorld;
  readonly diagnostics: readonly Diagnostic[];
  readonly matrix: ClassMatrix;
  /** Built on first use: only impact computation needs the workload-level list. */
  connectivity(): readonly ConnectivityRow[];
}

export function analyze(state: ClusterState): Analysis {
  const { world, diagnostics } = compileWorld(state.toWorldInput());
  const matrix = buildMatrix(world);
  let rows: ConnectivityRow[] | undefined;
  return { world, diagnostics, matrix, connectivity: () => (rows ??= buildConnectivity(matrix)) };
}
