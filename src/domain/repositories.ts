/**
 * What the rest of kubereach asks of the database. src/store is the only layer that knows Prisma;
 * everything it exchanges with other layers is defined here in plain types.
 */
import type { ClusterObject, JsonValue, ObjectKind, ObservedVia } from "./objects.js";
import type { ClassKey, ClassPairKey } from "./keys.js";
import type { ImpactSide } from "./impacts.js";

export type ClusterId = string;

// ---------------------------------------------------------------------------------------------
// History

export type RevisionOperation = "CREATE" | "UPDATE" | "DELETE";

/** A change to record. The store assigns seq, hashes and ids. */
export interface RevisionInput {
  readonly objectKind: ObjectKind;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly operation: RevisionOperation;
  /** Full spec (policies) or labels (namespaces) before and after; null on create / delete. */
  readonly before: JsonValue | null;
  readonly after: JsonValue | null;
  /** Structured diff of before -> after (RFC 6902 JSON Patch operations). */
  readonly diff: JsonValue;
  readonly observedAt: Date;
  readonly observedVia: ObservedVia;
  /** True when a deletion was inferred from a listing (the final state before deletion is unknown). */
  readonly finalStateUnknown: boolean;
  /** Where the source says the change came from: a git commit for manifests, else null. */
  readonly sourceRef: string | null;
}

export interface StoredRevision extends RevisionInput {
  readonly id: bigint;
  readonly clusterId: ClusterId;
  /** 1, 2, 3... per cluster, gapless: the order of the hash chain. */
  readonly seq: bigint;
  readonly prevHash: string;
  readonly hash: string;
  /** The exact bytes that were hashed (RFC 8785 canonical JSON of the revision fields). */
  readonly canonical: string;
}

// ---------------------------------------------------------------------------------------------
// Current objects

export type ObjectChange =
  | { readonly op: "upsert"; readonly object: ClusterObject; readonly revision?: RevisionInput }
  | { readonly op: "delete"; readonly object: ClusterObject; readonly revision?: RevisionInput };

// ---------------------------------------------------------------------------------------------
// Matrix: classes, their members and class-to-class connections, versioned by generation.

export type { ClassKey, ClassPairKey } from "./keys.js";

export type ClassMember =
  | { readonly type: "workload"; readonly namespace: string; readonly kind: string; readonly name: string; readonly pods: number }
  | { readonly type: "external"; readonly family: 4 | 6; readonly start: string; readonly end: string };

export interface MatrixClass {
  readonly key: ClassKey;
  readonly kind: "pod" | "external";
  readonly members: readonly ClassMember[];
}

/** A whole matrix as persisted: what one generation shows. */
export interface MatrixSnapshot {
  readonly classes: ReadonlyMap<ClassKey, MatrixClass>;
  /** classPairKey(src, dst) (src/domain/keys.ts) -> connection set text (ConnectionSet.key). */
  readonly connections: ReadonlyMap<ClassPairKey, string>;
  /**
   * Set by an incremental recompute: the snapshot this one was derived from, the only keys that
   * may differ from it, and their values in this snapshot (undefined: gone). The delta, the content
   * digest and the API's index then cost what changed, not the matrix, and read the changed values
   * from these native maps instead of the snapshot's persistent ones (several times slower per read).
   */
  readonly changedSince?: { readonly base: MatrixSnapshot; readonly classes: ReadonlyMap<ClassKey, MatrixClass | undefined>; readonly connections: ReadonlyMap<ClassPairKey, string | undefined> };
}

/** The lease a writer holds; writes carrying it are refused once another process took over. */
export interface Fence {
  readonly holder: string;
  readonly epoch: bigint;
}

export interface Lease extends Fence {
  readonly cluster: ClusterId;
  readonly expiresAt: Date;
}

