/**
 * The compiled world: validated, normalised input that evaluation reads. Everything here is
 * immutable after compileWorld returns, and evaluation over it cannot fail.
 */
import type { PodKey, PodRef, PolicyKey, PolicyRef, WorkloadRef } from "../model/ids.js";
import type { Labels } from "../model/input.js";
import type { Protocol } from "../model/protocol.js";
import type { IpAddress } from "../net/ip.js";
import type { IpSet } from "../net/IpSet.js";
import type { LabelSelector } from "../selectors/LabelSelector.js";
import type { Diagnostic } from "../diagnostics.js";

export type Direction = "ingress" | "egress";
export const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

export interface CompiledNamespace {
  readonly index: number;
  readonly name: string;
  /** Includes `kubernetes.io/metadata.name`, which every namespace carries. */
  readonly labels: Labels;
  /** False when the namespace was only referenced (by a pod or a policy), not defined. */
  readonly defined: boolean;
}

export interface NamedPort {
  readonly protocol: Protocol;
  readonly port: number;
}

export interface CompiledPod {
  readonly index: number;
  readonly ref: PodRef;
  readonly key: PodKey;
  readonly namespace: CompiledNamespace;
  readonly labels: Labels;
  readonly ip: IpAddress | undefined;
  readonly hostNetwork: boolean;
  /** Container port names of `spec.containers`, resolved for named ports in rules. */
  readonly namedPorts: ReadonlyMap<string, NamedPort>;
  readonly workload: WorkloadRef;
  readonly origin?: string;
}

export type CompiledPort =
  | { readonly kind: "any"; readonly protocol: Protocol }
  | { readonly kind: "range"; readonly protocol: Protocol; readonly from: number; readonly to: number }
  | { readonly kind: "named"; readonly protocol: Protocol; readonly name: string };

/**
 * A named port of any protocol: the destination's container port with that name, whatever its
 * protocol (AdminNetworkPolicy `namedPort`, ClusterNetworkPolicy `destinationNamedPort`). Only
 * tiered rules have it; NetworkPolicy named ports always carry a protocol.
 */
export interface NamedAnyPort {
  readonly kind: "namedAny";
  readonly name: string;
}

/** A port matcher of a tiered rule. */
export type TierPort = CompiledPort | NamedAnyPort;

/**
 * A peer that matches pods by labels. `namespaceSelector` undefined means "the policy's own
 * namespace" (podSelector alone); `podSelector` is EVERYTHING when the peer gave none.
 */
export interface SelectorPeer {
  readonly kind: "selector";
  readonly id: number;
  readonly podSelector: LabelSelector;
  readonly namespaceSelector: LabelSelector | undefined;
  readonly policyNamespace: string;
  /** Equal for peers that match exactly the same pods (used to share work across policies). */
  readonly matchKey: string;
}

export interface IpBlockPeer {
  readonly kind: "ipBlock";
  readonly id: number;
  readonly cidr: string;
  readonly except: readonly string[];
  readonly set: IpSet;
  /** Set for a tiered policy's `networks` peer (several CIDRs, no except): the CIDRs as written. */
  readonly networks?: readonly string[];
}

export type CompiledPeer = SelectorPeer | IpBlockPeer;

export interface CompiledRule {
  readonly direction: Direction;
  readonly index: number;
  /** Path of the rule in its object, e.g. `spec.ingress[0]`. */
  readonly field: string;
  /** "any" when `from`/`to` is omitted or empty: every peer, external addresses included. */
  readonly peers: readonly CompiledPeer[] | "any";
  /** "any" when `ports` is omitted or empty: every port of every protocol. */
  readonly ports: readonly CompiledPort[] | "any";
}

export interface CompiledNetworkPolicy {
  readonly index: number;
  readonly ref: PolicyRef;
  readonly key: PolicyKey;
  readonly namespace: string;
  readonly podSelector: LabelSelector;
  /** Effective policyTypes (defaults applied): undefined when the policy does not affect that direction. */
  readonly ingress: readonly CompiledRule[] | undefined;
  readonly egress: readonly CompiledRule[] | undefined;
  readonly origin?: string;
}

// --- Cluster-scoped tiers (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy) ---

/** The two cluster-scoped tiers; NetworkPolicy sits between them. */
export type Tier = "admin" | "baseline";
/** Rule actions of both API versions, normalised: v1alpha1 `Allow` is `accept`. */
export type TierAction = "accept" | "deny" | "pass";
export { TIERED_POLICY_KINDS, type TieredPolicyKind } from "../model/tieredKinds.js";
import type { TieredPolicyKind } from "../model/tieredKinds.js";

/**
 * A peer kubereach cannot resolve from what it holds: `nodes` needs Node objects (labels and
 * addresses), `domainNames` needs DNS. Such a peer matches nothing in the matrix; evaluatePair
 * records where it could have matched, and explain answers UNKNOWN when that could change a verdict.
 * `nodes` could match a node address (an external address or a hostNetwork pod's IP); `domainNames`
 * an address outside the cluster.
 */
export type UnresolvedPeer =
  | { readonly kind: "nodes"; readonly selector: LabelSelector }
  | { readonly kind: "domainNames"; readonly names: readonly string[] };

