/**
 * The objects of a generation's world, under the caller's scope: namespaces, workloads (with a
 * label selector), network policies of every tier, and a workload resolved as the engine sees it.
 * All read the compiled world of the generation (WorldCache), the same state its matrix was
 * computed from.
 */
import { BadInputError, engineError } from "../../domain/errors.js";
import { parseSelectorString, resolveWorkload, type LabelSelector, type WorkloadQuery, type WorkloadRef } from "../../engine/index.js";
import { assertVisible } from "./filters.js";
import type { GenerationRef, GenerationResolver, QueryOptions } from "./generations.js";
import { canSeeClusterScoped, inScope, type Scope } from "../../domain/scope.js";
import type { WorldCache, WorldSnapshot } from "./WorldCache.js";

export class ObjectQueries {
  constructor(
    private readonly generations: GenerationResolver,
    private readonly worlds: WorldCache,
  ) {}

  /** The world of a generation. */
  world(ref: GenerationRef): Promise<WorldSnapshot> {
    return this.worlds.get(ref.cluster, ref.generation);
  }

  async namespaces(scope: Scope, options: QueryOptions): Promise<{ ref: GenerationRef; snapshot: WorldSnapshot; names: string[] }> {
    const { ref, snapshot } = await this.worldOf(options);
    return { ref, snapshot, names: snapshot.world.namespaces.map((n) => n.name).filter((n) => inScope(scope, n)).sort() };
  }

  async workloads(scope: Scope, options: QueryOptions & { namespace?: string | null; labelSelector?: string | null }) {
    const { ref, snapshot } = await this.worldOf(options);
    let selector: LabelSelector | undefined;
    if (options.labelSelector) {
      const parsed = parseSelectorString(options.labelSelector);
      if (!parsed.ok) throw new BadInputError(`labelSelector: ${parsed.message}`);
      selector = parsed.selector;
    }
    const list = snapshot.workloads.filter(
      (w) => inScope(scope, w.ref.namespace) && (!options.namespace || w.ref.namespace === options.namespace) && (!selector || selector.matches(w.labels)),
    );
    return { ref, snapshot, workloads: list };
  }

  async networkPolicies(scope: Scope, options: QueryOptions & { namespace?: string | null }) {
    const { ref, snapshot } = await this.worldOf(options);
    const wanted = (p: { readonly namespace: string }) => inScope(scope, p.namespace) && (!options.namespace || p.namespace === options.namespace);
    // Invalid ones the cluster holds are listed too (valid: false), rather than vanishing.
    const policies = [...snapshot.world.networkPolicies.filter(wanted), ...(snapshot.world.invalidPolicies ?? []).filter(wanted)];
    // Cluster-scoped policies belong to no namespace: listed for tokens that see everything, without a namespace filter.
    const tiered = canSeeClusterScoped(scope) && !options.namespace ? snapshot.world.tieredPolicies : [];
    return { ref, snapshot, policies: [...policies, ...tiered] };
  }

  /** Resolves a workload of the world (for canConnect / chat answers that need the engine's view). */
  async resolveWorkload(scope: Scope, q: WorkloadQuery, options: QueryOptions): Promise<WorkloadRef> {
    assertVisible(scope, q.namespace, `${q.namespace}/${q.name}`);
    const { snapshot } = await this.worldOf(options);
    const r = resolveWorkload(snapshot.world, q);
    if (!r.ok) throw engineError(r);
    if (r.type !== "workload") throw new BadInputError(`${q.namespace}/${q.name} is not a workload`);
    return r.ref;
  }

  private async worldOf(options: QueryOptions): Promise<{ ref: GenerationRef; snapshot: WorldSnapshot }> {
    const ref = await this.generations.generation(options);
    return { ref, snapshot: await this.world(ref) };
  }
}
