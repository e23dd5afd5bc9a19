/**
 * The service checks the chain head it appends to, against the real service on PostgreSQL. The
 * attacker holds a superuser connection (the owner-role attack of issue 12 item 6):
 * - a forged row inserted on top of the head, with fields that do not produce its canonical text:
 *   the next sync step refuses to append, syncStatus.errors says why, the service keeps serving;
 *   once the row is removed, the held-back change is appended;
 * - the whole history rewritten from seq 1 and re-hashed with kubereach's own hash function (the
 *   revision chain alone then verifies!): the service refuses to append (its last head is gone),
 *   and `audit verify` still catches it through the generation chain, which names the revision
 *   head each generation was committed on.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalRevision, chainHash, GENESIS_HASH } from "../../src/domain/audit/hashChain.js";
import { ManifestSource } from "../../src/sync/manifests/ManifestSource.js";
import type { JsonValue } from "../../src/domain/objects.js";
import { POSTGRES } from "../api/helpers/backends.js";
import { httpClient, ok, waitFor } from "../api/helpers/graphql.js";
import { backendAllow, initialFiles } from "../api/helpers/scenario.js";
import { startTestService, type TestService } from "../api/helpers/service.js";
import { runCli } from "../cli/runCli.js";

const ADMIN = "guard-admin-token";
let s: TestService;
let db: pg.Client;

beforeAll(async () => {
  s = await startTestService({ backend: POSTGRES, name: "harden_guard", files: initialFiles(), tokens: [{ name: "admin", token: ADMIN }], latestGenerationTtlMs: 0 });
  db = new pg.Client({ connectionString: s.config.database.url });
  await db.connect();
}, 120_000);

afterAll(async () => {
  await db?.end().catch(() => undefined);
  await s?.stop();
});

interface Row {
  seq: string;
  cluster_id: string;
  object_kind: string;
  namespace: string;
  name: string;
  uid: string;
  resource_version: string;
  operation: string;
  before: JsonValue | null;
  after: JsonValue | null;
  diff: JsonValue;
  observed_at: Date;
  observed_via: string;
  final_state_unknown: boolean;
  source_ref: string | null;
  canonical: string;
  prev_hash: string;
  hash: string;
}

const fields = (r: Row) => ({
  clusterId: r.cluster_id,
  seq: r.seq,
  objectKind: r.object_kind,
  namespace: r.namespace,
  name: r.name,
  uid: r.uid,
  resourceVersion: r.resource_version,
  operation: r.operation,
  before: r.before,
  after: r.after,
  diff: r.diff,
  observedAt: r.observed_at,
  observedVia: r.observed_via,
  finalStateUnknown: r.final_state_unknown,
  sourceRef: r.source_ref,
});

const rows = async () => (await db.query<Row>(`SELECT * FROM policy_revisions WHERE cluster_id = $1 ORDER BY seq`, [s.clusterId])).rows;
const count = async () => (await rows()).length;
/** Starts a re-read of the manifests without waiting for it to be written (it may be refused). */
const reread = () => (s.service.app.source as unknown as { readOnce(o: { initial: boolean }): Promise<void> }).readOnce({ initial: false });
const lastError = () => s.service.app.sync.status().lastError;
const syncErrors = async () => (await ok<{ syncStatus: { errors: string[] }[] }>(httpClient(s.graphqlUrl, ADMIN), `{ syncStatus { errors } }`)).syncStatus.flatMap((x) => x.errors);

async function asOwner(fn: () => Promise<void>): Promise<void> {
  await db.query("ALTER TABLE policy_revisions DISABLE TRIGGER policy_revisions_append_only");
  try {
    await fn();
  } finally {
    await db.query("ALTER TABLE policy_revisions ENABLE ALWAYS TRIGGER policy_revisions_append_only");
  }
}

