/** DateTime (ISO 8601 <-> Date, parsed as the REST routes parse times) and JSON (any JSON value) scalars. */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { parseTime } from "../http/params.js";

/** The same parser as the REST routes' `since`/`until`: calendar-exact (2026-02-31 is refused), UTC when no offset is given. */
function parseDate(value: unknown): Date {
  const d = typeof value === "string" ? parseTime(value) : undefined;
  if (!d)
    throw new GraphQLError(`DateTime must be an ISO 8601 date or date-time of the calendar, e.g. 2026-11-27 or 2026-11-27T10:00:00Z (got ${JSON.stringify(value)})`, { extensions: { code: "BAD_USER_INPUT" } });
  return d;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: "DateTime",
  serialize: (v) => {
    const d = v instanceof Date ? v : new Date(v as string);
    return d.toISOString();
  },
  parseValue: parseDate,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("DateTime must be a string", { extensions: { code: "BAD_USER_INPUT" } });
    return parseDate(ast.value);
  },
});

function literal(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literal);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
    default:
      throw new GraphQLError("JSON literals cannot use variables or enums", { extensions: { code: "BAD_USER_INPUT" } });
  }
}

export const JsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: "JSON",
  serialize: (v) => (typeof v === "bigint" ? v.toString() : v),
  parseValue: (v) => v,
  parseLiteral: literal,
});
