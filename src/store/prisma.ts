/**
 * The Prisma client type the repositories share, and the transaction settings they use.
 * Rules for every repository:
 * - inside `db.$transaction(async (tx) => ...)` use only `tx`: PGlite has a single connection, and
 *   a query on `db` while the transaction holds it waits forever;
 * - bulk inserts of new rows go through the store's RowLoader (rowLoader.ts: COPY on PostgreSQL);
 *   other bulk writes through `$executeRaw`/`$queryRaw`, in chunks of rows passed as one JSON text
 *   (bulkRows.ts) or as `unnest(...)` arrays (STACK.md T-P10), never createMany;
 * - public methods are wrapped in `mapStoreErrors`.
 */
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import type { JsonValue } from "../domain/objects.js";

export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;

/**
 * Interactive transaction limits. Prisma's defaults (5 s to run, 2 s to start) are too short for a
 * full relist of a large cluster, and on PGlite a transaction waits for the one before it to end.
 */
export const TX_OPTIONS = { timeout: 300_000, maxWait: 120_000 } as const;

/** Prisma Json input from a kubereach JsonValue (a JSON `null` must be spelled Prisma.JsonNull). */
export function jsonInput(v: JsonValue): Prisma.InputJsonValue | typeof Prisma.JsonNull {
  return v === null ? Prisma.JsonNull : (v as Prisma.InputJsonValue);
}

/** A jsonb array parameter: JSON texts, cast with `::jsonb` element-wise in SQL. */
export function jsonTexts(values: readonly (JsonValue | null | undefined)[]): (string | null)[] {
  return values.map((v) => (v === null || v === undefined ? null : JSON.stringify(v)));
}

/** Two-key advisory lock namespaces (pg_advisory_xact_lock(ns, hashtext(cluster))). */
export const LOCK_NS = { revisions: 1, matrix: 2 } as const;
