/**
 * Database failures -> kubereach's typed errors, in one place (STACK.md T-P8). The three drivers
 * report the same PostgreSQL failure in different shapes:
 * - adapter-pg through Prisma: `PrismaClientKnownRequestError` with `code` P2002/P2003/P2025, or
 *   P2010 for raw queries with the SQLSTATE in `meta.driverAdapterError.cause.originalCode`;
 * - pglite-prisma-adapter through Prisma: the same P2010 for raw queries, but a bare
 *   `DriverAdapterError` without `code` for model queries, the SQLSTATE on `cause.code`;
 * - `pg` and PGlite used directly (the migrator): `code` is the SQLSTATE, or a Node errno
 *   (`ECONNREFUSED`) when the server cannot be reached.
 * Repositories wrap every public method in `mapStoreErrors`, so nothing above src/store sees these.
 */
import {
  AppError,
  BadInputError,
  ConflictError,
  IntegrityError,
  NotFoundError,
  UpstreamUnavailableError,
} from "../domain/errors.js";

/** The database cannot be reached or refused the connection: start it, or fix the URL. */
export class DatabaseUnavailableError extends UpstreamUnavailableError {}

/**
 * Any other database failure: not an AppError (the edges report it as an internal error), but with
 * the driver's message, which Prisma drops for raw queries on PGlite ("Message: undefined").
 */
export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly sqlState: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DatabaseError";
  }
}

/** An UPDATE, DELETE or TRUNCATE hit an append-only table (policy_revisions, reachability_impacts). */
export class AppendOnlyViolationError extends IntegrityError {}

/** An applied migration was edited, or the database carries migrations this version does not know. */
export class MigrationMismatchError extends IntegrityError {}

/** Stored history does not continue its hash chain where an append expects it (a bug or a foreign writer). */
export class ChainIntegrityError extends IntegrityError {}

/** The SQLSTATE raised by the append-only triggers (prisma/migrations/*_init, hand-written part). */
export const APPEND_ONLY_SQLSTATE = "KR001";

export interface DbErrorInfo {
  /** PostgreSQL SQLSTATE (`23505`) or Node errno (`ECONNREFUSED`), when known. */
  readonly code?: string;
  /** Prisma's own code (`P2002`), when the error came through Prisma. */
  readonly prismaCode?: string;
  readonly message: string;
  readonly detail?: string;
}

const PRISMA_TO_SQLSTATE: Readonly<Record<string, string>> = { P2002: "23505", P2003: "23503" };

const UNREACHABLE_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);

/** What `pg` says, without a code (or with a generic one), when a connection dies or cannot be made. */
const PG_CONNECTION_MESSAGES = /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect|is not currently accepting connections/i;

/**
 * SQLSTATEs that mean "the database cannot serve us now" rather than "this statement is wrong":
 * the login was refused or revoked (class 28), the database is gone (3D000), the server is out of
 * resources or connections (class 53), a statement or lock waited past its timeout (57014, 55P03),
 * the server is shutting down or restarting (57P01-57P03). Plus Prisma's connection-level codes.
 */
const UNAVAILABLE_SQLSTATES = /^(08|28|53)|^(3D000|57014|55P03|57P01|57P02|57P03)$/;
const UNAVAILABLE_PRISMA = new Set(["P1000", "P1001", "P1002", "P1003", "P1008", "P1011", "P1017", "P2024"]);

