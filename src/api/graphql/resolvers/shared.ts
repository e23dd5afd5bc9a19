/** Mappings from engine and store values to the GraphQL shapes, shared by the resolvers. */
import { formatConnEndpoint, PROTOCOLS, type ConnEndpoint, type ConnectionSet, type EndpointQuery, type WorkloadQuery } from "../../../engine/index.js";
import { formatIp } from "../../../engine/index.js";
import { BadInputError } from "../../../domain/errors.js";
import type { EndpointRef, WorkloadRef as WorkloadRefInput } from "../../../generated/graphql.js";
import type { GenerationScoped, WorkloadView } from "../models.js";

export function toWorkloadQuery(ref: WorkloadRefInput): WorkloadQuery {
  if (!ref.namespace || !ref.name) throw new BadInputError("a WorkloadRef needs namespace and name");
  return ref.kind ? { namespace: ref.namespace, name: ref.name, kind: ref.kind } : { namespace: ref.namespace, name: ref.name };
}

export function toEndpointQuery(ref: EndpointRef, argument: string): EndpointQuery {
  const hasWorkload = ref.workload !== null && ref.workload !== undefined;
  const hasIp = ref.ip !== null && ref.ip !== undefined;
  if (hasWorkload === hasIp) throw new BadInputError(`${argument}: give exactly one of workload and ip`);
  return hasWorkload ? { type: "workload", ...toWorkloadQuery(ref.workload!) } : { type: "ip", ip: ref.ip! };
}

export function endpointOut(g: GenerationScoped, e: ConnEndpoint) {
  return {
    display: formatConnEndpoint(e),
    workload: e.kind === "workload" ? ({ cluster: g.cluster, generation: g.generation, ref: e.ref } satisfies WorkloadView) : null,
    external:
      e.kind === "external"
        ? { start: formatIp({ family: e.range.family, value: e.range.start }), end: formatIp({ family: e.range.family, value: e.range.end }), family: e.range.family }
        : null,
  };
}

export function connectionsOut(c: ConnectionSet) {
  return {
    text: c.key,
    all: c.isAll(),
    protocols: PROTOCOLS.filter((p) => !c.portsFor(p).isEmpty()).map((p) => ({ protocol: p, ports: c.portsFor(p).intervals().map(([from, to]) => ({ from, to })) })),
  };
}
