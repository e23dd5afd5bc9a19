/**
 * namespaces, workloads, networkPolicies and their fields, read from the world of a generation.
 * The NetworkPolicy type stands for policies of every tier: NetworkPolicies and the cluster-scoped
 * AdminNetworkPolicy, BaselineAdminNetworkPolicy and ClusterNetworkPolicy (namespace "", visible to
 * tokens that see every namespace).
 */
import {
  invalidPolicySelectsPod,
  isolatingPolicies,
  podEndpoint,
  policySelectsPod,
  tieredPolicySelectsPod,
  workloadKey,
  type CompiledNetworkPolicy,
  type CompiledPod,
  type CompiledTieredPolicy,
  type InvalidPolicy,
} from "../../../engine/index.js";
import type { NamespaceResolvers, NetworkPolicyResolvers, QueryResolvers, WorkloadResolvers } from "../../../generated/graphql.js";
import { canSeeClusterScoped, inScope } from "../../../domain/scope.js";
import type { WorldSnapshot } from "../../query/WorldCache.js";
import type { GraphQLContext } from "../context.js";
import type { GenerationScoped, PolicyView, WorkloadView } from "../models.js";

const world = (ctx: GraphQLContext, g: GenerationScoped): Promise<WorldSnapshot> => ctx.query.worlds.get(g.cluster, g.generation);
type AnyPolicy = CompiledNetworkPolicy | CompiledTieredPolicy | InvalidPolicy;
const policyView = (g: GenerationScoped, policy: AnyPolicy): PolicyView => ({ cluster: g.cluster, generation: g.generation, policy });
const isTiered = (p: AnyPolicy): p is CompiledTieredPolicy => "tier" in p;
const isInvalid = (p: AnyPolicy): p is InvalidPolicy => "problems" in p;
const selectsPod = (p: AnyPolicy, pod: CompiledPod) => (isInvalid(p) ? invalidPolicySelectsPod(p, pod) : isTiered(p) ? tieredPolicySelectsPod(p, pod) : policySelectsPod(p, pod));
/** A namespace's NetworkPolicies, the invalid ones the cluster holds included (they are listed with valid: false). */
const namespacePolicies = (snap: WorldSnapshot, namespace: string): AnyPolicy[] => [
  ...(snap.world.policiesByNamespace.get(namespace) ?? []),
  ...(snap.world.invalidPolicies ?? []).filter((p) => p.namespace === namespace),
];

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
  networkPolicies: async (n, _, ctx) => namespacePolicies(await world(ctx, n), n.name).map((p) => policyView(n, p)),
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
    const namespaced = namespacePolicies(snap, w.ref.namespace).filter((p) => entry.pods.some((pod) => selectsPod(p, pod)));
    // Cluster-scoped policies whose subject holds these pods, for tokens that see cluster-scoped objects.
    const tiered = canSeeClusterScoped(ctx.scope) ? snap.world.tieredPolicies.filter((p) => entry.pods.some((pod) => tieredPolicySelectsPod(p, pod))) : [];
    return [...namespaced, ...tiered].map((p) => policyView(w, p));
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
  namespace: (p) => p.policy.ref.namespace,
  name: (p) => p.policy.ref.name,
  uid: async (p, _, ctx) => (await world(ctx, p)).policyObjects.get(p.policy.key)?.meta.uid ?? "",
  resourceVersion: async (p, _, ctx) => (await world(ctx, p)).policyObjects.get(p.policy.key)?.meta.resourceVersion ?? "",
  spec: async (p, _, ctx) => (await world(ctx, p)).policyObjects.get(p.policy.key)?.spec ?? {},
  policyTypes: (p) => {
    if (isInvalid(p.policy)) return p.policy.directions.map((d) => (d === "ingress" ? ("INGRESS" as const) : ("EGRESS" as const)));
    const { ingress, egress } = p.policy;
    const has = (rules: readonly unknown[] | undefined) => (isTiered(p.policy) ? (rules?.length ?? 0) > 0 : rules !== undefined);
    return [...(has(ingress) ? (["INGRESS"] as const) : []), ...(has(egress) ? (["EGRESS"] as const) : [])];
  },
  tier: (p) => (!isTiered(p.policy) ? "NETWORK_POLICY" : p.policy.tier === "admin" ? "ADMIN" : "BASELINE"),
  priority: (p) => (isTiered(p.policy) ? (p.policy.priority ?? null) : null),
  valid: (p) => !isInvalid(p.policy),
  problems: (p) => (isInvalid(p.policy) ? [...p.policy.problems] : []),
  selects: async (p, _, ctx) => {
    const policy = p.policy;
    const namespace = policy.ref.namespace;
    // A NetworkPolicy selects in its namespace; a cluster-scoped one anywhere (only what the token may see is listed).
    if (!isTiered(policy) && !inScope(ctx.scope, namespace)) return [];
    const snap = await world(ctx, p);
    return snap.workloads
      .filter((w) => (isTiered(policy) ? inScope(ctx.scope, w.ref.namespace) : w.ref.namespace === namespace) && w.pods.some((pod) => selectsPod(policy, pod)))
      .map((w) => ({ cluster: p.cluster, generation: p.generation, ref: w.ref }));
  },
};
