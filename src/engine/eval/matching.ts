/**
 * The primitive semantic questions of NetworkPolicy, answered for one policy, rule or peer against
 * one endpoint. evaluatePair and buildMatrix are both built from these and nothing else, so the
 * class-based matrix and the per-pair evaluation cannot drift apart.
 */
import type { CompiledNamespace, CompiledNetworkPolicy, CompiledPeer, CompiledPod, CompiledRule, InvalidPolicy, TierPort } from "../compile/model.js";
import type { NamedPort } from "../compile/model.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import { PortSet } from "../ports/PortSet.js";
import type { IpAddress } from "../net/ip.js";
import type { SelectorPeer } from "../compile/model.js";
import { endpointIp, type Endpoint } from "./endpoint.js";

/** spec.podSelector applies to pods of the policy's namespace; hostNetwork pods are never selected. */
export function policySelectsPod(policy: CompiledNetworkPolicy, pod: CompiledPod): boolean {
  return !pod.hostNetwork && pod.namespace.name === policy.namespace && policy.podSelector.matches(pod.labels);
}

/** Whether an invalid policy selects (or, its own selector being invalid, may select) the pod. */
export function invalidPolicySelectsPod(policy: InvalidPolicy, pod: CompiledPod): boolean {
  return !pod.hostNetwork && pod.namespace.name === policy.namespace && (policy.podSelector?.matches(pod.labels) ?? true);
}

/** Namespace half of a selector peer: the policy's own namespace, or those its namespaceSelector matches. */
export function selectorPeerMatchesNamespace(peer: SelectorPeer, ns: CompiledNamespace): boolean {
  return peer.namespaceSelector ? peer.namespaceSelector.matches(ns.labels) : ns.name === peer.policyNamespace;
}

export function peerMatchesIp(peer: CompiledPeer, ip: IpAddress | undefined): boolean {
  return peer.kind === "ipBlock" && ip !== undefined && peer.set.contains(ip);
}

/** Selectors match pods only (never hostNetwork pods); ipBlocks match pod IPs and external addresses alike. */
export function peerMatches(peer: CompiledPeer, e: Endpoint): boolean {
  if (peer.kind === "ipBlock") return peerMatchesIp(peer, endpointIp(e));
  if (e.kind !== "pod" || e.pod.hostNetwork) return false;
  return selectorPeerMatchesNamespace(peer, e.pod.namespace) && peer.podSelector.matches(e.pod.labels);
}

/** The first peer of the rule that matches the endpoint, "any" for a rule without peers, or undefined. */
export function rulePeerMatching(rule: CompiledRule, e: Endpoint): CompiledPeer | "any" | undefined {
  if (rule.peers === "any") return "any";
  // A loop, not find(): called for every rule and pair a recompute evaluates, and the closure
  // find() needs was allocated on each call.
  for (const p of rule.peers) if (peerMatches(p, e)) return p;
  return undefined;
}

/** Named ports of a destination: none for external addresses and hostNetwork pods. */
export function destinationNamedPorts(dst: Endpoint): ReadonlyMap<string, NamedPort> | undefined {
  return dst.kind === "pod" && !dst.pod.hostNetwork ? dst.pod.namedPorts : undefined;
}

/**
 * The connections a rule's `ports` admit toward `dst`. Named ports are looked up on the
 * destination for ingress and egress rules alike; a destination without that name (same
 * protocol) contributes nothing.
 */
export function rulePortsToward(rule: { readonly ports: readonly TierPort[] | "any" }, namedPorts: ReadonlyMap<string, NamedPort> | undefined): ConnectionSet {
  if (rule.ports === "any") return ConnectionSet.ALL;
  let out = ConnectionSet.NONE;
  for (const p of rule.ports) {
    switch (p.kind) {
      case "any":
        out = out.union(ConnectionSet.of(p.protocol, PortSet.ALL));
        break;
      case "range":
        out = out.union(ConnectionSet.of(p.protocol, PortSet.range(p.from, p.to)));
        break;
      case "named": {
        const np = namedPorts?.get(p.name);
        if (np && np.protocol === p.protocol) out = out.union(ConnectionSet.of(p.protocol, PortSet.single(np.port)));
        break;
      }
      case "namedAny": {
        const np = namedPorts?.get(p.name);
        if (np) out = out.union(ConnectionSet.of(np.protocol, PortSet.single(np.port)));
        break;
      }
    }
  }
  return out;
}
