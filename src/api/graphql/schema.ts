/**
 * The executable schema: schema.graphql (the contract, at the repository root) with the typed
 * resolvers. Subscriptions use the same schema over graphql-ws.
 */
import { readFileSync } from "node:fs";
import { makeExecutableSchema } from "@graphql-tools/schema";
import type { GraphQLSchema } from "graphql";
import type { Resolvers } from "../../generated/graphql.js";
import { historyQueries, PolicyRevision } from "./resolvers/history.js";
import { Namespace, NetworkPolicy, objectQueries, Workload } from "./resolvers/objects.js";
import { reachabilityQueries } from "./resolvers/reachability.js";
import { statusQueries } from "./resolvers/status.js";
import { findingsQueries } from "./resolvers/findings.js";
import { graphQueries, graphSubscriptions } from "./resolvers/graph.js";
import { simulateMutations } from "./resolvers/simulate.js";
import { Subscription } from "./resolvers/subscriptions.js";
import { DateTimeScalar, JsonScalar } from "./scalars.js";

export const SCHEMA_PATH = new URL("../../../schema.graphql", import.meta.url);

export function typeDefs(): string {
  return readFileSync(SCHEMA_PATH, "utf8");
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  JSON: JsonScalar,
  Query: { ...reachabilityQueries, ...objectQueries, ...historyQueries, ...statusQueries, ...findingsQueries, ...graphQueries },
  Mutation: { ...simulateMutations },
  Subscription: { ...Subscription, ...graphSubscriptions },
  Namespace,
  Workload,
  NetworkPolicy,
  PolicyRevision,
};

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: typeDefs(), resolvers: resolvers as never });
}
