/**
 * The one typed configuration of kubereach, validated once at start. Layers, later wins:
 * defaults < config file (--config or KUBEREACH_CONFIG, YAML or JSON) < environment < flags.
 * Every error names the setting, the bad value and where it came from.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";

export { ConfigError, ConfigSchema, type Config } from "../domain/config.js";
import { ConfigError, ConfigSchema, type Config } from "../domain/config.js";

type Layer = { name: string; values: Record<string, unknown> };

/** Dotted-path setter that builds nested objects. */
function set(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = target;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  cur[parts[parts.length - 1]!] = value;
}

function flatten(obj: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (obj && typeof obj === "object" && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = obj;
  return out;
}

const numberish = (v: string) => (/^-?\d+$/.test(v.trim()) ? Number(v) : v);
const boolish = (v: string) => (/^(1|true|yes)$/i.test(v) ? true : /^(0|false|no)$/i.test(v) ? false : v);

/** Environment variables kubereach reads, with the setting each one feeds. */
export const ENVIRONMENT: Readonly<Record<string, { path: string; parse?: (v: string) => unknown }>> = {
  KUBEREACH_CLUSTER_ID: { path: "clusterId" },
  DATABASE_URL: { path: "database.url" },
  KUBEREACH_DATA_DIR: { path: "database.dataDir" },
  DATABASE_MIGRATION_URL: { path: "database.migrationUrl" },
  PORT: { path: "server.port", parse: numberish },
  HOST: { path: "server.host" },
  KUBEREACH_ALLOWED_HOSTS: { path: "server.allowedHosts", parse: (v) => v.split(",").map((h) => h.trim()).filter((h) => h !== "") },
  KUBEREACH_INTROSPECTION: { path: "server.introspection", parse: boolish },
  KUBEREACH_LOG_LEVEL: { path: "log.level" },
  KUBEREACH_ANCHOR_FILE: { path: "audit.anchorFile" },
  KUBEREACH_ANCHOR_KEY_FILE: { path: "audit.anchorKeyFile" },
  LOG_LEVEL: { path: "log.level" },
  KUBEREACH_TOKENS: { path: "server.tokens", parse: (v) => parseTokenList(v, "KUBEREACH_TOKENS") },
  KUBEREACH_TOKENS_FILE: { path: "server.tokens", parse: readTokenFile },
};

/**
 * API tokens from the environment, for containers (docs/configuration.md, "Tokens from the
 * environment"): KUBEREACH_TOKENS holds the list itself, KUBEREACH_TOKENS_FILE names a file
 * holding it (a mounted Docker or Kubernetes secret). The list is entries separated by
 * whitespace or newlines, each `NAME:SHA256` or `NAME:SHA256:NS1,NS2` (namespaces the token may
 * see); in a file, `#` starts a comment. Like the config file, only hashes: the token itself is
 * never in kubereach's configuration. Errors never echo an entry's second field, which could be a
 * token pasted by mistake.
 */
export function parseTokenList(text: string, origin: string): Config["server"]["tokens"] {
  const entries = text
    .split("\n")
    .map((line) => line.replace(/(^|\s)#.*$/, ""))
    .join(" ")
    .split(/\s+/)
    .filter(Boolean);
  const problems: string[] = [];
  const tokens = entries.map((entry, i) => {
    const [name = "", sha256 = "", namespaces, ...rest] = entry.split(":");
    // An entry without ':' may be a token pasted on its own: its "name" is not shown either.
    const where = `${origin} entry ${i + 1}${name && entry.includes(":") ? ` (${name})` : ""}`;
    if (!name || !entry.includes(":") || rest.length) problems.push(`${where}: expected NAME:SHA256 or NAME:SHA256:NAMESPACE,NAMESPACE`);
    else if (!/^[0-9a-f]{64}$/.test(sha256))
      problems.push(`${where}: the second field must be the hex sha256 of the token (64 lowercase hex digits), not the token: printf %s "$TOKEN" | sha256sum`);
    const ns = namespaces?.split(",").filter(Boolean);
    if (namespaces !== undefined && !ns?.length) problems.push(`${where}: the namespace list after the second ':' is empty (leave out ':' for every namespace)`);
    return { name, sha256, ...(ns?.length ? { namespaces: ns } : {}) };
  });
  if (problems.length) throw new ConfigError(problems);
  if (!tokens.length) throw new ConfigError([`${origin}: no token in it (unset it for no authentication)`]);
  return tokens;
}

function readTokenFile(path: string): Config["server"]["tokens"] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`KUBEREACH_TOKENS_FILE ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  return parseTokenList(text, `KUBEREACH_TOKENS_FILE ${path}`);
}

export interface LoadConfigOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, as dotted paths (`server.port`). */
  readonly flags?: Record<string, unknown>;
  /** A config file path (else KUBEREACH_CONFIG). */
  readonly file?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const layers: Layer[] = [];
  const file = options.file ?? env["KUBEREACH_CONFIG"];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError([`config file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new ConfigError([`config file ${file}: not valid YAML or JSON: ${(err as Error).message}`]);
    }
    const unknown = unknownSettings(parsed, ConfigSchema);
    if (unknown.length) throw new ConfigError(unknown.map((p) => `config file ${file}: ${p}`));
    layers.push({ name: `config file ${file}`, values: flatten(parsed ?? {}) });
  }
  const fromEnv: Record<string, unknown> = {};
  if (env["KUBEREACH_TOKENS"] && env["KUBEREACH_TOKENS_FILE"])
    throw new ConfigError(["KUBEREACH_TOKENS and KUBEREACH_TOKENS_FILE are both set: set one (the list itself, or the file holding it)"]);
  for (const [name, { path, parse }] of Object.entries(ENVIRONMENT)) {
    const v = env[name];
    if (v !== undefined && v !== "") fromEnv[path] = parse ? parse(v) : v;
  }
  layers.push({ name: "environment", values: fromEnv });
  layers.push({ name: "command line", values: Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, v]) => v !== undefined)) });

  const merged: Record<string, unknown> = { source: { type: "example" }, database: {}, server: {}, sync: {}, log: {} };
  const origin = new Map<string, string>();
  for (const layer of layers)
    for (const [path, value] of Object.entries(layer.values)) {
      // A source set by a later layer replaces the whole source, not field by field.
      if (path === "source.type" && (merged["source"] as { type?: unknown }).type !== value) merged["source"] = {};
      set(merged, path, value);
      origin.set(path, layer.name);
    }

  const result = ConfigSchema.safeParse(merged);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const path = issue.path.join(".");
      const from = origin.get(path);
      const value = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], merged);
      return `${path || "(root)"}: ${issue.message}${value !== undefined ? ` (got ${JSON.stringify(value)}${from ? ` from ${from}` : ""})` : ""}`;
    }),
  );
}

