/**
 * kubereach's own migrator, run by openStore before anything else touches the database.
 *
 * Why not `prisma migrate deploy`: with Prisma 6.19's JS engine it needs monkey-patched adapters
 * (STACK.md section 3), takes 10-25 s, and the service has to migrate at start anyway. The SQL files
 * are still Prisma's (prisma/migrations/<timestamp>_<name>/migration.sql, generated offline with
 * `prisma migrate diff`); this module only applies them:
 * - applied migrations are recorded in `kubereach_migrations(name, checksum, applied_at)`;
 * - each migration runs in its own transaction, together with its bookkeeping row;
 * - a session-level `pg_advisory_lock` serialises migrators, so two replicas starting together
 *   never both migrate (the second waits, then finds nothing pending);
 * - it refuses to start when an applied migration's file changed (checksum) or when the database
 *   has migrations this version does not ship (a downgrade): both need an operator.
 * Works on PostgreSQL (a dedicated `pg` client) and PGlite (the instance the store will use).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MigrationMismatchError } from "./errors.js";

/** The SQL surface the migrator needs; implemented over `pg.Client` and PGlite in openStore. */
export interface SqlSession {
  /** Runs a script of one or more statements without parameters (simple query protocol). */
  exec(script: string): Promise<void>;
  query<R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Migration {
  /** Directory name: `<timestamp>_<name>`; migrations apply in lexical order of it. */
  readonly name: string;
  readonly sql: string;
  /** sha256 of the file with line endings normalised to \n. */
  readonly checksum: string;
}

export interface MigrationResult {
  readonly applied: readonly string[];
  readonly alreadyApplied: readonly string[];
}

/** Arbitrary but fixed: the key every kubereach migrator locks on. */
const MIGRATION_LOCK_KEY = "7310552419862540117";

/**
 * prisma/migrations of the kubereach package, found from this module's location (not the cwd):
 * walks up to the directory holding package.json, so it works from src/ (tsx) and dist/ (tsc).
 */
export function defaultMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "prisma", "migrations");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`kubereach: prisma/migrations not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function readMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory() && existsSync(join(dir, name, "migration.sql")))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8").replace(/\r\n/g, "\n");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/**
 * Applies the pending migrations. Throws MigrationMismatchError, before applying anything, when the
 * recorded history disagrees with `migrations`. A failing migration rolls back alone; the ones
 * before it stay applied, and the error propagates.
 */
export async function applyMigrations(session: SqlSession, migrations: readonly Migration[]): Promise<MigrationResult> {
  await session.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  try {
    // Created only when missing: a runtime role without CREATE (database.migrationUrl migrated
    // for it) then checks the recorded migrations without needing any DDL right.
    const [exists] = await session.query<{ t: string | null }>("SELECT to_regclass('kubereach_migrations')::text AS t");
    if (!exists?.t)
      await session.exec(`CREATE TABLE IF NOT EXISTS kubereach_migrations (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz(3) NOT NULL DEFAULT now()
    )`);
    const rows = await session.query<{ name: string; checksum: string }>("SELECT name, checksum FROM kubereach_migrations ORDER BY name");
    const recorded = new Map(rows.map((r) => [r.name, r.checksum]));
    checkHistory(recorded, migrations);

    const applied: string[] = [];
    for (const m of migrations) {
      if (recorded.has(m.name)) continue;
      await session.exec("BEGIN");
      try {
        await session.exec(m.sql);
        await session.query("INSERT INTO kubereach_migrations (name, checksum) VALUES ($1, $2)", [m.name, m.checksum]);
        await session.exec("COMMIT");
      } catch (e) {
        await session.exec("ROLLBACK").catch(() => undefined);
        throw new Error(`kubereach: migration ${m.name} failed and was rolled back: ${(e as Error).message}`, { cause: e });
      }
      applied.push(m.name);
    }
    return { applied, alreadyApplied: migrations.filter((m) => recorded.has(m.name)).map((m) => m.name) };
  } finally {
    await session.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => undefined);
  }
}

function checkHistory(recorded: ReadonlyMap<string, string>, migrations: readonly Migration[]): void {
  const known = new Map(migrations.map((m) => [m.name, m]));
  for (const [name, checksum] of recorded) {
    const m = known.get(name);
    if (!m) {
      throw new MigrationMismatchError(
        `The database has migration ${name}, which this version of kubereach does not ship: it was migrated by a newer version. ` +
          `Run that version, or restore a backup taken before it.`,
      );
    }
    if (m.checksum !== checksum) {
      throw new MigrationMismatchError(
        `Migration ${name} was changed after it was applied (checksum ${checksum.slice(0, 12)}… in the database, ` +
          `${m.checksum.slice(0, 12)}… on disk). Applied migrations are immutable: restore the original file and add a new migration instead.`,
      );
    }
  }
}
