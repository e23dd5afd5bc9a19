/**
 * Opening the database: PostgreSQL for deployments, embedded PGlite for everything else (a laptop,
 * the CLI, tests). Both run the same migrations and the same repositories.
 *
 * - `databaseUrl` postgres:// or postgresql:// -> PostgreSQL through @prisma/adapter-pg. A server
 *   that cannot be reached is a DatabaseUnavailableError naming host and port. A missing database
 *   on a reachable server is CREATED (unless `createDatabase: false`), because the Prisma driver
 *   adapter never creates one (STACK.md T-P6); a user without CREATEDB gets a message saying so.
 * - otherwise PGlite in `dataDir` (default ./.kubereach/db, relative to the working directory,
 *   created if missing), or in memory when `dataDir` is ":memory:".
 * Pending migrations are applied before the store is returned (src/store/migrate.ts).
 * `close()` disconnects Prisma AND closes PGlite: PGlite on a directory keeps the process alive
 * until closed, and Prisma's disconnect does not close it (STACK.md T-P4, T-P5).
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { BadInputError } from "../domain/errors.js";
import { PrismaClient, type Prisma } from "../generated/prisma/client.js";
import { lockDataDir } from "./dataDirLock.js";
import { DatabaseUnavailableError, dbErrorInfo, isUnreachable } from "./errors.js";
import { applyMigrations, readMigrations, type SqlSession } from "./migrate.js";
import { grantRuntimeRole } from "./runtimeRole.js";
import { PrismaClusterRepository } from "./PrismaClusterRepository.js";
import { PrismaImpactRepository } from "./PrismaImpactRepository.js";
import { PrismaMatrixRepository } from "./PrismaMatrixRepository.js";
import { PrismaObjectRepository } from "./PrismaObjectRepository.js";
import { PrismaRevisionRepository } from "./PrismaRevisionRepository.js";
import { PrismaSyncRunRepository } from "./PrismaSyncRunRepository.js";
import { PrismaLeaseRepository } from "./PrismaLeaseRepository.js";
import { JsonRowLoader, PgCopyRowLoader, type RowLoader } from "./rowLoader.js";
import type { Store, StoreBackend } from "../domain/repositories.js";

export const DEFAULT_DATA_DIR = "./.kubereach/db";
export const IN_MEMORY = ":memory:";

export interface OpenStoreOptions {
  /** postgres:// or postgresql:// URL. Without it, the store is embedded PGlite. */
  readonly databaseUrl?: string;
  /** PGlite data directory (default ./.kubereach/db, created if missing), or ":memory:". */
  readonly dataDir?: string;
  /** Use this PGlite instance instead of opening one. The caller owns it: close() leaves it open. */
  readonly pglite?: PGlite;
  /** Create a missing PostgreSQL database on a reachable server (default true). */
  readonly createDatabase?: boolean;
  /** Where the migrations are (default: the package's prisma/migrations). */
  readonly migrationsDir?: string;
  /**
   * A postgresql:// URL of the owner role that runs the migrations (database.migrationUrl). Then
   * `databaseUrl`'s role only serves and syncs: after migrating, the owner gives it the runtime
   * privileges (src/store/runtimeRole.ts: INSERT and SELECT on the history). Unset: the one role
   * of `databaseUrl` migrates and owns everything.
   */
  readonly migrationUrl?: string;
  /** How long to wait for a PostgreSQL connection before reporting the server unavailable (default 10 s). */
  readonly connectTimeoutMs?: number;
}

type AdapterFactory = NonNullable<Prisma.PrismaClientOptions["adapter"]>;

export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const url = options.databaseUrl?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//i.test(url)) {
      throw new BadInputError(
        `Unsupported database URL ${redact(url)}: use postgresql://user@host:5432/db, or leave it unset for the embedded database.`,
      );
    }
    return openPostgres(url, options);
  }
  return openPglite(options);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

interface PgTarget {
  readonly host: string;
  readonly port: string;
  readonly database: string;
  readonly user: string;
}

