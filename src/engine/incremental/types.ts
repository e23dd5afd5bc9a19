/**
 * The vocabulary of the incremental matrix: a change (before/after versions of objects), the
 * classes it keeps by signature, and what apply() answers (IncrementalMatrix.ts).
 */
import type { CompiledWorld } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import type { PodKey, PolicyKey } from "../model/ids.js";
import type { NamespaceInput, NetworkPolicyInput, PodInput, TieredPolicyInput } from "../model/input.js";
import type { IpRange } from "../net/ip.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";

export interface ChangePair<T> {
  readonly before: T | undefined;
  readonly after: T | undefined;
}

export interface WorldChange {
  readonly namespaces?: readonly ChangePair<NamespaceInput>[];
  readonly pods?: readonly ChangePair<PodInput>[];
  readonly networkPolicies?: readonly ChangePair<NetworkPolicyInput>[];
  /** Cluster-scoped policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy) created, updated or deleted. */
  readonly tieredPolicies?: readonly ChangePair<TieredPolicyInput>[];
}

export interface SigClass {
  readonly sig: string;
  readonly kind: "pod" | "external";
  /** Member pods (pod classes). */
  readonly pods: Set<PodKey>;
  /** Member address ranges (external classes), as the partition's atoms. */
  ranges: readonly IpRange[];
  /** A member pod standing for the class (pod classes). */
  rep: PodKey | undefined;
  readonly ingressPolicies: readonly PolicyKey[];
  readonly egressPolicies: readonly PolicyKey[];
  /** The cluster-scoped policies selecting the members, per direction (those with rules for it). */
  readonly tieredIngress: readonly PolicyKey[];
  readonly tieredEgress: readonly PolicyKey[];
  /** Keys of the selector and ipBlock peer groups matching the members. */
  readonly groups: readonly string[];
}

export interface ConnectionChange {
  readonly src: string;
  readonly dst: string;
  /** undefined: the pair has no connection any more. */
  readonly conn: ConnectionSet | undefined;
}

export interface IncrementalUpdate {
  readonly method: "incremental";
  readonly world: CompiledWorld;
  readonly diagnostics: readonly Diagnostic[];
  readonly addedClasses: readonly SigClass[];
  readonly removedClasses: readonly string[];
  /** Classes that existed before and whose members changed (a pod joined, left or changed workload). */
  readonly changedMembers: readonly SigClass[];
  readonly connections: readonly ConnectionChange[];
  readonly stats: { readonly touchedPods: number; readonly evaluatedPairs: number; readonly changedConnections: number };
}

export interface Fallback {
  readonly method: "fallback";
  readonly reason: string;
}

