/**
 * The size of a world's input as the engine's costs grow with it, measured on the raw (unvalidated)
 * policy specs before anything is compiled, so a caller can refuse an input past its bounds before
 * the work (docs/input-limits.md). Counted per occurrence: a YAML alias that repeats a list of
 * peers in 999 rules counts 999 times, as compiling it would. Pure; linear in the input.
 */
import type { WorldInput } from "../model/input.js";

export interface InputSize {
  readonly policies: number;
  /** Ingress and egress rules of every policy. */
  readonly rules: number;
  /** Peers (`from`/`to` entries) of every rule: the rules x peers product compile and evaluation pay for. */
  readonly peers: number;
  /** CIDRs: ipBlock `cidr` and `except` entries, and `networks` entries of tiered policies. */
  readonly cidrs: number;
  /** Port entries of every rule. */
  readonly ports: number;
  readonly pods: number;
  readonly namespaces: number;
}

const RULE_LISTS = ["ingress", "egress"] as const;
const PEER_LISTS = ["from", "to"] as const;

export function measureInput(world: WorldInput): InputSize {
  let rules = 0;
  let peers = 0;
  let cidrs = 0;
  let ports = 0;
  const specs = [...world.networkPolicies.map((p) => p.spec), ...(world.tieredPolicies ?? []).map((p) => p.spec)];
  for (const spec of specs) {
    const s = record(spec);
    if (!s) continue;
    for (const list of RULE_LISTS) {
      for (const rule of array(s[list])) {
        rules++;
        const r = record(rule);
        if (!r) continue;
        ports += array(r["ports"]).length;
        for (const peerList of PEER_LISTS) {
          for (const peer of array(r[peerList])) {
            peers++;
            const p = record(peer);
            if (!p) continue;
            const ipBlock = record(p["ipBlock"]);
            if (ipBlock) cidrs += 1 + array(ipBlock["except"]).length;
            cidrs += array(p["networks"]).length;
          }
        }
      }
    }
  }
  return { policies: specs.length, rules, peers, cidrs, ports, pods: world.pods.length, namespaces: world.namespaces.length };
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function array(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}
