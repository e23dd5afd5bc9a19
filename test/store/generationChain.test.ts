/**
 * The generation chain against the real service on PostgreSQL: after five scripted generations,
 * `kubereach audit verify` checks the revisions AND every generation's matrix content. Then the
 * attacks of issue 12 item 6, each undone afterwards:
 * - an UPDATE of one matrix connection row (what changed `whoCanReach` after a restart while
 *   verify said OK) is reported, naming the first generation whose content changed;
 * - a re-dated generation row (time travel would answer from another generation), done by the
 *   owner with the append-only trigger disabled, is reported;
 * - a generation row deleted by the owner is reported as missing.
 * - generations committed with the content digest of scheme 1 (before scheme 2) or 2 (before
 *   scheme 3) still verify beside scheme 3 ones, and a row whose scheme was changed is reported.
 * Plus the pure digest: independent of map order, sensitive to every field, under every scheme.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashGeneration, matrixDigest, matrixDigestOf, type DigestScheme } from "../../src/domain/audit/generationChain.js";
import { GENESIS_HASH } from "../../src/domain/audit/hashChain.js";
import type { MatrixClass, MatrixSnapshot } from "../../src/domain/repositories.js";
import { classPairKey, storedClassKey, type ClassKey } from "../../src/domain/keys.js";
import { POSTGRES } from "../api/helpers/backends.js";
import { HISTORY, initialFiles } from "../api/helpers/scenario.js";
import { startTestService, type TestService } from "../api/helpers/service.js";
import { runCli } from "../cli/runCli.js";
import { pgAdmin } from "./helpers/backends.js";

let s: TestService;
let admin: pg.Client;
let db: pg.Client;

beforeAll(async () => {
  s = await startTestService({ backend: POSTGRES, name: "harden_genchain", files: initialFiles() });
  for (const step of HISTORY) {
    step.apply(s.manifests);
    await s.reread();
  }
  admin = await pgAdmin();
  db = new pg.Client({ connectionString: s.config.database.url });
  await db.connect();
}, 180_000);

afterAll(async () => {
  await db?.end().catch(() => undefined);
  await admin?.end().catch(() => undefined);
  await s?.stop();
});

const verify = () => runCli(["audit", "verify", "--cluster-id", s.clusterId, "--database-url", s.config.database.url!]);

describe("audit verify checks every generation's matrix content", () => {
  it("an untouched history verifies: revisions and all generations", async () => {
    const r = await verify();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cluster test: OK, \d+ revisions verified/);
    expect(r.stdout).toMatch(new RegExp(`cluster test: generations OK, ${s.generation()} verified, head generation ${s.generation()} [0-9a-f]{64}\\n`));
  });

  it("an UPDATE of one matrix connection row is caught, at the first generation it belongs to", async () => {
    const [row] = (await db.query<{ src_class: string; dst_class: string; conn: string; valid_from: number }>(`SELECT src_class, dst_class, conn, valid_from FROM matrix_connections WHERE valid_to IS NULL ORDER BY valid_from DESC, src_class LIMIT 1`)).rows;
    expect(row).toBeDefined();
    const forged = row!.conn === "All Connections" ? "TCP 1" : "All Connections";
    const where = `src_class = $2 AND dst_class = $3 AND valid_from = $4`;
    await db.query(`UPDATE matrix_connections SET conn = $1 WHERE ${where}`, [forged, row!.src_class, row!.dst_class, row!.valid_from]);
    try {
      const r = await verify();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`cluster test: generations BROKEN at generation ${row!.valid_from}: its matrix (classes, members or connections) differs from what was committed`);
    } finally {
      await db.query(`UPDATE matrix_connections SET conn = $1 WHERE ${where}`, [row!.conn, row!.src_class, row!.dst_class, row!.valid_from]);
    }
    expect((await verify()).code).toBe(0);
  });

  it("closing a row early (valid_to, which the runtime role may update) is caught too", async () => {
    const [row] = (await db.query<{ src_class: string; dst_class: string; valid_from: number }>(`SELECT src_class, dst_class, valid_from FROM matrix_connections WHERE valid_to IS NULL AND valid_from = 1 LIMIT 1`)).rows;
    expect(row).toBeDefined();
    const where = `src_class = $1 AND dst_class = $2 AND valid_from = $3`;
    await db.query(`UPDATE matrix_connections SET valid_to = 2 WHERE ${where}`, [row!.src_class, row!.dst_class, row!.valid_from]);
    try {
      const r = await verify();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("generations BROKEN at generation 2: its matrix");
    } finally {
      await db.query(`UPDATE matrix_connections SET valid_to = NULL WHERE ${where}`, [row!.src_class, row!.dst_class, row!.valid_from]);
    }
    expect((await verify()).code).toBe(0);
  });

  it("generation rows are append-only; the owner who disables that and re-dates or deletes one is caught", async () => {
    await expect(db.query(`UPDATE matrix_generations SET created_at = created_at - interval '1 day' WHERE generation = 3`)).rejects.toMatchObject({ code: "KR001" });
    await expect(db.query(`DELETE FROM matrix_generations WHERE generation = 3`)).rejects.toMatchObject({ code: "KR001" });
    await db.query("ALTER TABLE matrix_generations DISABLE TRIGGER matrix_generations_append_only");
    try {
      await db.query(`UPDATE matrix_generations SET created_at = created_at - interval '1 day' WHERE generation = 3`);
      const redated = await verify();
      expect(redated.code).toBe(1);
      expect(redated.stdout).toContain("generations BROKEN at generation 3: its hash does not match its fields (the generation row was changed)");
      await db.query(`UPDATE matrix_generations SET created_at = created_at + interval '1 day' WHERE generation = 3`);
      expect((await verify()).code).toBe(0);
      const saved = (await db.query(`SELECT * FROM matrix_generations WHERE generation = 3`)).rows[0] as Record<string, unknown>;
      await db.query(`DELETE FROM matrix_generations WHERE generation = 3`);
      const missing = await verify();
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain("generations BROKEN at generation 3: generation 3 is missing");
      const cols = Object.keys(saved);
      await db.query(`INSERT INTO matrix_generations (${cols.join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`, cols.map((c) => (typeof saved[c] === "object" && saved[c] !== null && !(saved[c] instanceof Date) ? JSON.stringify(saved[c]) : saved[c])));
    } finally {
      await db.query("ALTER TABLE matrix_generations ENABLE ALWAYS TRIGGER matrix_generations_append_only");
    }
    expect((await verify()).code).toBe(0);
  });

  it("generations committed with scheme 1's or scheme 2's digest (before scheme 3) still verify beside scheme 3 ones; a changed scheme is caught", async () => {
    const rows = async () =>
      (await db.query<{ generation: number; created_at: Date; content_digest: string; content_digest_scheme: number; revision_seq: string; revision_hash: string; prev_hash: string; hash: string }>(
        `SELECT generation, created_at, content_digest, content_digest_scheme, revision_seq, revision_hash, prev_hash, hash FROM matrix_generations WHERE cluster_id = 'test' ORDER BY generation`,
      )).rows;
    const before = await rows();
    expect(before.length).toBeGreaterThanOrEqual(4);
    // Every generation this version commits records scheme 3, and its digest is scheme 3's.
    expect(before.map((r) => r.content_digest_scheme)).toEqual(before.map(() => 3));
    const snapshots = await Promise.all(before.map((r) => s.service.app.store.matrix.snapshotAt("test", r.generation)));
    expect(before.map((r) => r.content_digest)).toEqual(snapshots.map((snap) => matrixDigestOf(snap, 3)));
    // The first two generations rewritten as the version before scheme 2 wrote them (scheme 1's
    // digest, the column's default), the third as the version before scheme 3 did, and the chain's
    // hashes over them recomputed.
    const rewrite = async (schemeOf: (g: number) => DigestScheme) => {
      let prev = GENESIS_HASH;
      for (const [i, r] of before.entries()) {
        const scheme = schemeOf(r.generation);
        const contentDigest = matrixDigestOf(snapshots[i]!, scheme);
        const hash = hashGeneration(prev, { cluster: "test", generation: r.generation, createdAt: r.created_at.toISOString(), contentDigest, revisionSeq: BigInt(r.revision_seq), revisionHash: r.revision_hash });
        await db.query(`UPDATE matrix_generations SET content_digest = $1, content_digest_scheme = $2, prev_hash = $3, hash = $4 WHERE cluster_id = 'test' AND generation = $5`, [contentDigest, scheme, prev, hash, r.generation]);
        prev = hash;
      }
    };
    await db.query("ALTER TABLE matrix_generations DISABLE TRIGGER matrix_generations_append_only");
    try {
      await rewrite((g) => (g <= 2 ? 1 : g === 3 ? 2 : 3));
      expect(matrixDigest(snapshots[0]!)).not.toBe(matrixDigestOf(snapshots[0]!, 2));
      expect(matrixDigestOf(snapshots[2]!, 2)).not.toBe(matrixDigestOf(snapshots[2]!, 3));
      const mixed = await verify();
      expect(mixed.stdout).toContain(`generations OK, ${before.length} verified`);
      expect(mixed.code).toBe(0);
      // A row's scheme changed (its digest and hash left): the recomputed digest differs.
      await db.query(`UPDATE matrix_generations SET content_digest_scheme = 2 WHERE cluster_id = 'test' AND generation = 2`);
      const changed = await verify();
      expect(changed.code).toBe(1);
      expect(changed.stdout).toContain("generations BROKEN at generation 2: its matrix (classes, members or connections) differs from what was committed");
      await db.query(`UPDATE matrix_generations SET content_digest_scheme = 1 WHERE cluster_id = 'test' AND generation = 2`);
      // And a scheme 2 row recorded as scheme 3.
      await db.query(`UPDATE matrix_generations SET content_digest_scheme = 3 WHERE cluster_id = 'test' AND generation = 3`);
      const changed3 = await verify();
      expect(changed3.code).toBe(1);
      expect(changed3.stdout).toContain("generations BROKEN at generation 3: its matrix (classes, members or connections) differs from what was committed");
      await db.query(`UPDATE matrix_generations SET content_digest_scheme = 2 WHERE cluster_id = 'test' AND generation = 3`);
    } finally {
      await db.query("ALTER TABLE matrix_generations ENABLE ALWAYS TRIGGER matrix_generations_append_only");
    }
    // A scheme this version does not know is refused by the table.
    await expect(db.query(`INSERT INTO matrix_generations (cluster_id, generation, created_at, stats, source_versions, class_count, connection_count, delta, content_digest_scheme) VALUES ('test', 999999, now(), '{}', '{}', 0, 0, '{}', 4)`)).rejects.toMatchObject({ code: "23514" });
    expect((await verify()).code).toBe(0);
  });

  it("the next generation is committed on the verified head", async () => {
    s.manifests.remove("payments/default-deny.yaml");
    const g = await s.reread();
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`generations OK, ${g} verified`);
  });
});

describe("matrixDigest", () => {
  const [a, b] = [storedClassKey("a"), storedClassKey("b")];
  const snapshot = (connections: [string, string, string][], members = 2): MatrixSnapshot => ({
    classes: new Map<ClassKey, MatrixClass>([
      [a, { key: a, kind: "pod", members: [{ type: "workload", namespace: "ns", kind: "Deployment", name: "x", pods: members }] }],
      [b, { key: b, kind: "external", members: [{ type: "external", family: 4, start: "10.0.0.0", end: "10.0.0.255" }] }],
    ]),
    connections: new Map(connections.map(([src, dst, conn]) => [classPairKey(storedClassKey(src), storedClassKey(dst)), conn])),
  });
  it("does not depend on map order and changes with any field", () => {
    const base = matrixDigest(snapshot([["a", "b", "TCP 80"], ["b", "a", "All Connections"]]));
    expect(matrixDigest(snapshot([["b", "a", "All Connections"], ["a", "b", "TCP 80"]]))).toBe(base);
    expect(matrixDigest(snapshot([["a", "b", "TCP 81"], ["b", "a", "All Connections"]]))).not.toBe(base);
    expect(matrixDigest(snapshot([["a", "b", "TCP 80"]]))).not.toBe(base);
    expect(matrixDigest(snapshot([["a", "b", "TCP 80"], ["b", "a", "All Connections"]], 3))).not.toBe(base);
  });
  it.each([2, 3] as const)("under scheme %i too, and no two schemes give the same digest", (scheme) => {
    const base = matrixDigestOf(snapshot([["a", "b", "TCP 80"], ["b", "a", "All Connections"]]), scheme);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(matrixDigestOf(snapshot([["b", "a", "All Connections"], ["a", "b", "TCP 80"]]), scheme)).toBe(base);
    expect(matrixDigestOf(snapshot([["a", "b", "TCP 81"], ["b", "a", "All Connections"]]), scheme)).not.toBe(base);
    expect(matrixDigestOf(snapshot([["a", "b", "TCP 80"]]), scheme)).not.toBe(base);
    expect(matrixDigestOf(snapshot([["a", "b", "TCP 80"], ["b", "a", "All Connections"]], 3), scheme)).not.toBe(base);
    expect(matrixDigestOf(snapshot([["a", "b", "TCP 80"], ["b", "a", "All Connections"]]), 1)).toBe(matrixDigest(snapshot([["a", "b", "TCP 80"], ["b", "a", "All Connections"]])));
    for (const other of [1, 2, 3] as const) if (other !== scheme) expect(matrixDigestOf(snapshot([["a", "b", "TCP 80"], ["b", "a", "All Connections"]]), other)).not.toBe(base);
  });
});
