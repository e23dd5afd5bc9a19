/** Human-readable descriptions of compiled policy parts, for explanations and findings. */
import type { CompiledPeer, CompiledRule, CompiledTieredPolicy, CompiledTierPeer, CompiledTierRule, TierPort } from "../compile/model.js";
import { formatTier, formatTierAction } from "../compile/model.js";
import { formatPolicy, type PolicyRef } from "../model/ids.js";

export function describePeer(peer: CompiledPeer | "any", direction: "ingress" | "egress"): string {
  if (peer === "any") return direction === "ingress" ? "any source (no from list)" : "any destination (no to list)";
  if (peer.kind === "ipBlock") {
    if (peer.networks) return `networks ${peer.networks.join(", ")}`;
    return `ipBlock ${peer.cidr}${peer.except.length ? ` except ${peer.except.join(", ")}` : ""}`;
  }
  const pods = peer.podSelector.matchesEverything ? "any pod" : `pods matching ${peer.podSelector}`;
  const where = peer.namespaceSelector
    ? peer.namespaceSelector.matchesEverything
      ? "in any namespace"
      : `in namespaces matching ${peer.namespaceSelector}`
    : `in namespace ${peer.policyNamespace}`;
  return `${pods} ${where}`;
}

/** A tiered rule's peer: selector and networks peers as for NetworkPolicy, plus the unresolved kinds. */
export function describeTierPeer(peer: CompiledTierPeer | "any", direction: "ingress" | "egress"): string {
  if (peer === "any") return "every peer (a rule that fails closed)";
  switch (peer.kind) {
    case "nodes":
      return peer.selector.matchesEverything ? "any node" : `nodes matching ${peer.selector}`;
    case "domainNames":
      return `domain names ${peer.names.join(", ")}`;
    default:
      return describePeer(peer, direction);
  }
}

/** `ClusterNetworkPolicy gress-rules (Admin tier, priority 15) rule spec.egress[1] "deny-to-ravenclaw" (Deny)` */
export function describeTierRule(policy: CompiledTieredPolicy, rule: CompiledTierRule): string {
  const where = policy.priority === undefined ? `${formatTier(policy.tier)} tier` : `${formatTier(policy.tier)} tier, priority ${policy.priority}`;
  return `${formatPolicy(policy.ref)} (${where}) rule ${rule.field}${rule.name ? ` "${rule.name}"` : ""} (${formatTierAction(policy, rule.action)})`;
}

export function describeRulePorts(rule: { readonly ports: readonly TierPort[] | "any" } | CompiledRule): string {
  if (rule.ports === "any") return "all ports";
  return rule.ports
    .map((p) => {
      switch (p.kind) {
        case "any":
          return `${p.protocol} (all ports)`;
        case "range":
          return p.from === p.to ? `${p.protocol} ${p.from}` : `${p.protocol} ${p.from}-${p.to}`;
        case "named":
          return `${p.protocol} "${p.name}" (named port)`;
        case "namedAny":
          return `"${p.name}" (named port)`;
      }
      return "";
    })
    .join(", ");
}

export function describeRule(policy: PolicyRef, rule: CompiledRule): string {
  return `${formatPolicy(policy)} ${rule.field}`;
}
