/** One policy as stored (kind, namespace, name, spec), opened from explanations and findings. */
import { useEffect, useState } from "react";
import type { Api } from "./api";

export interface PolicyRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

interface Policy extends PolicyRef {
  tier: string;
  priority: number | null;
  policyTypes: string[];
  spec: unknown;
  selects: { namespace: string; kind: string; name: string }[];
}

export function policyLabel(p: PolicyRef): string {
  return p.namespace ? `${p.kind} ${p.namespace}/${p.name}` : `${p.kind} ${p.name}`;
}

export function PolicyLink({ policy, onOpen }: { policy: PolicyRef; onOpen(p: PolicyRef): void }) {
  return (
    <button type="button" className="link policy-link" onClick={() => onOpen(policy)}>
      {policyLabel(policy)}
    </button>
  );
}

/** A manifest for the what-if editor, in the JSON form simulate accepts. */
export function policyManifest(p: PolicyRef, spec: unknown): string {
  const apiVersion = p.kind === "NetworkPolicy" ? "networking.k8s.io/v1" : p.kind === "ClusterNetworkPolicy" ? "policy.networking.k8s.io/v1alpha2" : "policy.networking.k8s.io/v1alpha1";
  return JSON.stringify({ apiVersion, kind: p.kind, metadata: p.namespace ? { name: p.name, namespace: p.namespace } : { name: p.name }, spec }, null, 2);
}

export function PolicyView({ api, policy, at, onClose, onEdit }: { api: Api; policy: PolicyRef; at: string | null; onClose(): void; onEdit(manifest: string): void }) {
  const [found, setFound] = useState<Policy | null | undefined>(undefined);
  const [error, setError] = useState("");
  useEffect(() => {
    setFound(undefined);
    setError("");
    api
      .query<{ networkPolicies: Policy[] }>(
        `query($ns: String) { networkPolicies(namespace: $ns) { kind namespace name tier priority policyTypes spec selects { namespace kind name } } }`,
        { ns: policy.namespace || null },
      )
      .then((r) => setFound(r.networkPolicies.find((p) => p.kind === policy.kind && p.namespace === policy.namespace && p.name === policy.name) ?? null))
      .catch((e: Error) => setError(e.message));
  }, [api, policy.kind, policy.namespace, policy.name]);
  return (
    <section className="policy-view" aria-label={`Policy ${policyLabel(policy)}`} data-testid="policy-view">
      <header>
        <h3>{policyLabel(policy)}</h3>
        <button type="button" onClick={onClose} aria-label="Close the policy">
          close
        </button>
      </header>
      {error && <p className="error">{error}</p>}
      {found === undefined && !error && <p className="hint">Loading&hellip;</p>}
      {found === null && <p className="hint">This policy is not in the latest generation{at ? " (the view shows an earlier time)" : ""}: it was deleted, or this token does not see it.</p>}
      {found && (
        <>
          <p>
            Tier {found.tier}
            {found.priority !== null ? `, priority ${found.priority}` : ""}; {found.policyTypes.join(" and ").toLowerCase() || "no direction"}; selects{" "}
            {found.selects.map((w) => `${w.namespace}/${w.name}[${w.kind}]`).join(", ") || "no workload"}.
          </p>
          <pre className="spec">{JSON.stringify(found.spec, null, 2)}</pre>
          <button type="button" onClick={() => onEdit(policyManifest(found, found.spec))}>
            Edit in what-if
          </button>
        </>
      )}
    </section>
  );
}
