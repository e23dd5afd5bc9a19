/**
 * Builders for tiered policies in engine tests: ClusterNetworkPolicy (v1alpha2), AdminNetworkPolicy
 * and BaselineAdminNetworkPolicy (v1alpha1) with raw specs, exactly as YAML would give them, and a
 * small world of three namespaces to test precedence on. Test code only.
 */
import { compileWorld, type CompiledWorld, type Diagnostic, type NetworkPolicyInput, type PodInput, type TieredPolicyInput } from "../../../src/engine/index.js";
import { namespace, pod, tcp, udp } from "../../helpers/worldBuilders.js";

export type Rule = Record<string, unknown>;

export function cnp(name: string, tier: "Admin" | "Baseline", priority: number, spec: { subject?: unknown; ingress?: Rule[]; egress?: Rule[] }): TieredPolicyInput {
  return { kind: "ClusterNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha2", name, spec: { tier, priority, subject: spec.subject ?? ALL_NAMESPACES, ...rulesOf(spec) } };
}

export function anp(name: string, priority: number, spec: { subject?: unknown; ingress?: Rule[]; egress?: Rule[] }): TieredPolicyInput {
  return { kind: "AdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", name, spec: { priority, subject: spec.subject ?? ALL_NAMESPACES, ...rulesOf(spec) } };
}

export function banp(spec: { subject?: unknown; ingress?: Rule[]; egress?: Rule[] }, name = "default"): TieredPolicyInput {
  return { kind: "BaselineAdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", name, spec: { subject: spec.subject ?? ALL_NAMESPACES, ...rulesOf(spec) } };
}

function rulesOf(spec: { ingress?: Rule[]; egress?: Rule[] }) {
  return { ...(spec.ingress ? { ingress: spec.ingress } : {}), ...(spec.egress ? { egress: spec.egress } : {}) };
}

export const ALL_NAMESPACES = { namespaces: {} };
export const nsSubject = (name: string) => ({ namespaces: { matchLabels: { "kubernetes.io/metadata.name": name } } });
export const podSubject = (ns: string, labels: Record<string, string>) => ({ pods: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } }, podSelector: { matchLabels: labels } } });

/** Peers. */
export const toNs = (name: string) => ({ namespaces: { matchLabels: { "kubernetes.io/metadata.name": name } } });
export const toPods = (ns: string, labels: Record<string, string>) => podSubject(ns, labels);
export const networks = (...cidrs: string[]) => ({ networks: cidrs });

/** v1alpha2 protocols entries. */
export const tcpPort = (n: number) => ({ tcp: { destinationPort: { number: n } } });
export const udpPort = (n: number) => ({ udp: { destinationPort: { number: n } } });
export const tcpRange = (start: number, end: number) => ({ tcp: { destinationPort: { range: { start, end } } } });
export const namedPort = (name: string) => ({ destinationNamedPort: name });

/** A rule: egress rules have `to`, ingress rules `from`; `protocols` is v1alpha2 (use `ports` in a raw rule for v1alpha1). */
export const egressRule = (action: "Accept" | "Deny" | "Pass" | "Allow", peers: unknown[], protocols?: unknown[], name?: string): Rule => ({ ...(name ? { name } : {}), action, to: peers, ...(protocols ? { protocols } : {}) });
export const ingressRule = (action: "Accept" | "Deny" | "Pass" | "Allow", peers: unknown[], protocols?: unknown[], name?: string): Rule => ({ ...(name ? { name } : {}), action, from: peers, ...(protocols ? { protocols } : {}) });

/**
 * Three namespaces: `a` (pods a/web 10.0.1.1 with http=8080/TCP and dns=5353/UDP, a/db 10.0.1.2,
 * a/host 192.168.0.5 on hostNetwork, a/pending without IP), `b` (b/client 10.0.2.1, labelled
 * team=blue), `c` (c/client 10.0.3.1).
 */
export const PODS: readonly PodInput[] = [
  pod({ ns: "a", name: "web", labels: { app: "web" }, ip: "10.0.1.1", ports: [tcp(8080, "http"), udp(5353, "dns")] }),
  pod({ ns: "a", name: "db", labels: { app: "db" }, ip: "10.0.1.2", ports: [tcp(5432, "pg")] }),
  pod({ ns: "a", name: "host", labels: { app: "agent" }, ip: "192.168.0.5", hostNetwork: true }),
  pod({ ns: "a", name: "pending", labels: { app: "web" } }),
  pod({ ns: "b", name: "client", labels: { app: "client" }, ip: "10.0.2.1" }),
  pod({ ns: "c", name: "client", labels: { app: "client" }, ip: "10.0.3.1" }),
];
export const NAMESPACES = [namespace("a", { env: "prod" }), namespace("b", { team: "blue" }), namespace("c", { team: "red" })];

export function tierWorld(tiered: readonly TieredPolicyInput[], networkPolicies: readonly NetworkPolicyInput[] = []): { world: CompiledWorld; diagnostics: readonly Diagnostic[] } {
  return compileWorld({ namespaces: NAMESPACES, pods: PODS, networkPolicies, tieredPolicies: tiered });
}

/** Compiles and fails on any error diagnostic (warnings such as ties are allowed). */
export function buildTierWorld(tiered: readonly TieredPolicyInput[], networkPolicies: readonly NetworkPolicyInput[] = []): CompiledWorld {
  const { world, diagnostics } = tierWorld(tiered, networkPolicies);
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`unexpected errors: ${JSON.stringify(errors, null, 2)}`);
  return world;
}