/** Selector peers (`namespaces`, `pods`) always carry a namespaceSelector; `networks` are IpBlockPeers. */
export type CompiledTierPeer = SelectorPeer | IpBlockPeer | UnresolvedPeer;

export interface CompiledTierRule {
  readonly direction: Direction;
  readonly index: number;
  /** `spec.ingress[0]` */
  readonly field: string;
  /** The rule's `name`, when it has one. */
  readonly name: string | undefined;
  readonly action: TierAction;
  /**
   * Never empty as written (from/to need an item). "any" only for a fail-closed rule: a Deny or Pass
   * rule with a peer of a kind kubereach does not know is treated as denying everything, as the API
   * asks ("fail closed").
   */
  readonly peers: readonly CompiledTierPeer[] | "any";
  /** "any" when `ports` / `protocols` is absent: every port of every protocol. */
  readonly ports: readonly TierPort[] | "any";
}

/** Pods a tiered policy applies to: namespaces matching namespaceSelector, pods matching podSelector (EVERYTHING for `subject.namespaces`). */
export interface TierSubject {
  readonly namespaceSelector: LabelSelector;
  readonly podSelector: LabelSelector;
}

export interface CompiledTieredPolicy {
  /** Position in world.tieredPolicies, which is the evaluation order (Admin tier first, then Baseline). */
  readonly index: number;
  readonly ref: PolicyRef;
  readonly key: PolicyKey;
  readonly kind: TieredPolicyKind;
  readonly apiVersion: string;
  readonly tier: Tier;
  /** 0-1000, lower first; undefined for the BaselineAdminNetworkPolicy (evaluated after every Baseline ClusterNetworkPolicy). */
  readonly priority: number | undefined;
  readonly subject: TierSubject;
  /** Ordered: the first rule that matches a connection decides it. Empty: the policy does not affect that direction. */
  readonly ingress: readonly CompiledTierRule[];
  readonly egress: readonly CompiledTierRule[];
  readonly origin?: string;
}

/** Policies of one tier sharing one priority: the API leaves their order to the implementation. */
export interface TierTie {
  readonly tier: Tier;
  readonly priority: number;
  /** In the order kubereach evaluates them (by name, then kind). */
  readonly policies: readonly PolicyRef[];
}

export interface CompiledWorld {
  readonly namespaces: readonly CompiledNamespace[];
  readonly namespaceByName: ReadonlyMap<string, CompiledNamespace>;
  readonly pods: readonly CompiledPod[];
  readonly podByKey: ReadonlyMap<PodKey, CompiledPod>;
  readonly networkPolicies: readonly CompiledNetworkPolicy[];
  readonly policiesByNamespace: ReadonlyMap<string, readonly CompiledNetworkPolicy[]>;
  /** Every peer of every rule (NetworkPolicy and tiered selector/networks peers alike), indexed by `id`. */
  readonly peers: readonly CompiledPeer[];
  /** Cluster-scoped policies in evaluation order: Admin tier by priority, then Baseline tier (see tierOrder). */
  readonly tieredPolicies: readonly CompiledTieredPolicy[];
  /** Groups of same-tier, same-priority policies (also reported as PRIORITY_TIE warnings). */
  readonly tierTies: readonly TierTie[];
  /**
   * NetworkPolicies left out because they are invalid. From a live cluster the API server has
   * accepted them, so some implementation may enforce them somehow: answers about the pods they
   * select are UNKNOWN rather than computed as if they did not exist (explain). Absent: none.
   */
  readonly invalidPolicies?: readonly InvalidPolicy[];
}

export interface InvalidPolicy {
  readonly ref: PolicyRef;
  readonly key: PolicyKey;
  readonly namespace: string;
  /** Its spec.podSelector when that part is valid; undefined: it may select any pod of its namespace. */
  readonly podSelector: LabelSelector | undefined;
  /** The directions it would affect (policyTypes, or Kubernetes' defaults); both when that cannot be read. */
  readonly directions: readonly Direction[];
  /** The errors that left it out, as `field: message`. */
  readonly problems: readonly string[];
  readonly origin?: string;
}

export interface CompileResult {
  readonly world: CompiledWorld;
  readonly diagnostics: readonly Diagnostic[];
}

export function rulesFor(policy: CompiledNetworkPolicy, direction: Direction): readonly CompiledRule[] | undefined {
  return direction === "ingress" ? policy.ingress : policy.egress;
}

export function tierRulesFor(policy: CompiledTieredPolicy, direction: Direction): readonly CompiledTierRule[] {
  return direction === "ingress" ? policy.ingress : policy.egress;
}

/** `Admin`/`Baseline`, as the API and explanations name the tiers. */
export function formatTier(tier: Tier): string {
  return tier === "admin" ? "Admin" : "Baseline";
}

/** `Accept`/`Deny`/`Pass`, or the v1alpha1 word `Allow` for an AdminNetworkPolicy or BaselineAdminNetworkPolicy. */
export function formatTierAction(policy: Pick<CompiledTieredPolicy, "kind">, action: TierAction): string {
  switch (action) {
    case "accept":
      return policy.kind === "ClusterNetworkPolicy" ? "Accept" : "Allow";
    case "deny":
      return "Deny";
    case "pass":
      return "Pass";
  }
}
