/** whoCanReach, reachableFrom, canConnect and matrix: answers from stored generations and the engine. */
import { BadInputError } from "../../../domain/errors.js";
import { MAX_PORT, MIN_PORT, type DecidedIn, type Explanation, type SideExplanation, type Tier, type TierAction, type TierRuleReason } from "../../../engine/index.js";
import type { QueryResolvers } from "../../../generated/graphql.js";
import type { ReachabilityAnswer } from "../../query/QueryService.js";
import { connectionsOut, endpointOut, toEndpointQuery, toWorkloadQuery } from "./shared.js";

export function checkPort(port: number | null | undefined): void {
  if (port !== null && port !== undefined && !(Number.isInteger(port) && port >= MIN_PORT && port <= MAX_PORT))
    throw new BadInputError(`port ${port} is out of range: must be ${MIN_PORT}-${MAX_PORT}`);
}

export function reachabilityOut(a: ReachabilityAnswer, direction: "incoming" | "outgoing") {
  return {
    cluster: a.cluster,
    generation: a.generation,
    computedAt: a.computedAt,
    workload: { cluster: a.cluster, generation: a.generation, ref: a.workload },
    peers: a.rows.map((r) => ({ peer: endpointOut(a, direction === "incoming" ? r.src : r.dst), connections: connectionsOut(r.conn) })),
  };
}

const TIER_OUT = { admin: "ADMIN", baseline: "BASELINE" } as const satisfies Record<Tier, string>;
const ACTION_OUT = { accept: "ACCEPT", deny: "DENY", pass: "PASS" } as const satisfies Record<TierAction, string>;
const DECIDED_IN_OUT = { admin: "ADMIN", networkPolicy: "NETWORK_POLICY", baseline: "BASELINE", default: "DEFAULT", ungoverned: "UNGOVERNED" } as const satisfies Record<DecidedIn, string>;

function tierRuleOut(r: TierRuleReason) {
  return { ...r, tier: TIER_OUT[r.tier], action: ACTION_OUT[r.action], priority: r.priority ?? null, ruleName: r.ruleName ?? null };
}

function sideOut(s: SideExplanation) {
  return {
    direction: s.direction === "ingress" ? ("INGRESS" as const) : ("EGRESS" as const),
    subject: s.subject,
    governed: s.governed,
    decidedIn: DECIDED_IN_OUT[s.decidedIn],
    decidedBy: s.decidedBy ? tierRuleOut(s.decidedBy) : null,
    passedBy: s.passedBy.map(tierRuleOut),
    isolatedBy: [...s.isolatedBy],
    admittedBy: [...s.admittedBy],
    nearMisses: [...s.nearMisses],
    allowed: s.allowed,
    reason: s.reason,
  };
}

export function explanationOut(e: Explanation, generation: number) {
  return { summary: [...e.summary], egress: e.self ? null : sideOut(e.egress), ingress: e.self ? null : sideOut(e.ingress), generation };
}

export const reachabilityQueries: Pick<QueryResolvers, "whoCanReach" | "reachableFrom" | "canConnect" | "matrix"> = {
  async whoCanReach(_, args, ctx) {
    checkPort(args.port);
    const a = await ctx.query.whoCanReach(ctx.scope, toWorkloadQuery(args.target), { cluster: args.cluster, at: args.at, port: args.port, protocol: args.protocol });
    return reachabilityOut(a, "incoming");
  },
  async reachableFrom(_, args, ctx) {
    checkPort(args.port);
    const a = await ctx.query.reachableFrom(ctx.scope, toWorkloadQuery(args.source), { cluster: args.cluster, at: args.at, port: args.port, protocol: args.protocol });
    return reachabilityOut(a, "outgoing");
  },
  async canConnect(_, args, ctx) {
    checkPort(args.port);
    const a = await ctx.query.canConnect(ctx.scope, toEndpointQuery(args.from, "from"), toEndpointQuery(args.to, "to"), args.port, args.protocol ?? "TCP", {
      cluster: args.cluster,
      at: args.at,
    });
    return { allowed: a.explanation.verdict, explanation: explanationOut(a.explanation, a.generation) };
  },
  async matrix(_, args, ctx) {
    const page = await ctx.query.matrixPage(ctx.scope, { cluster: args.cluster, at: args.at, namespace: args.namespace, first: args.first ?? 100, after: args.after });
    const edges = page.rows.map((r, i) => ({
      cursor: ctx.query.cursorFor(page, page.offset + i),
      node: { src: endpointOut(page, r.src), dst: endpointOut(page, r.dst), connections: connectionsOut(r.conn) },
    }));
    return {
      cluster: page.cluster,
      generation: page.generation,
      edges,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: page.totalCount,
    };
  },
};
