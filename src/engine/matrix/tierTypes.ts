/**
 * The types of the tier matrix (tierMatrix.ts): the groups and sides it builds, the context it is
 * built in, and the per-policy-list structures (tierStructure.ts) its walks (tierWalks.ts) read.
 */
import type { CompiledTierRule, CompiledWorld, Tier } from "../compile/model.js";
import type { ConnId, ConnTable } from "../ports/ConnTable.js";
import type { EndpointClass, EndpointClasses } from "./classes.js";
import type { PortsRule } from "./ruleConnections.js";

export interface TierGroup {
  /** Subject classes of the group. */
  readonly members: number[];
  /** Signature of each class this group reads (plain, or with named ports when its rules name ports). */
  readonly sigOf: Int32Array;
  /** Per signature: -1 when no rule of the group matches it, else an index into a, r and b. */
  readonly tripleOfSig: Int32Array;
  readonly a: readonly ConnId[];
  readonly r: readonly ConnId[];
  readonly b: readonly ConnId[];
  /** Other classes with a non-empty Admin accept (A). */
  readonly acceptors: readonly number[];
}

export interface TierSide {
  readonly groups: readonly TierGroup[];
  /** Group of each class for this side (undefined: no tiered policy applies). */
  readonly groupOf: readonly (TierGroup | undefined)[];
}

export interface TierMatrixContext {
  readonly world: CompiledWorld;
  readonly classes: EndpointClasses;
  readonly conns: ConnTable;
  /** What a rule's ports admit toward a destination class (memoised by the matrix). */
  readonly ruleConnToward: (rule: PortsRule, dst: EndpointClass) => ConnId;
  readonly hasNamed: (rule: PortsRule) => boolean;
}

export interface Step {
  readonly tier: Tier;
  readonly rule: CompiledTierRule;
  /** Global id of the rule (walk results are shared across groups by the ids of the matching rules). */
  readonly id: number;
}

/** The steps matching a signature: indices into the structure's steps, the id of their rule list (shared across groups), whether one names ports. */
export interface Vec {
  readonly steps: readonly number[];
  readonly id: number;
  readonly named: boolean;
}

/** Which steps of a group match each plain signature: shared by the groups of one policy list. */
export interface Structure {
  readonly steps: readonly Step[];
  readonly touched: readonly number[];
  /**
   * Per touched plain signature: the matching steps (indices into steps), their global ids as text,
   * and whether one of them names ports (then the walk depends on the destination's named ports).
   */
  readonly vec: ReadonlyMap<number, Vec>;
  /** Touched plain signatures whose matching steps name ports. */
  readonly namedSigs: readonly number[];
  /** Port names the steps mention (named ports outside this set do not change any walk). */
  readonly names: ReadonlySet<string>;
  /** The group of these policies for destinations without named-port dependence (ingress), built once. */
  shared?: TierGroup;
  /** Text of the subject's relevant named ports, by the subject's namedPortsKey (ingress). */
  readonly namedText: Map<string, string>;
}
