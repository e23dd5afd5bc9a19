/**
 * The composition root: builds the store and the cluster's sync runner (leader election, source,
 * sync service) from one Config, with injectable parts for tests, and tears them down in order.
 * Nothing else wires layers.
 */
import { resolve } from "node:path";
import type { Logger } from "pino";
import { openStore } from "../store/index.js";
import type { Store, StoredRevision } from "../domain/repositories.js";
import type { ClusterSource } from "../sync/source.js";
import type { GenerationEvent, SyncService } from "../sync/SyncService.js";
import { ClusterSyncRunner } from "./ClusterSyncRunner.js";
import type { Config } from "./config.js";
import { UpstreamUnavailableError } from "../domain/errors.js";
import { ChainAnchoring } from "./anchoring.js";

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
