/**
 * What IncrementalMatrix.apply takes (a change of the world's objects) and its answer when it
 * cannot apply one incrementally; shared by the matrix and its change planning (changePlan.ts).
 */
import type { NamespaceInput, NetworkPolicyInput, PodInput } from "../model/input.js";

/** One object's versions around a change: before only (deleted), after only (created), both (updated). */
export interface ChangePair<T> {
  readonly before: T | undefined;
  readonly after: T | undefined;
}

export interface WorldChange {
  readonly namespaces?: readonly ChangePair<NamespaceInput>[];
  readonly pods?: readonly ChangePair<PodInput>[];
  readonly networkPolicies?: readonly ChangePair<NetworkPolicyInput>[];
  /** Cluster-scoped policies created, updated or deleted: recomputed from scratch (see the header). */
  readonly tieredPolicies?: number;
}

export interface Fallback {
  readonly method: "fallback";
  readonly reason: string;
}
