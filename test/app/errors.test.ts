import { describe, expect, it } from "vitest";
import { APP_ERROR_CODES, AppError, BadInputError, ConflictError, isAppError, NotFoundError, UpstreamUnavailableError, UsageError } from "../../src/domain/errors.js";

describe("AppError", () => {
  it.each([
    [BadInputError, "BAD_INPUT"],
    [NotFoundError, "NOT_FOUND"],
    [UsageError, "USAGE"],
    [ConflictError, "CONFLICT"],
    [UpstreamUnavailableError, "UPSTREAM_UNAVAILABLE"],
  ] as const)("%o carries code %s, its own name and the cause", (Class, code) => {
    const cause = new Error("low level");
    const e = new Class("message", { cause });
    expect(e).toBeInstanceOf(AppError);
    expect(e).toBeInstanceOf(Error);
    expect(isAppError(e)).toBe(true);
    expect(e.code).toBe(code);
    expect(APP_ERROR_CODES).toContain(e.code);
    expect(e.name).toBe(Class.name);
    expect(e.message).toBe("message");
    expect(e.cause).toBe(cause);
  });

  it("is not confused with other errors", () => {
    expect(isAppError(new Error("x"))).toBe(false);
    expect(isAppError({ code: "NOT_FOUND", message: "x" })).toBe(false);
  });
});
