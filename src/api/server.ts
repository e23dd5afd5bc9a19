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
import type { GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import type { Config } from "../domain/config.js";
import { configureSimulation } from "./graphql/resolvers/simulate.js";
import type { Store } from "../domain/repositories.js";
import { TokenAuthenticator } from "./auth.js";
import type { ApiEvents } from "./events.js";
import { impactLoader, type GraphQLContext } from "./graphql/context.js";
import { buildSchema } from "./graphql/schema.js";
import { formatGraphQLError } from "./http/errors.js";
import { registerErrorHandlers } from "./http/errorHandler.js";
import { MAX_TOKENS, startSubscriptionServer, type SubscriptionServer } from "./graphql/subscriptions.js";
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

/** The Express app with its settings and request logging, before any middleware or route. */
function createExpressApp(logger: Logger): Express {
  const app = express();
  app.disable("x-powered-by");
  // /API/v1/... and /GRAPHQL are not routes: one spelling per route, so per-path rules (cache
  // headers, deadlines, CORS) cannot be sidestepped by changing case.
  app.enable("case sensitive routing");
  app.use(requestLogger(logger));
  return app;
}

/** Every request logged with its id (taken from x-request-id when well-formed, else new, and echoed back). */
function requestLogger(logger: Logger) {
  return pinoHttp({
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
  });
}

/** graphql-armor's limits on documents (depth, cost, aliases, directives), shared by HTTP and WebSocket. */
function graphqlArmor(config: Config["server"]): ApolloArmor {
  return new ApolloArmor({
    maxDepth: { n: 10 },
    costLimit: { maxCost: 20_000 },
    maxAliases: { n: 15 },
    maxDirectives: { n: 20 },
    // armor's token limit re-parses in a plugin hook, which turns every syntax error into a 500
    // (graphql-armor#571, #751); graphql-js's own parser limit (parseOptions in startApollo) does it right.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: !config.introspection },
  });
}

type ContextFor = (scope: Scope, requestId: string) => GraphQLContext;

/** The GraphQL context of one request or subscription, by its token's scope. */
function contextFactory(options: ApiServerOptions): ContextFor {
  return (scope, requestId) => ({
    scope,
    requestId,
    logger: options.logger.child({ requestId }),
    query: options.query,
    store: options.store,
    events: options.events,
    runtime: options.runtime,
    impacts: impactLoader(options.store),
  });
}

interface ApolloOptions {
  readonly schema: GraphQLSchema;
  readonly config: Config["server"];
  readonly protection: ReturnType<ApolloArmor["protect"]>;
  readonly httpServer: Server;
  readonly subscriptions: SubscriptionServer;
  readonly logger: Logger;
}

/** Apollo for GraphQL over HTTP, started: its limits, error masking, and the drain of HTTP and subscriptions on stop. */
async function startApollo({ schema, config, protection, httpServer, subscriptions, logger }: ApolloOptions): Promise<ApolloServer<GraphQLContext>> {
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
      { serverWillStart: async () => ({ drainServer: async () => void (await subscriptions.dispose()) }) },
      // The explorer is served offline at /explorer; Apollo's landing page would load from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      // Answers are per generation and per token: no HTTP cache hints to compute on every request.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();
  return apollo;
}

/**
 * /graphql and /api behind token authentication and the JSON body limit, then the extra routes
 * (which read the request's scope through RouteDeps.scopeOf).
 */
function registerAuthenticatedRoutes(app: Express, options: ApiServerOptions, auth: TokenAuthenticator, apollo: ApolloServer<GraphQLContext>, contextFor: ContextFor): void {
  const jsonBody = express.json({ limit: options.config.maxBodyBytes });
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
    logger: options.logger,
    auth,
    scopeOf: (req) => {
      const s = scopes.get(req);
      if (!s) throw new Error("route registered outside /api or /graphql: no authenticated scope");
      return s;
    },
  };
  for (const register of options.routes ?? []) register(app, deps);
}

/** The start-up line: where the API listens, and whether tokens are required. */
function logListening(logger: Logger, config: Config["server"], auth: TokenAuthenticator, host: string, port: number): void {
  logger.info(
    { host, port, authentication: auth.enabled ? `${config.tokens.length} token(s)` : "off" },
    auth.enabled ? "API listening" : "API listening on localhost only: no API tokens are configured (configure KUBEREACH_TOKENS or server.tokens to listen on other addresses)",
  );
}

/** Builds the HTTP app, GraphQL over HTTP and WebSocket and the routes, and serves them on the bound (or newly bound) port. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { config, logger } = options;
  const auth = new TokenAuthenticator(config.tokens);
  const simulation = configureSimulation(options.query, options.store, { timeoutMs: config.simulateTimeoutMs, heapMb: config.simulateHeapMb, maxQueued: config.simulateMaxQueued }, config.cache);
  listenHost(config); // refuses a non-local address without tokens, before any work
  const app = createExpressApp(logger);

  // DNS rebinding and cross-site WebSocket defences (see http/origin.ts), after the security headers and before any route.
  const originPolicy = new OriginPolicy({ allowedHosts: config.allowedHosts, corsOrigins: config.corsOrigins, tokens: auth.enabled });
  for (const use of options.middleware ?? []) use(app);
  originPolicy.register(app);

  // Bound before the rest is built (and, from startService, before the database opens).
  const bound = options.bound ?? (await bindHttpServer(config));
  const { server: httpServer, host, port } = bound;
  const schema = buildSchema();
  const protection = graphqlArmor(config).protect();
  const contextFor = contextFactory(options);
  // Subscriptions: graphql-ws on the same port and path, authenticated at connection_init.
  const subscriptions = startSubscriptionServer({ httpServer, schema, config, auth, originPolicy, armorRules: protection.validationRules, contextFor, logger });
  const apollo = await startApollo({ schema, config, protection, httpServer, subscriptions, logger });

  registerHealth(app, { store: options.store, runtime: options.runtime, logger });
  registerAuthenticatedRoutes(app, options, auth, apollo, contextFor);
  registerErrorHandlers(app, config.maxBodyBytes);

  bound.attach(app);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  logListening(logger, config, auth, host, port);
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
