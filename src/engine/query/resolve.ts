/**
 * Resolving what a user names ("prod/db", "prod/db[StatefulSet]", a pod name, an IP) to endpoints
 * of the world. Errors are returned as data with a message the user can act on.
 */
import type { CompiledPod, CompiledWorld } from "../compile/model.js";
import { formatWorkload, type WorkloadRef } from "../model/ids.js";
import { parseIp, type IpAddress } from "../net/ip.js";

export interface WorkloadQuery {
  readonly namespace: string;
  readonly name: string;
  /** Optional: needed only when several workloads of different kinds share the name. */
  readonly kind?: string;
}

export type EndpointQuery = ({ readonly type: "workload" } & WorkloadQuery) | { readonly type: "ip"; readonly ip: string };

export type Resolved =
  | { readonly ok: true; readonly type: "workload"; readonly ref: WorkloadRef; readonly pods: readonly CompiledPod[] }
  | { readonly ok: true; readonly type: "ip"; readonly ip: IpAddress }
  | { readonly ok: false; readonly code: "NOT_FOUND" | "AMBIGUOUS" | "INVALID"; readonly message: string };

/** `ns/name`, `ns/name[Kind]` or an IP address. */
export function parseEndpointQuery(text: string): EndpointQuery | undefined {
  const t = text.trim();
  if (parseIp(t)) return { type: "ip", ip: t };
  const m = /^([^/\s[\]]+)\/([^/\s[\]]+)(?:\[([A-Za-z]+)\])?$/.exec(t);
  if (!m) return undefined;
  return m[3] ? { type: "workload", namespace: m[1]!, name: m[2]!, kind: m[3] } : { type: "workload", namespace: m[1]!, name: m[2]! };
}

export function resolveWorkload(world: CompiledWorld, q: WorkloadQuery): Resolved {
  const inNs = world.pods.filter((p) => p.namespace.name === q.namespace);
  const kindMatches = (k: string) => q.kind === undefined || k.toLowerCase() === q.kind.toLowerCase();
  const byWorkload = new Map<string, { ref: WorkloadRef; pods: CompiledPod[] }>();
  for (const p of inNs) {
    if (p.workload.name !== q.name || !kindMatches(p.workload.kind)) continue;
    const k = p.workload.kind;
    const entry = byWorkload.get(k) ?? { ref: p.workload, pods: [] };
    entry.pods.push(p);
    byWorkload.set(k, entry);
  }
  if (byWorkload.size > 1) {
    const options = [...byWorkload.values()].map((w) => formatWorkload(w.ref)).join(", ");
    return { ok: false, code: "AMBIGUOUS", message: `${q.namespace}/${q.name} names several workloads (${options}); add the kind, e.g. ${q.namespace}/${q.name}[${[...byWorkload.keys()][0]}]` };
  }
  const only = [...byWorkload.values()][0];
  if (only) return { ok: true, type: "workload", ref: only.ref, pods: only.pods };
  // A pod name stands for that pod alone.
  const pod = q.kind === undefined || q.kind.toLowerCase() === "pod" ? inNs.find((p) => p.ref.name === q.name) : undefined;
  // Reported under its workload (the unit of the connectivity list), restricted to that one pod.
  if (pod) return { ok: true, type: "workload", ref: pod.workload, pods: [pod] };
  const known = [...new Set(inNs.map((p) => formatWorkload(p.workload)))].slice(0, 10);
  const hint = world.namespaceByName.has(q.namespace)
    ? known.length
      ? ` (workloads in ${q.namespace}: ${known.join(", ")}${known.length === 10 ? ", ..." : ""})`
      : ` (namespace ${q.namespace} has no pods)`
    : ` (no namespace ${q.namespace})`;
  return { ok: false, code: "NOT_FOUND", message: `no workload or pod ${q.namespace}/${q.name}${q.kind ? `[${q.kind}]` : ""}${hint}` };
}

export function resolveEndpoint(world: CompiledWorld, q: EndpointQuery): Resolved {
  if (q.type === "workload") return resolveWorkload(world, q);
  const ip = parseIp(q.ip);
  return ip ? { ok: true, type: "ip", ip } : { ok: false, code: "INVALID", message: `${JSON.stringify(q.ip)} is not an IP address` };
}
