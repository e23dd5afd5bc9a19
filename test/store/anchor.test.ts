/**
 * Signed external anchors of the chain heads, against the real service on PostgreSQL with an
 * Ed25519 key: the service anchors as it appends and commits; `audit verify --anchor` checks them
 * with the public key. The full owner attack of issue 12 item 6 (revisions rewritten and re-hashed,
 * and the generation chain recomputed on top, so both chains verify) is caught by the anchors,
 * and a service started on the rewritten database refuses to append. Edited anchor lines and a
 * history cut back below a signed head are reported too.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashGeneration } from "../../src/domain/audit/generationChain.js";
import { canonicalRevision, chainHash, GENESIS_HASH } from "../../src/domain/audit/hashChain.js";
import type { JsonValue } from "../../src/domain/objects.js";
import type { ApiBackend } from "../api/helpers/backends.js";
import type { Manifest } from "../api/helpers/manifests.js";
import { waitFor } from "../api/helpers/graphql.js";
import { backendAllow, HISTORY, initialFiles } from "../api/helpers/scenario.js";
import { startTestService, type TestService } from "../api/helpers/service.js";
import { ManifestDir } from "../api/helpers/manifests.js";
import { ConfigSchema } from "../../src/app/config.js";
import { silentLogger } from "../../src/app/logger.js";
import { startService } from "../../src/app/service.js";
import { runCli } from "../cli/runCli.js";
import { dropDatabase, pgAdmin, pgUrl, uniqueDbName } from "./helpers/backends.js";

const dir = mkdtempSync(join(tmpdir(), "kubereach-anchor-"));
const ANCHORS = join(dir, "anchors.jsonl");
const PRIVATE = join(dir, "anchor.key");
const PUBLIC = join(dir, "anchor.pub");
const DATABASE = uniqueDbName("harden_anchor");
/** The same database for every service this file starts (dropped in afterAll). */
const shared: ApiBackend = {
  name: "postgres",
  async database() {
    return { config: { url: pgUrl(DATABASE), dataDir: ":memory:" }, drop: async () => undefined };
  },
};

let s: TestService | undefined;
let db: pg.Client;

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(PRIVATE, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(PUBLIC, publicKey.export({ type: "spki", format: "pem" }));
  const admin = await pgAdmin();
  await admin.query(`CREATE DATABASE "${DATABASE}"`);
  await admin.end();
  s = await startTestService({ backend: shared, name: "anchor", files: initialFiles(), audit: { anchorFile: ANCHORS, anchorKeyFile: PRIVATE } });
  for (const step of HISTORY) {
    step.apply(s.manifests);
    await s.reread();
  }
  db = new pg.Client({ connectionString: pgUrl(DATABASE) });
  await db.connect();
}, 180_000);

afterAll(async () => {
  await s?.stop().catch(() => undefined);
  await db?.end().catch(() => undefined);
  await dropDatabase(DATABASE);
  rmSync(dir, { recursive: true, force: true });
});

/** The manifest tree after every scripted change: a service started on it has nothing to append. */
function finalFiles(): Record<string, Manifest[]> {
  const files = initialFiles();
  const tree = {
    write: (file: string, ...docs: readonly Manifest[]) => (files[file] = [...docs]),
    remove: (file: string) => delete files[file],
  };
  for (const step of HISTORY) step.apply(tree);
  return files;
}

const verify = (...more: string[]) => runCli(["audit", "verify", "--cluster-id", "test", "--database-url", pgUrl(DATABASE), ...more]);
const withAnchors = () => verify("--anchor", ANCHORS, "--anchor-key", PUBLIC);

