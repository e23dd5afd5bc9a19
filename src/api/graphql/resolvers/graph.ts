/**
 * reachabilityGraph and generationCommitted: what a dashboard needs to draw the whole graph in a
 * few requests and to redraw when a generation lands (the web view at /ui is built on them).
 */
import type { ConnectionSet } from "../../../engine/index.js";
import type { QueryResolvers, SubscriptionResolvers } from "../../../generated/graphql.js";
import type { GraphQLContext } from "../context.js";
import { checkPort } from "./reachability.js";
import { cancellable } from "./subscriptions.js";
import { connectionsOut, endpointOut } from "./shared.js";

export const graphQueries: Pick<QueryResolvers, "reachabilityGraph"> = {
  async reachabilityGraph(_, args, ctx) {
    checkPort(args.port);
    const page = await ctx.query.graphPage(ctx.scope, {
      cluster: args.cluster,
      at: args.at,
      namespace: args.namespace,
      port: args.port,
      protocol: args.protocol,
      first: args.first ?? 10_000,
      after: args.after,
    });
    // Thousands of edges share a few distinct connection sets: each is mapped once.
    const conns = new Map<ConnectionSet, ReturnType<typeof connectionsOut>>();
    const connOut = (c: ConnectionSet) => {
      let out = conns.get(c);
      if (!out) conns.set(c, (out = connectionsOut(c)));
      return out;
    };
    const last = page.offset + page.edges.length - 1;
    return {
      cluster: page.cluster,
      generation: page.generation,
      computedAt: page.computedAt,
      nodes: page.nodes.map((e) => {
        const out = endpointOut(page, e);
        return { id: out.display, workload: out.workload, external: out.external };
      }),
      edges: page.edges.map((e) => ({ src: e.src, dst: e.dst, connections: connOut(e.conn) })),
      totalEdges: page.totalCount,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.edges.length > 0 ? ctx.query.cursorFor(page, last) : null },
    };
  },
};

export const graphSubscriptions: Pick<SubscriptionResolvers, "generationCommitted"> = {
  generationCommitted: {
    subscribe: (_, args, ctx: GraphQLContext) =>
      cancellable(async function* (signal) {
        const cluster = args.cluster ? await ctx.query.resolveCluster(args.cluster) : undefined;
        for await (const e of ctx.events.listen("generation", signal)) {
          if (cluster && e.cluster !== cluster) continue;
          const stored = await ctx.store.matrix.getGeneration(e.cluster, e.generation);
          yield { generationCommitted: { cluster: e.cluster, generation: e.generation, computedAt: stored?.createdAt ?? new Date() } };
        }
      }),
  },
};
