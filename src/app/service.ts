/**
 * `kubereach serve`: the sync service and the API in one process. The HTTP server starts first, so
 * /healthz answers while the initial sync of a large cluster runs and /readyz turns ready when it
 * is done. Shutdown (SIGTERM/SIGINT): readiness drops, HTTP drains, the sync stops after finishing
 * the write in progress, the database closes.
 */
import type { Diagnostic } from "../engine/index.js";
import type { Logger } from "pino";
import { ApiEvents } from "../api/events.js";
import { ServiceMetrics } from "../api/http/metrics.js";
import { restApi } from "../api/http/rest.js";
import { QueryService } from "../api/query/QueryService.js";
import type { KindRuntime, RuntimeStatus } from "../api/runtime.js";
import type { KindStatus } from "../sync/source.js";
import { startApiServer, type ApiServer, type RouteDeps } from "../api/server.js";
import type { Express } from "express";
import type { Config } from "./config.js";
import { openSyncApp, type SyncApp } from "./container.js";
import { EventPoller } from "../api/EventPoller.js";
import { bindHttpServer } from "../api/listen.js";

export interface RunningService {
  readonly app: SyncApp;
  readonly api: ApiServer;
  readonly events: ApiEvents;
  /**
   * Resolves when this process, as the leader, applied its initial sync (rejects if the source
   * cannot start, e.g. unreadable manifests). Never resolves on a standby.
   */
  readonly initialSync: Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
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

/** See QueryServiceOptions: at 500 requests/s, 10 latest-generation reads a second instead of 500. */
const LATEST_GENERATION_TTL_MS = 100;
/** See QueryServiceOptions: 10k pods hold about 42,000 connections, 100k about 400,000 (some 200 MB in memory). */
const GENERATION_INDEX_MAX_CONNECTIONS = 500_000;

/** The oldest time a required kind stopped being current (see runtime.ts clusterHealth). */
function sourceDownSince(kinds: readonly KindStatus[]): Date | undefined {
  let oldest: Date | undefined;
  for (const k of kinds) if (!k.optional && k.unhealthySince && (!oldest || k.unhealthySince < oldest)) oldest = k.unhealthySince;
  return oldest;
}

function kindRuntime(k: KindStatus): KindRuntime {
  return {
    kind: k.kind,
    // Sources without a state (manifests) report whether their watcher runs.
    state: k.state ?? (k.watching ? "watching" : "stopped"),
    ...(k.stateSince && { since: k.stateSince }),
    ...(k.unhealthySince && { behindSince: k.unhealthySince }),
    optional: k.optional ?? false,
    ...(k.lastError !== undefined && { lastError: k.lastError }),
    ...(k.lastFailure !== undefined && { lastFailure: k.lastFailure }),
    ...(k.lastFailureAt && { lastFailureAt: k.lastFailureAt }),
    ...(k.lastEventAt && { lastEventAt: k.lastEventAt }),
    restarts: k.restarts,
    relists: k.relists,
  };
}

export async function startService(config: Config, options: ServiceOptions): Promise<RunningService> {
  const { logger } = options;
  const events = new ApiEvents();
  let accepting = true;
  const metrics = new ServiceMetrics();
  // Created once the store is open; generations this process commits are announced to it at once.
  const announce: { query?: QueryService } = {};
  // The port first: a busy port or a refused host fails in a second, before the database opens.
  const bound = await bindHttpServer(config.server);
  logger.info({ host: bound.host, port: bound.port }, `port ${bound.port} bound on ${bound.host} (answering 503 "starting" until the database is ready)`);
  let app: SyncApp;
  try {
    app = await openSyncApp(config, {
      logger,
      onGeneration: (e) => {
        metrics.generationCommitted(e);
        announce.query?.noteGeneration(e.clusterId, e.generation);
        if (e.snapshot) announce.query?.noteSnapshot(e.clusterId, e.generation, e.snapshot);
      },
      onRevisions: (revisions) => {
        const cluster = revisions[0]?.clusterId;
        if (cluster) metrics.revisionsRecorded(cluster, revisions.length);
      },
    });
  } catch (err) {
    await new Promise<void>((resolve) => bound.server.close(() => resolve()));
    throw err;
  }
  // Another replica's commit is seen within LATEST_GENERATION_TTL_MS; this process's own at once.
  const query = (announce.query = new QueryService(app.store, Date.now, {
    latestGenerationTtlMs: options.latestGenerationTtlMs ?? LATEST_GENERATION_TTL_MS,
    generationIndexMaxConnections: GENERATION_INDEX_MAX_CONNECTIONS,
    cacheSizes: config.server.cache,
  }));
  // Subscriptions are fed from the database, so the syncing leader and standby replicas push the same events.
  const poller = new EventPoller({ store: app.store, events, logger: logger.child({ component: "events" }), intervalMs: options.eventPollMs });
  const runtime: RuntimeStatus = {
    accepting: () => accepting,
    clusters: () => {
      const r = app.runner.status();
      const s = r.sync;
      const kinds = r.sourceStatus?.kinds ?? [];
      return [
        {
          clusterId: r.clusterId,
          source: r.source,
          role: r.role,
          // A standby is ready once the leader has committed a generation it can serve.
          initialSyncDone: s ? s.initialSyncDone : poller.hasGeneration(r.clusterId),
          lastAppliedAt: s?.lastAppliedAt,
          lastGenerationAt: s?.lastGenerationAt,
          generation: s?.generation,
          pendingEvents: s?.pendingEvents ?? 0,
          errors: [
            ...(s?.lastError ? [s.lastError] : []),
            ...(s?.recomputeError ? [s.recomputeError] : []),
            ...(r.sourceStatus?.lastError ? [r.sourceStatus.lastError] : []),
            ...kinds.flatMap((k) => (k.lastError ? [`${k.kind}: ${k.lastError}`] : [])),
          ],
          invalidObjects: invalidObjectErrors(app.runner.sync?.currentAnalysis()?.diagnostics),
          informerRestarts: kinds.reduce((n, k) => n + k.restarts, 0),
          ...(s?.behindSince && { behindSince: s.behindSince }),
          ...(s && sourceDownSince(kinds) && { sourceDownSince: sourceDownSince(kinds) }),
          kinds: s ? kinds.map(kindRuntime) : [],
        },
      ];
    },
  };
  metrics.attach({ runtime, store: app.store });
  const rest = restApi({ metrics, corsOrigins: config.server.corsOrigins, introspection: config.server.introspection, requestTimeoutMs: options.requestTimeoutMs });
  let api: ApiServer;
  try {
    await poller.start();
    api = await startApiServer({
      config: config.server,
      query,
      store: app.store,
      events,
      runtime,
      logger,
      middleware: rest.middleware,
      routes: [...rest.routes, ...(options.routes ?? [])],
      bound,
    });
  } catch (err) {
    await new Promise<void>((resolve) => bound.server.close(() => resolve()));
    await poller.stop();
    await app.close();
    throw err;
  }
  try {
    await app.start();
  } catch (err) {
    await api.close();
    await poller.stop();
    await app.close();
    throw err;
  }
  const initialSync = app.runner.firstSync;
  return {
    app,
    api,
    events,
    initialSync,
    async stop() {
      accepting = false;
      await api.close();
      await poller.stop();
      await app.close();
    },
  };
}

/**
 * Objects of the latest generation that kubereach cannot use (the API server accepted them, but
 * they are invalid: a port 70000, an unknown selector operator): one error per object, its first
 * problem, whatever the number of its problems or kinds, so operators see them where they look.
 */
function invalidObjectErrors(diagnostics: readonly Diagnostic[] | undefined): string[] {
  const first = new Map<string, Diagnostic>();
  for (const d of diagnostics ?? []) if (d.severity === "error" && !first.has(d.object)) first.set(d.object, d);
  return [...first.values()].map((d) => `invalid ${d.object}: ${d.field}: ${d.message} (left out of the analysis; answers about the pods it selects are UNKNOWN)`);
}