export interface LeaseRepository {
  /**
   * Takes the cluster's lease if it is free, expired or already this holder's; undefined when another
   * process holds it. `force` takes it regardless (an embedded database has a single process: any lease is stale).
   */
  acquire(cluster: ClusterId, holder: string, ttlMs: number, options?: { readonly force?: boolean }): Promise<Lease | undefined>;
  /** Extends a held lease; undefined when it was lost (another holder or epoch). */
  renew(lease: Fence & { readonly cluster: ClusterId }, ttlMs: number): Promise<Lease | undefined>;
  /** Ends the lease now so a standby can take over without waiting for expiry. */
  release(lease: Fence & { readonly cluster: ClusterId }): Promise<void>;
  current(cluster: ClusterId): Promise<Lease | undefined>;
}

export interface ApplyOptions {
  /** When set, the write is refused unless this fence still holds the cluster's lease. */
  readonly fence?: Fence;
  /**
   * The generation these changes belong to (the one the next recompute will commit); defaults to
   * the latest committed + 1. A number below that is refused: another writer has moved on.
   */
  readonly generation?: number;
}

export interface GenerationMeta {
  /** When set, the commit is refused unless this fence still holds the cluster's lease. */
  readonly fence?: Fence;
  /** When set, the commit fails unless it would create exactly this generation (fencing against a second writer). */
  readonly expectedGeneration?: number;
  readonly stats: JsonValue;
  /** resourceVersions / content hashes the generation was computed from. */
  readonly sourceVersions: JsonValue;
  readonly computedAt: Date;
}

export interface ImpactInput {
  /** Revisions whose combined effect this is (one revision, or a batch observed together). */
  readonly revisionIds: readonly bigint[];
  readonly generation: number;
  /** Workload-level rows that gained / lost connections (src/domain/impacts.ts). */
  readonly gained: ImpactSide;
  readonly lost: ImpactSide;
  /** False when several revisions were attributed jointly. */
  readonly exact: boolean;
}

// ---------------------------------------------------------------------------------------------
// Repositories. Implementations live in src/store (Prisma*Repository); every method maps database
// failures to kubereach errors (src/store/errors.ts) and never leaks a Prisma type.

