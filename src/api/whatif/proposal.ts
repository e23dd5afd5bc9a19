/**
 * A `simulate` request's manifests as an engine proposal, and the scope rules a proposal must
 * follow. Runs in the simulation worker (simulateWorker.ts): parsing and compiling the text is
 * input-driven work that must not hold the API's event loop.
 */
import { BadInputError, ForbiddenError } from "../../domain/errors.js";
import { compileWorld, formatDiagnostic, measureInput, splitDeletions, type Proposal, type WhatIfMode } from "../../engine/index.js";
import { parseManifestText, REQUEST_MANIFEST_LIMITS, toWorldInput } from "../../sync/manifests/index.js";
import { overLimits } from "./limits.js";
import { inScope, isClusterScoped, seesAllNamespaces, type Scope } from "../../domain/scope.js";

/** Diagnostics shown in a refusal, at most. */
const MAX_SHOWN_ERRORS = 5;

/**
 * The manifests of a request as a proposal; errors in them refuse it (BAD_USER_INPUT), naming the
 * first few. Every bound (the text's size, nodes and depth; the proposal's rules, peers and CIDRs)
 * is checked before the work it protects: nothing past a bound is compiled.
 */
export function parseProposal(manifests: string): Proposal {
  const parsed = parseManifestText(manifests, "manifests", REQUEST_MANIFEST_LIMITS);
  if (parsed.overLimit) throw new BadInputError(`the manifests are too large to simulate: ${parsed.diagnostics.map(formatDiagnostic).join("; ")} (docs/input-limits.md)`);
  const { keep, deletions } = splitDeletions(parsed.objects);
  const mapped = toWorldInput(keep);
  const over = overLimits(measureInput(mapped.world));
  if (over.length > 0) throw new BadInputError(`the manifests are too large to simulate: ${over.join("; ")} (docs/input-limits.md)`);
  const own = compileWorld(mapped.world);
  const errors = [...parsed.diagnostics, ...mapped.diagnostics, ...own.diagnostics].filter((d) => d.severity === "error");
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_SHOWN_ERRORS).map(formatDiagnostic).join("; ");
    throw new BadInputError(`${errors.length} error${errors.length === 1 ? "" : "s"} in the manifests: ${shown}${errors.length > MAX_SHOWN_ERRORS ? "; ..." : ""}`);
  }
  if (mapped.world.networkPolicies.length + mapped.world.pods.length + mapped.world.namespaces.length + (mapped.world.tieredPolicies?.length ?? 0) + deletions.length === 0)
    throw new BadInputError("the manifests hold no object kubereach reads (NetworkPolicy, Namespace, Pod, workloads, tiered policies), and no deletion");
  return { input: mapped.world, deletions };
}

/** A scoped token may touch only its namespaces: not REPLACE_ALL, not cluster-scoped objects. */
export function checkScope(scope: Scope, proposal: Proposal, touched: readonly string[], mode: WhatIfMode): void {
  if (seesAllNamespaces(scope)) return;
  if (mode === "replace-all") throw new ForbiddenError("REPLACE_ALL replaces the policies of every namespace: it needs a token for all namespaces");
  const clusterScoped = (proposal.input.tieredPolicies?.length ?? 0) > 0 || proposal.deletions.some(isClusterScoped);
  if (clusterScoped) throw new ForbiddenError("cluster-scoped policies need a token for all namespaces");
  const outside = touched.filter((ns) => !inScope(scope, ns));
  if (outside.length > 0) throw new ForbiddenError(`the manifests touch namespace${outside.length === 1 ? "" : "s"} outside this token's scope: ${outside.join(", ")}`);
}
