/**
 * What GraphQL resolvers pass around for the object types (codegen maps the schema types to these):
 * references into a stored generation, resolved lazily against that generation's world.
 */
import type { CompiledNetworkPolicy, CompiledTieredPolicy, InvalidPolicy, WorkloadRef } from "../../engine/index.js";
import type { StoredRevision } from "../../domain/repositories.js";

export interface GenerationScoped {
  readonly cluster: string;
  readonly generation: number;
}

export interface WorkloadView extends GenerationScoped {
  readonly ref: WorkloadRef;
}

/** A policy of any tier: a NetworkPolicy, or a cluster-scoped tiered policy (AdminNetworkPolicy, ...); or a NetworkPolicy the cluster holds that is invalid. */
export interface PolicyView extends GenerationScoped {
  readonly policy: CompiledNetworkPolicy | CompiledTieredPolicy | InvalidPolicy;
}

export interface NamespaceView extends GenerationScoped {
  readonly name: string;
}

export type RevisionView = StoredRevision;