export interface ClusterRecord {
  readonly id: ClusterId;
  readonly source: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ClusterRepository {
  /** Registers the cluster, or updates its source description. Every other write needs it first. */
  ensureCluster(id: ClusterId, source: string): Promise<ClusterRecord>;
  listClusters(): Promise<ClusterRecord[]>;
}

/** A workload as the store derives it from pods (kept in the same transaction as the pods). */
export interface StoredWorkload {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly podCount: number;
  /** The labels every pod of the workload carries. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The revision chain's head check (src/store/chainGuard.ts implements it): the composition root
 * tells it heads it trusts from elsewhere, such as a verified external anchor.
 */
export interface ChainHeadGuard {
  /** A head this process trusts (its own append, or an anchored one). Only moves forward. */
  trust(cluster: ClusterId, head: ChainHead): void;
}

export interface ObjectRepository {
  /** Checks the revision chain head before every append (src/store/chainGuard.ts); tell it anchored heads. */
  readonly chainGuard?: ChainHeadGuard;
  /** Current state of the cluster (for reconcile after a restart), in no particular order. */
  loadObjects(cluster: ClusterId): Promise<ClusterObject[]>;
  /**
   * Applies a batch in ONE transaction and returns the revisions it newly appended, in seq order.
   * - Within the batch, the last change per uid wins for the object tables; an upsert writes only
   *   when the stored resourceVersion differs.
   * - Revisions are appended in batch order; one already stored (same uid, resourceVersion,
   *   operation) is skipped without consuming a seq, so replaying a batch appends nothing.
   * - Workloads are re-derived for every workload whose pods changed.
   */
  applyChanges(cluster: ClusterId, changes: readonly ObjectChange[], options?: ApplyOptions): Promise<StoredRevision[]>;
  /** The objects the given generation was computed from (object versions valid at it). */
  loadObjectsAt(cluster: ClusterId, generation: number): Promise<ClusterObject[]>;
  /**
   * Moves object versions stamped past the open generation (the latest committed + 1) back to it.
   * A writer stamps the changes it applies while it computes generation g with g + 1; when it dies
   * before committing g (a takeover, a restart), or its computation fails and g is released, the
   * next generation committed under g is computed from those changes too, so their versions belong
   * to g. A writer calls it before it applies or computes anything after such an event. Returns the
   * open generation and how many version rows were moved or dropped.
   */
  settleOpenGeneration(cluster: ClusterId, options?: { readonly fence?: Fence }): Promise<{ generation: number; rows: number }>;
  listWorkloads(cluster: ClusterId, options?: { readonly namespace?: string }): Promise<StoredWorkload[]>;
}

export interface RevisionQuery {
  readonly namespace?: string;
  readonly name?: string;
  /** observedAt >= since */
  readonly since?: Date;
  /** observedAt < until */
  readonly until?: Date;
  /** seq > afterSeq: the cursor for the next page. */
  readonly afterSeq?: bigint;
  readonly limit: number;
}

/** The newest revision of a cluster's chain; `{ seq: 0n, hash: GENESIS_HASH }` when it is empty. */
export interface ChainHead {
  readonly seq: bigint;
  readonly hash: string;
}

export interface RevisionRepository {
  /** Ordered by seq ascending. */
  list(cluster: ClusterId, query: RevisionQuery): Promise<StoredRevision[]>;
  head(cluster: ClusterId): Promise<ChainHead>;
  /** Every revision in seq order, read in pages (for verification and export). */
  iterate(cluster: ClusterId, options?: { readonly afterSeq?: bigint; readonly pageSize?: number }): AsyncIterable<StoredRevision>;
}

export interface StoredGeneration {
  readonly generation: number;
  readonly createdAt: Date;
  readonly stats: JsonValue;
  readonly sourceVersions: JsonValue;
  readonly classCount: number;
  readonly connectionCount: number;
  /** What the commit wrote (MatrixDeltaCounts) and what it diffed against. */
  readonly delta: JsonValue;
}

export interface MatrixConnectionRow {
  readonly srcClass: ClassKey;
  readonly dstClass: ClassKey;
  readonly conn: string;
}

export interface WorkloadClassRow {
  readonly classKey: ClassKey;
  readonly workloadKind: string;
  readonly pods: number;
}

export interface ConnectionCursor {
  readonly srcClass: ClassKey;
  readonly dstClass: ClassKey;
}

export interface ConnectionPageQuery {
  /** Only connections whose source or destination class has a workload in this namespace. */
  readonly namespace?: string;
  /** Exclusive: continue after this connection (ordered by srcClass, dstClass). */
  readonly after?: ConnectionCursor;
  readonly limit: number;
}

export interface ConnectionPage {
  readonly rows: readonly MatrixConnectionRow[];
  /** Present when more rows may follow. */
  readonly next?: ConnectionCursor;
}

/**
 * Matrix generations. Generation numbers are 1, 2, 3... per cluster. Readers take a generation
 * `g` and see exactly what was committed as g, whatever was committed after it (time travel).
 */
export type { GenerationChainResult } from "./audit/generationChain.js";
import type { GenerationChainResult } from "./audit/generationChain.js";

export interface MatrixRepository {
  loadLatestSnapshot(cluster: ClusterId): Promise<{ readonly generation: number; readonly snapshot: MatrixSnapshot } | undefined>;
  snapshotAt(cluster: ClusterId, generation: number): Promise<MatrixSnapshot>;
  /**
   * Writes `next` as a new generation in one transaction, touching only the rows that differ from
   * the latest stored generation, and returns the new generation number. `previous` is the
   * snapshot the caller believes is stored: when it is the object this repository last committed
   * or loaded for the latest generation, the delta is computed against it; otherwise (undefined,
   * stale, foreign) the store reads the latest generation itself, so a wrong `previous` costs time,
   * never correctness.
   */
  commitGeneration(cluster: ClusterId, previous: MatrixSnapshot | undefined, next: MatrixSnapshot, meta: GenerationMeta): Promise<number>;
  latestGeneration(cluster: ClusterId): Promise<number | undefined>;
  /** The newest generation computed at or before `at`. */
  generationAt(cluster: ClusterId, at: Date): Promise<number | undefined>;
  getGeneration(cluster: ClusterId, generation: number): Promise<StoredGeneration | undefined>;
  classesOfWorkload(cluster: ClusterId, generation: number, namespace: string, name: string, kind?: string): Promise<WorkloadClassRow[]>;
  incoming(cluster: ClusterId, generation: number, dstClasses: readonly ClassKey[]): Promise<MatrixConnectionRow[]>;
  outgoing(cluster: ClusterId, generation: number, srcClasses: readonly ClassKey[]): Promise<MatrixConnectionRow[]>;
  members(cluster: ClusterId, generation: number, classes: readonly ClassKey[]): Promise<ReadonlyMap<ClassKey, readonly ClassMember[]>>;
  connectionsPage(cluster: ClusterId, generation: number, query: ConnectionPageQuery): Promise<ConnectionPage>;
  /** Every connection of the generation (optionally of one namespace), streamed in pages. */
  allConnections(cluster: ClusterId, generation: number, options?: { readonly namespace?: string; readonly pageSize?: number }): AsyncIterable<MatrixConnectionRow>;
  /**
   * Verifies the generation chain (src/domain/audit/generationChain.ts): every chained generation's
   * hash, link, content digest recomputed from its stored rows, and the revision head it names.
   */
  verifyGenerations(cluster: ClusterId): Promise<GenerationChainResult>;
  /** The generation chain's hash of `generation` (null before the chain existed; undefined: no such generation). */
  generationHash(cluster: ClusterId, generation: number): Promise<string | null | undefined>;
}

export interface StoredImpact extends ImpactInput {
  readonly id: bigint;
  readonly clusterId: ClusterId;
  readonly computedAt: Date;
}

export interface ImpactRepository {
  save(cluster: ClusterId, impacts: readonly ImpactInput[], options?: { readonly fence?: Fence }): Promise<StoredImpact[]>;
  /** Impacts that involve any of the revisions, ordered by id. */
  forRevisions(revisionIds: readonly bigint[]): Promise<StoredImpact[]>;
}

export const SYNC_OUTCOMES = ["succeeded", "partial", "failed"] as const;
export type SyncOutcome = (typeof SYNC_OUTCOMES)[number];

export interface SyncRunRecord {
  readonly id: bigint;
  readonly clusterId: ClusterId;
  readonly source: string;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
  /** "running" until finish() is called. */
  readonly outcome: SyncOutcome | "running";
  readonly counts: JsonValue;
  readonly errors: JsonValue;
}

export interface SyncRunRepository {
  start(cluster: ClusterId, source: string): Promise<bigint>;
  finish(id: bigint, outcome: SyncOutcome, counts: JsonValue, errors: JsonValue): Promise<void>;
  latest(cluster: ClusterId): Promise<SyncRunRecord | undefined>;
}

export type StoreBackend = "postgres" | "pglite";

/** An open database with its repositories. `close()` releases every connection and file handle. */
export interface Store {
  readonly backend: StoreBackend;
  /** `postgresql://user@host:5432/db` (no password) or `pglite ./.kubereach/db` / `pglite in-memory`. */
  readonly description: string;
  readonly clusters: ClusterRepository;
  readonly objects: ObjectRepository;
  readonly revisions: RevisionRepository;
  readonly matrix: MatrixRepository;
  readonly impacts: ImpactRepository;
  readonly syncRuns: SyncRunRepository;
  readonly leases: LeaseRepository;
  close(): Promise<void>;
}
