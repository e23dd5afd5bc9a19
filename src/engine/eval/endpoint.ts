/** The two ends of a connection: a pod of the world, or an address outside it. */
import type { CompiledPod } from "../compile/model.js";
import { formatIp, type IpAddress } from "../net/ip.js";
import { formatWorkload } from "../model/ids.js";

export type Endpoint = { readonly kind: "pod"; readonly pod: CompiledPod } | { readonly kind: "external"; readonly ip: IpAddress };

export function podEndpoint(pod: CompiledPod): Endpoint {
  return { kind: "pod", pod };
}

export function externalEndpoint(ip: IpAddress): Endpoint {
  return { kind: "external", ip };
}

/** The address an ipBlock sees: a pod's `status.podIP` (none before scheduling), or the external address. */
export function endpointIp(e: Endpoint): IpAddress | undefined {
  return e.kind === "pod" ? e.pod.ip : e.ip;
}

export function formatEndpoint(e: Endpoint): string {
  if (e.kind === "external") return `${formatIp(e.ip)}[External]`;
  const w = e.pod.workload;
  // Pod templates read from manifests are named after their workload: no need to repeat it.
  return w.kind === "Pod" || e.pod.ref.name === w.name ? formatWorkload(w) : `${formatWorkload(w)} (pod ${e.pod.ref.name})`;
}
