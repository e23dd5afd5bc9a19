/** Human-readable descriptions of compiled policy parts, for explanations and findings. */
import type { CompiledPeer, CompiledRule } from "../compile/model.js";
import { formatPolicy, type PolicyRef } from "../model/ids.js";

export function describePeer(peer: CompiledPeer | "any", direction: "ingress" | "egress"): string {
  if (peer === "any") return direction === "ingress" ? "any source (no from list)" : "any destination (no to list)";
  if (peer.kind === "ipBlock") return `ipBlock ${peer.cidr}${peer.except.length ? ` except ${peer.except.join(", ")}` : ""}`;
  const pods = peer.podSelector.matchesEverything ? "any pod" : `pods matching ${peer.podSelector}`;
  const where = peer.namespaceSelector
    ? peer.namespaceSelector.matchesEverything
      ? "in any namespace"
      : `in namespaces matching ${peer.namespaceSelector}`
    : `in namespace ${peer.policyNamespace}`;
  return `${pods} ${where}`;
}

export function describeRulePorts(rule: CompiledRule): string {
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
      }
      return "";
    })
    .join(", ");
}

export function describeRule(policy: PolicyRef, rule: CompiledRule): string {
  return `${formatPolicy(policy)} ${rule.field}`;
}
