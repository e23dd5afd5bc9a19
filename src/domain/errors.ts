/**
 * Typed errors for I/O and requests, thrown and caught only at the edges (CLI, API). Each carries
 * a stable `code` the edge maps once (exit code, GraphQL `extensions.code`, HTTP status) and an
 * optional `cause`. Problems inside input data are not errors but diagnostics (engine/diagnostics.ts).
 */
export const APP_ERROR_CODES = ["BAD_INPUT", "NOT_FOUND", "USAGE", "CONFLICT", "UPSTREAM_UNAVAILABLE", "INTEGRITY", "UNAUTHENTICATED", "FORBIDDEN"] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export abstract class AppError extends Error {
  abstract readonly code: AppErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input (a file, a manifest, a name in a request) is unusable as given. */
export class BadInputError extends AppError {
  readonly code = "BAD_INPUT" as const;
}

/** A named thing (a path, a workload, a snapshot) does not exist. */
export class NotFoundError extends AppError {
  readonly code = "NOT_FOUND" as const;
}

/** The request itself is malformed: an unknown option, a missing argument, a value out of range. */
export class UsageError extends AppError {
  readonly code = "USAGE" as const;
}

/** The operation conflicts with existing state (e.g. a duplicate key). */
export class ConflictError extends AppError {
  readonly code = "CONFLICT" as const;
}

/** A system kubereach depends on (the Kubernetes API, the database) failed or cannot be reached. */
export class UpstreamUnavailableError extends AppError {
  readonly code = "UPSTREAM_UNAVAILABLE" as const;
}

/**
 * Stored data or its schema is not what this version of kubereach expects, and continuing could
 * corrupt or misreport it: an applied migration was edited, the database is newer than the code,
 * an append-only table was written to. Needs an operator, never a retry.
 */
export class IntegrityError extends AppError {
  readonly code = "INTEGRITY" as const;
}

/** The request carries no valid credentials. */
export class UnauthenticatedError extends AppError {
  readonly code = "UNAUTHENTICATED" as const;
}

/** The credentials are valid but do not allow this. */
export class ForbiddenError extends AppError {
  readonly code = "FORBIDDEN" as const;
}

/** The one rule for recognising an error: an AppError, optionally of one code (never a duck-typed `code`). */
export function isAppError(e: unknown, code?: AppErrorCode): e is AppError {
  return e instanceof AppError && (code === undefined || e.code === code);
}

/** What the engine answers when a lookup fails (resolveWorkload, explain): not an error there, data. */
export interface EngineFailure {
  readonly ok: false;
  readonly code: "NOT_FOUND" | "AMBIGUOUS" | "INVALID";
  readonly message: string;
}

/**
 * The one mapping of an engine failure to a typed error: an unknown name is NOT_FOUND, an
 * ambiguous or invalid one is BAD_INPUT. `context` is appended to the message, e.g. the generation.
 */
export function engineError(failure: EngineFailure, context?: string): AppError {
  const message = context ? `${failure.message} (${context})` : failure.message;
  return failure.code === "NOT_FOUND" ? new NotFoundError(message) : new BadInputError(message);
}
