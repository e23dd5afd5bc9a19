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