async function openPostgres(url: string, options: OpenStoreOptions): Promise<Store> {
  const target = pgTarget(url);
  const migrations = readMigrations(options.migrationsDir);
  const migrationUrl = options.migrationUrl?.trim();
  if (migrationUrl !== undefined && migrationUrl !== "" && !/^postgres(ql)?:\/\//i.test(migrationUrl))
    throw new BadInputError(`Unsupported migration database URL ${redact(migrationUrl)}: use postgresql://owner@host:5432/db`);
  const ownerUrl = migrationUrl || url;
  const owner = pgTarget(ownerUrl);
  if (owner.host !== target.host || owner.port !== target.port || owner.database !== target.database)
    throw new BadInputError(`The migration URL must name the same server and database as the database URL (${owner.host}:${owner.port}/${owner.database} vs ${target.host}:${target.port}/${target.database})`);
  const client = await connectPostgres(ownerUrl, owner, options);
  try {
    await applyMigrations(pgSession(client), migrations);
    if (owner.user !== target.user) await grantRuntimeRole(pgSession(client), target.user);
  } finally {
    await client.end().catch(() => undefined);
  }
  // The store owns the pool Prisma draws from: its row loader COPYs on a transaction's own connection (rowLoader.ts).
  const pool = new pg.Pool({ connectionString: url });
  const loader = new PgCopyRowLoader(pool);
  // An idle connection's error (the server restarted) must not crash the process: the next query reports it.
  pool.on("error", () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return assemble(prisma, "postgres", `postgresql://${target.user}@${target.host}:${target.port}/${target.database}`, async () => {
    await prisma.$disconnect();
    await pool.end();
  }, loader);
}

function pgTarget(url: string): PgTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new BadInputError(`Malformed database URL ${redact(url)}`, { cause: e });
  }
  return {
    host: u.hostname || u.searchParams.get("host") || "localhost",
    port: u.port || "5432",
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || decodeURIComponent(u.username) || "postgres",
    user: decodeURIComponent(u.username) || process.env.PGUSER || "postgres",
  };
}

async function connectPostgres(url: string, target: PgTarget, options: OpenStoreOptions): Promise<pg.Client> {
  const timeout = options.connectTimeoutMs ?? 10_000;
  try {
    return await pgConnect(url, timeout);
  } catch (e) {
    if (dbErrorInfo(e)?.code !== "3D000") throw connectError(e, target); // 3D000: database does not exist
    if (options.createDatabase === false) {
      throw new DatabaseUnavailableError(
        `PostgreSQL database "${target.database}" does not exist on ${target.host}:${target.port}. Create it (createdb ${target.database}) or allow kubereach to create it.`,
        { cause: e },
      );
    }
  }
  await createDatabase(url, target, timeout);
  try {
    return await pgConnect(url, timeout);
  } catch (e) {
    throw connectError(e, target);
  }
}

async function pgConnect(connectionString: string, timeoutMs: number): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => undefined); // a dropped idle connection must not crash the process; queries report it
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return client;
}

