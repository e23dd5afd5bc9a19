/**
 * One simulation from plain inputs: the base generation's world input (compiled once per
 * generation by the caller and kept), the request's manifests, mode and scope. What
 * simulateWorker.ts runs off the API's event loop; the answer is already filtered to the scope.
 */
import { buildMatrix, compileWorld, formatDiagnostic, planProposal, prepareWhatIf, whatIf, type WhatIfBase, type WhatIfMode, type WorldInput } from "../../engine/index.js";
import { canSeeConnection, canSeeObject, type Scope } from "../../domain/scope.js";
import { checkScope, parseProposal } from "./proposal.js";
import { rowToWire, type SimulateOutcome } from "./wire.js";

export interface PreparedBase {
  readonly base: WhatIfBase;
  /** The full recomputation (pods or namespaces change) starts again from the input. */
  readonly input: WorldInput;
}

export function prepareBase(input: WorldInput): PreparedBase {
  const { world } = compileWorld(input);
  return { base: prepareWhatIf(world, buildMatrix(world)), input };
}

export function computeSimulation(prepared: PreparedBase, manifests: string, mode: WhatIfMode, scope: Scope): SimulateOutcome {
  const proposal = parseProposal(manifests);
  const plan = planProposal(prepared.base.world, proposal, mode);
  checkScope(scope, proposal, plan.namespaces, mode);
  const { result } = whatIf(prepared.base, proposal, mode, { baseInput: () => prepared.input });
  return {
    method: result.method,
    policyChanges: result.policyChanges.filter((c) => canSeeObject(scope, c.ref)),
    rows: result.rows.filter((r) => canSeeConnection(scope, r)).map(rowToWire),
    warnings: result.diagnostics.filter((d) => d.severity === "warning").map(formatDiagnostic),
  };
}
