/**
 * The export formats and the offline verifier without a server: CSV guarding and reading, the
 * comment lines, and verification of synthetic chains (built with the store's own hash functions)
 * whose fields start with formula characters, quotes and line breaks. Also the audit route on a
 * stub store: rows appended after the chain head was read are not exported.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { afterAll, describe, expect, it } from "vitest";
import { CsvReader, CsvSyntaxError } from "../../../src/domain/audit/csvReader.js";
import {
  AUDIT_COLUMNS,
  AUDIT_FORMAT,
  auditCsvPreamble,
  auditCsvRow,
  csvCell,
  csvRow,
  guardCell,
  parseCommentLine,
  unguardCell,
  type AuditHeader,
  type ExportRevision,
} from "../../../src/domain/audit/exportFormat.js";
import { registerAuditExport } from "../../../src/api/exports/audit.js";
import { verifyExportFile } from "../../../src/api/exports/verify.js";
import { parseTime } from "../../../src/api/http/params.js";
import { FULL_SCOPE } from "../../../src/domain/scope.js";
import type { RouteDeps } from "../../../src/api/server.js";
import { GENESIS_HASH, hashRevision } from "../../../src/domain/audit/hashChain.js";
import type { StoredRevision } from "../../../src/domain/repositories.js";
import { silentLogger } from "../../../src/app/logger.js";

const tmp = mkdtempSync(join(tmpdir(), "kubereach-format-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("CSV cells", () => {
  it.each([
    ["=HYPERLINK(\"http://x\")", `"'=HYPERLINK(""http://x"")"`],
    ["+1", "'+1"],
    ["-1", "'-1"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tx", "'\tx"],
    ["\rx", `"'\rx"`],
    ["'quoted", "''quoted"],
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["", ""],
  ])("%j is written as %j and reads back", (value, cell) => {
    expect(csvCell(value)).toBe(cell);
    const r = new CsvReader();
    const [rec] = [...r.push(`${cell},x\r\n`), ...r.end()];
    expect(rec).toEqual({ type: "row", cells: [guardCell(value), "x"], line: 1 });
    expect(unguardCell((rec as { cells: string[] }).cells[0]!)).toBe(value);
  });

  it("the reader handles chunks split anywhere, LF or CRLF, comments and a missing final line break", () => {
    const text = `# title a=1\r\nx,"multi\r\nline ""q""",z\r\n\r\n1,2,3\n# end count=2`;
    for (let split = 0; split <= text.length; split++) {
      const r = new CsvReader();
      const records = [...r.push(text.slice(0, split)), ...r.push(text.slice(split)), ...r.end()];
      expect(records).toEqual([
        { type: "comment", text: "# title a=1", line: 1 },
        { type: "row", cells: ["x", 'multi\r\nline "q"', "z"], line: 2 },
        { type: "row", cells: ["1", "2", "3"], line: 5 },
        { type: "comment", text: "# end count=2", line: 6 },
      ]);
    }
  });

  it("the reader refuses broken quoting", () => {
    expect(() => new CsvReader().push('a"b\n')).toThrow(CsvSyntaxError);
    expect(() => new CsvReader().push('"a"b\n')).toThrow(/after the closing quote/);
    const r = new CsvReader();
    r.push('"open');
    expect(() => r.end()).toThrow(/ends inside a quoted field/);
  });

  it("comment lines carry encoded values", () => {
    const parsed = parseCommentLine("# kubereach-audit-export/v1 cluster=c since=2026-11-01T00%3A00%3A00.000Z tokenNamespaces=a%2Cb");
    expect(parsed?.title).toBe("kubereach-audit-export/v1");
    expect(Object.fromEntries(parsed!.pairs)).toEqual({ cluster: "c", since: "2026-11-01T00:00:00.000Z", tokenNamespaces: "a,b" });
    expect(parseCommentLine("not a comment")).toBeUndefined();
  });
});

describe("times in parameters", () => {
  it.each([
    ["2026-11-01", "2026-11-01T00:00:00.000Z"],
    ["2026-11-01T12:30Z", "2026-11-01T12:30:00.000Z"],
    ["2026-11-01T12:30:15.250+02:00", "2026-11-01T10:30:15.250Z"],
    ["2026-11-01T12:30:15", "2026-11-01T12:30:15.000Z"],
    ["2026-11-01 12:30:15", "2026-11-01T12:30:15.000Z"],
  ])("%s", (text, iso) => expect(parseTime(text)?.toISOString()).toBe(iso));

  it.each(["2026-02-30", "2026-13-01", "yesterday", "1700000000", "2026-11-01T25:00Z", ""])("refuses %j", (text) => expect(parseTime(text)).toBeUndefined());
});

// ---------------------------------------------------------------------------------------------

type Fields = Partial<Omit<ExportRevision, "seq" | "prevHash" | "hash" | "canonical" | "id" | "clusterId">>;

/** A chain of revisions as the store would hash them. */
function chain(cluster: string, rows: readonly Fields[]): ExportRevision[] {
  let prevHash = GENESIS_HASH;
  return rows.map((f, i) => {
    const fields = {
      clusterId: cluster,
      seq: String(i + 1),
      objectKind: "NetworkPolicy",
      namespace: "prod",
      name: `p${i}`,
      uid: `uid-${i}`,
      resourceVersion: String(100 + i),
      operation: "CREATE",
      before: null,
      after: { podSelector: {} },
      diff: [],
      observedAt: new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString(),
      observedVia: "watch",
      finalStateUnknown: false,
      sourceRef: null,
      ...f,
    };
    const { canonical, hash } = hashRevision(prevHash, fields);
    const row: ExportRevision = { ...fields, id: String(1000 + i), prevHash, hash, canonical };
    prevHash = hash;
    return row;
  });
}

