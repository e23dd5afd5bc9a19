/**
 * `kubereach serve`: the sync service and the API in one process, as container.ts's openServeApp
 * built them; this file only starts and stops them, in order. The HTTP server starts first, so
 * /healthz answers while the initial sync of a large cluster runs and /readyz turns ready when it
 * is done. Shutdown (SIGTERM/SIGINT): readiness drops, HTTP drains, the sync stops after finishing
 * the write in progress, the database closes.
 */
import type { ApiEvents } from "../api/events.js";
import { startApiServer, type ApiServer } from "../api/server.js";
import type { Config } from "./config.js";
import { closeBound, openServeApp, type ServeAppOptions, type SyncApp } from "./container.js";

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

export type ServiceOptions = ServeAppOptions;

export async function startService(config: Config, options: ServiceOptions): Promise<RunningService> {
  const serve = await openServeApp(config, options);
  const { app, poller, events } = serve;
  let api: ApiServer;
  try {
    await poller.start();
    api = await startApiServer(serve.api);
  } catch (err) {
    await closeBound(serve.bound);
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
      serve.stopAccepting();
      await api.close();
      await poller.stop();
      await app.close();
    },
  };
}
