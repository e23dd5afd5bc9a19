/**
 * One mapping from errors to responses. AppErrors carry a code users can act on; anything else is
 * a bug: the client gets a generic message and the request id, the log gets everything.
 */
import type { GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { isAppError, type AppError, type AppErrorCode } from "../../domain/errors.js";
import { DatabaseUnavailableError } from "../../store/errors.js";

/**
 * What API clients are told when the database fails, on every route (health included): the
 * driver's text names hosts, ports, roles, databases and Prisma's invocation; the log keeps it.
 */
export const DATABASE_UNAVAILABLE = "the database is unavailable; try again later (the server log has the details under this request's id)";

/** The message a client may see for an AppError: its own, except for database failures. */
export function publicMessage(err: AppError): string {
  return err instanceof DatabaseUnavailableError ? DATABASE_UNAVAILABLE : err.message;
}

const HTTP_STATUS: Record<AppErrorCode, number> = {
  BAD_INPUT: 400,
  USAGE: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UPSTREAM_UNAVAILABLE: 503,
  INTEGRITY: 500,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
};

const GRAPHQL_CODE: Record<AppErrorCode, string> = {
  BAD_INPUT: "BAD_USER_INPUT",
  USAGE: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  UPSTREAM_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INTEGRITY: "INTERNAL_SERVER_ERROR",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
};

export function httpStatusOf(err: unknown): number {
  return isAppError(err) ? HTTP_STATUS[err.code] : 500;
}

/** Apollo's formatError: keep GraphQL's own validation errors, map AppErrors, mask everything else. */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown, log: (err: unknown) => void): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (isAppError(original)) {
    if (original.code === "INTEGRITY" || original.code === "UPSTREAM_UNAVAILABLE") log(original);
    return { message: publicMessage(original), path: formatted.path, extensions: { code: GRAPHQL_CODE[original.code] } };
  }
  const code = formatted.extensions?.["code"];
  // Parse, validation, bad input and Apollo's own client errors are safe to show as they are.
  if (typeof code === "string" && code !== "INTERNAL_SERVER_ERROR") return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
  log(original);
  return { message: "Internal server error (the server log has the details under this request's id)", path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
}
