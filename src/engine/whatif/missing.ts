/**
 * Deletions of a proposal that match nothing in the base. A deletion of an object the base does not
 * have changes nothing, so without a word the what-if answers "no change" and the author believes
 * the policy is gone (a typo in its name or namespace, or the wrong cluster). Each one becomes a
 * warning naming the kind, namespace and name. Pure.
 */
import { TIERED_POLICY_KINDS, type CompiledWorld } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import { podKey, policyKey, workloadKey } from "../model/ids.js";
import type { ObjectRef } from "./proposal.js";

const isTiered = (kind: string) => (TIERED_POLICY_KINDS as readonly string[]).includes(kind);

/** The object a deletion names, as a diagnostic names objects: `NetworkPolicy shop/allow-web`, `Namespace shop`. */
function objectText(d: ObjectRef): string {
  return `${d.kind} ${d.namespace === "" ? d.name : `${d.namespace}/${d.name}`}`;
}

function exists(base: CompiledWorld, d: ObjectRef): boolean {
  if (d.kind === "NetworkPolicy") return base.networkPolicies.some((p) => p.key === policyKey(d));
  if (isTiered(d.kind)) return base.tieredPolicies.some((p) => p.key === policyKey({ kind: d.kind, namespace: "", name: d.name }));
  if (d.kind === "Namespace") return base.namespaceByName.get(d.name)?.defined === true || base.pods.some((p) => p.ref.namespace === d.name);
  if (d.kind === "Pod") return base.pods.some((p) => p.key === podKey(d));
  const w = workloadKey(d);
  return base.pods.some((p) => workloadKey(p.workload) === w);
}

export function missingDeletions(base: CompiledWorld, deletions: readonly ObjectRef[]): Diagnostic[] {
  return deletions
    .filter((d) => !exists(base, d))
    .map((d) => ({
      severity: "warning" as const,
      code: "NOT_IN_BASE" as const,
      object: objectText(d),
      field: "metadata.annotations[kubereach.io/delete]",
      message: `the proposal deletes ${objectText(d)}, which the base state does not have: nothing is deleted (check the kind, namespace and name)`,
    }));
}
