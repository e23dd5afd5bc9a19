/**
 * How a bulk of new rows reaches a table inside a Prisma transaction.
 *
 * On PostgreSQL: `COPY ... FROM STDIN` on the transaction's own connection. Every statement that
 * goes through Prisma, raw ones included, passes its parameters through Prisma's query compiler
 * (WebAssembly, on the event loop the API shares), at about 27 us per KB. A first 150,000-pod sync
 * writes some 800,000 matrix connections (about 400 MB of parameters): 800,000 such rows took 35-45 s
 * as JSON chunks, 20 s of it in Node, against 12-14 s by COPY, all of it in PostgreSQL (bench/,
 * 2026-12-07). COPY runs in the transaction, so the rows commit or roll back with everything else.
 *
 * Prisma does not hand out the connection of an interactive transaction. The store owns the pg pool
 * Prisma's adapter draws from, so it knows every connection the pool opened, and asks the
 * transaction which backend it runs on (`pg_backend_pid()`): that is the connection to COPY on.
 * Prisma sends nothing on it while the COPY runs, because the transaction's callback awaits the COPY.
 *
 * Up to ROWS_PER_STATEMENT rows (a watch event's), and on PGlite (no pg connection to reach):
 * statements of ROWS_PER_STATEMENT rows, each one JSON text read with json_to_recordset (bulkRows.ts).
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { Prisma } from "../generated/prisma/client.js";
import { ROWS_PER_STATEMENT, chunks, jsonRows } from "./bulkRows.js";
import type { Tx } from "./prisma.js";

/** One column's value: SQL NULL, a number, a boolean, or text (jsonb columns take JSON text). */
export type Cell = string | number | boolean | null;

/** A table the loader writes: its name and its columns, with their SQL types, in the order rows give them. */
export interface BulkTable {
  readonly name: string;
  readonly columns: readonly (readonly [name: string, type: string])[];
}

export interface RowLoader {
  /** Inserts one row per item (`cells(item)`: one cell per column of `table`, in its order) into `table`, inside `tx`. */
  insert<T>(tx: Tx, table: BulkTable, items: readonly T[], cells: (item: T) => readonly Cell[]): Promise<void>;
}

/** Rows as JSON chunks through Prisma: the loader where no pg connection can be reached (PGlite). */
export class JsonRowLoader implements RowLoader {
  async insert<T>(tx: Tx, table: BulkTable, items: readonly T[], cells: (item: T) => readonly Cell[]): Promise<void> {
    const target = Prisma.raw(`${table.name} (${table.columns.map(([n]) => n).join(", ")})`);
    for (const part of chunks(items)) await tx.$executeRaw`INSERT INTO ${target} ${jsonSource(table, part.map(cells))}`;
  }
}

/**
 * `SELECT` of rows given as one JSON text, with `table`'s columns in its order: one statement's worth
 * of input. A json/jsonb cell is JSON text, as in COPY: read as text, then cast (json_to_recordset
 * would keep it a JSON string).
 */
export function jsonSource(table: BulkTable, rows: readonly (readonly Cell[])[]): Prisma.Sql {
  const isJson = (type: string) => /^jsonb?$/i.test(type);
  const shape = Prisma.raw(table.columns.map(([n, t]) => `${n} ${isJson(t) ? "text" : t}`).join(", "));
  const values = Prisma.raw(table.columns.map(([n, t]) => (isJson(t) ? `t.${n}::${t} AS ${n}` : `t.${n}`)).join(", "));
  const objects = rows.map((r) => Object.fromEntries(table.columns.map(([n], i) => [n, r[i]])));
  return Prisma.sql`SELECT ${values} FROM json_to_recordset(${jsonRows(objects)}::json) AS t(${shape})`;
}

/**
 * The input rows of one set-based statement (an upsert that reads what it replaces, say): up to
 * ROWS_PER_STATEMENT inline as JSON, more (a relist) loaded into a temporary table first, dropped
 * at commit, so that the statement runs once over all of them and its input never passes through
 * Prisma's compiler. A temporary table costs about 1 ms, too much for a watch event's one row.
 */
