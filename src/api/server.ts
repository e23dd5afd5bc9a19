/**
 * The HTTP server: GraphQL at /graphql (queries over HTTP, subscriptions over graphql-ws on the
 * same path and port) and the REST routes, behind token authentication, request limits and error
 * masking. Wires Apollo and Express; no business logic lives here.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { getOperationAST, GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { WebSocketServer } from "ws";
import type { Config } from "../domain/config.js";
import { configureSimulation } from "./graphql/resolvers/simulate.js";
import { isAppError } from "../domain/errors.js";
import type { Store } from "../domain/repositories.js";
import { TokenAuthenticator } from "./auth.js";
import type { ApiEvents } from "./events.js";
import { impactLoader, type GraphQLContext } from "./graphql/context.js";
import { buildSchema } from "./graphql/schema.js";
import { formatGraphQLError, httpStatusOf, publicMessage } from "./http/errors.js";
import { registerHealth } from "./http/health.js";
import { OriginPolicy } from "./http/origin.js";
import { bindHttpServer, listenHost, type BoundServer } from "./listen.js";
import type { QueryService } from "./query/QueryService.js";
import type { Scope } from "../domain/scope.js";
import type { RuntimeStatus } from "./runtime.js";

export interface ApiServerOptions {
  readonly config: Config["server"];
  readonly query: QueryService;
  readonly store: Store;
  readonly events: ApiEvents;
  readonly runtime: RuntimeStatus;
  readonly logger: Logger;
  /** Middleware registered first, before health, GraphQL and authentication: CORS, security headers, request metrics, timeouts. */
  readonly middleware?: readonly ((app: Express) => void)[];
  /** More routes (exports, chat, metrics, explorer), registered after authentication is in place. */
  readonly routes?: readonly ((app: Express, deps: RouteDeps) => void)[];
  /** A server already listening (bindHttpServer, before the database opened); else one is bound here. */
  readonly bound?: BoundServer;
}

export interface RouteDeps {
  readonly query: QueryService;
  readonly store: Store;
  readonly runtime: RuntimeStatus;
  readonly logger: Logger;
  readonly auth: TokenAuthenticator;
  /** The scope of an authenticated REST request (set by the auth middleware on /api). */
  scopeOf(req: Request): Scope;
}

export interface ApiServer {
  readonly httpServer: Server;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Tokens per document, enforced by graphql-js's parser (a syntax error, 400, over HTTP and WebSocket alike). */
const MAX_TOKENS = 3000;

function withCode(e: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, originalError: e.originalError, extensions: { ...e.extensions, code } });
}

/** What Apollo's hideSchemaDetailsFromClientErrors does to a validation error. */
function withoutSuggestions(e: GraphQLError): GraphQLError {
  const message = e.message.replace(/ ?Did you mean(.+?)\?$/, "");
  return message === e.message ? e : new GraphQLError(message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, extensions: e.extensions });
}

