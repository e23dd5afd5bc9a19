/**
 * Offline verification of an audit export (json, ndjson or csv), with nothing but the file: the
 * hash chain functions of src/domain/audit/hashChain.ts, no database, no server.
 *
 * COMPLETE export (no filter, unscoped token: every revision from seq 1 to the chain head):
 *   the whole chain is recomputed from seq 1 exactly as `kubereach audit verify` does on the
 *   database (gapless seqs, each prevHash the hash before it, each row's fields producing its
 *   canonical text, each hash = sha256(prevHash || canonical)), and it must end exactly at the
 *   chain head the header names. So no row was edited, removed, inserted or reordered, and nothing
 *   between seq 1 and the head is missing.
 * FILTERED export (namespace/since/until given, or a namespace-scoped token):
 *   each row on its own: its fields produce its canonical text and its hash is
 *   sha256(prevHash || canonical) (no field edited without recomputing the hash); rows are in
 *   strictly increasing seq order; rows with consecutive seqs link (prevHash = hash before); seq 1
 *   links to the genesis hash; a row at the chain head's seq carries the head's hash; every row
 *   matches the filter in the header. What a filtered export CANNOT show: that a missing seq was
 *   filtered out rather than deleted (gaps are expected), and that its rows belong to the chain
 *   whose head it names (a row is bound to the head only through the rows between them, which
 *   the export does not carry). For those, verify a complete export, or the database itself.
 * Neither kind can prove that the chain head itself is the real one (the hashes use no secret: a
 * forger can rebuild a consistent chain): compare the printed head with the one the server
 * reports (`kubereach audit verify`, GraphQL) or with a head published elsewhere.
 */
import { createReadStream } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { BadInputError } from "../../domain/errors.js";
import { canonicalize, canonicalRevision, chainHash, ChainVerifier, GENESIS_HASH, type ChainBreakReason } from "../../domain/audit/hashChain.js";
import { CsvReader, CsvSyntaxError, type CsvRecord } from "../../domain/audit/csvReader.js";
import { AUDIT_COLUMNS, AUDIT_FORMAT, auditCellText, parseCommentLine, unguardCell, type AuditFilter, type AuditHeader, type ExportRevision } from "../../domain/audit/exportFormat.js";

export type ExportFileFormat = "json" | "ndjson" | "csv";

export type ExportBreakReason =
  | ChainBreakReason
  | "seq-order"
  | "beyond-head"
  | "head-mismatch"
  | "cluster-mismatch"
  | "filter-mismatch"
  | "malformed-row"
  | "truncated";

export interface ExportBreak {
  /** The first revision that does not verify (undefined when the file ended before it could be named). */
  readonly seq: bigint | undefined;
  readonly reason: ExportBreakReason;
  readonly message: string;
  /** The revision as the file shows it, for the report. */
  readonly row?: ExportRevision;
}

export interface ExportVerification {
  readonly format: ExportFileFormat;
  readonly header: AuditHeader;
  /** Rows that verified (before the break, if any). */
  readonly verified: number;
  /** Rows whose predecessor (seq - 1) is also in the export, so their link was checked. */
  readonly linked: number;
  readonly firstSeq: bigint | undefined;
  readonly lastSeq: bigint | undefined;
  readonly broken: ExportBreak | undefined;
}

class Broken extends Error {
  constructor(readonly detail: ExportBreak) {
    super(detail.message);
  }
}

/** Checks rows one by one against the header; used for every file format. */
export class ExportVerifier {
  private readonly chain: ChainVerifier | undefined;
  private readonly headSeq: bigint;
  private prev: ExportRevision | undefined;
  private prevSeq = 0n;
  private verified = 0;
  private linked = 0;
  private firstSeq: bigint | undefined;
  private broken: ExportBreak | undefined;
  private readonly since: number | undefined;
  private readonly until: number | undefined;

  constructor(readonly header: AuditHeader) {
    this.headSeq = BigInt(header.chainHead.seq);
    this.chain = header.complete ? new ChainVerifier() : undefined;
    this.since = header.filter.since ? Date.parse(header.filter.since) : undefined;
    this.until = header.filter.until ? Date.parse(header.filter.until) : undefined;
  }

