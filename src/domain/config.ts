/**
 * The shape of kubereach's configuration: the zod schema every layer reads its settings through,
 * with the defaults, and the error a bad setting raises. Loading it (file, environment, flags) is
 * src/app/config.ts's job; this file does no I/O so that api, sync and store can name their settings.
 */
import { z } from "zod";
import { BadInputError } from "./errors.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const TokenSchema = z.object({
  name: z.string().min(1),
  /** sha256 of the token, hex; plain tokens are never stored in configuration. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be the hex sha256 of the token (64 lowercase hex digits)"),
  /** Namespaces the token may see; omitted means every namespace. */
  namespaces: z.array(z.string().min(1)).optional(),
});

/**
 * Sizes of the API's in-memory caches (docs/configuration.md, "Caches"). Every cache holds answers
 * about immutable generations and forgets its least recently used entries beyond its size; the
 * defaults suit a cluster of up to about 100k pods on a 1-2 GB heap.
 */
export const CacheSizesSchema = z.object({
  /** whoCanReach / reachableFrom answers, weighed in rows (about 100 bytes each), all answers together. */
  reachRows: z.number().int().min(1).default(500_000),
  /** Commit times of generations (one small entry each). */
  generationTimes: z.number().int().min(1).default(4096),
  /** In-memory indexes of whole generations (the latest, and the one before while readers move over). */
  generationIndexes: z.number().int().min(1).default(2),
  /** Expanded connectivity lists (matrix, graph, exports) per generation and namespace. */
  connectivityLists: z.number().int().min(1).default(8),
  /** Compiled worlds of generations (explanations, object views, what-if bases). */
  worlds: z.number().int().min(1).default(4),
  /** What-if bases (a world with its class matrix) per generation, in the API and in the simulation worker. */
  whatIfBases: z.number().int().min(1).default(2),
  /** Findings per token scope, kept per generation. */
  findingsScopes: z.number().int().min(1).default(16),
  /** Parsed connection texts ("TCP 80,443"), which stored rows repeat a lot. */
  connectionTexts: z.number().int().min(1).default(10_000),
});

export type CacheSizes = z.infer<typeof CacheSizesSchema>;

/** The sizes a service built without configuration (tests, the CLI) uses: the schema's defaults. */
export const DEFAULT_CACHE_SIZES: CacheSizes = CacheSizesSchema.parse({});

/**
 * The service's in-memory index limit (QueryServiceOptions.generationIndexMaxConnections): larger
 * generations are answered from the database, one read per workload. 10k pods hold about 42,000
 * connections, 100k about 400,000 (some 200 MB in memory), 150k 0.8-1.1 million. Raised from
 * 500,000 once whole-snapshot indexes were built in time slices: at 150k pods under churn,
 * whoCanReach p99 went from 2.2-6.0 s (every answer a database read) to 187 ms, and the service's
 * peak RSS after the initial sync was 4.6 GiB against 6.5-8.1 (one run; the reads through the
 * database allocated more than the index holds).
 */
export const GENERATION_INDEX_MAX_CONNECTIONS = 2_000_000;

const KubernetesSourceSchema = z.object({
  type: z.literal("kubernetes"),
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  inCluster: z.boolean().default(false),
  resyncSeconds: z.number().int().min(10).default(600),
  /** How often a tiered-policy CRD the cluster does not serve (or RBAC refuses) is looked for again. */
  crdRetrySeconds: z.number().int().min(1).default(60),
});

export const ConfigSchema = z.object({
  clusterId: z.string().regex(/^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/, "must be 1-63 lowercase letters, digits, '-', '_' or '.'").optional(),
  source: z.discriminatedUnion("type", [
    z.object({ type: z.literal("example") }),
    z.object({ type: z.literal("manifests"), path: z.string().min(1), watch: z.boolean().default(false) }),
    KubernetesSourceSchema,
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
    /** A simulation runs in a worker thread with these budgets (docs/simulation-worker.md). */
    simulateTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
    simulateHeapMb: z.number().int().min(64).max(16_384).default(512),
    simulateMaxQueued: z.number().int().min(0).max(1_000).default(8),
    allowedHosts: z.array(z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "must be a host name without port, scheme or path")).default([]),
    /** Sizes of the in-memory caches of the query side and what-if (see CacheSizesSchema). */
    cache: CacheSizesSchema.prefault({}),
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

/**
 * The sync settings' defaults, read from the schema: services that take these settings as options
 * (SyncService, the leader election) fall back to the same values as an unset configuration key.
 */
export const SYNC_DEFAULTS: Config["sync"] = ConfigSchema.shape.sync.parse({});

/** The Kubernetes source's defaults, read from the schema (the source's own defaults are these). */
export const KUBERNETES_SOURCE_DEFAULTS: z.infer<typeof KubernetesSourceSchema> = KubernetesSourceSchema.parse({ type: "kubernetes" });

/** The configuration cannot be used as given: each problem names the setting, value and origin. */
export class ConfigError extends BadInputError {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

