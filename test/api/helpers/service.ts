/**
 * The real service (startService: sync + API in one process) on port 0, syncing a temporary
 * manifest tree into a fresh database of the chosen backend, for tests that talk to it over HTTP
 * and WebSocket like any client. Scripted changes: rewrite files in `manifests`, then `reread()`,
 * which re-reads the tree and waits until the change is committed as a generation (with impacts).
 */
import { hashToken } from "../../../src/api/auth.js";
import type { RouteDeps } from "../../../src/api/server.js";
import { ConfigSchema, type Config } from "../../../src/app/config.js";
import { createLogger, silentLogger, type Logger } from "../../../src/app/logger.js";
import { startService, type RunningService } from "../../../src/app/service.js";
import { ManifestSource } from "../../../src/sync/manifests/ManifestSource.js";
import type { Express } from "express";
import { afterAll, beforeAll } from "vitest";
import type { ApiBackend, ApiDatabase } from "./backends.js";
import { ManifestDir, type Manifest } from "./manifests.js";

export interface TestToken {
  readonly name: string;
  /** The bearer token clients send; the service is configured with its sha256 only. */
  readonly token: string;
  readonly namespaces?: readonly string[];
}

export interface TestServiceOptions {
  readonly backend: ApiBackend;
  /** Names the PostgreSQL database (letters, digits, _). */
  readonly name: string;
  /** The initial tree: file name -> documents. */
  readonly files: Readonly<Record<string, readonly Manifest[]>>;
  readonly tokens?: readonly TestToken[];
  readonly introspection?: boolean;
  readonly maxBodyBytes?: number;
  readonly clusterId?: string;
  readonly routes?: readonly ((app: Express, deps: RouteDeps) => void)[];
  /** How often the service polls the database for subscription events (default 25 ms here). */
  readonly eventPollMs?: number;
  /** QueryService's latest-generation TTL (default: the service's). 0 where a test breaks the store under a warm service. */
  readonly latestGenerationTtlMs?: number;
  /** More `server` settings (allowedHosts, corsOrigins, ...). */
  readonly server?: Readonly<Record<string, unknown>>;
  /** The service's logger (default: silent, or KUBEREACH_TEST_LOG's level). */
  readonly logger?: Logger;
}

export interface TestService {
  readonly service: RunningService;
  readonly config: Config;
  readonly manifests: ManifestDir;
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** http://127.0.0.1:<port>/graphql */
  readonly graphqlUrl: string;
  /** ws://127.0.0.1:<port>/graphql */
  readonly wsUrl: string;
  readonly clusterId: string;
  /** Re-reads the manifest tree and waits until what changed is committed and announced to subscribers; returns the latest generation. */
  reread(): Promise<number>;
  /** The latest committed generation. */
  generation(): number;
  stop(): Promise<void>;
}

/** Logs go nowhere unless KUBEREACH_TEST_LOG names a level (e.g. debug) to see the service's logs. */
function testLogger(): Logger {
  const level = process.env["KUBEREACH_TEST_LOG"];
  return level ? createLogger({ level: level as "debug", stderr: true }) : silentLogger();
}

export async function startTestService(options: TestServiceOptions): Promise<TestService> {
  const manifests = new ManifestDir().replaceAll(options.files);
  let db: ApiDatabase | undefined;
  let service: RunningService | undefined;
  try {
    db = await options.backend.database(options.name);
    const clusterId = options.clusterId ?? "test";
    const config = ConfigSchema.parse({
      clusterId,
      source: { type: "manifests", path: manifests.path, watch: false },
      database: db.config,
      server: {
        port: 0,
        host: "127.0.0.1",
        tokens: (options.tokens ?? []).map((t) => ({ name: t.name, sha256: hashToken(t.token), ...(t.namespaces ? { namespaces: [...t.namespaces] } : {}) })),
        introspection: options.introspection ?? false,
        ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
        ...options.server,
      },
      sync: { debounceMs: 10, maxWaitMs: 100 },
      log: { level: "silent" },
    });
    service = await startService(config, { logger: options.logger ?? testLogger(), routes: options.routes, eventPollMs: options.eventPollMs ?? 25, latestGenerationTtlMs: options.latestGenerationTtlMs });
    const running = service;
    // Subscriptions are fed by a poller of the database: note what it has announced (without
    // adding a listener, so tests can count the subscriptions' own), to wait for it after changes.
    const events = running.events;
    const announce = events.generationCommitted.bind(events);
    let announced = 0;
    events.generationCommitted = (e) => {
      if (e.cluster === clusterId) announced = Math.max(announced, e.generation);
      announce(e);
    };
    const announcedUpTo = async (generation: number) => {
      const deadline = Date.now() + 15_000;
      while (announced < generation) {
        if (Date.now() > deadline) throw new Error(`the event poller did not announce generation ${generation} (last: ${announced})`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await running.initialSync;
    await announcedUpTo(running.app.sync.status().generation ?? 0);
    const database = db;
    const source = running.app.source;
    if (!(source instanceof ManifestSource)) throw new Error("startTestService: expected the manifest source");
    const baseUrl = running.api.url;
    let stopped = false;
    return {
      service: running,
      config,
      manifests,
      baseUrl,
      graphqlUrl: `${baseUrl}/graphql`,
      wsUrl: `${baseUrl.replace(/^http/, "ws")}/graphql`,
      clusterId,
      async reread() {
        // ManifestSource re-reads on file events when watching; tests trigger the same read directly.
        await (source as unknown as { readOnce(o: { initial: boolean }): Promise<void> }).readOnce({ initial: false });
        await running.app.sync.flush();
        const g = running.app.sync.status().generation;
        if (g === undefined) throw new Error("no generation after the re-read");
        // Subscribers have been told about it (and about the revisions recorded before it).
        await announcedUpTo(g);
        return g;
      },
      generation() {
        const g = running.app.sync.status().generation;
        if (g === undefined) throw new Error("no generation yet");
        return g;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await running.stop();
        } finally {
          await database.drop();
          manifests.dispose();
        }
      },
    };
  } catch (err) {
    await service?.stop().catch(() => undefined);
    await db?.drop().catch(() => undefined);
    manifests.dispose();
    throw err;
  }
}

/**
 * A service per suite: started in beforeAll (with a generous timeout: PGlite's migrations take
 * seconds), stopped in afterAll (which closes the database). Returns a getter for the tests.
 */
export function useTestService(options: () => TestServiceOptions): () => TestService {
  let service: TestService | undefined;
  beforeAll(async () => {
    service = await startTestService(options());
  }, 180_000);
  afterAll(async () => {
    await service?.stop();
  }, 60_000);
  return () => {
    if (!service) throw new Error("the test service did not start (see the beforeAll error)");
    return service;
  };
}
