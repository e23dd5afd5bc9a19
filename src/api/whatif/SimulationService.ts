/**
 * What-if and findings over stored generations, for the GraphQL API. The base of a what-if is the
 * compiled world of a generation (QueryService's WorldCache) with its class matrix, built once per
 * generation and kept (generations are immutable); each simulation then costs only the engine's
 * incremental what-if. Nothing here writes: a simulation never reaches the store or the history.
 * Scope rules are QueryService's: a scoped token may only propose objects in its namespaces and
 * sees rows and findings whose workloads and objects are all in them.
 */
import { BadInputError, ForbiddenError } from "../../app/errors.js";
import {
  buildMatrix,
  compileWorld,
  findings,
  formatDiagnostic,
  measureInput,
  planProposal,
  prepareWhatIf,
  splitDeletions,
  whatIf,
  type Finding,
  type ImpactRow,
  type PolicyChange,
  type Proposal,
  type WhatIfBase,
  type WhatIfMode,
  type WorldInput,
} from "../../engine/index.js";
import type { Store } from "../../store/types.js";
import { ClusterState } from "../../sync/ClusterState.js";
import { parseManifestText, REQUEST_MANIFEST_LIMITS, toWorldInput } from "../../sync/manifests/index.js";
import { overLimits } from "./limits.js";
import { visibleRow, type GenerationRef, type QueryService } from "../query/QueryService.js";
import { canSeeFinding, canSeeObject, findingsVisibility, inScope, scopeKey, type Scope } from "../query/scope.js";

export interface SimulationAnswer extends GenerationRef {
  readonly mode: WhatIfMode;
  readonly method: "incremental" | "full";
  readonly policyChanges: readonly PolicyChange[];
  /** Visible rows only. */
  readonly rows: readonly ImpactRow[];
  readonly warnings: readonly string[];
}

export interface FindingsAnswer extends GenerationRef {
  readonly findings: readonly Finding[];
}

interface GenerationEntry {
  readonly base: Promise<WhatIfBase>;
  /** Findings per scope (scopeKey): messages name and count only what the scope sees. */
  readonly findings: Map<string, Promise<Finding[]>>;
}

/** Scopes whose findings are kept per generation (a token set is small; the cap bounds memory). */
const MAX_FINDINGS_SCOPES = 16;

/** Diagnostics shown in a refusal, at most. */
const MAX_SHOWN_ERRORS = 5;

export class SimulationService {
  private readonly entries = new Map<string, GenerationEntry>();

  constructor(
    private readonly query: QueryService,
    private readonly store: Pick<Store, "objects">,
    private readonly capacity = 2,
  ) {}

  async simulate(scope: Scope, options: { cluster?: string | null; manifests: string; mode: WhatIfMode }): Promise<SimulationAnswer> {
    const ref = await this.query.generation({ cluster: options.cluster });
    const proposal = parseProposal(options.manifests);
    const entry = this.entry(ref);
    const base = await entry.base;
    const plan = planProposal(base.world, proposal, options.mode);
    checkScope(scope, proposal, plan.namespaces, options.mode);
    // The full recomputation (pods or namespaces change) needs the generation's objects as input.
    const baseInput: WorldInput | undefined = plan.incremental ? undefined : ClusterState.from(await this.store.objects.loadObjectsAt(ref.cluster, ref.generation)).toWorldInput();
    const { result } = whatIf(base, proposal, options.mode, { baseInput: () => baseInput! });
    return {
      ...ref,
      mode: options.mode,
      method: result.method,
      policyChanges: result.policyChanges.filter((c) => canSeeObject(scope, c.ref)),
      rows: result.rows.filter((r) => visibleRow(scope, { src: r.src, dst: r.dst, conn: r.after })),
      warnings: result.diagnostics.filter((d) => d.severity === "warning").map(formatDiagnostic),
    };
  }

  async findings(scope: Scope, options: { cluster?: string | null; namespace?: string | null }): Promise<FindingsAnswer> {
    const ref = await this.query.generation({ cluster: options.cluster });
    if (options.namespace && !inScope(scope, options.namespace)) return { ...ref, findings: [] };
    const entry = this.entry(ref);
    const key = scopeKey(scope);
    let computed = entry.findings.get(key);
    if (!computed) {
      computed = entry.base.then((b) => findings(b.world, { matrix: b.matrix, visibleNamespace: findingsVisibility(scope) }));
      computed.catch(() => entry.findings.delete(key));
      entry.findings.set(key, computed);
      while (entry.findings.size > MAX_FINDINGS_SCOPES) entry.findings.delete(entry.findings.keys().next().value!);
    }
    const all = await computed;
    return { ...ref, findings: all.filter((f) => (!options.namespace || f.namespace === options.namespace) && canSeeFinding(scope, f)) };
  }

  private entry(ref: GenerationRef): GenerationEntry {
    const key = `${ref.cluster}\u0000${ref.generation}`;
    let hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const base = this.query.world(ref).then((snapshot) => prepareWhatIf(snapshot.world, buildMatrix(snapshot.world)));
    hit = { base, findings: new Map() };
    base.catch(() => this.entries.delete(key));
    this.entries.set(key, hit);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return hit;
  }
}

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
function checkScope(scope: Scope, proposal: Proposal, touched: readonly string[], mode: WhatIfMode): void {
  if (scope.all) return;
  if (mode === "replace-all") throw new ForbiddenError("REPLACE_ALL replaces the policies of every namespace: it needs a token for all namespaces");
  const clusterScoped = (proposal.input.tieredPolicies?.length ?? 0) > 0 || proposal.deletions.some((d) => d.namespace === "" && d.kind !== "Namespace");
  if (clusterScoped) throw new ForbiddenError("cluster-scoped policies need a token for all namespaces");
  const outside = touched.filter((ns) => !inScope(scope, ns));
  if (outside.length > 0) throw new ForbiddenError(`the manifests touch namespace${outside.length === 1 ? "" : "s"} outside this token's scope: ${outside.join(", ")}`);
}
