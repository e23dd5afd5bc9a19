/** policyHistory, auditLog and revisions with their reachability impact (batched with DataLoader). */
import type { JsonValue } from "../../../domain/objects.js";
import type { PolicyRevisionResolvers, QueryResolvers } from "../../../generated/graphql.js";
import type { RevisionPage } from "../../query/QueryService.js";
import { inScope, type Scope } from "../../query/scope.js";
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

interface ImpactRowJson {
  src: string;
  dst: string;
  conn: string;
  connBefore: string;
  connAfter: string;
}

/** The namespace of a printed workload endpoint (`ns/name[Kind]`); external ranges have none. */
function namespaceOf(display: string): string | undefined {
  if (display.endsWith("[External]")) return undefined;
  const slash = display.indexOf("/");
  return slash > 0 ? display.slice(0, slash) : undefined;
}

function visibleImpactRows(scope: Scope, side: JsonValue) {
  const rows = ((side as { rows?: ImpactRowJson[] } | null)?.rows ?? []).filter((r) =>
    [r.src, r.dst].every((e) => {
      const ns = namespaceOf(e);
      return ns === undefined || inScope(scope, ns);
    }),
  );
  return rows.map((r) => ({ src: r.src, dst: r.dst, connections: r.conn, before: r.connBefore, after: r.connAfter }));
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
    const total = (side: JsonValue) => ((side as { total?: number } | null)?.total ?? 0);
    const truncated = (side: JsonValue) => (side as { truncated?: boolean } | null)?.truncated === true;
    return {
      exact: i.exact,
      generation: i.generation,
      gained,
      lost,
      // A scoped caller sees totals of what it may see, not of the whole cluster.
      gainedTotal: ctx.scope.all ? total(i.gained) : gained.length,
      lostTotal: ctx.scope.all ? total(i.lost) : lost.length,
      truncated: truncated(i.gained) || truncated(i.lost),
    };
  },
};
