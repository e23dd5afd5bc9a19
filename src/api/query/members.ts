/** Stored class members -> the engine's connectivity endpoints. */
import { parseIp, type ConnEndpoint } from "../../engine/index.js";
import type { ClassMember } from "../../domain/repositories.js";

export function toEndpoint(m: ClassMember): ConnEndpoint {
  if (m.type === "workload") return { kind: "workload", ref: { namespace: m.namespace, kind: m.kind, name: m.name } };
  const start = parseIp(m.start);
  const end = parseIp(m.end);
  if (!start || !end) throw new Error(`stored external range ${m.start}-${m.end} is not a valid address range`);
  return { kind: "external", range: { family: start.family, start: start.value, end: end.value } };
}

/** The endpoints of each members list read (see endpointsOf), while the list is in use. */
const endpointLists = new WeakMap<readonly ClassMember[], readonly ConnEndpoint[]>();

/**
 * A class's members as endpoints, the same objects for the same list: a generation's index keeps a
 * class's list from generation to generation while its members stay, so answers about workloads
 * reached from thousands of classes stop allocating (and the engine stops keying and formatting)
 * an endpoint per member per answer. Lists read from the store are new each time, and mapped anew.
 */
export function endpointsOf(members: readonly ClassMember[]): readonly ConnEndpoint[] {
  let endpoints = endpointLists.get(members);
  if (!endpoints) endpointLists.set(members, (endpoints = members.map(toEndpoint)));
  return endpoints;
}
