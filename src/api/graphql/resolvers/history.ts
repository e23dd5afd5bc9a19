/** policyHistory, auditLog and revisions with their reachability impact (batched with DataLoader). */
import type { ImpactSide } from "../../../domain/impacts.js";
import type { PolicyRevisionResolvers, QueryResolvers } from "../../../generated/graphql.js";
import type { RevisionPage } from "../../query/QueryService.js";
import { canSeeImpactRow, visibleTotal, type Scope } from "../../../domain/scope.js";
import type { GraphQLContext } from "../context.js";

function page(r: RevisionPage, ctx: GraphQLContext) {
  const edges = r.revisions.map((rev) => ({ cursor: ctx.query.seqCursor(rev.seq), node: rev }));
  return { edges, pageInfo: { hasNextPage: r.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}

export const historyQueries: Pick<QueryResolvers, "policyHistory" | "auditLog"> = {
  async policyHistory(_, args, ctx) {
    const r = await ctx.query.revisions(ctx.scope, { ...args, first: args.first ?? 50 });
    return page(r, ctx);
  },
  async auditLog(_, args, ctx) {
    const r = await ctx.query.revisions(ctx.scope, { ...args, name: undefined, first: args.first ?? 50 });
    return page(r, ctx);
  },
};

/** The rows of one impact side the caller may see (both endpoints, by their structured refs). */
function visibleImpactRows(scope: Scope, side: ImpactSide) {
  return side.rows.filter((r) => canSeeImpactRow(scope, r)).map((r) => ({ src: r.src, dst: r.dst, connections: r.conn, before: r.connBefore, after: r.connAfter }));
}

export const PolicyRevision: PolicyRevisionResolvers = {
  id: (r) => r.id.toString(),
  cluster: (r) => r.clusterId,
  seq: (r) => r.seq.toString(),
  diff: (r) => r.diff,
  before: (r) => r.before,
  after: (r) => r.after,
  impact: async (r, _, ctx) => {
    const i = await ctx.impacts.load(r.id);
    if (!i) return null;
    const gained = visibleImpactRows(ctx.scope, i.gained);
    const lost = visibleImpactRows(ctx.scope, i.lost);
    return {
      exact: i.exact,
      generation: i.generation,
      gained,
      lost,
      // A scoped caller sees totals of what it may see, not of the whole cluster.
      gainedTotal: visibleTotal(ctx.scope, i.gained.total, gained.length),
      lostTotal: visibleTotal(ctx.scope, i.lost.total, lost.length),
      truncated: i.gained.truncated || i.lost.truncated,
    };
  },
};
