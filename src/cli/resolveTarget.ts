/** Turns a workload named on the command line into the workload the connectivity list is keyed by. */
import { BadInputError, engineError } from "../domain/errors.js";
import { formatWorkload, resolveWorkload, type CompiledWorld, type WorkloadQuery, type WorkloadRef } from "../engine/index.js";
import type { CliIo } from "./io.js";

export function resolveTargetWorkload(world: CompiledWorld, q: WorkloadQuery, io: CliIo): WorkloadRef {
  const r = resolveWorkload(world, q);
  if (!r.ok) throw engineError(r);
  if (r.type !== "workload") throw new BadInputError(`${q.namespace}/${q.name} is not a workload`);
  // A pod named directly stands for its workload: the connectivity list is per workload.
  const pod = r.pods.length === 1 ? r.pods[0] : undefined;
  if (pod && pod.ref.name === q.name && r.ref.name !== q.name) io.stderr.write(`note: ${q.namespace}/${q.name} is a pod of ${formatWorkload(r.ref)}; showing the workload\n`);
  return r.ref;
}
