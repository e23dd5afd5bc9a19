/**
 * Audit and matrix exports over real HTTP (startService on an in-memory PGlite, manifests as the
 * source), and `kubereach audit verify --export` on the downloaded files, untouched and tampered.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsvReader } from "../../../src/domain/audit/csvReader.js";
import { AUDIT_COLUMNS } from "../../../src/domain/audit/exportFormat.js";
import { runCli } from "../../cli/runCli.js";
import { client, deployment, namespace, networkPolicy, sleep, startRestService, type Manifest, type RestService } from "./helpers.js";

const ADMIN = { name: "admin", token: "admin-token-0123456789" };
const PROD = { name: "team-prod", token: "prod-token-0123456789", namespaces: ["prod"] };
const BULK = 600;

const dbAllow = (port: number): Manifest =>
  networkPolicy("prod", "db-allow", {
    podSelector: { matchLabels: { app: "db" } },
    policyTypes: ["Ingress"],
    ingress: [
      { from: [{ namespaceSelector: { matchLabels: { team: "shop" } }, podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ port, protocol: "TCP" }] },
      { from: [{ podSelector: { matchLabels: { app: "api" } } }], ports: [{ port, protocol: "TCP" }] },
    ],
  });

const namespaces = (shopTeam: string) => [namespace("prod", { team: "prod" }), namespace("shop", { team: shopTeam }), namespace("bulk")];

let svc: RestService;
let dir: string;
let mid: Date;
let tmp: string;
let admin: ReturnType<typeof client>;
let prod: ReturnType<typeof client>;

beforeAll(async () => {
  const bulk = Array.from({ length: BULK }, (_, i) => networkPolicy("bulk", `p-${String(i).padStart(3, "0")}`, { podSelector: { matchLabels: { none: "x" } }, policyTypes: ["Ingress"] }));
  svc = await startRestService({
    tokens: [ADMIN, PROD],
    files: {
      "namespaces.yaml": namespaces("shop"),
      "workloads.yaml": [deployment("prod", "db", { app: "db" }, [5432], "StatefulSet"), deployment("prod", "api", { app: "api" }), deployment("shop", "frontend", { app: "frontend" })],
      "policies.yaml": [dbAllow(5432), networkPolicy("shop", "default-deny", { podSelector: {}, policyTypes: ["Ingress"] })],
      "bulk.yaml": bulk,
    },
  });
  dir = (svc.service.app.config.source as { path: string }).path;
  await sleep(30);
  mid = new Date();
  await sleep(30);
  // A policy change in prod, and a namespace label change that changes what a namespaceSelector matches (cluster-scoped).
  svc.write("policies.yaml", [dbAllow(5433), networkPolicy("shop", "default-deny", { podSelector: {}, policyTypes: ["Ingress"] })]);
  svc.write("namespaces.yaml", namespaces("shop-2"));
  await svc.reread();
  admin = client(svc.url, ADMIN.token);
  prod = client(svc.url, PROD.token);
  tmp = mkdtempSync(join(tmpdir(), "kubereach-export-"));
}, 180_000);

afterAll(async () => {
  await svc?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

const TOTAL = BULK + 4; // 2 policies + BULK at the start, then an UPDATE and a Namespace UPDATE

async function ndjson(path: string, c = admin) {
  const res = await c(path);
  expect(res.status).toBe(200);
  const text = await res.text();
  const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  return { res, text, header: lines[0]!, rows: lines.slice(1, -1), trailer: lines.at(-1)! };
}

function save(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

function csvRecords(text: string) {
  const r = new CsvReader();
  return [...r.push(text), ...r.end()];
}

describe("GET /api/v1/exports/audit", () => {
  it("json: the header, every revision up to the chain head with all its fields, streamed as an attachment", async () => {
    const res = await admin("/api/v1/exports/audit?format=json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="kubereach-audit-rest-\d{8}T\d{6}Z\.json"$/);
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const doc = (await res.json()) as { revisions: Record<string, unknown>[]; [k: string]: unknown };
    expect(doc).toMatchObject({ format: "kubereach-audit-export/v1", cluster: "rest", complete: true, count: TOTAL, filter: { namespace: null, since: null, until: null, tokenNamespaces: null } });
    expect(Date.parse(doc["exportedAt"] as string)).toBeGreaterThan(mid.getTime());
    expect(doc.revisions.map((r) => r["seq"])).toEqual(Array.from({ length: TOTAL }, (_, i) => String(i + 1)));
    const last = doc.revisions.at(-1)!;
    expect(doc["chainHead"]).toEqual({ seq: String(TOTAL), hash: last["hash"] });
    for (const r of doc.revisions) expect(Object.keys(r).sort()).toEqual([...AUDIT_COLUMNS].sort());
    const update = doc.revisions.find((r) => r["name"] === "db-allow" && r["operation"] === "UPDATE")!;
    expect(update).toMatchObject({ clusterId: "rest", objectKind: "NetworkPolicy", namespace: "prod", observedVia: "manifest", finalStateUnknown: false, sourceRef: null });
    expect(update["diff"]).toHaveLength(2);
    expect(update["diff"]).toEqual(
      expect.arrayContaining([
        { op: "replace", path: "/ingress/0/ports/0/port", value: 5433 },
        { op: "replace", path: "/ingress/1/ports/0/port", value: 5433 },
      ]),
    );
    expect(JSON.parse(update["canonical"] as string)).toMatchObject({ v: 1, name: "db-allow", seq: update["seq"] });
    const ns = doc.revisions.find((r) => r["objectKind"] === "Namespace")!;
    expect(ns).toMatchObject({ namespace: "", name: "shop", operation: "UPDATE", before: { team: "shop" }, after: { team: "shop-2" } });
  });

  it("ndjson: a header line, one revision per line, an end line with the count", async () => {
    const { res, header, rows, trailer } = await ndjson("/api/v1/exports/audit?format=ndjson");
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/\.ndjson"$/);
    expect(header).toMatchObject({ format: "kubereach-audit-export/v1", cluster: "rest", complete: true, chainHead: { seq: String(TOTAL) } });
    expect(header).not.toHaveProperty("revisions");
    expect(rows).toHaveLength(TOTAL);
    expect(trailer).toEqual({ end: true, count: TOTAL });
  });

  it("csv: a comment line with the chain head, a header row, JSON columns as JSON text, an end line", async () => {
    const res = await admin("/api/v1/exports/audit?format=csv&namespace=prod");
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="kubereach-audit-rest-prod-\d{8}T\d{6}Z\.csv"$/);
    const text = await res.text();
    expect(text.split("\r\n")[0]).toMatch(new RegExp(`^# kubereach-audit-export/v1 cluster=rest chainHead\\.seq=${TOTAL} chainHead\\.hash=[0-9a-f]{64} complete=false exportedAt=\\S+ namespace=prod$`));
    const records = csvRecords(text);
    expect(records[1]).toMatchObject({ type: "row", cells: [...AUDIT_COLUMNS] });
    const rows = records.filter((r) => r.type === "row").slice(1) as { cells: string[] }[];
    expect(rows.map((r) => [r.cells[5], r.cells[8]])).toEqual([
      ["db-allow", "CREATE"],
      ["db-allow", "UPDATE"],
    ]);
    const col = (name: string) => AUDIT_COLUMNS.indexOf(name as (typeof AUDIT_COLUMNS)[number]);
    expect(rows[0]!.cells[col("before")]).toBe("null");
    expect(JSON.parse(rows[1]!.cells[col("diff")]!)).toHaveLength(2);
    expect(records.at(-1)).toMatchObject({ type: "comment", text: "# end count=2" });
  });

  it("filters by namespace, since and until; the export is then not complete", async () => {
    const byNs = await ndjson("/api/v1/exports/audit?format=ndjson&namespace=prod");
    expect(byNs.header).toMatchObject({ complete: false, filter: { namespace: "prod", since: null, until: null, tokenNamespaces: null } });
    expect(byNs.rows.map((r) => [r["namespace"], r["name"], r["operation"]])).toEqual([
      ["prod", "db-allow", "CREATE"],
      ["prod", "db-allow", "UPDATE"],
    ]);
    const since = await ndjson(`/api/v1/exports/audit?format=ndjson&since=${mid.toISOString()}`);
    expect(since.header).toMatchObject({ complete: false, filter: { since: mid.toISOString() } });
    expect(since.rows.map((r) => [r["objectKind"], r["name"]]).sort()).toEqual([
      ["Namespace", "shop"],
      ["NetworkPolicy", "db-allow"],
    ]);
    const until = await ndjson(`/api/v1/exports/audit?format=ndjson&until=${encodeURIComponent(mid.toISOString())}`);
    expect(until.rows).toHaveLength(TOTAL - 2);
    expect(until.rows.every((r) => r["operation"] === "CREATE")).toBe(true);
  });

  it("reads page after page: a namespace with more revisions than one store page", async () => {
    const bulk = await ndjson("/api/v1/exports/audit?format=ndjson&namespace=bulk");
    expect(bulk.rows).toHaveLength(BULK);
    expect(new Set(bulk.rows.map((r) => r["name"])).size).toBe(BULK);
    const seqs = bulk.rows.map((r) => Number(r["seq"]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("a namespace-scoped token sees its namespaces' revisions only, never cluster-scoped ones, and is never complete", async () => {
    const mine = await ndjson("/api/v1/exports/audit?format=ndjson", prod);
    expect(mine.header).toMatchObject({ complete: false, filter: { tokenNamespaces: ["prod"] } });
    expect(mine.rows.map((r) => r["namespace"])).toEqual(["prod", "prod"]);
    const other = await prod("/api/v1/exports/audit?namespace=shop");
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { message: string } }).error.message).toBe("no namespace shop visible to this token");
    expect((await fetch(`${svc.url}/api/v1/exports/audit`)).status).toBe(401);
  });

  it("answers 400 with a clear message for bad parameters", async () => {
    const error = async (query: string) => {
      const res = await admin(`/api/v1/exports/audit?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-disposition")).toBeNull();
      return ((await res.json()) as { error: { code: string; message: string } }).error;
    };
    expect(await error("format=xml")).toEqual(expect.objectContaining({ code: "BAD_INPUT", message: 'format: "xml" is not supported; formats: json, ndjson, csv' }));
    expect((await error("since=last-tuesday")).message).toMatch(/^since: "last-tuesday" is not a date or date-time/);
    expect((await error("until=2026-02-31")).message).toMatch(/^until: /);
    expect((await error("namespace=Not_A_Namespace")).message).toMatch(/is not a namespace name/);
    expect((await error("since=2026-11-02&until=2026-11-01")).message).toBe("since (2026-11-02T00:00:00.000Z) must be before until (2026-11-01T00:00:00.000Z)");
    expect((await error("colour=blue")).message).toBe('unknown parameter "colour" (parameters: cluster, namespace, since, until, format)');
    expect((await error("format=json&format=csv")).message).toMatch(/given once/);
    expect((await admin("/api/v1/exports/audit?cluster=nope")).status).toBe(404);
  });

  it("stops writing when the client goes away, and keeps serving", async () => {
    const controller = new AbortController();
    const res = await admin("/api/v1/exports/audit?format=ndjson", { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.closed.catch(() => undefined);
    expect((await admin("/api/v1/exports/audit?format=json&namespace=prod")).status).toBe(200);
  });
});

describe("kubereach audit verify --export", () => {
  const verify = (file: string, ...more: string[]) => runCli(["audit", "verify", "--export", file, ...more]);

  it("verifies complete exports in every format", async () => {
    for (const format of ["json", "ndjson", "csv"]) {
      const file = save(`complete.${format}`, await (await admin(`/api/v1/exports/audit?format=${format}`)).text());
      const r = await verify(file);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`export ${file}: ${format}, cluster rest, complete export`);
      expect(r.stdout).toContain(`OK: ${TOTAL} revisions verified, seq 1..${TOTAL}: the whole chain from seq 1 recomputes and ends at the chain head`);
    }
  });

  it("verifies filtered exports and says what they cannot show", async () => {
    const file = save("prod.ndjson", await (await admin("/api/v1/exports/audit?format=ndjson&namespace=prod")).text());
    const r = await verify(file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("filtered export (namespace=prod)");
    expect(r.stdout).toContain("OK: 2 revisions verified");
    expect(r.stdout).toContain("not shown (filtered export): that a missing seq was filtered out rather than deleted");
    const scoped = save("scoped.csv", await (await prod("/api/v1/exports/audit?format=csv")).text());
    const s = await verify(scoped);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain("token namespaces=prod");
    const since = save("since.json", await (await admin(`/api/v1/exports/audit?since=${mid.toISOString()}`)).text());
    const t = await verify(since);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain("OK: 2 revisions verified");
    expect(t.stdout).toContain("1 linked to the revision before them");
    expect((await verify(since, "--cluster-id", "other")).code).toBe(1);
  });

  describe("tampered complete export (ndjson): fails at the right revision", () => {
    let lines: string[];
    beforeAll(async () => {
      lines = (await (await admin("/api/v1/exports/audit?format=ndjson")).text()).trimEnd().split("\n");
    });
    const run = async (name: string, edit: (l: string[]) => string[]) => verify(save(name, `${edit([...lines]).join("\n")}\n`));
    const edited = (l: string[], seq: number, change: (r: Record<string, unknown>) => void) => {
      const r = JSON.parse(l[seq]!) as Record<string, unknown>;
      change(r);
      l[seq] = JSON.stringify(r);
      return l;
    };

    it("a changed field", async () => {
      const r = await run("field.ndjson", (l) => edited(l, 3, (row) => (row["name"] = "p-renamed")));
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/BROKEN at seq 3 \(CREATE NetworkPolicy bulk\/p-renamed, observed [^)]+\): canonical-mismatch: /);
      expect(r.stderr).toMatch(/does not verify/);
    });

    it("a changed field with its canonical text rewritten to match", async () => {
      const r = await run("canonical.ndjson", (l) =>
        edited(l, 5, (row) => {
          row["name"] = "p-forged";
          const c = JSON.parse(row["canonical"] as string) as Record<string, unknown>;
          c["name"] = "p-forged";
          row["canonical"] = JSON.stringify(Object.fromEntries(Object.entries(c).sort(([a], [b]) => (a < b ? -1 : 1))));
        }),
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/BROKEN at seq 5 .*: hash-mismatch: /);
    });

    it("a deleted row", async () => {
      const r = await run("deleted.ndjson", (l) => l.filter((_, i) => i !== 7));
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/BROKEN at seq 8 .*: seq-gap: expected seq 7, found 8/);
    });

    it("reordered rows", async () => {
      const r = await run("reordered.ndjson", (l) => {
        [l[10], l[11]] = [l[11]!, l[10]!];
        return l;
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/BROKEN at seq 11 .*: seq-gap: expected seq 10, found 11/);
    });

    it("the newest rows cut off (with or without the end line)", async () => {
      const cut = await run("cut.ndjson", (l) => l.slice(0, -3));
      expect(cut.code).toBe(1);
      expect(cut.stdout).toContain(`BROKEN at seq ${TOTAL - 1}: truncated: the file ends after seq ${TOTAL - 2} without the export's end marker`);
      const recounted = await run("recounted.ndjson", (l) => [...l.slice(0, -3), JSON.stringify({ end: true, count: TOTAL - 2 })]);
      expect(recounted.code).toBe(1);
      expect(recounted.stdout).toContain(`BROKEN at seq ${TOTAL - 1}: truncated: the chain ends at seq ${TOTAL - 2}, but the export's chain head is seq ${TOTAL}`);
    });

    it("a chain head that is not where the chain ends", async () => {
      const r = await run("head.ndjson", (l) => edited(l, 0, (h) => ((h["chainHead"] as Record<string, unknown>)["hash"] = "f".repeat(64))));
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`BROKEN at seq ${TOTAL}: head-mismatch: `));
    });
  });

  it("tampered json and csv exports fail at the changed revision", async () => {
    const json = JSON.parse(await (await admin("/api/v1/exports/audit?format=json")).text()) as { revisions: Record<string, unknown>[] };
    const ns = json.revisions.find((r) => r["objectKind"] === "Namespace")!;
    ns["after"] = { team: "attacker" };
    const j = await verify(save("tampered.json", JSON.stringify(json)));
    expect(j.code).toBe(1);
    expect(j.stdout).toMatch(new RegExp(`BROKEN at seq ${ns["seq"]} \\(UPDATE Namespace shop, observed [^)]+\\): canonical-mismatch`));

    const csv = (await (await admin("/api/v1/exports/audit?format=csv")).text()).replace("bulk,p-009,", "bulk,p-999,");
    const c = await verify(save("tampered.csv", csv));
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/BROKEN at seq 10 \(CREATE NetworkPolicy bulk\/p-009, observed [^)]+\): canonical-mismatch: the name cell shows "p-999", but the revision's canonical text holds "p-009"/);
  });

  describe("tampered filtered export", () => {
    let lines: string[];
    beforeAll(async () => {
      lines = (await (await admin(`/api/v1/exports/audit?format=ndjson&since=${mid.toISOString()}`)).text()).trimEnd().split("\n");
    });

    it("a changed field, reordered rows and a row from outside the filter are caught", async () => {
      const changed = [...lines];
      const at = changed.findIndex((l) => l.includes('"objectKind":"Namespace"'));
      changed[at] = changed[at]!.replace('"namespace":"","name":"shop"', '"namespace":"","name":"prod"');
      expect(changed[at]).not.toBe(lines[at]);
      const a = await verify(save("f-changed.ndjson", `${changed.join("\n")}\n`));
      expect(a.code).toBe(1);
      expect(a.stdout).toMatch(new RegExp(`BROKEN at seq ${TOTAL - 2 + at} \\(UPDATE Namespace prod, .*: canonical-mismatch`));

      const reordered = [lines[0]!, lines[2]!, lines[1]!, lines[3]!];
      const b = await verify(save("f-reordered.ndjson", `${reordered.join("\n")}\n`));
      expect(b.code).toBe(1);
      expect(b.stdout).toMatch(new RegExp(`BROKEN at seq ${TOTAL - 1} .*: seq-order: seq ${TOTAL - 1} follows seq ${TOTAL}`));

      const full = (await (await admin("/api/v1/exports/audit?format=ndjson")).text()).split("\n");
      const inserted = [lines[0]!, full[1]!, ...lines.slice(1, 3), JSON.stringify({ end: true, count: 3 })];
      const c = await verify(save("f-inserted.ndjson", `${inserted.join("\n")}\n`));
      expect(c.code).toBe(1);
      expect(c.stdout).toMatch(/BROKEN at seq 1 .*: filter-mismatch: observedAt \S+ is before the filter's since/);
    });

    it("a deleted row cannot be told from a filtered one: it still verifies, and the report says so", async () => {
      const deleted = [lines[0]!, lines[2]!, JSON.stringify({ end: true, count: 1 })];
      const r = await verify(save("f-deleted.ndjson", `${deleted.join("\n")}\n`));
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("not shown (filtered export): that a missing seq was filtered out rather than deleted");
    });
  });

  it("refuses a file that is not an export", async () => {
    const r = await verify(save("nonsense.txt", "hello\n"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a kubereach audit export/);
    const missing = await verify(join(tmp, "missing.ndjson"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*ENOENT/);
  });
});

describe("GET /api/v1/exports/matrix", () => {
  it("json: the connectivity list in the CLI's notation, with the generation and the chain head", async () => {
    const res = await admin("/api/v1/exports/matrix");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="kubereach-matrix-rest-g2-\d{8}T\d{6}Z\.json"$/);
    const doc = (await res.json()) as { rows: unknown[]; [k: string]: unknown };
    const audit = await ndjson("/api/v1/exports/audit?format=ndjson&namespace=prod");
    expect(doc).toMatchObject({ format: "kubereach-matrix-export/v1", cluster: "rest", generation: 2, namespace: null, chainHead: audit.header["chainHead"], count: doc.rows.length });
    expect(Date.parse(doc["computedAt"] as string)).toBeGreaterThan(mid.getTime());
    const cli = await runCli(["analyze", "--manifests", dir, "-o", "json"]);
    expect(cli.code).toBe(0);
    expect(doc.rows).toEqual(JSON.parse(cli.stdout));
    expect(doc.rows).toContainEqual({ src: "prod/api[Deployment]", dst: "prod/db[StatefulSet]", conn: "TCP 5433" });
  });

  it("csv, a namespace, a past generation (at), and the token's scope", async () => {
    const res = await admin(`/api/v1/exports/matrix?format=csv&namespace=prod&at=${mid.toISOString()}`);
    expect(res.headers.get("content-disposition")).toMatch(/kubereach-matrix-rest-g1-prod-\d{8}T\d{6}Z\.csv"$/);
    const records = csvRecords(await res.text());
    expect(records[0]).toMatchObject({ type: "comment" });
    expect((records[0] as { text: string }).text).toMatch(/^# kubereach-matrix-export\/v1 cluster=rest generation=1 computedAt=\S+ chainHead\.seq=\d+ chainHead\.hash=[0-9a-f]{64} exportedAt=\S+ namespace=prod$/);
    const rows = records.filter((r) => r.type === "row").map((r) => (r as { cells: string[] }).cells);
    expect(rows[0]).toEqual(["src", "dst", "conn"]);
    expect(rows).toContainEqual(["prod/api[Deployment]", "prod/db[StatefulSet]", "TCP 5432"]);
    expect(rows.slice(1).every(([src, dst]) => src!.startsWith("prod/") || dst!.startsWith("prod/"))).toBe(true);
    expect(records.at(-1)).toMatchObject({ type: "comment", text: `# end count=${rows.length - 1}` });

    const scoped = (await (await prod("/api/v1/exports/matrix")).json()) as { rows: { src: string; dst: string }[] };
    expect(scoped.rows.length).toBeGreaterThan(0);
    const visible = (e: string) => e.startsWith("prod/") || e.endsWith("[External]");
    expect(scoped.rows.every((r) => visible(r.src) && visible(r.dst))).toBe(true);
    expect((await prod("/api/v1/exports/matrix?namespace=shop")).status).toBe(404);
  });

  it("400 for bad parameters, 404 before the first generation", async () => {
    const bad = await admin("/api/v1/exports/matrix?format=ndjson");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('format: "ndjson" is not supported; formats: json, csv');
    expect((await admin("/api/v1/exports/matrix?at=yesterday")).status).toBe(400);
    expect((await admin("/api/v1/exports/matrix?at=2000-01-01")).status).toBe(404);
  });
});
