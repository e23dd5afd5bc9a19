/**
 * The one typed configuration of kubereach, validated once at start. Layers, later wins:
 * defaults < config file (--config or KUBEREACH_CONFIG, YAML or JSON) < environment < flags.
 * Every error names the setting, the bad value and where it came from.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { BadInputError } from "./errors.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const TokenSchema = z.object({
  name: z.string().min(1),
  /** sha256 of the token, hex; plain tokens are never stored in configuration. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be the hex sha256 of the token (64 lowercase hex digits)"),
  /** Namespaces the token may see; omitted means every namespace. */
  namespaces: z.array(z.string().min(1)).optional(),
});

export const ConfigSchema = z.object({
  clusterId: z.string().regex(/^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/, "must be 1-63 lowercase letters, digits, '-', '_' or '.'").optional(),
  source: z.discriminatedUnion("type", [
    z.object({ type: z.literal("example") }),
    z.object({ type: z.literal("manifests"), path: z.string().min(1), watch: z.boolean().default(false) }),
    z.object({
      type: z.literal("kubernetes"),
      kubeconfig: z.string().min(1).optional(),
      context: z.string().min(1).optional(),
      inCluster: z.boolean().default(false),
      resyncSeconds: z.number().int().min(10).default(600),
    }),
  ]),
  database: z.object({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL (leave it unset for the embedded database)")
      .optional(),
    dataDir: z.string().min(1).default("./.kubereach/db"),
    /** The owner role that runs migrations; database.url's role then gets INSERT/SELECT on history only (docs/security.md). */
    migrationUrl: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL of the same database, as its owner role").optional(),
  }),
  server: z.object({
    port: z.number().int().min(0).max(65535).default(4000),
    host: z.string().min(1).optional(),
    tokens: z.array(TokenSchema).default([]),
    introspection: z.boolean().default(false),
    maxBodyBytes: z.number().int().min(1024).default(1_000_000),
    /**
     * Browser origins allowed to call /graphql and /api cross-origin (CORS), e.g.
     * "https://dashboards.example.com". Empty (the default): no CORS headers, so browsers allow
     * same-origin pages only. Exact origins only: no "*", no paths.
     */
    corsOrigins: z
      .array(z.string().regex(/^https?:\/\/[^/\s*?#]+$/, 'must be an origin: scheme://host[:port], without "*", path or trailing slash'))
      .default([]),
    /**
     * Host names (no port) the API answers to, besides IP addresses and localhost: a request whose
     * Host header names anything else is refused (DNS rebinding). Checked when no tokens are
     * configured, and whenever this list is set. See docs/security.md.
     */
    /** Active subscriptions one WebSocket may hold; one more is refused with TOO_MANY_SUBSCRIPTIONS. */
    maxSubscriptionsPerConnection: z.number().int().min(1).max(10_000).default(100),
    allowedHosts: z.array(z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "must be a host name without port, scheme or path")).default([]),
  }),
  sync: z.object({
    debounceMs: z.number().int().min(0).default(200),
    maxWaitMs: z.number().int().min(0).default(2000),
    /** How long a sync lease lasts without renewal: the longest a standby waits after the leader dies. */
    leaseTtlSeconds: z.number().int().min(2).max(300).default(10),
  }),
  log: z.object({ level: z.enum(LOG_LEVELS).default("info") }),
  /** Signed external anchors of the history's chain heads (docs/security.md): both or neither. */
  audit: z
    .object({ anchorFile: z.string().min(1).optional(), anchorKeyFile: z.string().min(1).optional() })
    .refine((a) => (a.anchorFile === undefined) === (a.anchorKeyFile === undefined), "set both audit.anchorFile and audit.anchorKeyFile (an Ed25519 PEM private key), or neither")
    .default({}),
});

export type Config = z.infer<typeof ConfigSchema>;

/** The configuration cannot be used as given: each problem names the setting, value and origin. */
export class ConfigError extends BadInputError {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

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
};

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
    layers.push({ name: `config file ${file}`, values: flatten(parsed ?? {}) });
  }
  const fromEnv: Record<string, unknown> = {};
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
