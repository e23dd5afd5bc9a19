/**
 * The composition root: builds the store, the source and the sync service from one Config, with
 * injectable parts for tests, and tears them down in the right order. Nothing else wires layers.
 */
import type { Logger } from "pino";
import { openStore } from "../store/index.js";
import type { Store } from "../store/types.js";
import type { ClusterSource } from "../sync/source.js";
import { SyncService, type GenerationEvent } from "../sync/SyncService.js";
import type { StoredRevision } from "../store/types.js";
import type { Config } from "./config.js";
import { createSource } from "./sources.js";

export interface SyncApp {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly clusterId: string;
  readonly source: ClusterSource;
  readonly sync: SyncService;
  /** Stops the sync (finishing the write in progress), then closes the database. */
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
  const store = options.store ?? (await openStore({ databaseUrl: config.database.url, dataDir: config.database.dataDir }));
  logger.info({ store: store.description }, "database ready");
  try {
    const { source, clusterId, sourceRef } = createSource(config, logger);
    const sync = new SyncService({
      clusterId,
      source,
      store,
      logger: logger.child({ component: "sync", cluster: clusterId }),
      debounceMs: config.sync.debounceMs,
      maxWaitMs: config.sync.maxWaitMs,
      sourceRef,
      onGeneration: options.onGeneration,
      onRevisions: options.onRevisions,
    });
    let closed = false;
    return {
      config,
      logger,
      store,
      clusterId,
      source,
      sync,
      async close() {
        if (closed) return;
        closed = true;
        await sync.stop();
        if (!options.store) await store.close();
      },
    };
  } catch (err) {
    if (!options.store) await store.close();
    throw err;
  }
}