interface RevRow {
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

describe("signed anchors of the chain heads", () => {
  it("the service anchors every append and generation; verify checks them with the public key", async () => {
    await s!.stop();
    s = undefined;
    const lines = readFileSync(ANCHORS, "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2 * HISTORY.length);
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ v: 1, cluster: "test", generation: expect.any(Number), sig: expect.any(String) });
    const r = await withAnchors();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`cluster test: anchors OK, ${lines.length} signed heads checked, latest seq \\d+ at `));
    expect((await runCli(["audit", "verify", "--database-url", pgUrl(DATABASE), "--anchor", ANCHORS])).code).toBe(2);
  });

  it("the owner rewrites the history and recomputes both chains: only the anchors catch it, and a new service refuses to append", async () => {
    const revisions = (await db.query<RevRow>(`SELECT * FROM policy_revisions WHERE cluster_id = 'test' ORDER BY seq`)).rows;
    const generations = (await db.query<{ generation: number; created_at: Date; content_digest: string; revision_seq: string; prev_hash: string; hash: string }>(`SELECT generation, created_at, content_digest, revision_seq, prev_hash, hash FROM matrix_generations WHERE cluster_id = 'test' ORDER BY generation`)).rows;
    await db.query("ALTER TABLE policy_revisions DISABLE TRIGGER policy_revisions_append_only");
    await db.query("ALTER TABLE matrix_generations DISABLE TRIGGER matrix_generations_append_only");
    const newHash = new Map<string, string>();
    try {
      let prev = GENESIS_HASH;
      for (const r of revisions) {
        const name = r.seq === "2" ? "rewritten-by-the-owner" : r.name;
        const canonical = canonicalRevision({ clusterId: r.cluster_id, seq: r.seq, objectKind: r.object_kind, namespace: r.namespace, name, uid: r.uid, resourceVersion: r.resource_version, operation: r.operation, before: r.before, after: r.after, diff: r.diff, observedAt: r.observed_at, observedVia: r.observed_via, finalStateUnknown: r.final_state_unknown, sourceRef: r.source_ref });
        const hash = chainHash(prev, canonical);
        await db.query(`UPDATE policy_revisions SET name = $1, canonical = $2, prev_hash = $3, hash = $4 WHERE cluster_id = 'test' AND seq = $5`, [name, canonical, prev, hash, r.seq]);
        newHash.set(r.seq, hash);
        prev = hash;
      }
      let gprev = GENESIS_HASH;
      for (const g of generations) {
        const revisionHash = g.revision_seq === "0" ? GENESIS_HASH : newHash.get(g.revision_seq)!;
        const hash = hashGeneration(gprev, { cluster: "test", generation: g.generation, createdAt: g.created_at.toISOString(), contentDigest: g.content_digest, revisionSeq: BigInt(g.revision_seq), revisionHash });
        await db.query(`UPDATE matrix_generations SET revision_hash = $1, prev_hash = $2, hash = $3 WHERE cluster_id = 'test' AND generation = $4`, [revisionHash, gprev, hash, g.generation]);
        gprev = hash;
      }
    } finally {
      await db.query("ALTER TABLE policy_revisions ENABLE ALWAYS TRIGGER policy_revisions_append_only");
      await db.query("ALTER TABLE matrix_generations ENABLE ALWAYS TRIGGER matrix_generations_append_only");
    }
    const plain = await verify();
    expect(plain.code, plain.stdout).toBe(0); // both chains are consistent again: without anchors, the rewrite is invisible
    const anchored = await withAnchors();
    expect(anchored.code).toBe(1);
    expect(anchored.stdout).toMatch(/anchors BROKEN: anchor of .* \(line 1, seq \d+.*\): the stored revision seq \d+ is not the signed one \(history was rewritten\)/);


    async function restore(): Promise<void> {
      await db.query("ALTER TABLE policy_revisions DISABLE TRIGGER policy_revisions_append_only");
      for (const r of revisions) await db.query(`UPDATE policy_revisions SET name = $1, canonical = $2, prev_hash = $3, hash = $4 WHERE cluster_id = 'test' AND seq = $5`, [r.name, r.canonical, r.prev_hash, r.hash, r.seq]);
      await db.query("ALTER TABLE policy_revisions ENABLE ALWAYS TRIGGER policy_revisions_append_only");
      await db.query("ALTER TABLE matrix_generations DISABLE TRIGGER matrix_generations_append_only");
      for (const g of generations) await db.query(`UPDATE matrix_generations SET revision_hash = (SELECT hash FROM policy_revisions WHERE cluster_id = 'test' AND seq = $1), prev_hash = $2, hash = $3 WHERE cluster_id = 'test' AND generation = $4`, [g.revision_seq, g.prev_hash, g.hash, g.generation]);
      await db.query("ALTER TABLE matrix_generations ENABLE ALWAYS TRIGGER matrix_generations_append_only");
    }
    // A service started on the rewritten database, with the anchor file, refuses to append.
    const tree = new ManifestDir().replaceAll(finalFiles());
    const config = ConfigSchema.parse({
      clusterId: "test",
      source: { type: "manifests", path: tree.path, watch: false },
      database: { url: pgUrl(DATABASE) },
      server: { port: 0, host: "127.0.0.1" },
      sync: { debounceMs: 10, maxWaitMs: 100 },
      log: { level: "silent" },
      audit: { anchorFile: ANCHORS, anchorKeyFile: PRIVATE },
    });
    const second = await startService(config, { logger: silentLogger() });
    try {
      await second.initialSync;
      tree.write("shop/backend-allow-frontend.yaml", backendAllow(["frontend", "db-tools"]));
      void (second.app.source as unknown as { readOnce(o: { initial: boolean }): Promise<void> }).readOnce({ initial: false });
      await waitFor(() => /is not the row this service appended or anchored/.test(second.app.sync.status().lastError ?? ""), "the append to be refused", 20_000);
      expect(second.app.sync.status().lastError).toContain("the stored revision history does not continue the chain kubereach appended");
      await restore();
      await waitFor(() => second.app.sync.status().lastError === undefined, "the sync to recover", 40_000);
      await second.app.sync.flush();
    } finally {
      await second.stop();
      tree.dispose();
    }
    expect((await withAnchors()).code).toBe(0);
  }, 120_000);



  it("an edited anchor line and a history cut back below a signed head are reported", async () => {
    const original = readFileSync(ANCHORS, "utf8");
    try {
      const lines = original.trim().split("\n");
      const edited = JSON.parse(lines[0]!) as Record<string, unknown>;
      edited["seq"] = "1";
      writeFileSync(ANCHORS, [JSON.stringify(edited), ...lines.slice(1)].join("\n") + "\n");
      const r = await withAnchors();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("anchor file");
      expect(r.stdout).toContain("line 1: the signature does not match (the line was edited)");
    } finally {
      writeFileSync(ANCHORS, original);
    }
    const [{ max }] = (await db.query<{ max: string }>(`SELECT max(seq)::text AS max FROM policy_revisions WHERE cluster_id = 'test'`)).rows as [{ max: string }];
    const last = (await db.query(`SELECT * FROM policy_revisions WHERE cluster_id = 'test' AND seq = $1`, [max])).rows[0] as Record<string, unknown>;
    await db.query("ALTER TABLE policy_revisions DISABLE TRIGGER policy_revisions_append_only");
    try {
      await db.query(`DELETE FROM policy_revisions WHERE cluster_id = 'test' AND seq = $1`, [max]);
      const r = await withAnchors();
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`anchors BROKEN: .*: the stored history ends at seq ${BigInt(max) - 1n}, below the signed head \\(revisions were removed\\)`));
    } finally {
      const cols = Object.keys(last);
      await db.query(`INSERT INTO policy_revisions (${cols.join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`, cols.map((c) => (typeof last[c] === "object" && last[c] !== null && !(last[c] instanceof Date) ? JSON.stringify(last[c]) : last[c])));
      await db.query("ALTER TABLE policy_revisions ENABLE ALWAYS TRIGGER policy_revisions_append_only");
    }
    expect((await withAnchors()).code).toBe(0);
  });
});