async function createDatabase(url: string, target: PgTarget, timeoutMs: number): Promise<void> {
  const maintenance = new URL(url);
  maintenance.pathname = target.database === "postgres" ? "/template1" : "/postgres";
  let admin: pg.Client;
  try {
    admin = await pgConnect(maintenance.toString(), timeoutMs);
  } catch (e) {
    throw connectError(e, target);
  }
  try {
    await admin.query(`CREATE DATABASE "${target.database.replace(/"/g, '""')}"`);
  } catch (e) {
    const code = dbErrorInfo(e)?.code;
    // Created meanwhile by another replica starting at the same time: 42P04, or 23505 when both
    // CREATE DATABASE statements ran concurrently. Anything else is a real failure.
    if (code !== "42P04" && code !== "23505") {
      throw new DatabaseUnavailableError(
        `PostgreSQL database "${target.database}" does not exist on ${target.host}:${target.port} and could not be created as user ` +
          `"${target.user}" (${dbErrorInfo(e)?.message ?? String(e)}). Create it (createdb ${target.database}) or grant CREATEDB.`,
        { cause: e },
      );
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}

function connectError(e: unknown, t: PgTarget): Error {
  const info = dbErrorInfo(e);
  const where = `PostgreSQL at ${t.host}:${t.port}`;
  if (info?.code === "28P01" || info?.code === "28000") {
    return new DatabaseUnavailableError(`${where} refused user "${t.user}": ${info.message}. Fix the credentials in the database URL.`, { cause: e });
  }
  if (!info || isUnreachable(info)) {
    const why = info?.code ?? info?.message ?? (e instanceof Error ? e.message : String(e));
    return new DatabaseUnavailableError(
      `${where} is not reachable (${why}). Check that the server is running and accepts TCP connections there, ` +
        `or fix the database URL; leave it unset to use the embedded database instead.`,
      { cause: e },
    );
  }
  return new DatabaseUnavailableError(`${where}, database "${t.database}": ${info.message}`, { cause: e });
}

function pgSession(client: pg.Client): SqlSession {
  return {
    exec: async (script) => {
      await client.query(script);
    },
    query: async <R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) =>
      (await client.query<R>(sql, params ? [...params] : undefined)).rows,
  };
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@/]*@/, "$1:***@");
}

// ---------------------------------------------------------------------------------------------
// PGlite

async function openPglite(options: OpenStoreOptions): Promise<Store> {
  const migrations = readMigrations(options.migrationsDir);
  let db: PGlite;
  let description: string;
  const owned = options.pglite === undefined;
  let unlock = () => undefined as void;
  if (options.pglite) {
    db = options.pglite;
    description = "pglite (provided instance)";
  } else if (options.dataDir === IN_MEMORY) {
    db = new PGlite();
    description = "pglite in-memory";
  } else {
    const dir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new DatabaseUnavailableError(`Cannot open the embedded database in ${dir}: ${(e as Error).message}`, { cause: e });
    }
    // Before PGlite touches the directory: a second process must not even start recovery on it.
    unlock = lockDataDir(dir);
    try {
      db = new PGlite(dir);
      await db.waitReady;
    } catch (e) {
      unlock();
      throw new DatabaseUnavailableError(`Cannot open the embedded database in ${dir}: ${(e as Error).message}`, { cause: e });
    }
    description = `pglite ${dir}`;
  }
  try {
    await db.waitReady;
    await applyMigrations(pgliteSession(db), migrations);
  } catch (e) {
    if (owned) await db.close().catch(() => undefined);
    unlock();
    throw e;
  }
  // Cast: pglite-prisma-adapter 0.6.1 is typed against @prisma/driver-adapter-utils 6.10.1 (STACK.md T-P7).
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) as unknown as AdapterFactory });
  return assemble(prisma, "pglite", description, async () => {
    await prisma.$disconnect();
    try {
      if (owned && !db.closed) await db.close();
    } finally {
      unlock();
    }
  });
}

function pgliteSession(db: PGlite): SqlSession {
  return {
    exec: async (script) => {
      await db.exec(script);
    },
    query: async <R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) =>
      (await db.query<R>(sql, params ? [...params] : undefined)).rows,
  };
}

// ---------------------------------------------------------------------------------------------

function assemble(prisma: PrismaClient, backend: StoreBackend, description: string, release: () => Promise<void>, loader: RowLoader = new JsonRowLoader()): Store {
  let closing: Promise<void> | undefined;
  return {
    backend,
    description,
    clusters: new PrismaClusterRepository(prisma),
    objects: new PrismaObjectRepository(prisma, loader),
    revisions: new PrismaRevisionRepository(prisma),
    matrix: new PrismaMatrixRepository(prisma, loader),
    impacts: new PrismaImpactRepository(prisma),
    syncRuns: new PrismaSyncRunRepository(prisma),
    leases: new PrismaLeaseRepository(prisma),
    close: () => (closing ??= release()),
  };
}