  /**
   * Checks the next row; returns the break when it is the first bad one (later rows are ignored).
   * `changed`: the file shows a field differently from the row's canonical text (CSV).
   */
  push(row: ExportRevision, changed?: string): ExportBreak | undefined {
    if (this.broken) return undefined;
    try {
      this.check(row, changed);
    } catch (e) {
      if (e instanceof Broken) return (this.broken = e.detail);
      throw e;
    }
    return undefined;
  }

  /** A row the file holds but that could not be read as a revision. */
  malformed(message: string, seq?: bigint): ExportBreak | undefined {
    if (this.broken) return undefined;
    return (this.broken = { seq: seq ?? this.prevSeq + 1n, reason: "malformed-row", message });
  }

  /** The end of the file: `count` is the row count the file's trailer states (undefined: no trailer). */
  finish(count: number | undefined): ExportVerification {
    if (!this.broken) {
      const after = this.prev ? `after seq ${this.prevSeq}` : "before the first row";
      if (count === undefined) this.broken = { seq: this.header.complete ? this.prevSeq + 1n : undefined, reason: "truncated", message: `the file ends ${after} without the export's end marker (the download was cut short, or rows were removed from the end)` };
      else if (count !== this.verified)
        this.broken = { seq: this.header.complete ? this.prevSeq + 1n : undefined, reason: "truncated", message: `the end marker states ${count} revisions, the file holds ${this.verified}` };
    }
    if (!this.broken && this.chain) {
      const r = this.chain.result();
      if (r.ok && (r.head.seq !== this.headSeq || r.head.hash !== this.header.chainHead.hash)) {
        this.broken =
          r.head.seq < this.headSeq
            ? { seq: r.head.seq + 1n, reason: "truncated", message: `the chain ends at seq ${r.head.seq}, but the export's chain head is seq ${this.headSeq}: revisions ${r.head.seq + 1n}..${this.headSeq} are missing` }
            : { seq: r.head.seq, reason: "head-mismatch", message: `the chain ends at seq ${r.head.seq} with hash ${r.head.hash}, not at the export's chain head (seq ${this.headSeq}, ${this.header.chainHead.hash})` };
      }
    }
    return { format: "json", header: this.header, verified: this.verified, linked: this.linked, firstSeq: this.firstSeq, lastSeq: this.prev ? this.prevSeq : undefined, broken: this.broken };
  }

  private check(row: ExportRevision, changed: string | undefined): void {
    const seq = BigInt(row.seq);
    const fail = (reason: ExportBreakReason, message: string): never => {
      throw new Broken({ seq, reason, message, row });
    };
    if (changed) fail("canonical-mismatch", changed);
    if (row.clusterId !== this.header.cluster) fail("cluster-mismatch", `the row belongs to cluster ${JSON.stringify(row.clusterId)}, the export to ${JSON.stringify(this.header.cluster)}`);
    if (seq > this.headSeq) fail("beyond-head", `seq ${seq} is after the export's chain head (seq ${this.headSeq})`);
    if (this.chain) {
      const b = this.chain.push(row);
      if (b) fail(b.reason, b.message);
    } else {
      if (seq <= this.prevSeq) fail("seq-order", `seq ${seq} follows seq ${this.prevSeq}: rows are out of order or repeated`);
      let canonical: string;
      try {
        canonical = canonicalRevision(row);
      } catch (e) {
        return fail("canonical-mismatch", `the fields cannot be canonicalised: ${(e as Error).message}`);
      }
      if (canonical !== row.canonical) fail("canonical-mismatch", "the row's fields do not produce its canonical text (a field was changed)");
      if (chainHash(row.prevHash, row.canonical) !== row.hash) fail("hash-mismatch", "sha256(prevHash || canonical) does not equal the row's hash");
      if (seq === 1n && row.prevHash !== GENESIS_HASH) fail("prev-link-broken", "seq 1 does not link to the genesis hash");
      if (this.prev && seq === this.prevSeq + 1n) {
        if (row.prevHash !== this.prev.hash) fail("prev-link-broken", `prevHash ${row.prevHash} is not the hash of seq ${this.prevSeq} (${this.prev.hash})`);
        this.linked++;
      }
      if (seq === this.headSeq && row.hash !== this.header.chainHead.hash) fail("head-mismatch", `seq ${seq} is the chain head, but its hash is not the head's (${this.header.chainHead.hash})`);
      this.checkFilter(row, fail);
    }
    if (this.chain && this.prev) this.linked++;
    this.firstSeq ??= seq;
    this.prev = row;
    this.prevSeq = seq;
    this.verified++;
  }

