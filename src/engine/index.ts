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
export { compileWorld, NAMESPACE_NAME_LABEL } from "./compile/compileWorld.js";
export { type Endpoint, podEndpoint, externalEndpoint, formatEndpoint } from "./eval/endpoint.js";
export { evaluatePair, evaluateDirection, isolatingPolicies, type PairVerdict, type DirectionVerdict, type RuleMatch } from "./eval/evaluatePair.js";
export { policySelectsPod } from "./eval/matching.js";
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
export { expandEdges, type ClassEdge } from "./matrix/expandEdges.js";
export { diffConnectivity, type DiffRow, type DiffType } from "./diff/diffConnectivity.js";
export { explain, type Explanation, type ExplainResult, type SideExplanation, type RuleReason, type Verdict } from "./explain/explain.js";
export { describePeer, describeRulePorts } from "./explain/describe.js";
export { parseEndpointQuery, resolveEndpoint, resolveWorkload, type EndpointQuery, type WorkloadQuery, type Resolved } from "./query/resolve.js";
