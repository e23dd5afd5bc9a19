/**
 * Bounds on one `simulate` request, checked on the proposal before it is compiled or evaluated
 * (docs/input-limits.md). The text itself is bounded by REQUEST_MANIFEST_LIMITS (size, nodes after
 * aliases, depth). Measured on this project's 2-core machine against the bundled example: 1,000
 * distinct /32 ipBlocks cost 0.5 s of what-if, 2,000 cost 2.3 s (the address partition grows faster
 * than linearly); 100,000 peers (1,000 rules x 100) 1.5 s. Within them a request can still cost
 * seconds (500 policies x 20 ports to two /32s: 2.2-2.9 s): it runs in the simulation worker
 * (SimulationPool.ts) with a time budget, never on the API's event loop.
 */
import type { InputSize } from "../../engine/index.js";

export const SIMULATE_LIMITS: Readonly<Record<keyof InputSize, number>> = {
  policies: 500,
  rules: 2_000,
  peers: 10_000,
  cidrs: 1_000,
  ports: 10_000,
  pods: 5_000,
  namespaces: 500,
};

const NAMES: Readonly<Record<keyof InputSize, string>> = {
  policies: "policies",
  rules: "rules (ingress and egress, all policies)",
  peers: "peers (from/to entries, all rules; an alias counts each time it is used)",
  cidrs: "CIDRs (ipBlock cidr and except entries, networks entries)",
  ports: "port entries",
  pods: "pods and pod templates",
  namespaces: "namespaces",
};

/** The bounds a proposal goes past, as sentences; empty when it is within all of them. */
export function overLimits(size: InputSize, limits: Readonly<Record<keyof InputSize, number>> = SIMULATE_LIMITS): string[] {
  return (Object.keys(limits) as (keyof InputSize)[]).filter((k) => size[k] > limits[k]).map((k) => `${size[k].toLocaleString("en-US")} ${NAMES[k]}, more than the ${limits[k].toLocaleString("en-US")} a simulation accepts`);
}