  private checkFilter(row: ExportRevision, fail: (reason: ExportBreakReason, message: string) => never): void {
    const f = this.header.filter;
    if (f.namespace !== null && row.namespace !== f.namespace) fail("filter-mismatch", `namespace ${JSON.stringify(row.namespace)} is outside the export's filter (namespace ${f.namespace})`);
    if (f.tokenNamespaces !== null && !f.tokenNamespaces.includes(row.namespace))
      fail("filter-mismatch", `namespace ${JSON.stringify(row.namespace)} is outside the namespaces of the token that exported (${f.tokenNamespaces.join(", ")})`);
    const t = Date.parse(row.observedAt);
    if (this.since !== undefined && !(t >= this.since)) fail("filter-mismatch", `observedAt ${row.observedAt} is before the filter's since (${f.since})`);
    if (this.until !== undefined && !(t < this.until)) fail("filter-mismatch", `observedAt ${row.observedAt} is not before the filter's until (${f.until})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading files

/** Verifies the audit export in `path`, detecting its format (json, ndjson or csv) from its content. */
export async function verifyExportFile(path: string): Promise<ExportVerification> {
  const format = await detectFormat(path);
  switch (format) {
    case "json":
      return { ...(await verifyJson(path)), format };
    case "ndjson":
      return { ...(await verifyNdjson(path)), format };
    case "csv":
      return { ...(await verifyCsv(path)), format };
  }
}

async function detectFormat(path: string): Promise<ExportFileFormat> {
  let head: string;
  try {
    const fh = await open(path, "r");
    try {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead).toString("utf8");
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new BadInputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const text = head.replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("#")) return "csv";
  if (!text.startsWith("{")) throw new BadInputError(`${path} is not a kubereach audit export (json, ndjson or csv)`);
  const firstLine = text.split("\n", 1)[0]!;
  try {
    const h = JSON.parse(firstLine) as Record<string, unknown>;
    if (h["format"] === AUDIT_FORMAT && !("revisions" in h)) return "ndjson";
  } catch {
    // not one object per line: a JSON document
  }
  return "json";
}

function notAnExport(path: string, why: string): BadInputError {
  return new BadInputError(`${path} is not a kubereach audit export: ${why}`);
}

const HEX64 = /^[0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9]\d*)$/;

function parseHeader(path: string, h: unknown): AuditHeader {
  const o = h as Record<string, unknown> | null;
  if (!o || typeof o !== "object") throw notAnExport(path, "no header");
  if (o["format"] !== AUDIT_FORMAT) throw notAnExport(path, `format is ${JSON.stringify(o["format"])}, expected ${AUDIT_FORMAT}`);
  const head = o["chainHead"] as Record<string, unknown> | undefined;
  const filter = o["filter"] as Record<string, unknown> | undefined;
  if (typeof o["cluster"] !== "string" || !o["cluster"]) throw notAnExport(path, "the header names no cluster");
  if (typeof o["complete"] !== "boolean") throw notAnExport(path, "the header does not say whether the export is complete");
  if (!head || typeof head["seq"] !== "string" || !DECIMAL.test(head["seq"]) || typeof head["hash"] !== "string" || !HEX64.test(head["hash"]))
    throw notAnExport(path, "the header has no valid chainHead {seq, hash}");
  if (!filter || typeof filter !== "object") throw notAnExport(path, "the header has no filter");
  const str = (k: string) => {
    const v = filter[k];
    if (v === null || v === undefined) return null;
    if (typeof v !== "string") throw notAnExport(path, `filter.${k} is not a string`);
    return v;
  };
  const tokenNamespaces = filter["tokenNamespaces"];
  if (tokenNamespaces !== null && tokenNamespaces !== undefined && !(Array.isArray(tokenNamespaces) && tokenNamespaces.every((n) => typeof n === "string")))
    throw notAnExport(path, "filter.tokenNamespaces is not a list of names");
  const parsedFilter: AuditFilter = { namespace: str("namespace"), since: str("since"), until: str("until"), tokenNamespaces: (tokenNamespaces as string[] | null | undefined) ?? null };
  for (const k of ["since", "until"] as const) if (parsedFilter[k] !== null && Number.isNaN(Date.parse(parsedFilter[k]!))) throw notAnExport(path, `filter.${k} is not a time`);
  const filtered = parsedFilter.namespace !== null || parsedFilter.since !== null || parsedFilter.until !== null || parsedFilter.tokenNamespaces !== null;
  if (o["complete"] === true && filtered) throw notAnExport(path, "the header says complete, but names a filter");
  return {
    format: AUDIT_FORMAT,
    cluster: o["cluster"],
    exportedAt: typeof o["exportedAt"] === "string" ? o["exportedAt"] : "",
    filter: parsedFilter,
    complete: o["complete"],
    chainHead: { seq: head["seq"], hash: head["hash"] },
  };
}

/** A revision as a JSON file holds it, checked for shape (values are checked by the chain). */
function toRevision(v: unknown): ExportRevision | string {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== "object" || Array.isArray(o)) return "not a JSON object";
  if (typeof o["seq"] !== "string" || !DECIMAL.test(o["seq"]) || o["seq"] === "0") return "seq is not a positive decimal string";
  for (const k of ["clusterId", "objectKind", "namespace", "name", "uid", "resourceVersion", "operation", "observedAt", "observedVia", "prevHash", "hash", "canonical"])
    if (typeof o[k] !== "string") return `${k} is not a string`;
  if (typeof o["finalStateUnknown"] !== "boolean") return "finalStateUnknown is not a boolean";
  if (o["sourceRef"] !== null && typeof o["sourceRef"] !== "string") return "sourceRef is neither null nor a string";
  for (const k of ["before", "after", "diff"]) if (!(k in o)) return `${k} is missing`;
  return o as unknown as ExportRevision;
}

function seqOf(v: unknown): bigint | undefined {
  const s = (v as Record<string, unknown> | null)?.["seq"];
  return typeof s === "string" && DECIMAL.test(s) ? BigInt(s) : undefined;
}

function pushJsonRow(verifier: ExportVerifier, value: unknown): boolean {
  const row = toRevision(value);
  const b = typeof row === "string" ? verifier.malformed(row, seqOf(value)) : verifier.push(row);
  return b !== undefined;
}

async function verifyJson(path: string): Promise<Omit<ExportVerification, "format">> {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw notAnExport(path, `not valid JSON (${(e as Error).message}); a download cut short ends like this`);
  }
  const header = parseHeader(path, doc);
  if (!Array.isArray(doc["revisions"])) throw notAnExport(path, "no revisions list");
  const verifier = new ExportVerifier(header);
  for (const r of doc["revisions"]) if (pushJsonRow(verifier, r)) break;
  const count = typeof doc["count"] === "number" ? doc["count"] : undefined;
  return verifier.finish(count);
}

async function verifyNdjson(path: string): Promise<Omit<ExportVerification, "format">> {
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let verifier: ExportVerifier | undefined;
  let count: number | undefined;
  let lineNo = 0;
  try {
    for await (const raw of lines) {
      lineNo++;
      const line = lineNo === 1 ? raw.replace(/^\uFEFF/, "") : raw;
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        if (!verifier) throw notAnExport(path, "the first line is not JSON");
        if (verifier.malformed(`line ${lineNo} is not JSON`)) break;
        continue;
      }
      if (!verifier) {
        verifier = new ExportVerifier(parseHeader(path, value));
        continue;
      }
      if (count !== undefined) {
        verifier.malformed(`line ${lineNo} follows the end marker`, seqOf(value));
        break;
      }
      const o = value as Record<string, unknown> | null;
      if (o && typeof o === "object" && o["end"] === true) {
        count = typeof o["count"] === "number" ? o["count"] : -1;
        continue;
      }
      if (pushJsonRow(verifier, value)) break;
    }
  } finally {
    lines.close();
  }
  if (!verifier) throw notAnExport(path, "the file is empty");
  return verifier.finish(count);
}

async function verifyCsv(path: string): Promise<Omit<ExportVerification, "format">> {
  const reader = new CsvReader();
  let verifier: ExportVerifier | undefined;
  let columnsSeen = false;
  let count: number | undefined;
  let stop = false;
  const handle = (rec: CsvRecord) => {
    if (stop) return;
    if (!verifier) {
      if (rec.type !== "comment") throw notAnExport(path, `the first line is not the # ${AUDIT_FORMAT} line`);
      verifier = new ExportVerifier(parseHeader(path, csvHeader(path, rec.text)));
      return;
    }
    if (!columnsSeen) {
      if (rec.type !== "row" || rec.cells.join(",") !== AUDIT_COLUMNS.join(",")) throw notAnExport(path, `line ${rec.line} is not the header row ${AUDIT_COLUMNS.join(",")}`);
      columnsSeen = true;
      return;
    }
    if (count !== undefined) {
      verifier.malformed(`line ${rec.line} follows the end marker`);
      stop = true;
      return;
    }
    if (rec.type === "comment") {
      const m = /^# end count=(\d+)$/.exec(rec.text);
      if (m) count = Number(m[1]);
      else stop = verifier.malformed(`line ${rec.line}: unexpected comment`) !== undefined;
      return;
    }
    const r = csvRevision(rec.cells);
    const b = typeof r === "string" ? verifier.malformed(`line ${rec.line}: ${r}`, csvSeq(rec.cells)) : verifier.push(r.row, r.changed);
    if (b) stop = true;
  };
  const input = createReadStream(path, { encoding: "utf8" });
  try {
    let first = true;
    for await (const chunk of input) {
      let text = chunk as string;
      if (first) text = text.replace(/^\uFEFF/, "");
      first = false;
      for (const rec of reader.push(text)) handle(rec);
      if (stop) break;
    }
    if (!stop) for (const rec of reader.end()) handle(rec);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    if (!verifier) throw notAnExport(path, e.message);
    verifier.malformed(e.message);
  } finally {
    input.destroy();
  }
  if (!verifier) throw notAnExport(path, "the file is empty");
  if (!columnsSeen) throw notAnExport(path, "no header row");
  return verifier.finish(count);
}

