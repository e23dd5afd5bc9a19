/**
 * GraphQL subscriptions over WebSocket (graphql-ws on the HTTP server's port and /graphql path):
 * authenticated at connection_init, held to the same rules as GraphQL over HTTP (token limit, armor
 * rules, introspection and field suggestions, error masking), subscriptions only. server.ts starts
 * it; Apollo's drain plugin disposes it.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { getOperationAST, GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema, type ValidationRule } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import { WebSocketServer } from "ws";
import type { Config } from "../../domain/config.js";
import type { TokenAuthenticator } from "../auth.js";
import { formatGraphQLError } from "../http/errors.js";
import type { OriginPolicy } from "../http/origin.js";
import type { Scope } from "../../domain/scope.js";
import type { GraphQLContext } from "./context.js";

/** Tokens per document, enforced by graphql-js's parser (a syntax error, 400, over HTTP and WebSocket alike). */
export const MAX_TOKENS = 3000;

export interface SubscriptionServerOptions {
  readonly httpServer: Server;
  readonly schema: GraphQLSchema;
  readonly config: Config["server"];
  readonly auth: TokenAuthenticator;
  readonly originPolicy: OriginPolicy;
  /** graphql-armor's validation rules, as Apollo applies them over HTTP. */
  readonly armorRules: readonly ValidationRule[];
  readonly contextFor: (scope: Scope, requestId: string) => GraphQLContext;
  readonly logger: Logger;
}

/** A running subscription server; dispose() closes its sockets. */
export interface SubscriptionServer {
  dispose(): void | Promise<void>;
}

function withCode(e: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, originalError: e.originalError, extensions: { ...e.extensions, code } });
}

/** What Apollo's hideSchemaDetailsFromClientErrors does to a validation error. */
function withoutSuggestions(e: GraphQLError): GraphQLError {
  const message = e.message.replace(/ ?Did you mean(.+?)\?$/, "");
  return message === e.message ? e : new GraphQLError(message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, extensions: e.extensions });
}

/** Starts graphql-ws on the HTTP server: the origin check at the upgrade, the token at connection_init. */
export function startSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { httpServer, schema, config, auth, originPolicy, logger } = options;
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: "/graphql",
    maxPayload: config.maxBodyBytes,
    verifyClient: (info, done) => {
      const refusal = originPolicy.verifyUpgrade(info.req);
      if (refusal) logger.warn({ host: info.req.headers.host, origin: info.origin }, refusal);
      done(refusal === undefined, 403, refusal);
    },
  });
  const formatWsError = wsErrorFormatter(logger);
  const checkSubscription = subscriptionChecker(schema, config, options.armorRules);
  return useServer<{ authorization?: string }, { scope?: Scope }>(
    {
      schema,
      onConnect: (ctx) => {
        try {
          ctx.extra.scope = auth.authenticate(ctx.connectionParams?.authorization ?? null);
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx) => options.contextFor(ctx.extra.scope!, randomUUID()),
      onSubscribe: (ctx, _id, payload) => checkSubscription(Object.keys(ctx.subscriptions).length, payload),
      // Results and errors go through the same masking as over HTTP: nothing internal reaches the client.
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors?.length ? { ...result, errors: result.errors.map(formatWsError) } : undefined),
      // Validation errors from onSubscribe, and errors thrown while a subscription streams.
      onError: (_ctx, _id, _payload, errors) => errors.map(formatWsError),
    },
    wsServer,
  );
}

/** The masking of GraphQL errors over WebSocket: the HTTP formatter, with errors about the request itself coded BAD_USER_INPUT. */
function wsErrorFormatter(logger: Logger) {
  return (e: GraphQLError) => {
    // graphql-js's errors about the request itself (variable values) have no path and no thrown cause.
    const aboutRequest = !e.path && !e.extensions["code"] && (!e.originalError || e.originalError instanceof GraphQLError);
    const formatted = aboutRequest ? withCode(e, "BAD_USER_INPUT").toJSON() : e.toJSON();
    return formatGraphQLError(formatted, e.path ? e : (e.originalError ?? e), (err) => logger.error({ err }, "GraphQL operation over WebSocket failed"));
  };
}

interface SubscribePayload {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
}

/**
 * onSubscribe's check of a new operation: the connection's subscription limit, then the same rules
 * as over HTTP; the execution arguments when it passes, else the errors to send.
 */
function subscriptionChecker(schema: GraphQLSchema, config: Config["server"], armorRules: readonly ValidationRule[]) {
  const wsRules = [...specifiedRules, ...armorRules, ...(config.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  return (subscriptions: number, payload: SubscribePayload): ExecutionArgs | GraphQLError[] => {
    // Each subscription re-runs its query on every generation: one socket must not hold
    // thousands (graphql-ws lists this one already, pending, in ctx.subscriptions).
    if (subscriptions > config.maxSubscriptionsPerConnection)
      return [
        new GraphQLError(`too many subscriptions on this connection: at most ${config.maxSubscriptionsPerConnection} (server.maxSubscriptionsPerConnection); complete some, or open another connection`, {
          extensions: { code: "TOO_MANY_SUBSCRIPTIONS" },
        }),
      ];
    // The same rules as over HTTP: token limit, armor rules, no introspection and no field
    // suggestions unless introspection is on, error codes clients can act on.
    let document;
    try {
      document = parse(payload.query, { maxTokens: MAX_TOKENS });
    } catch (e) {
      return [withCode(e as GraphQLError, "GRAPHQL_PARSE_FAILED")];
    }
    const errors = validate(schema, document, wsRules);
    if (errors.length) return errors.map((e) => withCode(config.introspection ? e : withoutSuggestions(e), "GRAPHQL_VALIDATION_FAILED"));
    // The socket is for subscriptions; queries and mutations go over HTTP, where CSRF
    // prevention, request deadlines and per-request logging apply.
    const operation = getOperationAST(document, payload.operationName ?? undefined);
    if (operation?.operation !== "subscription")
      return [new GraphQLError("only subscriptions are served over WebSocket: send queries and mutations as HTTP POST to /graphql", { extensions: { code: "BAD_REQUEST" } })];
    return { schema, document, variableValues: payload.variables ?? undefined, operationName: payload.operationName ?? undefined } as ExecutionArgs;
  };
}