/**
 * Keys the schema does not know, each with the likely intended one. zod would drop them silently,
 * and a misspelt `server.tokens` means no authentication: an unknown key is an error.
 */
export function unknownSettings(value: unknown, schema: z.ZodType): string[] {
  const problems: string[] = [];
  const known = knownPaths(schema);
  const walk = (v: unknown, sch: z.ZodType, path: string) => {
    const s = unwrap(sch);
    const def = s._zod.def as { type: string; options?: z.ZodType[]; element?: z.ZodType };
    if (def.type === "array" && Array.isArray(v)) return v.forEach((item, i) => walk(item, def.element!, `${path}[${i}]`));
    if (!isPlainObject(v)) return;
    let shape: Record<string, z.ZodType> | undefined;
    if (def.type === "object") shape = (s as z.ZodObject).shape;
    else if (def.type === "union") {
      // A discriminated union (source): the keys of the variant named by `type`, else of them all.
      const variants = def.options!.map((o) => unwrap(o)).filter((o): o is z.ZodObject => o._zod.def.type === "object");
      const chosen = variants.find((o) => (o.shape["type"] as z.ZodType | undefined)?.safeParse(v["type"]).success);
      shape = chosen ? chosen.shape : variants.reduce<Record<string, z.ZodType>>((all, o) => Object.assign(all, o.shape), {});
    }
    if (!shape) return;
    for (const [key, child] of Object.entries(v)) {
      const here = path ? `${path}.${key}` : key;
      if (key in shape) walk(child, shape[key]!, here);
      else {
        const hint = suggest(key, Object.keys(shape), path) ?? known.find((p) => p.endsWith(`.${key}`) && p !== here);
        problems.push(`unknown setting ${here}${hint ? ` (did you mean ${hint}?)` : ""}`);
      }
    }
  };
  walk(value, schema, "");
  return problems;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType };
    if (!def.innerType || !["optional", "default", "nullable", "prefault"].includes(def.type)) return s;
    s = def.innerType;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every dotted path of the schema's objects (for a key given at the wrong level). */
function knownPaths(schema: z.ZodType, prefix = ""): string[] {
  const s = unwrap(schema);
  const def = s._zod.def as { type: string; options?: z.ZodType[] };
  const shapes = def.type === "object" ? [(s as z.ZodObject).shape] : def.type === "union" ? def.options!.map((o) => unwrap(o)).filter((o) => o._zod.def.type === "object").map((o) => (o as z.ZodObject).shape) : [];
  const out = new Set<string>();
  for (const shape of shapes)
    for (const [k, child] of Object.entries(shape)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.add(p);
      for (const deeper of knownPaths(child as z.ZodType, p)) out.add(deeper);
    }
  return [...out];
}

/** The sibling key closest to `key` (edit distance with transpositions, or a plural), as a dotted path. */
function suggest(key: string, siblings: readonly string[], parent: string): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of siblings) {
    const d = name.toLowerCase() === key.toLowerCase() || name === `${key}s` || `${name}s` === key ? 0 : distance(key.toLowerCase(), name.toLowerCase());
    if (d <= Math.max(1, Math.floor(name.length / 3)) && (!best || d < best.d)) best = { name, d };
  }
  return best && (parent ? `${parent}.${best.name}` : best.name);
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions: "srever" -> "server" is 1). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The effective configuration with secrets redacted, for `kubereach config print`. */
export function redactedConfig(config: Config): unknown {
  const url = config.database.url;
  let safeUrl = url;
  if (url) {
    try {
      const u = new URL(url);
      if (u.password) u.password = "REDACTED";
      safeUrl = u.toString();
    } catch {
      safeUrl = "REDACTED";
    }
  }
  const migrationUrl = config.database.migrationUrl;
  let safeMigrationUrl = migrationUrl;
  if (migrationUrl) {
    try {
      const u = new URL(migrationUrl);
      if (u.password) u.password = "REDACTED";
      safeMigrationUrl = u.toString();
    } catch {
      safeMigrationUrl = "REDACTED";
    }
  }
  return {
    ...config,
    database: { ...config.database, url: safeUrl, ...(migrationUrl ? { migrationUrl: safeMigrationUrl } : {}) },
    server: { ...config.server, tokens: config.server.tokens.map((t) => ({ ...t, sha256: "REDACTED" })) },
  };
}