function csvHeader(path: string, line: string): unknown {
  const parsed = parseCommentLine(line);
  if (!parsed || parsed.title !== AUDIT_FORMAT) throw notAnExport(path, `the first line does not start with # ${AUDIT_FORMAT}`);
  const p = parsed.pairs;
  const tokenNamespaces = p.get("tokenNamespaces");
  return {
    format: AUDIT_FORMAT,
    cluster: p.get("cluster"),
    exportedAt: p.get("exportedAt"),
    complete: p.get("complete") === "true" ? true : p.get("complete") === "false" ? false : undefined,
    chainHead: { seq: p.get("chainHead.seq"), hash: p.get("chainHead.hash") },
    filter: {
      namespace: p.get("namespace") ?? null,
      since: p.get("since") ?? null,
      until: p.get("until") ?? null,
      tokenNamespaces: tokenNamespaces === undefined ? null : tokenNamespaces === "" ? [] : tokenNamespaces.split(","),
    },
  };
}

function csvSeq(cells: readonly string[]): bigint | undefined {
  const s = unguardCell(cells[0] ?? "");
  return DECIMAL.test(s) && s !== "0" ? BigInt(s) : undefined;
}

/**
 * A CSV row as a revision. CSV cannot tell null from "" and holds JSON as text, so the fields the
 * hash covers are taken from the row's canonical text, and each cell must show exactly what the
 * canonical text holds: a changed cell is a changed field (`changed` says which).
 */
