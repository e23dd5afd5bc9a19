/**
 * Two PostgreSQL roles, as docs/security.md tells operators to run kubereach: an owner that
 * migrates (database.migrationUrl) and a runtime role (database.url). The real service runs on
 * them, syncs a manifest tree through several generations and serves; then the runtime role, used
 * directly as an attacker holding its credentials would, cannot UPDATE, DELETE, TRUNCATE or ALTER
 * the history tables, cannot change a matrix row's content, and cannot create tables.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeGrants } from "../../src/store/runtimeRole.js";
import { openStore } from "../../src/store/index.js";
import { ROWS_PER_STATEMENT } from "../../src/store/bulkRows.js";
import { at, makeSnapshot, ns, pod, policy, upsert } from "./helpers/fixtures.js";
import type { ApiBackend } from "../api/helpers/backends.js";
import { httpClient, ok } from "../api/helpers/graphql.js";
import { HISTORY, initialFiles } from "../api/helpers/scenario.js";
import { startTestService, type TestService } from "../api/helpers/service.js";
import { PG_ADMIN_URL, pgAdmin } from "./helpers/backends.js";

const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
const OWNER = `harden_owner_${suffix}`;
const RUNTIME = `harden_rt_${suffix}`;
const DATABASE = `harden_roles_${suffix}`;

const urlAs = (user: string) => {
  const u = new URL(PG_ADMIN_URL);
  u.username = user;
  u.password = "";
  u.pathname = `/${DATABASE}`;
  return u.toString();
};

const twoRoles: ApiBackend = {
  name: "postgres",
  async database() {
    const admin = await pgAdmin();
    try {
      await admin.query(`CREATE ROLE "${OWNER}" LOGIN`);
      await admin.query(`CREATE ROLE "${RUNTIME}" LOGIN`);
      await admin.query(`CREATE DATABASE "${DATABASE}" OWNER "${OWNER}"`);
    } finally {
      await admin.end();
    }
    return { config: { url: urlAs(RUNTIME), migrationUrl: urlAs(OWNER), dataDir: ":memory:" } as { url: string; dataDir: string }, drop: async () => undefined };
  },
};

let s: TestService;
let runtime: pg.Client;

beforeAll(async () => {
  s = await startTestService({ backend: twoRoles, name: "roles", files: initialFiles(), tokens: [{ name: "admin", token: "roles-admin-token" }], latestGenerationTtlMs: 0 });
  runtime = new pg.Client({ connectionString: urlAs(RUNTIME) });
  await runtime.connect();
}, 120_000);

afterAll(async () => {
  await runtime?.end().catch(() => undefined);
  await s?.stop().catch(() => undefined);
  const admin = await pgAdmin();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${DATABASE}" WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS "${RUNTIME}"`);
    await admin.query(`DROP ROLE IF EXISTS "${OWNER}"`);
  } finally {
    await admin.end();
  }
});

/** The SQLSTATE a statement fails with as the runtime role (undefined when it succeeds). */
async function asRuntime(sql: string): Promise<string | undefined> {
  try {
    await runtime.query(sql);
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe("an owner role that migrates and a runtime role that only appends to history", () => {
  it("the service syncs every scripted change and serves the history as the runtime role", async () => {
    for (const step of HISTORY) {
      step.apply(s.manifests);
      await s.reread();
    }
    const data = await ok<{ auditLog: { edges: unknown[] } }>(httpClient(s.graphqlUrl, "roles-admin-token"), `{ auditLog(first: 100) { edges { cursor } } }`);
    expect(data.auditLog.edges.length).toBeGreaterThanOrEqual(5);
    const owners = await runtime.query<{ tablename: string; tableowner: string }>(`SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'`);
    expect(owners.rows.length).toBeGreaterThan(10);
    for (const t of owners.rows) expect(t.tableowner, t.tablename).toBe(OWNER);
  });

  it.each([
    ["UPDATE policy_revisions SET name = 'forged'"],
    ["DELETE FROM policy_revisions"],
    ["TRUNCATE policy_revisions"],
    ["ALTER TABLE policy_revisions DISABLE TRIGGER ALL"],
    ["ALTER TABLE policy_revisions DISABLE TRIGGER USER"],
    ["ALTER TABLE policy_revisions DISABLE TRIGGER policy_revisions_append_only"],
    ["UPDATE reachability_impacts SET exact = false"],
    ["DELETE FROM reachability_impacts"],
    ["UPDATE matrix_generations SET connection_count = 0"],
    ["DELETE FROM matrix_generations"],
    ["UPDATE matrix_connections SET conn = 'All Connections'"],
    ["DELETE FROM matrix_connections"],
    ["UPDATE matrix_class_members SET namespace = 'x'"],
    ["DELETE FROM matrix_classes"],
    ["UPDATE object_versions SET data = '{}'::jsonb"],
    ["UPDATE object_versions SET valid_from = valid_from + 1"],
    ["ALTER TABLE matrix_connections ADD COLUMN x int"],
    ["DROP TABLE policy_revisions"],
    ["CREATE TABLE evil (x int)"],
    ["UPDATE kubereach_migrations SET checksum = 'x'"],
  ])("the runtime role cannot: %s", async (sql) => {
    expect(await asRuntime(sql)).toBe("42501"); // insufficient_privilege
  });

  it("the runtime role can bulk-load: a relist staged in temporary tables and a matrix COPYed", async () => {
    const store = await openStore({ databaseUrl: urlAs(RUNTIME), migrationUrl: urlAs(OWNER) });
    try {
      const cluster = "bulk-as-runtime";
      await store.clusters.ensureCluster(cluster, "test");
      const n = ROWS_PER_STATEMENT + 100;
      const objects = [
        ns("bulk"),
        ...Array.from({ length: n }, (_, i) => pod("bulk", `p-${i}`, { labels: { app: `a${i % 7}` }, workload: { kind: "Deployment", name: `d${i % 7}` } })),
        ...Array.from({ length: n }, (_, i) => policy("bulk", `np-${i}`)),
      ];
      await store.objects.applyChanges(cluster, objects.map((o) => upsert(o)));
      expect(await store.objects.loadObjects(cluster)).toHaveLength(objects.length);
      const snapshot = makeSnapshot({ classes: 400, externals: 2, fanOut: 3 });
      expect(snapshot.connections.size).toBeGreaterThan(ROWS_PER_STATEMENT);
      expect(await store.matrix.commitGeneration(cluster, undefined, snapshot, { stats: {}, sourceVersions: {}, computedAt: at(1) })).toBe(1);
      expect((await store.matrix.getGeneration(cluster, 1))?.connectionCount).toBe(snapshot.connections.size);
      expect(await store.objects.loadObjectsAt(cluster, 1)).toHaveLength(objects.length);
    } finally {
      await store.close();
    }
  });

  it("the runtime role can settle the versions a dead writer stamped past the open generation (delete, insert and valid_to only)", async () => {
    const store = await openStore({ databaseUrl: urlAs(RUNTIME), migrationUrl: urlAs(OWNER) });
    try {
      const cluster = "settle-as-runtime";
      await store.clusters.ensureCluster(cluster, "test");
      await store.objects.applyChanges(cluster, [upsert(ns("s")), upsert(pod("s", "web")), upsert(pod("s", "db"))]);
      expect(await store.matrix.commitGeneration(cluster, undefined, makeSnapshot({ classes: 2 }), { stats: {}, sourceVersions: {}, computedAt: at(1) })).toBe(1);
      await store.objects.applyChanges(cluster, [upsert(pod("s", "web", { rv: "2" }), "UPDATE"), upsert(pod("s", "api"))], { generation: 3 });
      expect(await store.objects.settleOpenGeneration(cluster)).toEqual({ generation: 2, rows: 3 });
      expect(await store.matrix.commitGeneration(cluster, undefined, makeSnapshot({ classes: 2 }), { stats: {}, sourceVersions: {}, computedAt: at(2), expectedGeneration: 2 })).toBe(2);
      const names = (objects: readonly { kind: string; meta: { name: string; resourceVersion: string } }[]) => objects.map((o) => `${o.kind}/${o.meta.name}@${o.meta.resourceVersion}`).sort();
      expect(names(await store.objects.loadObjectsAt(cluster, 2))).toEqual(["Namespace/s@1", "Pod/api@1", "Pod/db@1", "Pod/web@2"]);
      expect(names(await store.objects.loadObjectsAt(cluster, 1))).toEqual(["Namespace/s@1", "Pod/db@1", "Pod/web@1"]);
    } finally {
      await store.close();
    }
  });

  it("the owner can (which is why the owner's credentials stay with the migration job)", async () => {
    const owner = new pg.Client({ connectionString: urlAs(OWNER) });
    await owner.connect();
    try {
      await owner.query("BEGIN");
      await owner.query("ALTER TABLE policy_revisions DISABLE TRIGGER USER");
      await owner.query("ROLLBACK");
    } finally {
      await owner.end();
    }
  });

  it("the grants are the documented ones", () => {
    expect(runtimeGrants("rt")).toContain(`GRANT SELECT, INSERT ON policy_revisions, reachability_impacts, matrix_generations TO "rt"`);
    expect(runtimeGrants('a"b')).toContain(`"a""b"`);
  });
});
