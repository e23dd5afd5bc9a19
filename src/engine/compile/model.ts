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

export interface CompiledWorld {
  readonly namespaces: readonly CompiledNamespace[];
  readonly namespaceByName: ReadonlyMap<string, CompiledNamespace>;
  readonly pods: readonly CompiledPod[];
  readonly podByKey: ReadonlyMap<PodKey, CompiledPod>;
  readonly networkPolicies: readonly CompiledNetworkPolicy[];
  readonly policiesByNamespace: ReadonlyMap<string, readonly CompiledNetworkPolicy[]>;
  /** Every peer of every rule, indexed by `id`. */
  readonly peers: readonly CompiledPeer[];
}

export interface CompileResult {
  readonly world: CompiledWorld;
  readonly diagnostics: readonly Diagnostic[];
}

export function rulesFor(policy: CompiledNetworkPolicy, direction: Direction): readonly CompiledRule[] | undefined {
  return direction === "ingress" ? policy.ingress : policy.egress;
}
