/**
 * What-if and findings over stored generations, for the GraphQL API. The base of a what-if is the
 * compiled world of a generation (QueryService's WorldCache) with its class matrix, built once per
 * generation and kept (generations are immutable). Simulations run in a worker thread
 * (SimulationPool), which compiles and keeps the base of a generation itself and is sent only the
 * request's manifests; a heavy simulation never holds this event loop, and has a time and memory
 * budget. Nothing here writes: a simulation never reaches the store or the history.
 * Scope rules are QueryService's: a scoped token may only propose objects in its namespaces and
 * sees rows and findings whose workloads and objects are all in them.
 */
import { buildMatrix, findings, prepareWhatIf, type Finding, type ImpactRow, type PolicyChange, type WhatIfBase, type WhatIfMode } from "../../engine/index.js";
import { DEFAULT_CACHE_SIZES, type CacheSizes } from "../../domain/config.js";
import type { Store } from "../../domain/repositories.js";
import { ClusterState } from "../../domain/ClusterState.js";
import { cacheKey, lruCache, sharedLoad, type Cache } from "../query/caches.js";
import type { GenerationRef, QueryService } from "../query/QueryService.js";
import { canSeeFinding, findingsVisibility, inScope, scopeKey, type Scope } from "../../domain/scope.js";
import { SimulationPool } from "./SimulationPool.js";
import { rowsFromWire } from "./wire.js";

export { checkScope, parseProposal } from "./proposal.js";

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
  readonly findings: Cache<Promise<Finding[]>>;
}

export class SimulationService {
  /** Bases of the most recently used generations (server.cache.whatIfBases). */
  private readonly entries: Cache<GenerationEntry>;

  constructor(
    private readonly query: QueryService,
    private readonly store: Pick<Store, "objects">,
    /** whatIfBases: generations whose base is kept; findingsScopes: scopes whose findings are kept per generation (a token set is small; the cap bounds memory). */
    private readonly sizes: Pick<CacheSizes, "whatIfBases" | "findingsScopes"> = DEFAULT_CACHE_SIZES,
    private readonly pool = new SimulationPool(),
  ) {
    this.entries = lruCache<GenerationEntry>(sizes.whatIfBases);
  }

  async simulate(scope: Scope, options: { cluster?: string | null; manifests: string; mode: WhatIfMode }): Promise<SimulationAnswer> {
    const ref = await this.query.generation({ cluster: options.cluster });
    const outcome = await this.pool.run({
      baseKey: `${ref.cluster}\u0000${ref.generation}`,
      loadBase: async () => ClusterState.from(await this.store.objects.loadObjectsAt(ref.cluster, ref.generation)).toWorldInput(),
      manifests: options.manifests,
      mode: options.mode,
      scope,
    });
    return { ...ref, mode: options.mode, method: outcome.method, policyChanges: outcome.policyChanges, rows: rowsFromWire(outcome.rows), warnings: outcome.warnings };
  }

  /** Stops the simulation worker. */
  close(): Promise<void> {
    return this.pool.close();
  }

  async findings(scope: Scope, options: { cluster?: string | null; namespace?: string | null }): Promise<FindingsAnswer> {
    const ref = await this.query.generation({ cluster: options.cluster });
    if (options.namespace && !inScope(scope, options.namespace)) return { ...ref, findings: [] };
    const entry = this.entry(ref);
    const computed = sharedLoad(entry.findings, scopeKey(scope), () => entry.base.then((b) => findings(b.world, { matrix: b.matrix, visibleNamespace: findingsVisibility(scope) })));
    const all = await computed;
    return { ...ref, findings: all.filter((f) => (!options.namespace || f.namespace === options.namespace) && canSeeFinding(scope, f)) };
  }

  private entry(ref: GenerationRef): GenerationEntry {
    const key = cacheKey(ref.cluster, ref.generation);
    const hit = this.entries.get(key);
    if (hit) return hit;
    const base = this.query.world(ref).then((snapshot) => prepareWhatIf(snapshot.world, buildMatrix(snapshot.world)));
    const entry: GenerationEntry = { base, findings: lruCache<Promise<Finding[]>>(this.sizes.findingsScopes) };
    base.catch(() => {
      if (this.entries.peek(key) === entry) this.entries.delete(key);
    });
    this.entries.set(key, entry);
    return entry;
  }
}
