/**
 * canConnect: the engine's explanation of one connection (which policies of which tiers decide
 * it) over the compiled world of a generation, under the caller's scope (scope.ts explainOptions).
 */
import { engineError } from "../../domain/errors.js";
import { explain, type EndpointQuery, type Explanation, type Protocol } from "../../engine/index.js";
import { assertVisible } from "./filters.js";
import type { GenerationRef, GenerationResolver, QueryOptions } from "./generations.js";
import { explainOptions, type Scope } from "../../domain/scope.js";
import type { WorldCache } from "./WorldCache.js";

export interface CanConnectAnswer extends GenerationRef {
  readonly explanation: Explanation;
}

export async function canConnect(
  deps: { readonly generations: GenerationResolver; readonly worlds: WorldCache },
  scope: Scope,
  from: EndpointQuery,
  to: EndpointQuery,
  port: number,
  protocol: Protocol,
  options: QueryOptions,
): Promise<CanConnectAnswer> {
  const ref = await deps.generations.generation(options);
  for (const e of [from, to]) if (e.type === "workload") assertVisible(scope, e.namespace, `${e.namespace}/${e.name}`);
  const snapshot = await deps.worlds.get(ref.cluster, ref.generation);
  // A pod's IP is answered for as that pod only if this token may see the pod (scope.ts explainOptions).
  const r = explain(snapshot.world, from, to, port, protocol, explainOptions(scope));
  if (!r.ok) throw engineError(r, `cluster ${ref.cluster}, generation ${ref.generation}`);
  return { ...ref, explanation: r.explanation };
}
