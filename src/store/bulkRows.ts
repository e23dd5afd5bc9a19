/**
 * Rows passed through Prisma as statement parameters: in statements of at most ROWS_PER_STATEMENT
 * rows, each chunk as ONE JSON text parameter read with `json_to_recordset`. (Larger loads of new
 * rows, and the input of a relist's set-based statements, go by COPY on PostgreSQL: rowLoader.ts.)
 *
 * Prisma handles a statement's parameters synchronously, on the event loop the API shares, and even
 * a raw statement goes through its query compiler (WebAssembly), whose cost grows faster than the
 * parameters' length: 150,000 600-byte strings as one text[] took 14-15 s through Prisma, the same
 * strings in statements of 500 about 4 s (bench, 2026-12-07). Small statements also keep the
 * compiler's WebAssembly memory, which never shrinks, small. At 500 rows (about 265 KB of matrix
 * rows) a statement holds the event loop 1-3 ms. One JSON text costs about half the CPU of the same
 * rows as text[] arrays, whose every element is converted on its own (5,000 rows: 24 ms against 45).
 */
export const ROWS_PER_STATEMENT = 500;

/**
 * A chunk's rows as one JSON text, read with json_to_recordset: a field named like a column fills
 * it, a null or absent field is SQL NULL, and a nested object lands in a json/jsonb column as it is.
 */
export function jsonRows(rows: readonly object[]): string {
  return JSON.stringify(rows);
}

/** `rows` in statements' worth: at most ROWS_PER_STATEMENT each, none for no rows. */
export function* chunks<T>(rows: readonly T[]): Generator<readonly T[]> {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) yield rows.slice(i, i + ROWS_PER_STATEMENT);
}

/**
 * A write of this many rows is a bulk load (a first sync, a relist): the planner's statistics of the
 * tables it wrote no longer describe them, and are refreshed (see the callers).
 */
export const BULK_ROWS = 10_000;

/**
 * Whether a commit that wrote `written` rows over tables of about `existing` rows leaves the
 * planner's statistics stale: a bulk write that is also a tenth of the tables or more (autovacuum's
 * own default threshold). At 150,000 pods a change of 11,000 connections is 1 % of the matrix's 1.1
 * million rows: its ANALYZE (~1 s) held back the commit's return, and with it the API's index of
 * the new generation, long enough that readers fell back to database reads (whoCanReach p99 0.7 s).
 */
export function staleStatistics(written: number, existing: number): boolean {
  return written >= BULK_ROWS && written * 10 >= existing;
}
