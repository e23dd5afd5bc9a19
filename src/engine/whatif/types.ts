/**
 * What a what-if answers: the policies that changed, the connections gained and lost per endpoint
 * pair (the semantic diff of diffConnectivity), and for each row the rules responsible. Plain data.
 */
import type { CompiledWorld, Direction } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import type { DiffRow } from "../diff/diffConnectivity.js";
import type { PolicyKey, PolicyRef } from "../model/ids.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";

export type PolicyChangeKind = "added" | "modified" | "deleted";

export interface PolicyChange {
  readonly ref: PolicyRef;
  readonly key: PolicyKey;
  readonly kind: PolicyChangeKind;
  /** Where the new version came from (a manifest origin), or the deleted one. */
  readonly origin?: string;
}

/**
 * Why one pair gained or lost connections:
 * - `admits`: a rule of an added or modified policy (head version) now admits the gained connections;
 * - `no-longer-admits`: a rule of a deleted or modified policy (base version) admitted the lost ones;
 * - `isolates`: an added or modified policy now isolates the pod for the direction, and no rule admits them;
 * - `no-longer-isolates`: the deleted or modified policies that isolated the pod no longer do;
 * - `world-change`: no policy changed on this side: pods, labels or namespaces did (full recompute only).
 * A row of a workload that is new (or removed) names, as `admits` (or `no-longer-admits`), the rules
 * of the world it exists in that admit its connections, with `policyChange` undefined when that
 * policy did not change (full recompute only).
 */
export type CauseEffect = "admits" | "no-longer-admits" | "isolates" | "no-longer-isolates" | "world-change";

export interface ChangeCause {
  readonly effect: CauseEffect;
  readonly direction: Direction;
  readonly policy?: PolicyRef;
  /** What happened to that policy; undefined for `world-change` and for policies that did not change. */
  readonly policyChange?: PolicyChangeKind;
  /** The rule path in the policy, e.g. `spec.ingress[0]` (for admits / no-longer-admits). */
  readonly rule?: string;
  /** The connections this cause gains (admits, no-longer-isolates) or loses, on the pair it was found on. */
  readonly conn: ConnectionSet;
  /** One sentence. */
  readonly text: string;
}

export interface ImpactRow extends DiffRow {
  /** after minus before */
  readonly gained: ConnectionSet;
  /** before minus after */
  readonly lost: ConnectionSet;
  readonly causes: readonly ChangeCause[];
}

export interface WhatIfStats {
  /** Pod classes after refining the base classes by the changed policies. */
  readonly refinedClasses: number;
  /** Pod classes selected by a changed policy (either version). */
  readonly affectedClasses: number;
  /** Class pairs evaluated with evaluateDirection (incremental) or evaluated pairs of the full recompute. */
  readonly evaluatedPairs: number;
  readonly changedPairs: number;
}

export interface WhatIfResult {
  /** `incremental` when only NetworkPolicies changed, `full` when pods or namespaces did too. */
  readonly method: "incremental" | "full";
  /** The world after the change. */
  readonly head: CompiledWorld;
  /** Diagnostics of the proposed objects (errors mean objects left out). */
  readonly diagnostics: readonly Diagnostic[];
  readonly policyChanges: readonly PolicyChange[];
  /** Sorted as diffConnectivity sorts. */
  readonly rows: readonly ImpactRow[];
  readonly stats: WhatIfStats;
}