type Loose = Record<string, unknown> | undefined;

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** A SQLSTATE (`23505`, `KR001`) or a network errno: not any `code` (Node's ERR_* are bugs, not the database). */
function dbCode(v: unknown): string | undefined {
  const s = str(v);
  return s && (/^[0-9A-Z]{5}$/.test(s) || UNREACHABLE_ERRNOS.has(s)) ? s : undefined;
}

/** Digs the SQLSTATE / errno and the driver's message out of any of the shapes above. */
export function dbErrorInfo(e: unknown): DbErrorInfo | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const err = e as Record<string, unknown>;
  const meta = err.meta as Loose;
  const adapterCause = ((meta?.driverAdapterError as Loose)?.cause ?? undefined) as Loose;
  const cause = err.cause as Loose;
  const prismaCode = str(err.code)?.match(/^P[1-9]\d{3}$/) ? (err.code as string) : undefined;
  const aggregateCode = Array.isArray(err.errors) ? (err.errors as Loose[]).map((x) => dbCode(x?.code)).find((c) => c !== undefined) : undefined;
  const code =
    dbCode(adapterCause?.originalCode) ??
    dbCode(adapterCause?.code) ??
    (prismaCode ? undefined : dbCode(err.code)) ?? // Prisma's P1xxx-P3xxx look like SQLSTATEs
    dbCode(cause?.originalCode) ??
    dbCode(cause?.code) ??
    aggregateCode ??
    (prismaCode ? PRISMA_TO_SQLSTATE[prismaCode] : undefined);
  const message =
    str(adapterCause?.originalMessage) ?? str(adapterCause?.message) ?? str(cause?.message) ?? str(err.message) ?? String(e);
  const detail = str(adapterCause?.detail) ?? str(cause?.detail) ?? str(err.detail);
  if (code === undefined && prismaCode === undefined && !PG_CONNECTION_MESSAGES.test(message)) return undefined;
  return { code, prismaCode, message: message.trim(), detail };
}

/**
 * True when the failure means "the database cannot serve us now" (not there, refusing the login,
 * dropped, overloaded, timing out) rather than "the statement was wrong": a 503 for API clients.
 */
export function isUnreachable(info: DbErrorInfo): boolean {
  const c = info.code;
  if (c && (UNREACHABLE_ERRNOS.has(c) || UNAVAILABLE_SQLSTATES.test(c))) return true;
  if (info.prismaCode && UNAVAILABLE_PRISMA.has(info.prismaCode)) return true;
  return PG_CONNECTION_MESSAGES.test(info.message);
}

/**
 * The kubereach error for a database failure: an AppError when the failure has a meaning for the
 * caller, a DatabaseError otherwise; `e` itself when it is not a database failure at all (a bug
 * stays what it was, with its stack). `what` names the operation for the message.
 */
export function toStoreError(e: unknown, what: string): unknown {
  if (e instanceof AppError) return e;
  const info = dbErrorInfo(e);
  if (!info) return e;
  const text = `${what}: ${info.message}${info.detail ? ` (${info.detail})` : ""}`;
  if (isUnreachable(info)) return new DatabaseUnavailableError(`${what}: the database is unavailable: ${info.message}`, { cause: e });
  switch (info.code) {
    case APPEND_ONLY_SQLSTATE:
      return new AppendOnlyViolationError(text, { cause: e });
    case "23505":
    case "40001": // serialization_failure
    case "40P01": // deadlock_detected
      return new ConflictError(text, { cause: e });
    case "23503":
      // "insert or update on table ... violates foreign key": the referenced row (the cluster) is missing.
      return /^insert or update/i.test(info.message) || info.detail?.includes("is not present")
        ? new NotFoundError(`${text}. Register the cluster with ensureCluster() first.`, { cause: e })
        : new ConflictError(text, { cause: e });
    case "23502": // not_null_violation
    case "23514": // check_violation
    case "22021": // invalid byte sequence (a NUL character in text)
    case "22P02": // invalid_text_representation
    case "22003": // numeric_value_out_of_range
      return new BadInputError(text, { cause: e });
  }
  if (info.prismaCode === "P2025") return new NotFoundError(text, { cause: e });
  return new DatabaseError(`${text}${info.code ? ` [SQLSTATE ${info.code}]` : ""}`, info.code, { cause: e });
}

/** Runs `fn`, rethrowing database failures as kubereach errors (see toStoreError). */
export async function mapStoreErrors<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toStoreError(e, what);
  }
}
