/**
 * reachabilityChanged and policyChanged. Each new generation of the cluster is compared with the
 * one before for the target (who can reach it, by source); each recorded revision the caller may
 * see is pushed as it is recorded.
 */
import { formatConnEndpoint, type ConnectivityRow } from "../../../engine/index.js";
import type { SubscriptionResolvers } from "../../../generated/graphql.js";
import { canSeeObject, inScope } from "../../../domain/scope.js";
import type { GraphQLContext } from "../context.js";
import type { RevisionView } from "../models.js";
import { connectionsOut, endpointOut, toWorkloadQuery } from "./shared.js";

type ReachabilityChangePayload = { reachabilityChanged: unknown };

export const Subscription: SubscriptionResolvers = {
  reachabilityChanged: {
    subscribe: (_, args, ctx: GraphQLContext) =>
      cancellable(async function* (signal) {
        const target = toWorkloadQuery(args.target);
        const first = await ctx.query.whoCanReach(ctx.scope, target, { cluster: args.cluster });
        let previous = new Map(first.rows.map((r) => [formatConnEndpoint(r.src), r]));
        for await (const e of ctx.events.listen("generation", signal)) {
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
      }),
  },
  policyChanged: {
    subscribe: (_, args, ctx: GraphQLContext) =>
      cancellable(async function* (signal) {
        const cluster = args.cluster ? await ctx.query.resolveCluster(args.cluster) : undefined;
        if (args.namespace && !inScope(ctx.scope, args.namespace)) return;
        for await (const e of ctx.events.listen("revisions", signal)) {
          if (cluster && e.cluster !== cluster) continue;
          for (const r of e.revisions) {
            if (args.namespace && r.namespace !== args.namespace) continue;
            if (!canSeeObject(ctx.scope, r)) continue;
            yield { policyChanged: r satisfies RevisionView };
          }
        }
      }),
  },
};

/**
 * An async generator's return() waits until the generator reaches a yield, and these wait for the
 * next event: a closed subscription would keep its listener (and run its query on the next
 * generation) until then. return() here aborts the wait at once, so the subscription ends now.
 */
export function cancellable<T>(run: (signal: AbortSignal) => AsyncGenerator<T>): AsyncIterableIterator<T> {
  const abort = new AbortController();
  const it = run(abort.signal);
  return {
    next: () => it.next(),
    return: (value?: unknown) => {
      abort.abort();
      return it.return(value as never);
    },
    throw: (err?: unknown) => {
      abort.abort();
      return it.throw(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
