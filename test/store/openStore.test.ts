/**
 * Opening databases and migrating them: idempotent and concurrent migration, refusal of edited or
 * unknown migrations, automatic creation of a missing PostgreSQL database, typed errors for a
 * server that is down, the embedded data directory and a clean process exit after close().
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, appendFileSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseUnavailableError, MigrationMismatchError } from "../../src/store/errors.js";
import { applyMigrations, defaultMigrationsDir, readMigrations, type SqlSession } from "../../src/store/migrate.js";
import { openStore } from "../../src/store/openStore.js";
import { dropDatabase, pgAdmin, pgUrl, uniqueDbName } from "./helpers/backends.js";

const INIT = readMigrations()[0]!.name;
/** Every migration this version ships, in order. */
const ALL = readMigrations().map((m) => m.name);

/** A copy of the package's migrations that a test may edit. */
function migrationsCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "kubereach-migrations-"));
  cpSync(defaultMigrationsDir(), dir, { recursive: true });
  return dir;
}

function addMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, "migration.sql"), sql);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("migrations on PGlite", () => {
  let db: PGlite;
  const session = (): SqlSession => ({
    exec: async (sql) => void (await db.exec(sql)),
    query: async <R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) =>
      (await db.query<R>(sql, params ? [...params] : undefined)).rows,
  });
  const temp: string[] = [];

  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  });
  afterAll(async () => {
    await db.close();
    for (const d of temp) rmSync(d, { recursive: true, force: true });
  });

  it("applies once; later starts find nothing pending", async () => {
    expect(await applyMigrations(session(), readMigrations())).toEqual({ applied: ALL, alreadyApplied: [] });
    const store = await openStore({ pglite: db });
    await store.close();
    expect(db.closed).toBe(false); // a provided instance stays open
    expect(await applyMigrations(session(), readMigrations())).toEqual({ applied: [], alreadyApplied: ALL });
    expect((await db.query("SELECT name FROM kubereach_migrations ORDER BY name")).rows).toEqual(ALL.map((name) => ({ name })));
  });

  it("refuses to start when an applied migration was edited", async () => {
    const dir = migrationsCopy();
    temp.push(dir);
    appendFileSync(join(dir, INIT, "migration.sql"), "\n-- edited after release\n");
    const opening = openStore({ pglite: db, migrationsDir: dir });
    await expect(opening).rejects.toBeInstanceOf(MigrationMismatchError);
    await expect(opening).rejects.toMatchObject({ code: "INTEGRITY", message: expect.stringContaining(`Migration ${INIT} was changed`) });
  });

  it("refuses a database migrated by a newer version", async () => {
    await db.query("INSERT INTO kubereach_migrations (name, checksum) VALUES ('29990101000000_future', 'x')");
    try {
      await expect(openStore({ pglite: db })).rejects.toThrow(/29990101000000_future, which this version of kubereach does not ship/);
    } finally {
      await db.query("DELETE FROM kubereach_migrations WHERE name = '29990101000000_future'");
    }
  });

  it("rolls a failing migration back alone and keeps the ones before it", async () => {
    const dir = migrationsCopy();
    temp.push(dir);
    addMigration(dir, "29990101000000_good", "CREATE TABLE good_table (x int);");
    addMigration(dir, "29990102000000_bad", "CREATE TABLE half_table (x int); SELECT 1/0;");
    await expect(openStore({ pglite: db, migrationsDir: dir })).rejects.toThrow(/migration 29990102000000_bad failed and was rolled back: division by zero/);
    const tables = (await db.query<{ t: string | null }>("SELECT to_regclass('good_table')::text AS t UNION ALL SELECT to_regclass('half_table')::text")).rows;
    expect(tables.map((r) => r.t)).toEqual(["good_table", null]);
    expect((await db.query("SELECT name FROM kubereach_migrations ORDER BY name")).rows).toEqual([...ALL, "29990101000000_good"].map((name) => ({ name })));
  });
});

