/**
 * The policy change the sync benches time: one more port in the first ingress (or egress) rule. A
 * policy without rules (a default deny) gets an ingress rule admitting every source on that port:
 * a real spec change too, and the largest kind (every pod the policy selects opens to the cluster).
 */
export function withExtraPortSpec(spec: Readonly<Record<string, unknown>>, port: number): Record<string, unknown> {
  const next = structuredClone(spec) as Record<string, unknown>;
  const rules = (next["ingress"] as Record<string, unknown>[] | undefined) ?? (next["egress"] as Record<string, unknown>[] | undefined);
  if (rules && rules.length > 0) {
    const rule = rules[0]!;
    rule["ports"] = [...((rule["ports"] as unknown[] | undefined) ?? []), { protocol: "TCP", port }];
  } else {
    next["ingress"] = [{ ports: [{ protocol: "TCP", port }] }];
    next["policyTypes"] = [...new Set([...((next["policyTypes"] as string[] | undefined) ?? []), "Ingress"])];
  }
  return next;
}

/** The i-th policy a sync bench changes, out of `count` in generation order (spread over the list). */
export function changedPolicyIndex(i: number, count: number): number {
  return (i * 7919) % count;
}
