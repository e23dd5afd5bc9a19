/** namespaces, workloads, networkPolicies and their fields, read from the world of a generation. */
import { isolatingPolicies, podEndpoint, policySelectsPod, workloadKey, type CompiledNetworkPolicy } from "../../../engine/index.js";
import type { NamespaceResolvers, NetworkPolicyResolvers, QueryResolvers, WorkloadResolvers } from "../../../generated/graphql.js";
import { inScope } from "../../query/scope.js";
import type { WorldSnapshot } from "../../query/WorldCache.js";
import type { GraphQLContext } from "../context.js";
import type { GenerationScoped, PolicyView, WorkloadView } from "../models.js";

const world = (ctx: GraphQLContext, g: GenerationScoped): Promise<WorldSnapshot> => ctx.query.worlds.get(g.cluster, g.generation);
const policyView = (g: GenerationScoped, policy: CompiledNetworkPolicy): PolicyView => ({ cluster: g.cluster, generation: g.generation, policy });

export const objectQueries: Pick<QueryResolvers, "namespaces" | "workloads" | "networkPolicies"> = {
  async namespaces(_, args, ctx) {
    const r = await ctx.query.namespaces(ctx.scope, { cluster: args.cluster });
    return r.names.map((name) => ({ cluster: r.ref.cluster, generation: r.ref.generation, name }));
  },
  async workloads(_, args, ctx) {
    const r = await ctx.query.workloads(ctx.scope, { cluster: args.cluster, namespace: args.namespace, labelSelector: args.labelSelector });
    return r.workloads.map((w) => ({ cluster: r.ref.cluster, generation: r.ref.generation, ref: w.ref }));
  },
  async networkPolicies(_, args, ctx) {
    const r = await ctx.query.networkPolicies(ctx.scope, { cluster: args.cluster, namespace: args.namespace });
    return r.policies.map((p) => policyView(r.ref, p));
  },
};

export const Namespace: NamespaceResolvers = {
  cluster: (n) => n.cluster,
  name: (n) => n.name,
  labels: async (n, _, ctx) => (await world(ctx, n)).world.namespaceByName.get(n.name)?.labels ?? {},
  workloads: async (n, _, ctx) => (await world(ctx, n)).workloads.filter((w) => w.ref.namespace === n.name).map((w) => ({ cluster: n.cluster, generation: n.generation, ref: w.ref })),
  networkPolicies: async (n, _, ctx) => ((await world(ctx, n)).world.policiesByNamespace.get(n.name) ?? []).map((p) => policyView(n, p)),
};

async function workloadEntry(w: WorkloadView, ctx: GraphQLContext) {
  return (await world(ctx, w)).workloadByKey.get(workloadKey(w.ref));
}

export const Workload: WorkloadResolvers = {
  cluster: (w) => w.cluster,
  namespace: (w) => w.ref.namespace,
  kind: (w) => w.ref.kind,
  name: (w) => w.ref.name,
  pods: async (w, _, ctx) => (await workloadEntry(w, ctx))?.pods.length ?? 0,
  labels: async (w, _, ctx) => (await workloadEntry(w, ctx))?.labels ?? {},
  policies: async (w, _, ctx) => {
    const snap = await world(ctx, w);
    const entry = snap.workloadByKey.get(workloadKey(w.ref));
    if (!entry) return [];
    return (snap.world.policiesByNamespace.get(w.ref.namespace) ?? []).filter((p) => entry.pods.some((pod) => policySelectsPod(p, pod))).map((p) => policyView(w, p));
  },
  isolatedForIngress: async (w, _, ctx) => {
    const snap = await world(ctx, w);
    return (snap.workloadByKey.get(workloadKey(w.ref))?.pods ?? []).some((p) => isolatingPolicies(snap.world, podEndpoint(p), "ingress").length > 0);
  },
  isolatedForEgress: async (w, _, ctx) => {
    const snap = await world(ctx, w);
    return (snap.workloadByKey.get(workloadKey(w.ref))?.pods ?? []).some((p) => isolatingPolicies(snap.world, podEndpoint(p), "egress").length > 0);
  },
};

export const NetworkPolicy: NetworkPolicyResolvers = {
  cluster: (p) => p.cluster,
  kind: (p) => p.policy.ref.kind,
  namespace: (p) => p.policy.namespace,
  name: (p) => p.policy.ref.name,
  uid: async (p, _, ctx) => (await world(ctx, p)).policyObjects.get(`${p.policy.namespace}/${p.policy.ref.name}`)?.meta.uid ?? "",
  resourceVersion: async (p, _, ctx) => (await world(ctx, p)).policyObjects.get(`${p.policy.namespace}/${p.policy.ref.name}`)?.meta.resourceVersion ?? "",
  spec: async (p, _, ctx) => (await world(ctx, p)).policyObjects.get(`${p.policy.namespace}/${p.policy.ref.name}`)?.spec ?? {},
  policyTypes: (p) => [...(p.policy.ingress ? (["INGRESS"] as const) : []), ...(p.policy.egress ? (["EGRESS"] as const) : [])],
  selects: async (p, _, ctx) => {
    if (!inScope(ctx.scope, p.policy.namespace)) return [];
    const snap = await world(ctx, p);
    return snap.workloads
      .filter((w) => w.ref.namespace === p.policy.namespace && w.pods.some((pod) => policySelectsPod(p.policy, pod)))
      .map((w) => ({ cluster: p.cluster, generation: p.generation, ref: w.ref }));
  },
};