function header(rows: readonly ExportRevision[], over: Partial<AuditHeader> = {}): AuditHeader {
  const last = rows.at(-1)!;
  return {
    format: AUDIT_FORMAT,
    cluster: "c1",
    exportedAt: "2026-11-02T00:00:00.000Z",
    filter: { namespace: null, since: null, until: null, tokenNamespaces: null },
    complete: true,
    chainHead: { seq: last.seq, hash: last.hash },
    ...over,
  };
}

function writeCsv(name: string, h: AuditHeader, rows: readonly ExportRevision[], count = rows.length): string {
  const path = join(tmp, name);
  writeFileSync(path, auditCsvPreamble(h) + csvRow(AUDIT_COLUMNS) + rows.map(auditCsvRow).join("") + `# end count=${count}\r\n`);
  return path;
}

/** `count` null: no end line. */
function writeNdjson(name: string, h: AuditHeader, rows: readonly ExportRevision[], count: number | null = rows.length): string {
  const path = join(tmp, name);
  const lines = [JSON.stringify(h), ...rows.map((r) => JSON.stringify(r)), ...(count === null ? [] : [JSON.stringify({ end: true, count })])];
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const hostile: Fields[] = [
  { name: "=cmd|' /C calc'!A0", sourceRef: "+41 commit" },
  { namespace: "prod", name: "-dash", after: { note: "line\nbreak, \"quoted\"" }, sourceRef: "" },
  { name: "@at", operation: "UPDATE", before: { a: 1 }, after: { a: 2 }, diff: [{ op: "replace", path: "/a", value: 2 }], sourceRef: "'already quoted" },
  { objectKind: "Namespace", namespace: "", name: "\tshop", operation: "UPDATE", before: { team: "a" }, after: { team: "b" }, finalStateUnknown: true },
];

describe("offline verification of synthetic exports", () => {
  const rows = chain("c1", hostile);

  it("a CSV export of fields starting with formula characters, quotes and line breaks verifies", async () => {
    const r = await verifyExportFile(writeCsv("hostile.csv", header(rows), rows));
    expect(r.broken).toBeUndefined();
    expect(r).toMatchObject({ format: "csv", verified: 4, linked: 3, firstSeq: 1n, lastSeq: 4n });
    const ndjson = await verifyExportFile(writeNdjson("hostile.ndjson", header(rows), rows));
    expect(ndjson).toMatchObject({ format: "ndjson", verified: 4, broken: undefined });
  });

  it("CSV: null and the empty string both show as an empty cell; the canonical text tells them apart", async () => {
    const path = writeCsv("null-vs-empty.csv", header(rows), rows);
    const reader = new CsvReader();
    const records = [...reader.push(readFileSync(path, "utf8")), ...reader.end()].filter((r) => r.type === "row").slice(1) as { cells: string[] }[];
    const sourceRef = AUDIT_COLUMNS.indexOf("sourceRef");
    expect(records.map((r) => r.cells[sourceRef])).toEqual(["'+41 commit", "", "''already quoted", ""]);
    expect(JSON.parse(records[1]!.cells.at(-1)!).sourceRef).toBe("");
    expect(JSON.parse(records[3]!.cells.at(-1)!).sourceRef).toBeNull();
    expect((await verifyExportFile(path)).broken).toBeUndefined();
  });

  it("a changed CSV cell is reported with the column and both values", async () => {
    const path = writeCsv("changed.csv", header(rows), rows);
    writeFileSync(path, readFileSync(path, "utf8").replace("'@at", "'@AT"));
    const r = await verifyExportFile(path);
    expect(r.broken).toMatchObject({ seq: 3n, reason: "canonical-mismatch", message: expect.stringContaining('the name cell shows "@AT", but the revision\'s canonical text holds "@at"') });
  });

  it("a filtered export: a row at the head must carry the head's hash, and rows must match the filter", async () => {
    const prodRows = rows.filter((r) => r.namespace === "prod");
    const h = header(rows, { complete: false, filter: { namespace: "prod", since: null, until: null, tokenNamespaces: null } });
    expect((await verifyExportFile(writeNdjson("prod.ndjson", h, prodRows))).broken).toBeUndefined();
    const wrongHead = { ...h, chainHead: { seq: "3", hash: "a".repeat(64) } };
    expect((await verifyExportFile(writeNdjson("prod-head.ndjson", wrongHead, prodRows))).broken).toMatchObject({ seq: 3n, reason: "head-mismatch" });
    const beyond = { ...h, chainHead: { seq: "2", hash: rows[1]!.hash } };
    expect((await verifyExportFile(writeNdjson("prod-beyond.ndjson", beyond, prodRows))).broken).toMatchObject({ seq: 3n, reason: "beyond-head" });
    const withNs = writeNdjson("prod-ns.ndjson", h, rows);
    expect((await verifyExportFile(withNs)).broken).toMatchObject({ seq: 4n, reason: "filter-mismatch" });
    const scoped = { ...h, filter: { ...h.filter, namespace: null, tokenNamespaces: ["prod"] } };
    expect((await verifyExportFile(writeCsv("scoped.csv", scoped, rows))).broken).toMatchObject({ seq: 4n, reason: "filter-mismatch", message: expect.stringContaining("namespaces of the token") });
  });

  it("a filtered export starting at seq 1 must link to the genesis hash", async () => {
    const forged = chain("c1", hostile).map((r, i) => (i === 0 ? { ...r, prevHash: "b".repeat(64), hash: hashRevision("b".repeat(64), r).hash } : r));
    const h = header(forged, { complete: false, filter: { namespace: null, since: "2026-01-01T00:00:00.000Z", until: null, tokenNamespaces: null } });
    expect((await verifyExportFile(writeNdjson("genesis.ndjson", h, forged.slice(0, 1)))).broken).toMatchObject({ seq: 1n, reason: "prev-link-broken" });
  });

  it("a row of another cluster, a missing end line, a wrong count, and a header that says complete but names a filter", async () => {
    const other = chain("c2", hostile);
    expect((await verifyExportFile(writeNdjson("cluster.ndjson", header(rows), other))).broken).toMatchObject({ seq: 1n, reason: "cluster-mismatch" });
    expect((await verifyExportFile(writeNdjson("no-end.ndjson", header(rows), rows, null))).broken).toMatchObject({ seq: 5n, reason: "truncated" });
    expect((await verifyExportFile(writeCsv("count.csv", header(rows), rows, 7))).broken).toMatchObject({ reason: "truncated", message: "the end marker states 7 revisions, the file holds 4" });
    const lying = header(rows, { filter: { namespace: "prod", since: null, until: null, tokenNamespaces: null } });
    await expect(verifyExportFile(writeNdjson("lying.ndjson", lying, rows))).rejects.toThrow(/says complete, but names a filter/);
  });

  it("an empty history exports and verifies", async () => {
    const h: AuditHeader = { ...header(rows), chainHead: { seq: "0", hash: GENESIS_HASH } };
    const r = await verifyExportFile(writeCsv("empty.csv", h, []));
    expect(r).toMatchObject({ verified: 0, broken: undefined });
  });
});

describe("the audit route against a stub store", () => {
  it("leaves out revisions appended after the chain head was read", async () => {
    const rows = chain("c1", [{}, {}, {}, {}, {}]);
    const stored = rows.map((r) => ({ ...r, id: BigInt(r.id), seq: BigInt(r.seq), observedAt: new Date(r.observedAt) }) as unknown as StoredRevision);
    const deps = {
      query: { resolveCluster: async () => "c1" },
      store: {
        revisions: {
          // The head is read when the export starts: seq 3. Two more revisions exist by the time rows are read.
          head: async () => ({ seq: 3n, hash: rows[2]!.hash }),
          async *iterate() {
            yield* stored;
          },
          list: async () => stored,
        },
      },
      logger: silentLogger(),
      scopeOf: () => FULL_SCOPE,
    } as unknown as RouteDeps;
    const app = express();
    app.use((req, _res, next) => {
      (req as unknown as { log: unknown }).log = silentLogger();
      next();
    });
    registerAuditExport(app, deps);
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const port = (server.address() as { port: number }).port;
      for (const query of ["format=ndjson", "format=ndjson&namespace=prod"]) {
        const text = await (await fetch(`http://127.0.0.1:${port}/api/v1/exports/audit?${query}`)).text();
        const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(lines.slice(1, -1).map((l) => l["seq"])).toEqual(["1", "2", "3"]);
        expect(lines.at(-1)).toEqual({ end: true, count: 3 });
        const path = join(tmp, "stub.ndjson");
        writeFileSync(path, text);
        expect((await verifyExportFile(path)).broken).toBeUndefined();
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
