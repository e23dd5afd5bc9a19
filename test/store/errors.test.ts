/** Which database failures are "unavailable" (503 for API clients) and which are the statement's own fault. */
import { describe, expect, it } from "vitest";
import { ConflictError } from "../../src/domain/errors.js";
import { DatabaseError, DatabaseUnavailableError, isUnreachable, toStoreError } from "../../src/store/errors.js";

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
/** What Prisma's raw queries through adapter-pg throw. */
const prismaRaw = (code: string, message: string) =>
  Object.assign(new Error(`Invalid \`prisma.$queryRaw()\` invocation: Raw query failed. Code: \`${code}\`.`), { code: "P2010", meta: { driverAdapterError: { cause: { originalCode: code, originalMessage: message } } } });

describe("database failures that mean the database cannot serve now", () => {
  it.each([
    ["28000", 'role "kr" is not permitted to log in'],
    ["28P01", 'password authentication failed for user "kr"'],
    ["3D000", 'database "kr" does not exist'],
    ["53300", "sorry, too many clients already"],
    ["57014", "canceling statement due to statement timeout"],
    ["55P03", "canceling statement due to lock timeout"],
    ["57P01", "terminating connection due to administrator command"],
    ["08006", "connection failure"],
    ["55000", 'database "kr" is not currently accepting connections'],
    ["ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"],
  ])("%s (%s) is DatabaseUnavailableError, from pg and through Prisma", (code, message) => {
    for (const e of [pgError(code, message), prismaRaw(code, message)]) {
      const mapped = toStoreError(e, "matrix.latestGeneration(c)");
      expect(mapped).toBeInstanceOf(DatabaseUnavailableError);
      expect((mapped as Error).message).toContain(message);
    }
  });

  it("pg's pool timeout and Prisma's connection codes", () => {
    expect(toStoreError(new Error("timeout exceeded when trying to connect"), "x")).toBeInstanceOf(DatabaseUnavailableError);
    expect(isUnreachable({ prismaCode: "P2024", message: "Timed out fetching a new connection from the connection pool" })).toBe(true);
    expect(isUnreachable({ prismaCode: "P1000", message: "Authentication failed" })).toBe(true);
  });

  it.each([
    ["42P01", 'relation "x" does not exist', DatabaseError],
    ["42501", "permission denied for table x", DatabaseError],
    ["55000", "object not in prerequisite state", DatabaseError],
    ["40001", "could not serialize access", ConflictError],
  ] as const)("%s (%s) is not", (code, message, type) => {
    expect(toStoreError(pgError(code, message), "x")).toBeInstanceOf(type);
  });
});