export async function inputRows<T>(tx: Tx, loader: RowLoader, table: BulkTable, items: readonly T[], cells: (item: T) => readonly Cell[]): Promise<Prisma.Sql> {
  if (items.length <= ROWS_PER_STATEMENT) return jsonSource(table, items.map(cells));
  await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS pg_temp.${table.name}`);
  await tx.$executeRawUnsafe(`CREATE TEMP TABLE ${table.name} (${table.columns.map(([n, t]) => `${n} ${t}`).join(", ")}) ON COMMIT DROP`);
  await loader.insert(tx, table, items, cells);
  // Autovacuum never analyzes a temporary table, and the statements that read it choose their joins
  // (hash, or index probes per row) by its row count. Its first column only: the count is what the
  // plans need, and sampling jsonb columns costs (0.5 s for 150,000 pods, 0.09 s for one column).
  await tx.$executeRawUnsafe(`ANALYZE pg_temp.${table.name} (${table.columns[0]![0]})`);
  return Prisma.sql`SELECT * FROM ${Prisma.raw(`pg_temp.${table.name}`)}`;
}

/** COPY text is sent in pieces of about this many characters. */
const COPY_PIECE = 64 * 1024;

/** Rows by COPY on the transaction's own pg connection. Create it before the pool opens a connection. */
export class PgCopyRowLoader implements RowLoader {
  private readonly connections = new Set<pg.Client>();
  private readonly byTx = new WeakMap<Tx, pg.Client>();
  private readonly small = new JsonRowLoader();

  constructor(pool: pg.Pool) {
    pool.on("connect", (c) => this.connections.add(c));
    pool.on("remove", (c) => this.connections.delete(c));
  }

  async insert<T>(tx: Tx, table: BulkTable, items: readonly T[], cells: (item: T) => readonly Cell[]): Promise<void> {
    // One statement's worth: a COPY would cost a round trip more (and a first one to find the connection).
    if (items.length <= ROWS_PER_STATEMENT) return this.small.insert(tx, table, items, cells);
    const connection = await this.connectionOf(tx);
    const sql = `COPY ${table.name} (${table.columns.map(([n]) => n).join(", ")}) FROM STDIN`;
    await pipeline(Readable.from(copyText(items, cells)), connection.query(copyFrom(sql)));
  }

  private async connectionOf(tx: Tx): Promise<pg.Client> {
    const known = this.byTx.get(tx);
    if (known) return known;
    const [row] = await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    for (const c of this.connections) {
      if ((c as pg.Client & { processID?: number | null }).processID === row?.pid) {
        this.byTx.set(tx, c);
        return c;
      }
    }
    // A bug, not a user error: the pool must be the one this loader watched from its start.
    throw new Error(`No connection of the store's pool runs backend ${row?.pid}: cannot COPY inside the transaction`);
  }
}

/** Rows as COPY text (PostgreSQL's text format: tab-separated, \N for NULL), in pieces of about COPY_PIECE characters. */
export function* copyText<T>(items: Iterable<T>, cells: (item: T) => readonly Cell[]): Generator<string> {
  let piece = "";
  for (const item of items) {
    const row = cells(item);
    for (let i = 0; i < row.length; i++) {
      const v = row[i] as Cell;
      piece += (i === 0 ? "" : "\t") + copyCell(v);
    }
    piece += "\n";
    if (piece.length >= COPY_PIECE) {
      yield piece;
      piece = "";
    }
  }
  if (piece !== "") yield piece;
}

function copyCell(v: Cell): string {
  switch (typeof v) {
    case "string":
      return copyEscape(v);
    case "number":
      return copyNumber(v);
    case "boolean":
      return v ? "t" : "f";
    default:
      return "\\N";
  }
}

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A UTF-16 surrogate without its pair: not a character, and UTF-8 cannot carry it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A text value in COPY text format: backslash, tab, newline and carriage return escaped. A lone
 * surrogate is refused: encoded to UTF-8 it would silently become U+FFFD, a value other than the
 * one given, where the JSON statements fail on it (PostgreSQL rejects the \udXXX escape).
 */
function copyEscape(v: string): string {
  if (LONE_SURROGATE.test(v)) throw new Error(`Cannot COPY text with an unpaired UTF-16 surrogate: ${JSON.stringify(v.slice(0, 80))}`);
  return SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : v;
}

function copyNumber(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`Cannot COPY the number ${v}`);
  return String(v);
}
