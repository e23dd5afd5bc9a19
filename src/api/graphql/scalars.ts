/** DateTime (ISO 8601 <-> Date) and JSON (any JSON value) scalars. */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";

function parseDate(value: unknown): Date {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value))
    throw new GraphQLError(`DateTime must be an ISO 8601 date or date-time, e.g. 2026-11-27T10:00:00Z (got ${JSON.stringify(value)})`, { extensions: { code: "BAD_USER_INPUT" } });
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new GraphQLError(`DateTime ${JSON.stringify(value)} is not a valid time`, { extensions: { code: "BAD_USER_INPUT" } });
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