describe("the service checks the chain head it appends to", () => {
  it("a forged row on top of the head: appending is refused and reported; the service keeps serving", async () => {
    expect(s.service.app.source).toBeInstanceOf(ManifestSource);
    const all = await rows();
    const head = all[all.length - 1]!;
    const seq = BigInt(head.seq) + 1n;
    // A plausible row: linked to the head, but its canonical text is a copy of the head's.
    await db.query(
      `INSERT INTO policy_revisions (cluster_id, seq, object_kind, namespace, name, uid, resource_version, operation, before, after, diff, observed_at, observed_via, final_state_unknown, source_ref, canonical, prev_hash, hash)
       SELECT cluster_id, $2, object_kind, namespace, 'forged-allow-all', 'forged-uid', '1', 'CREATE', NULL, after, diff, now(), observed_via, false, NULL, canonical, hash, $3
       FROM policy_revisions WHERE cluster_id = $1 AND seq = $4`,
      [s.clusterId, seq.toString(), chainHash(head.hash, head.canonical), head.seq],
    );
    const before = await count();
    s.manifests.write("shop/backend-allow-frontend.yaml", backendAllow(["frontend", "cache"]));
    void reread();
    await waitFor(() => /does not continue the chain/.test(lastError() ?? ""), "the append to be refused", 20_000);
    expect(lastError()).toContain(`seq ${seq}'s fields do not produce its canonical text`);
    expect((await syncErrors()).join("\n")).toContain("the stored revision history does not continue the chain kubereach appended");
    expect(await count()).toBe(before);
    // Still serving the last good state.
    expect((await fetch(`${s.baseUrl}/healthz`)).status).toBe(200);
    expect(await ok(httpClient(s.graphqlUrl, ADMIN), `{ whoCanReach(target: { namespace: "shop", name: "backend" }) { peers { peer { display } } } }`)).toBeTruthy();

    // The operator removes the forged row: the held-back change is appended on the real head.
    await asOwner(async () => void (await db.query(`DELETE FROM policy_revisions WHERE cluster_id = $1 AND seq = $2`, [s.clusterId, seq.toString()])));
    await waitFor(() => lastError() === undefined, "the sync to recover", 30_000);
    await s.reread();
    const after = await rows();
    expect(after.length).toBe(before);
    expect(after[after.length - 1]!.name).toBe("backend-allow-frontend");
    expect(after[after.length - 1]!.uid).not.toBe("forged-uid");
  });

  it("history rewritten and re-hashed from seq 1: the revision chain verifies, but appending is refused and audit verify catches it", async () => {
    const verifyBefore = await runCli(["audit", "verify", "--cluster-id", s.clusterId, "--database-url", s.config.database.url!]);
    expect(verifyBefore.code).toBe(0);
    const original = await rows();
    await asOwner(async () => {
      let prevHash = GENESIS_HASH;
      for (const r of original) {
        const f = { ...fields(r), name: r.seq === "1" ? `${r.name}-rewritten` : r.name };
        const canonical = canonicalRevision(f);
        const hash = chainHash(prevHash, canonical);
        await db.query(`UPDATE policy_revisions SET name = $1, canonical = $2, prev_hash = $3, hash = $4 WHERE cluster_id = $5 AND seq = $6`, [f.name, canonical, prevHash, hash, s.clusterId, r.seq]);
        prevHash = hash;
      }
    });
    const verify = await runCli(["audit", "verify", "--cluster-id", s.clusterId, "--database-url", s.config.database.url!]);
    expect(verify.stdout).toMatch(/cluster test: OK, \d+ revisions verified/); // the attack of issue 12 item 6
    expect(verify.stdout).toMatch(/generations BROKEN at generation 1: the revision chain at seq \d+ is not the one this generation was committed on/);
    expect(verify.code).toBe(1);

    s.manifests.write("shop/backend-allow-frontend.yaml", backendAllow(["frontend"]));
    void reread();
    await waitFor(() => /is not the row this service appended or anchored/.test(lastError() ?? ""), "the append to be refused", 20_000);
    expect(await count()).toBe(original.length);

    // The operator restores the history from a backup: the held-back change is appended.
    await asOwner(async () => {
      for (const r of original)
        await db.query(`UPDATE policy_revisions SET name = $1, canonical = $2, prev_hash = $3, hash = $4 WHERE cluster_id = $5 AND seq = $6`, [r.name, r.canonical, r.prev_hash, r.hash, s.clusterId, r.seq]);
    });
    await waitFor(() => lastError() === undefined, "the sync to recover", 40_000);
    await s.reread();
    expect(await count()).toBe(original.length + 1);
    expect((await runCli(["audit", "verify", "--cluster-id", s.clusterId, "--database-url", s.config.database.url!])).code).toBe(0);
  }, 90_000);
});
