/**
 * The kubereach engine: NetworkPolicy semantics, equivalence classes, the reachability matrix,
 * explanations. Pure: no I/O, no clock, no environment, no logger. Every other layer calls it and
 * none re-implements a piece of it. This file is the engine's public API.
 */
export * from "./model/protocol.js";
export * from "./model/ids.js";
export type * from "./model/input.js";
export * from "./diagnostics.js";
export * from "./net/ip.js";
export { IpSet } from "./net/IpSet.js";
export { PortSet } from "./ports/PortSet.js";
export { ConnectionSet, parseConnectionSet } from "./ports/ConnectionSet.js";
export { ConnTable, type ConnId } from "./ports/ConnTable.js";
export { LabelSelector, compileLabelSelector, isValidLabelKey, isValidLabelValue } from "./selectors/LabelSelector.js";
export { parseSelectorString, type ParsedSelector } from "./selectors/parseSelector.js";
export type * from "./compile/model.js";
export { TIERED_POLICY_KINDS, formatTier, formatTierAction, tierRulesFor } from "./compile/model.js";
export { compileWorld, compileWorldSteps, compareTierOrder, NAMESPACE_NAME_LABEL } from "./compile/compileWorld.js";
export { isTieredPolicyKind, POLICY_API_GROUP, TIERED_API_VERSIONS } from "./compile/compileTieredPolicy.js";
export { type Endpoint, podEndpoint, externalEndpoint, formatEndpoint } from "./eval/endpoint.js";
export {
  evaluatePair,
  evaluateDirection,
  isolatingPolicies,
  type PairVerdict,
  type DirectionVerdict,
  type RuleMatch,
  type TierMatch,
  type UnresolvedMatch,
  type EvaluateOptions,
} from "./eval/evaluatePair.js";
export { invalidPolicySelectsPod, policySelectsPod, rulePortsToward, destinationNamedPorts } from "./eval/matching.js";
export { tieredPolicySelectsPod, tieredPoliciesFor, tierRuleMatch, walkTier, type TierStep, type TierWalk } from "./eval/tiers.js";
export { buildEndpointClasses, type EndpointClass, type EndpointClasses } from "./matrix/classes.js";
export { buildMatrix, type ClassMatrix } from "./matrix/buildMatrix.js";
export {
  buildConnectivity,
  buildWorkloadIndex,
  formatConnEndpoint,
  type ConnEndpoint,
  type ConnectivityRow,
  type ConnectivityOptions,
  type WorkloadIndex,
} from "./matrix/connectivity.js";
export { classSignatures } from "./matrix/classSignature.js";
export { expandEdges, expandEdgesSteps, type ClassEdge } from "./matrix/expandEdges.js";
export { diffConnectivity, type DiffRow, type DiffType } from "./diff/diffConnectivity.js";
export { explain, HIDDEN_TIERED_POLICY, type ExplainOptions, type Explanation, type ExplainResult, type SideExplanation, type RuleReason, type TierRuleReason, type DecidedIn, type Verdict } from "./explain/explain.js";
export { describePeer, describeRulePorts, describeTierPeer, describeTierRule } from "./explain/describe.js";
export { parseEndpointQuery, resolveEndpoint, resolveWorkload, type EndpointQuery, type WorkloadQuery, type Resolved } from "./query/resolve.js";
export type * from "./whatif/types.js";
export { prepareWhatIf, type WhatIfBase } from "./whatif/base.js";
export { spliceWorld, policyFingerprint, mentionedFamilies, type PolicyEdit, type SplicedWorld } from "./whatif/splice.js";
export { simulatePolicyEdit } from "./whatif/incremental.js";
export { compareWorlds, comparePolicies, alignFamilies, type CompareOptions } from "./whatif/full.js";
export {
  WHATIF_MODES,
  DELETE_ANNOTATION,
  splitDeletions,
  planProposal,
  applyProposal,
  whatIf,
  diffStates,
  samePodsAndNamespaces,
  type WhatIfMode,
  type ObjectRef,
  type RawManifest,
  type Proposal,
  type PlannedChange,
  type WhatIfOptions,
} from "./whatif/proposal.js";
export { FAIL_ON_RULES, FAIL_ON_DESCRIPTIONS, isFailOnRule, rowTrips, checkFailOn, type FailOnRule, type TrippedRule } from "./whatif/gates.js";
export { SEVERITIES, FINDING_KINDS, severityRank, type Severity, type FindingKind, type Finding, type FindingObject } from "./findings/types.js";
export { findings, compareFindings, type FindingsOptions } from "./findings/findings.js";
export { RowEstimate } from "./incremental/RowEstimate.js";
export { IncrementalMatrix, type WorldChange, type ChangePair, type SigClass, type ConnectionChange, type IncrementalUpdate, type Fallback } from "./incremental/IncrementalMatrix.js";
export { appendAll } from "./util/appendAll.js";
export { measureInput, type InputSize } from "./compile/inputSize.js";
