/**
 * The real service for the REST tests: startService (sync + API in one process) on port 0, an
 * in-memory PGlite database (one per test file) and a temporary manifest tree as the source.
 * Scripted changes: rewrite files, then `reread()` waits until they are committed.
 */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Express } from "express";
import { stringify } from "yaml";
import { hashToken } from "../../../src/api/auth.js";
import type { RouteDeps } from "../../../src/api/server.js";
import { ConfigSchema } from "../../../src/app/config.js";
import { createLogger, silentLogger, type Logger } from "../../../src/app/logger.js";
import { startService, type RunningService } from "../../../src/app/service.js";

export type Manifest = Record<string, unknown>;
type Labels = Record<string, string>;

export const namespace = (name: string, labels: Labels = {}): Manifest => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });

export function deployment(ns: string, name: string, labels: Labels, ports: readonly number[] = [], kind = "Deployment"): Manifest {
  return {
    apiVersion: "apps/v1",
    kind,
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "img", ports: ports.map((p) => ({ containerPort: p })) }] } },
    },
  };
}

export const networkPolicy = (ns: string, name: string, spec: unknown): Manifest => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: ns }, spec });

export interface Token {
  readonly name: string;
  readonly token: string;
  readonly namespaces?: readonly string[];
}

export interface RestServiceOptions {
  readonly files: Readonly<Record<string, readonly Manifest[]>>;
  readonly tokens?: readonly Token[];
  readonly corsOrigins?: readonly string[];
  readonly requestTimeoutMs?: number;
  readonly routes?: readonly ((app: Express, deps: RouteDeps) => void)[];
  readonly clusterId?: string;
}

export interface RestService {
  readonly service: RunningService;
  readonly url: string;
  readonly clusterId: string;
  /** Replaces one manifest file (an empty list deletes it). */
  write(file: string, docs: readonly Manifest[]): void;
  /** Re-reads the tree and waits until what changed is committed. */
  reread(): Promise<void>;
  stop(): Promise<void>;
}

function testLogger(): Logger {
  const level = process.env["KUBEREACH_TEST_LOG"];
  return level ? createLogger({ level: level as "debug", stderr: true }) : silentLogger();
}

export async function startRestService(options: RestServiceOptions): Promise<RestService> {
  const dir = mkdtempSync(join(tmpdir(), "kubereach-rest-"));
  const write = (file: string, docs: readonly Manifest[]) => {
    const path = join(dir, file);
    if (docs.length === 0) {
      if (existsSync(path)) unlinkSync(path);
    } else writeFileSync(path, docs.map((d) => stringify(d)).join("---\n"));
  };
  for (const [file, docs] of Object.entries(options.files)) write(file, docs);
  const clusterId = options.clusterId ?? "rest";
  const config = ConfigSchema.parse({
    clusterId,
    source: { type: "manifests", path: dir, watch: false },
    database: { dataDir: ":memory:" },
    server: {
      port: 0,
      host: "127.0.0.1",
      tokens: (options.tokens ?? []).map((t) => ({ name: t.name, sha256: hashToken(t.token), ...(t.namespaces ? { namespaces: [...t.namespaces] } : {}) })),
      corsOrigins: options.corsOrigins ?? [],
    },
    sync: { debounceMs: 10, maxWaitMs: 100 },
    log: { level: "silent" },
  });
  let service: RunningService | undefined;
  try {
    service = await startService(config, { logger: testLogger(), routes: options.routes, requestTimeoutMs: options.requestTimeoutMs });
    await service.initialSync;
  } catch (err) {
    await service?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const running = service;
  return {
    service: running,
    url: running.api.url,
    clusterId,
    write,
    async reread() {
      await (running.app.source as unknown as { readOnce(o: { initial: boolean }): Promise<void> }).readOnce({ initial: false });
      await running.app.sync.flush();
    },
    async stop() {
      try {
        await running.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** fetch with a bearer token. */
export function client(base: string, token?: string) {
  return (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...((init.headers as Record<string, string>) ?? {}) } });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
