/**
 * The composition root: builds, from one Config, the store and the cluster's sync runner (leader
 * election, source, sync service) for `sync`, and for `serve` also the API's parts (query service,
 * events and their poller, metrics, runtime status, REST routes, the bound port), with injectable
 * parts for tests, and tears them down in order. Nothing else wires layers: service.ts only starts
 * and stops what openServeApp built.
 */
import { resolve } from "node:path";
import type { Express } from "express";
import type { Logger } from "pino";
import type { EventPoller } from "../api/EventPoller.js";
import type { ApiEvents } from "../api/events.js";
import type { QueryService } from "../api/query/QueryService.js";
import type { ApiServerOptions, RouteDeps } from "../api/server.js";
import type { BoundServer } from "../api/listen.js";
import { openStore } from "../store/index.js";
import type { Store, StoredRevision } from "../domain/repositories.js";
import type { ClusterSource } from "../sync/source.js";
import type { GenerationEvent, SyncService } from "../sync/SyncService.js";
import { ClusterSyncRunner } from "./ClusterSyncRunner.js";
import type { Config } from "./config.js";
import { UpstreamUnavailableError } from "../domain/errors.js";
import { GENERATION_INDEX_MAX_CONNECTIONS } from "../domain/config.js";
import { ChainAnchoring } from "./anchoring.js";
import { runtimeStatus } from "./runtimeStatus.js";

export interface SyncApp {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly clusterId: string;
  readonly runner: ClusterSyncRunner;
  /** The sync service of this process's leadership term; throws on a standby. */
  readonly sync: SyncService;
  /** The source of this process's leadership term; throws on a standby. */
  readonly source: ClusterSource;
  /** Joins the leader election (becomes the leader at once when nobody else holds the cluster). */
  start(): Promise<void>;
  /** Stops syncing (finishing the write in progress, releasing the lease), then closes the database. */
  close(): Promise<void>;
}

export interface SyncAppOptions {
  readonly logger: Logger;
  /** Use this store instead of opening the configured one (tests); the caller closes it. */
  readonly store?: Store;
  readonly onGeneration?: (e: GenerationEvent) => void;
  readonly onRevisions?: (r: readonly StoredRevision[]) => void;
}

export async function openSyncApp(config: Config, options: SyncAppOptions): Promise<SyncApp> {
  const { logger } = options;
  if (!options.store) logger.info({ database: databaseTarget(config) }, `opening the database: ${databaseTarget(config)}`);
  const store = options.store ?? (await openStore({ databaseUrl: config.database.url, migrationUrl: config.database.migrationUrl, dataDir: config.database.dataDir }));
  logger.info({ store: store.description }, "database ready");
  try {
    // Signed anchors of the chain heads, outside the database (docs/security.md), when configured.
    const anchoring = ChainAnchoring.fromConfig(config, store, logger);
    const runner = new ClusterSyncRunner({
      config,
      store,
      logger,
      onGeneration: (e) => {
        options.onGeneration?.(e);
        anchoring?.generation(e.clusterId, e.generation);
      },
      onRevisions: (r) => {
        options.onRevisions?.(r);
        anchoring?.revisions(r);
      },
      leaseTtlMs: config.sync.leaseTtlSeconds * 1000,
    });
    const term = () => {
      const sync = runner.sync;
      if (!sync) throw new UpstreamUnavailableError(`this process does not hold the sync lease of cluster ${runner.clusterId}: another replica syncs it`);
      return sync;
    };
    anchoring?.trustLatest(runner.clusterId);
    let closed = false;
    return {
      config,
      logger,
      store,
      clusterId: runner.clusterId,
      runner,
      get sync() {
        return term();
      },
      get source() {
        term();
        return runner.source!;
      },
      start: () => runner.start(),
      async close() {
        if (closed) return;
        closed = true;
        await runner.stop();
        await anchoring?.flush();
        if (!options.store) await store.close();
      },
    };
  } catch (err) {
    if (!options.store) await store.close();
    throw err;
  }
}

export interface ServeAppOptions {
  readonly logger: Logger;
  /** More routes, after the REST API's own (exports, chat, metrics, explorer). */
  readonly routes?: readonly ((app: Express, deps: RouteDeps) => void)[];
  /** Deadline for /api answers other than exports (default 30 s; tests shorten it). */
  readonly requestTimeoutMs?: number;
  /** How often subscriptions look for new generations and revisions (default 1 s). */
  readonly eventPollMs?: number;
  /** QueryService's latest-generation TTL (default LATEST_GENERATION_TTL_MS). */
  readonly latestGenerationTtlMs?: number;
}

