/**
 * Database failures seen through the API, against the real service on a real PostgreSQL whose
 * runtime role and database this test controls: connections refused, the login revoked (SQLSTATE
 * 28000), the database dropped (3D000), and statements timing out (57014). Every route, including
 * the unauthenticated /readyz, answers 503 (GraphQL: SERVICE_UNAVAILABLE) with a plain message:
 * no Prisma invocation text, source paths, host:port, role or database name. The log has the detail.
 */
import { Writable } from "node:stream";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiBackend } from "../helpers/backends.js";
import { gql, httpClient, ok } from "../helpers/graphql.js";
import { initialFiles } from "../helpers/scenario.js";
import { startTestService, type TestService } from "../helpers/service.js";
import { PG_ADMIN_URL, pgAdmin } from "../../store/helpers/backends.js";

const ADMIN = "admin-7f3a9c21";
const TOKENS = [{ name: "admin", token: ADMIN }];
const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
const ROLE = `harden_dbf_${suffix}`;
const DATABASE = `harden_dbf_${suffix}`;

/** The database and a role that owns it, as an operator would set them up; the service logs in as the role. */
const roleBackend: ApiBackend = {
  name: "postgres",
  async database() {
    const admin = await pgAdmin();
    try {
      await admin.query(`CREATE ROLE "${ROLE}" LOGIN`);
      await admin.query(`CREATE DATABASE "${DATABASE}" OWNER "${ROLE}"`);
    } finally {
      await admin.end();
    }
    const url = new URL(PG_ADMIN_URL);
    url.username = ROLE;
    url.pathname = `/${DATABASE}`;
    return { config: { url: url.toString(), dataDir: ":memory:" }, drop: async () => undefined };
  },
};

const LEAKS = [/prisma/i, /invocation/i, /\.ts:\d+/, /\.js:\d+/, /node_modules/, /\bat [\w.<>]+ \(/, /127\.0\.0\.1/, /5432/, /ECONN/, /SQLSTATE/, /28000|3D000|57014/, new RegExp(ROLE), new RegExp(DATABASE), /does not exist|not permitted|statement timeout/i];
function expectPlain(body: string, what: string): void {
  for (const leak of LEAKS) expect(body, `${what}: ${leak} in ${body}`).not.toMatch(leak);
}

const lines: string[] = [];
const logger = pino(
  { level: "debug" },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  }),
);

let s: TestService;
let admin: pg.Client;
const auth = { authorization: `Bearer ${ADMIN}` };

beforeAll(async () => {
  s = await startTestService({ backend: roleBackend, name: "dbf", files: initialFiles(), tokens: TOKENS, latestGenerationTtlMs: 0, logger });
  admin = await pgAdmin();
}, 120_000);

afterAll(async () => {
  await s?.stop().catch(() => undefined);
  await admin?.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`).catch(() => undefined);
  await admin?.query(`DROP ROLE IF EXISTS "${ROLE}"`).catch(() => undefined);
  await admin?.end();
});

const terminate = () => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()`, [ROLE]);

/** Every kind of route, each answering 503 with a plain message while the database fails. */
async function expectUnavailableEverywhere(what: string): Promise<void> {
  const before = lines.length;
  const client = httpClient(s.graphqlUrl, ADMIN);
  for (const q of [`{ whoCanReach(target: { namespace: "shop", name: "backend" }) { peers { peer { display } } } }`, `{ auditLog { edges { cursor } } }`, `{ syncStatus { cluster } }`]) {
    const r = await gql(client, q);
    expect(r.errors.map((e) => e.extensions?.["code"]), `${what} ${q}: ${r.body}`).toEqual(["SERVICE_UNAVAILABLE"]);
    expect(r.errors[0]!.message).toMatch(/^the database is unavailable/);
    expectPlain(r.body, `${what} ${q}`);
  }
  for (const [path, init] of [
    ["/api/v1/exports/matrix", { headers: auth }],
    ["/api/v1/exports/audit", { headers: auth }],
    ["/api/v1/chat", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ text: "who can reach shop/backend" }) }],
  ] as const) {
    const res = await fetch(`${s.baseUrl}${path}`, init);
    const body = await res.text();
    expect(res.status, `${what} ${path}: ${body}`).toBe(503);
    expect(JSON.parse(body)).toMatchObject({ error: { code: "UPSTREAM_UNAVAILABLE", message: expect.stringMatching(/^the database is unavailable/) } });
    expectPlain(body, `${what} ${path}`);
  }
  const ready = await fetch(`${s.baseUrl}/readyz`);
  const readyBody = await ready.text();
  expect(ready.status).toBe(503);
  expect(JSON.parse(readyBody).reasons).toContain("database unavailable");
  expectPlain(readyBody, `${what} /readyz`);
  // The detail is in the log, for the operator.
  const logged = lines.slice(before).join("\n");
  expect(logged, `${what}: the log names the failure`).toMatch(/database/i);
}

async function expectServing(): Promise<void> {
  await expect.poll(async () => (await fetch(`${s.baseUrl}/readyz`)).status, { timeout: 20_000, interval: 200 }).toBe(200);
  expect(await ok(httpClient(s.graphqlUrl, ADMIN), `{ auditLog { edges { cursor } } }`)).toBeTruthy();
}

describe("database failures answer 503 with a plain message on every route", () => {
  it("connections refused", async () => {
    await expectServing();
    await admin.query(`ALTER DATABASE "${DATABASE}" ALLOW_CONNECTIONS false`);
    await terminate();
    try {
      await expectUnavailableEverywhere("refused");
    } finally {
      await admin.query(`ALTER DATABASE "${DATABASE}" ALLOW_CONNECTIONS true`);
    }
    await expectServing();
  });

  it("the runtime role's login revoked (28000)", async () => {
    await admin.query(`ALTER ROLE "${ROLE}" NOLOGIN`);
    await terminate();
    try {
      await expectUnavailableEverywhere("login revoked");
      expect(lines.join("\n")).toMatch(/not permitted to log in/);
    } finally {
      await admin.query(`ALTER ROLE "${ROLE}" LOGIN`);
    }
    await expectServing();
  });

  it("statements timing out (57014)", async () => {
    await admin.query(`ALTER ROLE "${ROLE}" SET statement_timeout = '300ms'`);
    await terminate();
    const locker = new pg.Client({ connectionString: s.config.database.url!.replace(`//${ROLE}@`, "//postgres@") });
    await locker.connect();
    try {
      // Every table the routes read is locked, so each statement waits until its timeout.
      await locker.query("BEGIN");
      const tables = await locker.query<{ t: string }>(`SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_kubereach_migrations'`);
      await locker.query(`LOCK TABLE ${tables.rows.map((r) => r.t).join(", ")} IN ACCESS EXCLUSIVE MODE`);
      await expectUnavailableEverywhere("timeout");
      expect(lines.join("\n")).toMatch(/statement timeout/);
    } finally {
      await locker.query("ROLLBACK").catch(() => undefined);
      await locker.end();
      await admin.query(`ALTER ROLE "${ROLE}" RESET statement_timeout`);
      await terminate();
    }
    await expectServing();
  });

  it("the database dropped (3D000)", async () => {
    await admin.query(`DROP DATABASE "${DATABASE}" WITH (FORCE)`);
    await expectUnavailableEverywhere("database dropped");
    expect(lines.join("\n")).toMatch(/does not exist/);
  });
});