describe("migrations on PostgreSQL", () => {
  const databases: string[] = [];
  afterAll(async () => {
    for (const d of databases) await dropDatabase(d);
  });

  it("creates a missing database and migrates it once when two replicas start at the same time", async () => {
    const name = uniqueDbName("concurrent");
    databases.push(name);
    const admin = await pgAdmin(); // fails the test with a clear message when PostgreSQL is down
    await admin.end();
    const stores = await Promise.all([openStore({ databaseUrl: pgUrl(name) }), openStore({ databaseUrl: pgUrl(name) })]);
    const third = await openStore({ databaseUrl: pgUrl(name) });
    try {
      await stores[0].clusters.ensureCluster("a", "x");
      expect(await stores[1].clusters.listClusters()).toHaveLength(1);
      const client = new pg.Client({ connectionString: pgUrl(name) });
      await client.connect();
      const rows = (await client.query("SELECT name FROM kubereach_migrations ORDER BY name")).rows;
      await client.end();
      expect(rows).toEqual(ALL.map((name) => ({ name })));
      expect(stores[0].description).toBe(`postgresql://postgres@127.0.0.1:5432/${name}`);
    } finally {
      for (const s of [...stores, third]) await s.close();
    }
  });

  it("refuses to start when an applied migration was edited", async () => {
    const name = uniqueDbName("checksum");
    databases.push(name);
    await (await openStore({ databaseUrl: pgUrl(name) })).close();
    const dir = migrationsCopy();
    appendFileSync(join(dir, INIT, "migration.sql"), "\n-- edited\n");
    try {
      await expect(openStore({ databaseUrl: pgUrl(name), migrationsDir: dir })).rejects.toMatchObject({ code: "INTEGRITY" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a missing database when it may not create it", async () => {
    const url = pgUrl(uniqueDbName("absent"));
    await expect(openStore({ databaseUrl: url, createDatabase: false })).rejects.toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: expect.stringMatching(/does not exist on 127\.0\.0\.1:5432\. Create it/),
    });
  });

  it("reports a server that is down as a typed error naming host and port", async () => {
    const port = await closedPort();
    const opening = openStore({ databaseUrl: `postgresql://postgres@127.0.0.1:${port}/kubereach` });
    await expect(opening).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(opening).rejects.toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      message: expect.stringMatching(new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port} is not reachable \\(ECONNREFUSED\\)`)),
    });
  });

  it("rejects URLs it cannot use", async () => {
    await expect(openStore({ databaseUrl: "mysql://root:secret@db/x" })).rejects.toMatchObject({
      code: "BAD_INPUT",
      message: expect.stringContaining("mysql://root:***@db/x"),
    });
  });
});

describe("embedded data directory", () => {
  const root = mkdtempSync(join(tmpdir(), "kubereach-datadir-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keeps everything in memory with dataDir ":memory:"', async () => {
    const store = await openStore({ dataDir: ":memory:" });
    try {
      expect(store.description).toBe("pglite in-memory");
      await store.clusters.ensureCluster("m", "test");
      expect((await store.clusters.listClusters()).map((c) => c.id)).toEqual(["m"]);
    } finally {
      await store.close();
    }
  });

  it("creates ./.kubereach/db by default, lets the process exit after close(), and keeps the data", async () => {
    // A child process, so that "the process exits by itself" is observable: PGlite on a directory
    // keeps the event loop alive (a 10 s timer that re-arms) until it is closed.
    const cwd = join(root, "app");
    mkdirSync(cwd);
    const main = fileURLToPath(new URL("./helpers/openCloseMain.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", main, cwd], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let closedAt = 0;
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("closed")) closedAt ||= Date.now();
    });
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const dir = join(cwd, ".kubereach", "db");
    expect(out).toContain(`closed pglite ${dir}`);
    expect(code).toBe(0);
    expect(Date.now() - closedAt).toBeLessThan(5_000);
    expect(existsSync(join(dir, "PG_VERSION"))).toBe(true);

    // Reopened by path: the child's writes are there, and nothing is migrated twice.
    const store = await openStore({ dataDir: dir });
    try {
      expect(store.description).toBe(`pglite ${dir}`);
      expect((await store.objects.loadObjects("child")).map((o) => o.meta.name).sort()).toEqual(["a", "p"]);
      expect(await store.revisions.head("child")).toMatchObject({ seq: 1n });
    } finally {
      await store.close();
    }
  }, 90_000);
});
