/**
 * Prisma CLI configuration (the app never loads it). Its `engine: "js"` is what lets `prisma generate`
 * and `prisma migrate diff` run offline: without it the CLI downloads a native schema engine.
 *
 * The app applies migrations itself at start (src/store/migrate.ts). The adapters below exist only for
 * people who want `prisma migrate dev/status` against a database; they carry the workarounds from
 * STACK.md section 3 (verified there): Postgres at DATABASE_URL, or embedded PGlite in PGLITE_DIR with
 * DB_DRIVER=pglite (in memory when neither is set).
 */
import { defineConfig } from "prisma/config";
import { existsSync } from "node:fs";

// The CLI does not load .env when prisma.config.ts exists ("skipping environment variable loading").
if (existsSync(".env")) process.loadEnvFile(".env"); // Node >= 20.12; does not override already-set vars

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    // `as any`: pglite-prisma-adapter 0.6.1 is typed against @prisma/driver-adapter-utils 6.10.1 (T-P7).
    // Without DATABASE_URL the CLI gets an in-memory PGlite: `prisma migrate diff --from-empty ...`
    // connects to a database even though it needs none, and this keeps it offline and setup-free.
    const url = process.env.DATABASE_URL;
    if (process.env.DB_DRIVER === "pglite" || !url)
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return pgliteCliAdapter(process.env.PGLITE_DIR ?? "memory://") as any;
    return pgCliAdapter(url);
  },
});

// @prisma/adapter-pg 6.19.3 bugs that break the CLI (not the runtime client):
// 1. prisma/orm#27403: the schema engine reads pg_catalog columns of type `name` (oid 19) and "char" (oid 18),
//    which adapter-pg cannot decode -> "Column type 'name' could not be deserialized". Fix: report them as text.
// 2. connectToShadowDb() (migrate dev) does new Pool({ ...config, database: shadow }), but a `connectionString`
//    overrides `database` -> the shadow is the main DB -> P3006 "relation already exists".
// 3. its shadow cleanup runs DROP DATABASE before closing the shadow pool -> "database is being accessed by
//    other users" and an orphaned prisma_migrate_shadow_db_* database.
// Also allowExitOnIdle: else the CLI waits ~10 s at exit for idle pg clients.
async function pgCliAdapter(url: string) {
  // @ts-expect-error -- pg internals have no type declarations
  const { default: Result } = await import("pg/lib/result.js");
  const addFields = Result.prototype.addFields;
  Result.prototype.addFields = function (fields: Array<{ dataTypeID: number }>) {
    for (const f of fields) {
      if (f.dataTypeID === 19 || f.dataTypeID === 18) f.dataTypeID = 25; // name, "char" -> text
      else if (f.dataTypeID === 1003 || f.dataTypeID === 1002) f.dataTypeID = 1009; // arrays -> text[]
    }
    return addFields.call(this, fields);
  };
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const u = new URL(url);
  const cfg = {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
    allowExitOnIdle: true,
  }; // (extend with ssl etc. if ever needed: URL query params are dropped here)
  const main = new PrismaPg(cfg);
  return {
    provider: "postgres" as const,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    async connectToShadowDb() {
      const admin = await main.connect();
      const db = `prisma_shadow_${process.pid}_${Date.now()}`;
      await admin.executeScript(`CREATE DATABASE "${db}"`);
      const shadow = await new PrismaPg({ ...cfg, database: db }).connect();
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose(); // close the shadow pool first, then drop
        await admin.executeScript(`DROP DATABASE IF EXISTS "${db}"`);
        await admin.dispose();
      };
      return shadow;
    },
  };
}

// pglite-prisma-adapter 0.6.1 + @electric-sql/pglite 0.5.x bugs that break the CLI:
// 1. PGlite with a dataDir re-arms a ~10 s timer forever (Postgres idle-stats flush), so a process never exits
//    until db.close(); the CLI never calls adapter.dispose(), so `migrate status` and `migrate deploy` with
//    nothing pending hang forever. Fix (CLI process only): unref the timers PGlite's __setitimer_js creates.
// 2. executeScript() calls client.exec(script) without awaiting it.
// 3. executeRaw() always uses the extended protocol, so migrate dev fails applying a multi-statement migration
//    to the shadow DB: "cannot insert multiple commands into a prepared statement" (P3006).
//    Fix: run parameterless statements with exec().
async function pgliteCliAdapter(dataDir: string) {
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = function (this: unknown, ...args: Parameters<typeof setTimeout>) {
    const t = realSetTimeout.apply(this, args);
    if (new Error().stack?.includes("__setitimer_js")) t.unref();
    return t;
  } as typeof setTimeout;
  const { PGlite } = await import("@electric-sql/pglite");
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  const factory = new PrismaPGlite(new PGlite(dataDir));
  const fix = <A extends Awaited<ReturnType<typeof factory.connect>>>(a: A): A => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const client = (a as any).client;
    const executeRaw = a.executeRaw.bind(a);
    a.executeScript = async (script: string) => {
      await client.exec(script);
    };
    a.executeRaw = async (q) => {
      if (q.args.length > 0) return executeRaw(q);
      const res = await client.exec(q.sql);
      return res.reduce((n: number, r: { affectedRows?: number }) => n + (r.affectedRows ?? 0), 0);
    };
    return a;
  };
  return {
    provider: "postgres" as const,
    adapterName: factory.adapterName,
    connect: async () => fix(await factory.connect()),
    connectToShadowDb: async () => fix(await factory.connectToShadowDb()),
  };
}
