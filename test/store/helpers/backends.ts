/**
 * The three databases every store test runs against, behind one interface, so a suite written once
 * runs on each: in-memory PGlite, PGlite on a temporary directory, and the real PostgreSQL server
 * (a fresh database per test file, created through `pg` on the `postgres` database and dropped
 * afterwards). `sql` runs statements as the database superuser (PostgreSQL) or on the very PGlite
 * instance (PGlite), for what the store API must not offer: tampering, fault injection, counting.
 *
 * PostgreSQL is required: when it cannot be reached, setup() throws and the tests FAIL (they do
 * not skip). KUBEREACH_TEST_PG_URL overrides the admin URL (default postgres@127.0.0.1:5432).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { openStore, type OpenStoreOptions } from "../../../src/store/openStore.js";
import type { Store } from "../../../src/domain/repositories.js";

export const PG_ADMIN_URL = process.env.KUBEREACH_TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export type BackendName = "pglite-memory" | "pglite-dir" | "postgres";

export interface Backend {
  readonly name: BackendName;
  setup(): Promise<void>;
  /** A new store on the backend's database (may be called several times). */
  open(options?: Omit<OpenStoreOptions, "databaseUrl" | "dataDir" | "pglite">): Promise<Store>;
  sql<R extends Record<string, unknown> = Record<string, unknown>>(query: string, params?: unknown[]): Promise<R[]>;
  teardown(): Promise<void>;
}

export function pgUrl(database: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Connects to the admin database, or fails with a message that says what to do. */
export async function pgAdmin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(
      `The store tests need PostgreSQL at ${PG_ADMIN_URL} and could not connect (${(e as Error).message || (e as { code?: string }).code}). ` +
        `Start it (pg_ctlcluster --skip-systemctl-redirect 15 main start) or set KUBEREACH_TEST_PG_URL. These tests fail rather than skip.`,
      { cause: e },
    );
  }
  return client;
}

export function uniqueDbName(prefix: string): string {
  return `kr_test_${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = await pgAdmin();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

class PgliteBackend implements Backend {
  private db: PGlite | undefined;
  private dir: string | undefined;
  private readonly stores: Store[] = [];

  constructor(readonly name: "pglite-memory" | "pglite-dir") {}

  async setup(): Promise<void> {
    if (this.name === "pglite-dir") {
      this.dir = mkdtempSync(join(tmpdir(), "kubereach-store-"));
      this.db = new PGlite(join(this.dir, "db"));
    } else {
      this.db = new PGlite();
    }
    await this.db.waitReady;
  }

  async open(options: Omit<OpenStoreOptions, "databaseUrl" | "dataDir" | "pglite"> = {}): Promise<Store> {
    const store = await openStore({ ...options, pglite: this.db! });
    this.stores.push(store);
    return store;
  }

  async sql<R extends Record<string, unknown>>(query: string, params?: unknown[]): Promise<R[]> {
    if (params && params.length > 0) return (await this.db!.query<R>(query, params)).rows;
    const results = await this.db!.exec(query);
    return (results[results.length - 1]?.rows ?? []) as R[];
  }

  async teardown(): Promise<void> {
    for (const s of this.stores) await s.close();
    if (this.db && !this.db.closed) await this.db.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

class PostgresBackend implements Backend {
  readonly name = "postgres";
  private readonly database: string;
  private client: pg.Client | undefined;
  private created = false;
  private readonly stores: Store[] = [];

  constructor(prefix: string) {
    this.database = uniqueDbName(prefix);
  }

  async setup(): Promise<void> {
    const admin = await pgAdmin();
    try {
      await admin.query(`CREATE DATABASE "${this.database}"`);
      this.created = true;
    } finally {
      await admin.end();
    }
    this.client = new pg.Client({ connectionString: pgUrl(this.database) });
    await this.client.connect();
  }

  async open(options: Omit<OpenStoreOptions, "databaseUrl" | "dataDir" | "pglite"> = {}): Promise<Store> {
    const store = await openStore({ ...options, databaseUrl: pgUrl(this.database) });
    this.stores.push(store);
    return store;
  }

  async sql<R extends Record<string, unknown>>(query: string, params?: unknown[]): Promise<R[]> {
    const res = await this.client!.query<R>(query, params);
    const last = Array.isArray(res) ? (res[res.length - 1] as pg.QueryResult<R>) : res;
    return last.rows ?? [];
  }

  async teardown(): Promise<void> {
    for (const s of this.stores) await s.close();
    await this.client?.end();
    if (this.created) await dropDatabase(this.database); // not when setup failed: only its error matters
  }
}

/** The backends a shared suite runs on; `prefix` names this file's PostgreSQL database. */
export function allBackends(prefix: string): Backend[] {
  return [new PgliteBackend("pglite-memory"), new PgliteBackend("pglite-dir"), new PostgresBackend(prefix)];
}

export function postgresBackend(prefix: string): Backend {
  return new PostgresBackend(prefix);
}

export function pgliteMemoryBackend(): Backend {
  return new PgliteBackend("pglite-memory");
}