function csvRevision(raw: readonly string[]): { row: ExportRevision; changed?: string } | string {
  if (raw.length !== AUDIT_COLUMNS.length) return `${raw.length} cells, expected ${AUDIT_COLUMNS.length}`;
  const cells = new Map(AUDIT_COLUMNS.map((c, i) => [c, unguardCell(raw[i]!)] as const));
  const canonical = cells.get("canonical")!;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(canonical) as Record<string, unknown>;
  } catch {
    return "the canonical cell is not JSON";
  }
  if (!fields || typeof fields !== "object" || Array.isArray(fields)) return "the canonical cell is not a JSON object";
  const row = toRevision({ ...fields, id: cells.get("id"), prevHash: cells.get("prevHash"), hash: cells.get("hash"), canonical });
  if (typeof row === "string") return `the canonical text: ${row}`;
  for (const column of AUDIT_COLUMNS) {
    if (column === "id" || column === "prevHash" || column === "hash" || column === "canonical") continue;
    const cell = cells.get(column)!;
    const expected = auditCellText(column, row[column]);
    if (cell === expected) continue;
    if (column === "before" || column === "after" || column === "diff") {
      try {
        if (canonicalize(JSON.parse(cell)) === canonicalize(row[column])) continue;
      } catch {
        // not JSON: a mismatch
      }
    }
    const shown = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
    return { row, changed: `the ${column} cell shows ${shown(cell)}, but the revision's canonical text holds ${shown(expected)} (a field was changed)` };
  }
  return { row };
}
