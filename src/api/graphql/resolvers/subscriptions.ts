/**
 * reachabilityChanged and policyChanged. Each new generation of the cluster is compared with the
 * one before for the target (who can reach it, by source); each recorded revision the caller may
 * see is pushed as it is recorded.
 */
import { formatConnEndpoint, type ConnectivityRow } from "../../../engine/index.js";
import type { SubscriptionResolvers } from "../../../generated/graphql.js";
import { inScope } from "../../query/scope.js";
import type { GraphQLContext } from "../context.js";
import type { RevisionView } from "../models.js";
import { connectionsOut, endpointOut, toWorkloadQuery } from "./shared.js";

type ReachabilityChangePayload = { reachabilityChanged: unknown };

export const Subscription: SubscriptionResolvers = {
  reachabilityChanged: {
    subscribe: async function* (_, args, ctx: GraphQLContext) {
      const target = toWorkloadQuery(args.target);
      const first = await ctx.query.whoCanReach(ctx.scope, target, { cluster: args.cluster });
      let previous = new Map(first.rows.map((r) => [formatConnEndpoint(r.src), r]));
      const abort = new AbortController();
      try {
        for await (const e of ctx.events.listen("generation", abort.signal)) {
          if (e.cluster !== first.cluster) continue;
          const now = await ctx.query.whoCanReach(ctx.scope, target, { cluster: first.cluster });
          const current = new Map(now.rows.map((r) => [formatConnEndpoint(r.src), r]));
          const gained: ConnectivityRow[] = [];
          const lost: ConnectivityRow[] = [];
          for (const [k, r] of current) {
            const before = previous.get(k);
            const more = before ? r.conn.subtract(before.conn) : r.conn;
            if (!more.isEmpty()) gained.push({ ...r, conn: more });
          }
          for (const [k, r] of previous) {
            const after = current.get(k);
            const less = after ? r.conn.subtract(after.conn) : r.conn;
            if (!less.isEmpty()) lost.push({ ...r, conn: less });
          }
          previous = current;
          if (gained.length === 0 && lost.length === 0) continue;
          const entry = (r: ConnectivityRow) => ({ peer: endpointOut(now, r.src), connections: connectionsOut(r.conn) });
          yield {
            reachabilityChanged: {
              cluster: now.cluster,
              generation: now.generation,
              workload: { cluster: now.cluster, generation: now.generation, ref: now.workload },
              gained: gained.map(entry),
              lost: lost.map(entry),
            },
          } satisfies ReachabilityChangePayload;
        }
      } finally {
        abort.abort();
      }
    },
  },
  policyChanged: {
    subscribe: async function* (_, args, ctx: GraphQLContext) {
      const cluster = args.cluster ? await ctx.query.resolveCluster(args.cluster) : undefined;
      if (args.namespace && !inScope(ctx.scope, args.namespace)) return;
      const abort = new AbortController();
      try {
        for await (const e of ctx.events.listen("revisions", abort.signal)) {
          if (cluster && e.cluster !== cluster) continue;
          for (const r of e.revisions) {
            if (args.namespace && r.namespace !== args.namespace) continue;
            if (r.namespace === "" ? !ctx.scope.all : !inScope(ctx.scope, r.namespace)) continue;
            yield { policyChanged: r satisfies RevisionView };
          }
        }
      } finally {
        abort.abort();
      }
    },
  },
};