/** What `serve` runs, built and wired but not started (service.ts starts it: poller, API, then sync). */
export interface ServeApp {
  readonly app: SyncApp;
  readonly events: ApiEvents;
  /** Feeds subscriptions from the database, so the syncing leader and standby replicas push the same events. */
  readonly poller: EventPoller;
  /** The API's port, bound before the database opened. */
  readonly bound: BoundServer;
  /** Everything startApiServer needs. */
  readonly api: ApiServerOptions;
  /** Readiness drops (/readyz answers 503) from now on: the first step of shutdown. */
  stopAccepting(): void;
}

/** See QueryServiceOptions: at 500 requests/s, 10 latest-generation reads a second instead of 500. */
const LATEST_GENERATION_TTL_MS = 100;

/**
 * Builds what `serve` runs. The port is bound first: a busy port or a refused host fails in a
 * second, before the database opens, and /healthz answers while it does. The API's modules are
 * imported here, not at the top, so `kubereach sync` starts without Express and Apollo.
 */
export async function openServeApp(config: Config, options: ServeAppOptions): Promise<ServeApp> {
  const { logger } = options;
  const [{ ApiEvents }, { ServiceMetrics }, { restApi }, { QueryService }, { EventPoller }, { bindHttpServer }] = await Promise.all([
    import("../api/events.js"),
    import("../api/http/metrics.js"),
    import("../api/http/rest.js"),
    import("../api/query/QueryService.js"),
    import("../api/EventPoller.js"),
    import("../api/listen.js"),
  ]);
  const events = new ApiEvents();
  let accepting = true;
  const metrics = new ServiceMetrics();
  // Created once the store is open; generations this process commits are announced to it at once.
  const announce: { query?: QueryService } = {};
  const bound = await bindHttpServer(config.server);
  logger.info({ host: bound.host, port: bound.port }, `port ${bound.port} bound on ${bound.host} (answering 503 "starting" until the database is ready)`);
  let app: SyncApp;
  try {
    app = await openSyncApp(config, {
      logger,
      onGeneration: (e) => {
        metrics.generationCommitted(e);
        announce.query?.noteCommit(e.clusterId, e.generation, e.createdAt);
        if (e.snapshot) announce.query?.noteSnapshot(e.clusterId, e.generation, e.snapshot);
        if (e.state) announce.query?.noteState(e.clusterId, e.generation, e.state);
      },
      onRevisions: (revisions) => {
        const cluster = revisions[0]?.clusterId;
        if (cluster) metrics.revisionsRecorded(cluster, revisions.length);
      },
    });
  } catch (err) {
    await closeBound(bound);
    throw err;
  }
  // Another replica's commit is seen within LATEST_GENERATION_TTL_MS; this process's own at once.
  const query = (announce.query = new QueryService(app.store, Date.now, {
    latestGenerationTtlMs: options.latestGenerationTtlMs ?? LATEST_GENERATION_TTL_MS,
    generationIndexMaxConnections: GENERATION_INDEX_MAX_CONNECTIONS,
    cacheSizes: config.server.cache,
  }));
  const poller = new EventPoller({ store: app.store, events, visibleGeneration: (cluster, latest) => query.visibleGeneration(cluster, latest), logger: logger.child({ component: "events" }), intervalMs: options.eventPollMs });
  const runtime = runtimeStatus(app.runner, poller, () => accepting);
  metrics.attach({ runtime, store: app.store });
  const rest = restApi({ metrics, corsOrigins: config.server.corsOrigins, introspection: config.server.introspection, requestTimeoutMs: options.requestTimeoutMs });
  const api: ApiServerOptions = { config: config.server, query, store: app.store, events, runtime, logger, middleware: rest.middleware, routes: [...rest.routes, ...(options.routes ?? [])], bound };
  return { app, events, poller, bound, api, stopAccepting: () => void (accepting = false) };
}

/** Closes a bound port nothing was attached to (start-up failed). */
export function closeBound(bound: BoundServer): Promise<void> {
  return new Promise<void>((resolve) => bound.server.close(() => resolve()));
}

/** Where the database is, for the start-up log (never the password). */
function databaseTarget(config: Config): string {
  const url = config.database.url;
  if (!url) return config.database.dataDir === ":memory:" ? "embedded, in memory" : `embedded, in ${resolve(config.database.dataDir)} (creating a new one takes 20-40 s)`;
  try {
    const u = new URL(url);
    return `PostgreSQL at ${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "PostgreSQL";
  }
}
