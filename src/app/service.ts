/**
 * `kubereach serve`: the sync service and the API in one process. The HTTP server starts first, so
 * /healthz answers while the initial sync of a large cluster runs and /readyz turns ready when it
 * is done. Shutdown (SIGTERM/SIGINT): readiness drops, HTTP drains, the sync stops after finishing
 * the write in progress, the database closes.
 */
import type { Logger } from "pino";
import { ApiEvents } from "../api/events.js";
import { QueryService } from "../api/query/QueryService.js";
import type { RuntimeStatus } from "../api/runtime.js";
import { startApiServer, type ApiServer, type RouteDeps } from "../api/server.js";
import type { Express } from "express";
import type { Config } from "./config.js";
import { openSyncApp, type SyncApp } from "./container.js";

export interface RunningService {
  readonly app: SyncApp;
  readonly api: ApiServer;
  readonly events: ApiEvents;
  /** Resolves when the initial sync is applied (rejects if it cannot start, e.g. unreadable manifests). */
  readonly initialSync: Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  readonly logger: Logger;
  readonly routes?: readonly ((app: Express, deps: RouteDeps) => void)[];
}

export async function startService(config: Config, options: ServiceOptions): Promise<RunningService> {
  const { logger } = options;
  const events = new ApiEvents();
  let accepting = true;
  const app = await openSyncApp(config, {
    logger,
    onGeneration: (e) => events.generationCommitted({ cluster: e.clusterId, generation: e.generation }),
    onRevisions: (revisions) => {
      const cluster = revisions[0]?.clusterId;
      if (cluster) events.revisionsRecorded({ cluster, revisions });
    },
  });
  const runtime: RuntimeStatus = {
    accepting: () => accepting,
    clusters: () => {
      const s = app.sync.status();
      const kinds = app.source.status().kinds;
      return [
        {
          clusterId: app.clusterId,
          source: app.source.description,
          initialSyncDone: s.initialSyncDone,
          lastAppliedAt: s.lastAppliedAt,
          lastGenerationAt: s.lastGenerationAt,
          generation: s.generation,
          pendingEvents: s.pendingEvents,
          errors: [...(s.lastError ? [s.lastError] : []), ...kinds.flatMap((k) => (k.lastError ? [`${k.kind}: ${k.lastError}`] : []))],
          informerRestarts: kinds.reduce((n, k) => n + k.restarts, 0),
        },
      ];
    },
  };
  let api: ApiServer;
  try {
    api = await startApiServer({ config: config.server, query: new QueryService(app.store), store: app.store, events, runtime, logger, routes: options.routes });
  } catch (err) {
    await app.close();
    throw err;
  }
  const initialSync = app.sync.start();
  initialSync.catch((err) => logger.error({ err }, "the initial sync failed"));
  return {
    app,
    api,
    events,
    initialSync,
    async stop() {
      accepting = false;
      await api.close();
      await app.close();
    },
  };
}
