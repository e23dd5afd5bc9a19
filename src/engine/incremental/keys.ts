/**
 * Keys and comparisons of the incremental matrix's indexes (IncrementalMatrix.ts, changePlan.ts):
 * peer-group keys (a selector's match key, an ipBlock's ranges), policy keys of inputs, the named
 * ports a policy mentions.
 */
import type { CompiledNetworkPolicy, CompiledPeer } from "../compile/model.js";
import { policyKey, type PolicyKey } from "../model/ids.js";
import type { NetworkPolicyInput } from "../model/input.js";

export function ipGroupKey(peer: Extract<CompiledPeer, { kind: "ipBlock" }>): string {
  return `ipBlock(${peer.set.ranges.map((r) => `${r.family}:${r.start}-${r.end}`).join(",")})`;
}

export function npKey(p: NetworkPolicyInput): PolicyKey {
  return policyKey({ kind: "NetworkPolicy", namespace: p.namespace, name: p.name });
}

export function groupKeyOf(peer: CompiledPeer): string {
  return peer.kind === "selector" ? peer.matchKey : ipGroupKey(peer);
}

/** Named ports a policy's effective rules mention (the names classes.ts distinguishes pods by). */
export function namesOf(p: CompiledNetworkPolicy): string[] {
  const out: string[] = [];
  for (const rules of [p.ingress, p.egress]) for (const r of rules ?? []) if (r.ports !== "any") for (const port of r.ports) if (port.kind === "named") out.push(port.name);
  return out;
}

export function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}