/** A body-parser refusal of the request (http-errors with `expose`, 4xx), with a message to show; undefined otherwise. */
function bodyParserClientError(err: unknown): { status: number; message: string } | undefined {
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e.type !== "string" || typeof e.status !== "number" || e.status < 400 || e.status > 499 || e.expose !== true) return undefined;
  if (e.type === "parameters.too.many") return { status: 413, message: "the form has too many fields (the chat form takes at most 50)" };
  return { status: e.status, message: typeof e.message === "string" ? e.message : "the request body cannot be read" };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { config, logger } = options;
  const auth = new TokenAuthenticator(config.tokens);
  const simulation = configureSimulation(options.query, options.store, { timeoutMs: config.simulateTimeoutMs, heapMb: config.simulateHeapMb, maxQueued: config.simulateMaxQueued }, config.cache);
  listenHost(config); // refuses a non-local address without tokens, before any work
  const app = express();
  app.disable("x-powered-by");
  // /API/v1/... and /GRAPHQL are not routes: one spelling per route, so per-path rules (cache
  // headers, deadlines, CORS) cannot be sidestepped by changing case.
  app.enable("case sensitive routing");
  app.use(
    pinoHttp({
      logger: logger.child({ component: "http" }),
      genReqId: (req, res) => {
        const given = req.headers["x-request-id"];
        const id = typeof given === "string" && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
        res.setHeader("x-request-id", id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" || req.url === "/metrics" },
      // Every request is logged with its id; successes at debug (a dashboard fleet would flood info),
      // client errors at warn, server errors at error. Exports are logged separately as audit access.
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "debug"),
      // Method, path and status are what operators search for; headers could carry tokens.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  // DNS rebinding and cross-site WebSocket defences (see http/origin.ts), after the security headers and before any route.
  const originPolicy = new OriginPolicy({ allowedHosts: config.allowedHosts, corsOrigins: config.corsOrigins, tokens: auth.enabled });
  for (const use of options.middleware ?? []) use(app);
  originPolicy.register(app);

  // Bound before the rest is built (and, from startService, before the database opens).
  const bound = options.bound ?? (await bindHttpServer(config));
  const { server: httpServer, host, port } = bound;
  const schema = buildSchema();
  const armor = new ApolloArmor({
    maxDepth: { n: 10 },
    costLimit: { maxCost: 20_000 },
    maxAliases: { n: 15 },
    maxDirectives: { n: 20 },
    // armor's token limit re-parses in a plugin hook, which turns every syntax error into a 500
    // (graphql-armor#571, #751); graphql-js's own parser limit (parseOptions below) does it right.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: !config.introspection },
  });
  const protection = armor.protect();

  const contextFor = (scope: Scope, requestId: string): GraphQLContext => ({
    scope,
    requestId,
    logger: logger.child({ requestId }),
    query: options.query,
    store: options.store,
    events: options.events,
    runtime: options.runtime,
    impacts: impactLoader(options.store),
  });

  // Subscriptions: graphql-ws on the same port and path, authenticated at connection_init.
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
  const formatWsError = (e: GraphQLError) => {
    // graphql-js's errors about the request itself (variable values) have no path and no thrown cause.
    const aboutRequest = !e.path && !e.extensions["code"] && (!e.originalError || e.originalError instanceof GraphQLError);
    const formatted = aboutRequest ? withCode(e, "BAD_USER_INPUT").toJSON() : e.toJSON();
    return formatGraphQLError(formatted, e.path ? e : (e.originalError ?? e), (err) => logger.error({ err }, "GraphQL operation over WebSocket failed"));
  };
  const wsRules = [...specifiedRules, ...protection.validationRules, ...(config.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const wsCleanup = useServer<{ authorization?: string }, { scope?: Scope }>(
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
      context: (ctx) => contextFor(ctx.extra.scope!, randomUUID()),
      onSubscribe: (ctx, _id, payload) => {
        // Each subscription re-runs its query on every generation: one socket must not hold
        // thousands (graphql-ws lists this one already, pending, in ctx.subscriptions).
        if (Object.keys(ctx.subscriptions).length > config.maxSubscriptionsPerConnection)
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
      },
      // Results and errors go through the same masking as over HTTP: nothing internal reaches the client.
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors?.length ? { ...result, errors: result.errors.map(formatWsError) } : undefined),
      // Validation errors from onSubscribe, and errors thrown while a subscription streams.
      onError: (_ctx, _id, _payload, errors) => errors.map(formatWsError),
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: !config.introspection,
    stopOnTerminationSignals: false,
    persistedQueries: false,
    parseOptions: { maxTokens: MAX_TOKENS },
    validationRules: protection.validationRules,
    formatError: (formatted, error) => formatGraphQLError(formatted, error, (err) => logger.error({ err }, "GraphQL request failed")),
    plugins: [
      // graphql-armor is typed against Apollo's CommonJS build; the plugins are the same objects.
      ...(protection.plugins as unknown as ApolloServerPlugin<GraphQLContext>[]),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 5000 }),
      { serverWillStart: async () => ({ drainServer: async () => void (await wsCleanup.dispose()) }) },
      // The explorer is served offline at /explorer; Apollo's landing page would load from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      // Answers are per generation and per token: no HTTP cache hints to compute on every request.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  registerHealth(app, { store: options.store, runtime: options.runtime, logger });

  const jsonBody = express.json({ limit: config.maxBodyBytes });
  const scopes = new WeakMap<Request, Scope>();
  const authenticate = (req: Request, _res: Response, next: NextFunction) => {
    try {
      scopes.set(req, auth.authenticate(req.headers.authorization));
      next();
    } catch (err) {
      next(err);
    }
  };
  app.use(
    "/graphql",
    authenticate,
    jsonBody,
    expressMiddleware(apollo, { context: async ({ req }) => contextFor(scopes.get(req)!, String(req.id)) }),
  );
  app.use("/api", authenticate, jsonBody);
  const deps: RouteDeps = {
    query: options.query,
    store: options.store,
    runtime: options.runtime,
    logger,
    auth,
    scopeOf: (req) => {
      const s = scopes.get(req);
      if (!s) throw new Error("route registered outside /api or /graphql: no authenticated scope");
      return s;
    },
  };
  for (const register of options.routes ?? []) register(app, deps);

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: "NOT_FOUND", message: "no such route" } });
  });
  // One error handler for every REST route: codes users can act on, nothing internal leaks.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const bodyTooLarge = (err as { type?: string }).type === "entity.too.large";
    const badJson = (err as { type?: string }).type === "entity.parse.failed";
    // body-parser's other refusals (too many form fields, an unsupported charset or encoding, an
    // aborted upload) are client errors with safe messages: their own 4xx, never a 500.
    const parserStatus = bodyParserClientError(err);
    if (parserStatus && !bodyTooLarge && !badJson) {
      req.log.warn({ err }, "request body refused");
      if (!res.headersSent) res.status(parserStatus.status).json({ error: { code: "BAD_INPUT", message: parserStatus.message, requestId: String(req.id) } });
      return;
    }
    const status = bodyTooLarge ? 413 : badJson ? 400 : httpStatusOf(err);
    if (status >= 500) req.log.error({ err }, "request failed");
    const message = isAppError(err) ? publicMessage(err) : bodyTooLarge ? `request body larger than ${config.maxBodyBytes} bytes` : badJson ? "request body is not valid JSON" : "internal server error";
    const code = isAppError(err) ? err.code : bodyTooLarge ? "PAYLOAD_TOO_LARGE" : badJson ? "BAD_INPUT" : "INTERNAL";
    if (status === 401) res.setHeader("www-authenticate", 'Bearer realm="kubereach"');
    if (!res.headersSent) res.status(status).json({ error: { code, message, requestId: String(req.id) } });
  });

  bound.attach(app);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  logger.info(
    { host, port, authentication: auth.enabled ? `${config.tokens.length} token(s)` : "off" },
    auth.enabled ? "API listening" : "API listening on localhost only: no API tokens are configured (configure KUBEREACH_TOKENS or server.tokens to listen on other addresses)",
  );
  let closed = false;
  return {
    httpServer,
    port,
    url: `http://${shownHost === "0.0.0.0" ? "127.0.0.1" : shownHost}:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      await apollo.stop(); // drains HTTP and the websocket server
      await new Promise<void>((r) => httpServer.close(() => r()));
      await simulation.close();
    },
  };
}
