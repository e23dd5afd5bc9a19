/**
 * Matrix generations: classes, their members and class-to-class connections, versioned by
 * [valid_from, valid_to) generation ranges (docs/design/sync-and-store.md, "Matrix generations").
 *
 * A row is visible at generation g iff valid_from <= g AND (valid_to IS NULL OR valid_to > g).
 * Committing generation g closes the rows that changed (valid_to = g), opens their replacements
 * (valid_from = g) and inserts the matrix_generations row, in one transaction serialised per
 * cluster by an advisory lock. Readers of any committed generation therefore never see a
 * half-written one, and past generations stay readable.
 */
import { Prisma } from "../generated/prisma/client.js";
import type { JsonValue } from "../domain/objects.js";
import { ConflictError } from "../domain/errors.js";
import { ChainIntegrityError, mapStoreErrors } from "./errors.js";
import { readChainHead } from "./appendRevisions.js";
import { MatrixDigestTree } from "../domain/audit/matrixDigestTree.js";
import { CURRENT_DIGEST_SCHEME, hashGeneration, matrixDigestOf, verifyGenerationChain, type ChainedGeneration, type GenerationChainResult } from "../domain/audit/generationChain.js";
import { GENESIS_HASH } from "../domain/audit/hashChain.js";
import { checkFence } from "./PrismaLeaseRepository.js";
import { TimeSlicer } from "../domain/TimeSlicer.js";
import { computeMatrixDeltaSliced, deltaCounts, type MatrixDelta } from "./matrixDelta.js";
import { classPairKey, storedClassKey } from "../domain/keys.js";
import { LOCK_NS, TX_OPTIONS, jsonInput, type Db, type Tx } from "./prisma.js";
import { staleStatistics } from "./bulkRows.js";
import { JsonRowLoader, inputRows, type BulkTable, type Cell, type RowLoader } from "./rowLoader.js";
import type {
  ClassKey,
  ClassMember,
  ClusterId,
  ConnectionPage,
  ConnectionPageQuery,
  GenerationMeta,
  MatrixClass,
  MatrixConnectionRow,
  MatrixRepository,
  MatrixSnapshot,
  StoredGeneration,
  WorkloadClassRow,
} from "../domain/repositories.js";

type Reader = Pick<Tx, "$queryRaw">;

interface MemberDbRow {
  class_key: string;
  member_type: string;
  namespace: string | null;
  workload_kind: string | null;
  workload_name: string | null;
  pods: number | null;
  ip_family: number | null;
  ip_start: string | null;
  ip_end: string | null;
}

interface ConnectionDbRow {
  src_class: string;
  dst_class: string;
  conn: string;
}

const DEFAULT_PAGE = 5000;

/** The visibility predicate of generation g, for a table aliased or not. */
const visibleAt = (g: number) => Prisma.sql`valid_from <= ${g} AND (valid_to IS NULL OR valid_to > ${g})`;

export class PrismaMatrixRepository implements MatrixRepository {
  /**
   * Snapshots this repository committed or loaded, with the generation they are. commitGeneration
   * trusts `previous` only when it is one of these AND still the latest generation.
   */
  private readonly known = new WeakMap<MatrixSnapshot, { readonly cluster: ClusterId; readonly generation: number }>();
  /** The content digest state of snapshots committed here: the next one's digest is derived from what it changed. */
  private readonly digests = new WeakMap<MatrixSnapshot, MatrixDigestTree>();

  constructor(
    private readonly db: Db,
    private readonly loader: RowLoader = new JsonRowLoader(),
  ) {}

  loadLatestSnapshot(cluster: ClusterId): Promise<{ generation: number; snapshot: MatrixSnapshot } | undefined> {
    return mapStoreErrors(`matrix.loadLatestSnapshot(${cluster})`, async () => {
      const generation = await readLatest(this.db, cluster);
      if (generation === undefined) return undefined;
      const snapshot = await readSnapshot(this.db, cluster, generation);
      this.known.set(snapshot, { cluster, generation });
      return { generation, snapshot };
    });
  }

  snapshotAt(cluster: ClusterId, generation: number): Promise<MatrixSnapshot> {
    return mapStoreErrors(`matrix.snapshotAt(${cluster}, ${generation})`, () => readSnapshot(this.db, cluster, generation));
  }

  commitGeneration(cluster: ClusterId, previous: MatrixSnapshot | undefined, next: MatrixSnapshot, meta: GenerationMeta): Promise<number> {
    return mapStoreErrors(`matrix.commitGeneration(${cluster})`, async () => {
      // The digest of `next` derived from its base's (it says what it changed: a few buckets are
      // rehashed, matrixDigestTree.ts), before the transaction: interleaved with a small commit's few
      // statements it made them slower (10k pods: a relabel's commit took a median 38 ms against 28 ms).
      // A large change's is computed while its rows are written, as one from scratch is (below).
      const derived = this.canDeriveDigest(next) && changedKeys(next) < DIGEST_BESIDE_WRITES_KEYS ? await this.digestOf(next) : undefined;
      // Sliced (TimeSlicer): linear in the matrix, it must not hold the event loop the API shares.
      const slicer = new TimeSlicer();
      let written = 0;
      let existing = 0;
      const { generation, digest } = await this.db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_NS.matrix}::int4, hashtext(${cluster}))`;
        await checkFence(tx, cluster, meta.fence);
        const latest = await readLatest(tx, cluster);
        const tag = previous ? this.known.get(previous) : undefined;
        let base: MatrixSnapshot | undefined;
        let baseSource: "none" | "previous" | "database";
        if (latest === undefined) [base, baseSource] = [undefined, "none"];
        else if (previous && tag?.cluster === cluster && tag.generation === latest) [base, baseSource] = [previous, "previous"];
        else [base, baseSource] = [await readSnapshot(tx, cluster, latest), "database"];

        const g = (latest ?? 0) + 1;
        if (meta.expectedGeneration !== undefined && meta.expectedGeneration !== g)
          throw new ConflictError(`generation ${meta.expectedGeneration} expected but the next for cluster ${cluster} is ${g}: another writer is active`);
        const delta = await slicer.run(computeMatrixDeltaSliced(base, next));
        written = delta.openConnections.length + delta.openMembers.length + delta.openClasses.length;
        existing = base ? base.classes.size + base.connections.size : 0;
        // A digest from scratch (a first generation, a relist) or derived from a large change is
        // computed while the rows are written: a first 150,000-pod commit COPYs for 12 s while Node
        // mostly waits, and that digest costs 6 s of CPU; a change of ~11,000 connections rehashes
        // nearly every bucket (0.6-1.5 s). (With 500-row statements instead of COPY its slices delayed
        // every statement's round trip: 38 s against 32 s.) A small change's was computed before the
        // transaction (see above).
        // Caught here, awaited below: a failed write must not leave its rejection unhandled.
        const digesting = derived ? Promise.resolve(derived) : this.digestOf(next);
        digesting.catch(() => undefined);
        await closeRows(tx, this.loader, cluster, g, delta);
        await openRows(tx, this.loader, cluster, g, delta);
        const { digest, contentDigest } = await digesting;
        const chain = await nextGenerationLink(tx, cluster, latest, g, contentDigest, meta.computedAt);
        await tx.matrixGeneration.create({
          data: {
            clusterId: cluster,
            generation: g,
            createdAt: meta.computedAt,
            stats: jsonInput(meta.stats),
            sourceVersions: jsonInput(meta.sourceVersions),
            classCount: next.classes.size,
            connectionCount: next.connections.size,
            delta: { ...deltaCounts(delta), base: baseSource },
            contentDigest: chain.contentDigest,
            contentDigestScheme: digest.scheme,
            revisionSeq: chain.revisionSeq,
            revisionHash: chain.revisionHash,
            prevHash: chain.prevHash,
            hash: chain.hash,
          },
        });
        return { generation: g, digest };
      }, TX_OPTIONS);
      this.known.set(next, { cluster, generation });
      this.digests.set(next, digest);
      // Statistics only make plans better (autovacuum refreshes them later anyway): the generation is
      // committed, so a failure here must not fail the commit (its retry would be refused).
      if (staleStatistics(written, existing)) await analyzeAfterBulkWrite(this.db).catch(() => undefined);
      return generation;
    });
  }

  /** Whether `next`'s digest can be derived from its base's (digestOf's fast path). */
  private canDeriveDigest(next: MatrixSnapshot): boolean {
    return next.changedSince !== undefined && this.digests.has(next.changedSince.base);
  }

  /** The content digest of `next`: derived from its base's when it says what it changed, else from scratch. Sliced. */
  private async digestOf(next: MatrixSnapshot): Promise<{ digest: MatrixDigestTree; contentDigest: string }> {
    const hint = next.changedSince;
    const baseDigest = hint && this.digests.get(hint.base);
    const slicer = new TimeSlicer();
    // A derived tree keeps its base's scheme; one from scratch is the scheme new generations use.
    const digest = await slicer.run(baseDigest ? baseDigest.deriveFrom(hint) : MatrixDigestTree.ofSliced(next, CURRENT_DIGEST_SCHEME));
    return { digest, contentDigest: digest.digest() };
  }

  verifyGenerations(cluster: ClusterId): Promise<GenerationChainResult> {
    return mapStoreErrors(`matrix.verifyGenerations(${cluster})`, async () => {
      const rows = await this.db.$queryRaw<{ generation: number; created_at: Date; content_digest: string | null; content_digest_scheme: number; revision_seq: bigint | null; revision_hash: string | null; prev_hash: string | null; hash: string | null }[]>`
        SELECT generation, created_at, content_digest, content_digest_scheme, revision_seq, revision_hash, prev_hash, hash FROM matrix_generations WHERE cluster_id = ${cluster} ORDER BY generation`;
      return verifyGenerationChain(
        cluster,
        rows.map((r) => ({ generation: r.generation, createdAt: r.created_at.toISOString(), contentDigest: r.content_digest, revisionSeq: r.revision_seq, revisionHash: r.revision_hash, prevHash: r.prev_hash, hash: r.hash, digestScheme: r.content_digest_scheme })),
        async (g, scheme) => matrixDigestOf(await readSnapshot(this.db, cluster, g), scheme),
        async (seq) => {
          if (seq === 0n) return GENESIS_HASH;
          const [r] = await this.db.$queryRaw<{ hash: string }[]>`SELECT hash FROM policy_revisions WHERE cluster_id = ${cluster} AND seq = ${seq}`;
          return r?.hash;
        },
      );
    });
  }

  generationHash(cluster: ClusterId, generation: number): Promise<string | null | undefined> {
    return mapStoreErrors(`matrix.generationHash(${cluster}, ${generation})`, async () => {
      const [r] = await this.db.$queryRaw<{ hash: string | null }[]>`SELECT hash FROM matrix_generations WHERE cluster_id = ${cluster} AND generation = ${generation}`;
      return r ? r.hash : undefined;
    });
  }

  latestGeneration(cluster: ClusterId): Promise<number | undefined> {
    return mapStoreErrors(`matrix.latestGeneration(${cluster})`, () => readLatest(this.db, cluster));
  }

  generationAt(cluster: ClusterId, at: Date): Promise<number | undefined> {
    return mapStoreErrors(`matrix.generationAt(${cluster})`, async () => {
      const rows = await this.db.$queryRaw<{ g: number | null }[]>`
        SELECT max(generation) AS g FROM matrix_generations WHERE cluster_id = ${cluster} AND created_at <= ${at}`;
      return rows[0]?.g ?? undefined;
    });
  }

  getGeneration(cluster: ClusterId, generation: number): Promise<StoredGeneration | undefined> {
    return mapStoreErrors(`matrix.getGeneration(${cluster}, ${generation})`, async () => {
      const r = await this.db.matrixGeneration.findUnique({ where: { clusterId_generation: { clusterId: cluster, generation } } });
      if (!r) return undefined;
      return {
        generation: r.generation,
        createdAt: r.createdAt,
        stats: r.stats as JsonValue,
        sourceVersions: r.sourceVersions as JsonValue,
        classCount: r.classCount,
        connectionCount: r.connectionCount,
        delta: r.delta as JsonValue,
      };
    });
  }

  classesOfWorkload(cluster: ClusterId, generation: number, namespace: string, name: string, kind?: string): Promise<WorkloadClassRow[]> {
    return mapStoreErrors(`matrix.classesOfWorkload(${cluster}, ${namespace}/${name})`, async () => {
      const rows = await this.db.$queryRaw<{ class_key: string; workload_kind: string; pods: number }[]>`
        SELECT class_key, workload_kind, pods FROM matrix_class_members
        WHERE cluster_id = ${cluster} AND namespace = ${namespace} AND workload_name = ${name} AND member_type = 'workload'
          ${kind !== undefined ? Prisma.sql`AND workload_kind = ${kind}` : Prisma.empty}
          AND ${visibleAt(generation)}
        ORDER BY class_key, workload_kind`;
      return rows.map((r) => ({ classKey: storedClassKey(r.class_key), workloadKind: r.workload_kind, pods: r.pods }));
    });
  }

  incoming(cluster: ClusterId, generation: number, dstClasses: readonly ClassKey[]): Promise<MatrixConnectionRow[]> {
    return mapStoreErrors(`matrix.incoming(${cluster})`, async () => {
      if (dstClasses.length === 0) return [];
      const rows = await this.db.$queryRaw<ConnectionDbRow[]>`
        SELECT src_class, dst_class, conn FROM matrix_connections
        WHERE cluster_id = ${cluster} AND dst_class = ANY(${[...dstClasses]}::text[]) AND ${visibleAt(generation)}
        ORDER BY dst_class, src_class`;
      return rows.map(toConnectionRow);
    });
  }

  outgoing(cluster: ClusterId, generation: number, srcClasses: readonly ClassKey[]): Promise<MatrixConnectionRow[]> {
    return mapStoreErrors(`matrix.outgoing(${cluster})`, async () => {
      if (srcClasses.length === 0) return [];
      const rows = await this.db.$queryRaw<ConnectionDbRow[]>`
        SELECT src_class, dst_class, conn FROM matrix_connections
        WHERE cluster_id = ${cluster} AND src_class = ANY(${[...srcClasses]}::text[]) AND ${visibleAt(generation)}
        ORDER BY src_class, dst_class`;
      return rows.map(toConnectionRow);
    });
  }

  members(cluster: ClusterId, generation: number, classes: readonly ClassKey[]): Promise<ReadonlyMap<ClassKey, readonly ClassMember[]>> {
    return mapStoreErrors(`matrix.members(${cluster})`, async () => {
      const out = new Map<ClassKey, ClassMember[]>();
      if (classes.length === 0) return out;
      const rows = await this.db.$queryRaw<MemberDbRow[]>`
        SELECT class_key, member_type, namespace, workload_kind, workload_name, pods, ip_family, ip_start, ip_end
        FROM matrix_class_members
        WHERE cluster_id = ${cluster} AND class_key = ANY(${[...classes]}::text[]) AND ${visibleAt(generation)}
        ORDER BY class_key, member_key`;
      for (const r of rows) push(out, storedClassKey(r.class_key), toMember(r));
      return out;
    });
  }

  connectionsPage(cluster: ClusterId, generation: number, q: ConnectionPageQuery): Promise<ConnectionPage> {
    return mapStoreErrors(`matrix.connectionsPage(${cluster})`, async () => {
      const inNamespace =
        q.namespace === undefined
          ? Prisma.empty
          : Prisma.sql`AND (src_class IN (SELECT class_key FROM ns_classes) OR dst_class IN (SELECT class_key FROM ns_classes))`;
      const nsClasses =
        q.namespace === undefined
          ? Prisma.sql`WITH ns_classes AS (SELECT NULL::text AS class_key WHERE false)`
          : Prisma.sql`WITH ns_classes AS (
              SELECT DISTINCT class_key FROM matrix_class_members
              WHERE cluster_id = ${cluster} AND namespace = ${q.namespace} AND ${visibleAt(generation)})`;
      const after = q.after ? Prisma.sql`AND (src_class, dst_class) > (${q.after.srcClass}, ${q.after.dstClass})` : Prisma.empty;
      const rows = await this.db.$queryRaw<ConnectionDbRow[]>`
        ${nsClasses}
        SELECT src_class, dst_class, conn FROM matrix_connections
        WHERE cluster_id = ${cluster} AND ${visibleAt(generation)} ${inNamespace} ${after}
        ORDER BY src_class, dst_class
        LIMIT ${q.limit}`;
      const last = rows[rows.length - 1];
      return {
        rows: rows.map(toConnectionRow),
        ...(rows.length === q.limit && last ? { next: { srcClass: storedClassKey(last.src_class), dstClass: storedClassKey(last.dst_class) } } : {}),
      };
    });
  }

  async *allConnections(
    cluster: ClusterId,
    generation: number,
    options: { readonly namespace?: string; readonly pageSize?: number } = {},
  ): AsyncIterable<MatrixConnectionRow> {
    const limit = options.pageSize ?? DEFAULT_PAGE;
    let after: ConnectionPageQuery["after"];
    for (;;) {
      const page = await this.connectionsPage(cluster, generation, {
        limit,
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
        ...(after ? { after } : {}),
      });
      yield* page.rows;
      if (!page.next) return;
      after = page.next;
    }
  }
}

async function readLatest(db: Reader, cluster: ClusterId): Promise<number | undefined> {
  const rows = await db.$queryRaw<{ g: number | null }[]>`SELECT max(generation) AS g FROM matrix_generations WHERE cluster_id = ${cluster}`;
  return rows[0]?.g ?? undefined;
}

async function readSnapshot(db: Reader, cluster: ClusterId, g: number): Promise<MatrixSnapshot> {
  const classRows = await db.$queryRaw<{ class_key: string; kind: MatrixClass["kind"] }[]>`
    SELECT class_key, kind FROM matrix_classes WHERE cluster_id = ${cluster} AND ${visibleAt(g)} ORDER BY class_key`;
  const memberRows = await db.$queryRaw<MemberDbRow[]>`
    SELECT class_key, member_type, namespace, workload_kind, workload_name, pods, ip_family, ip_start, ip_end
    FROM matrix_class_members WHERE cluster_id = ${cluster} AND ${visibleAt(g)} ORDER BY class_key, member_key`;
  const connRows = await db.$queryRaw<ConnectionDbRow[]>`
    SELECT src_class, dst_class, conn FROM matrix_connections WHERE cluster_id = ${cluster} AND ${visibleAt(g)}
    ORDER BY src_class, dst_class`;
  const members = new Map<ClassKey, ClassMember[]>();
  for (const r of memberRows) push(members, storedClassKey(r.class_key), toMember(r));
  const classes = new Map<ClassKey, MatrixClass>(
    classRows.map((c) => {
      const key = storedClassKey(c.class_key);
      return [key, { key, kind: c.kind, members: members.get(key) ?? [] }];
    }),
  );
  const connections = new Map(connRows.map((c) => [classPairKey(storedClassKey(c.src_class), storedClassKey(c.dst_class)), c.conn]));
  return { classes, connections };
}

/**
 * The chain fields of generation `g`: its content digest, the revision chain head it is committed
 * on, and its link to the latest generation, whose own hash is checked first: a generation row
 * changed under the service is reported, never built upon.
 */
async function nextGenerationLink(tx: Tx, cluster: ClusterId, latest: number | undefined, g: number, contentDigest: string, computedAt: Date): Promise<ChainedGeneration> {
  let prevHash = GENESIS_HASH;
  if (latest !== undefined) {
    const [row] = await tx.$queryRaw<{ created_at: Date; content_digest: string | null; revision_seq: bigint | null; revision_hash: string | null; prev_hash: string | null; hash: string | null }[]>`
      SELECT created_at, content_digest, revision_seq, revision_hash, prev_hash, hash FROM matrix_generations WHERE cluster_id = ${cluster} AND generation = ${latest}`;
    if (row?.hash) {
      const expected = hashGeneration(row.prev_hash ?? "", { cluster, generation: latest, createdAt: row.created_at.toISOString(), contentDigest: row.content_digest ?? "", revisionSeq: row.revision_seq ?? -1n, revisionHash: row.revision_hash ?? "" });
      if (expected !== row.hash)
        throw new ChainIntegrityError(`cluster ${cluster}: generation ${latest} does not match its chain hash (the row was changed); not committing generation ${g} on it. Run kubereach audit verify.`);
      prevHash = row.hash;
    }
  }
  const head = await readChainHead(tx, cluster);
  const link = { cluster, generation: g, createdAt: new Date(computedAt.getTime()).toISOString(), contentDigest, revisionSeq: head.seq, revisionHash: head.hash };
  return { ...link, prevHash, hash: hashGeneration(prevHash, link) };
}

/** Closes changed/removed rows (valid_to = g); a count that differs from the delta means the base was not the stored state. */
const CLOSED_CLASSES: BulkTable = { name: "closed_classes", columns: [["k", "text"]] };
const CLOSED_MEMBERS: BulkTable = { name: "closed_members", columns: [["c", "text"], ["m", "text"]] };
const CLOSED_CONNECTIONS: BulkTable = { name: "closed_connections", columns: [["s", "text"], ["d", "text"]] };

/**
 * Closes the delta's changed rows, one statement per table, and checks how many were open. The keys
 * go inline, or staged when there are more than one statement's worth (rowLoader.ts inputRows): a
 * change of 250,000 connections at 150,000 pods closed them in 500 statements.
 */
async function closeRows(tx: Tx, loader: RowLoader, cluster: ClusterId, g: number, d: MatrixDelta): Promise<void> {
  const expectClosed = (table: string, expected: number, actual: number) => {
    if (actual !== expected) {
      throw new ConflictError(
        `matrix.commitGeneration(${cluster}): expected to close ${expected} open ${table} rows, found ${actual}; ` +
          `the stored matrix is not the generation it was diffed against. Nothing was committed.`,
      );
    }
  };
  /** Closes `rows` (their keys inline or staged), then checks how many were open. */
  const closeAll = async <T>(what: string, table: BulkTable, rows: readonly T[], cells: (r: T) => readonly Cell[], close: (keys: Prisma.Sql) => Promise<number>) => {
    if (rows.length === 0) return;
    expectClosed(what, rows.length, await close(await inputRows(tx, loader, table, rows, cells)));
  };
  await closeAll("class", CLOSED_CLASSES, d.closeClasses, (k) => [k], (keys) => tx.$executeRaw`
    UPDATE matrix_classes m SET valid_to = ${g} FROM (${keys}) AS t
    WHERE m.cluster_id = ${cluster} AND m.valid_to IS NULL AND m.class_key = t.k`);
  await closeAll("member", CLOSED_MEMBERS, d.closeMembers, (m) => [m.classKey, m.memberKey], (keys) => tx.$executeRaw`
    UPDATE matrix_class_members m SET valid_to = ${g} FROM (${keys}) AS t
    WHERE m.cluster_id = ${cluster} AND m.valid_to IS NULL AND m.class_key = t.c AND m.member_key = t.m`);
  await closeAll("connection", CLOSED_CONNECTIONS, d.closeConnections, (c) => [c.srcClass, c.dstClass], (keys) => tx.$executeRaw`
    UPDATE matrix_connections m SET valid_to = ${g} FROM (${keys}) AS t
    WHERE m.cluster_id = ${cluster} AND m.valid_to IS NULL AND m.src_class = t.s AND m.dst_class = t.d`);
}

/**
 * Changed class and connection keys from which a derived digest is computed while the commit's rows
 * are written rather than before: below, a change's few statements are faster alone; above, its
 * digest is hundreds of milliseconds of CPU that the writes' round trips can hide.
 */
export const DIGEST_BESIDE_WRITES_KEYS = 2_000;

/** The keys `next` says it changed (0 without a hint). */
function changedKeys(next: MatrixSnapshot): number {
  const hint = next.changedSince;
  return hint ? hint.classes.size + hint.connections.size : 0;
}

/**
 * A commit that opened BULK_ROWS rows or more, and a tenth of the tables or more (staleStatistics:
 * the first generation of a cluster, a relist that changed much) follows a bulk load: the planner's statistics of the tables the sync writes still describe them as they were
 * before it (empty, at the first sync), and the small statements of the next changes were planned
 * badly: a policy change spent 20-50 ms in its four object-version statements and the change
 * reached its generation in a median 117-128 ms at 10,000 pods; with fresh statistics 57 ms.
 * Autovacuum refreshes them too, but up to minutes later; ANALYZE now costs a fraction of the commit.
 */
async function analyzeAfterBulkWrite(db: Db): Promise<void> {
  await db.$executeRawUnsafe(`ANALYZE ${Object.entries(ANALYZED_COLUMNS).map(([table, columns]) => `${table} (${columns.join(", ")})`).join(", ")}`);
}

/**
 * The columns the store's statements look rows up by, per table the sync writes: the only
 * statistics the plans use. Sampling the JSON columns too (specs, object data, revisions' before,
 * after and canonical text) took most of the 2-2.5 s an ANALYZE of every column cost after a first
 * 150,000-pod commit (bench, 2026-12-07).
 */
const ANALYZED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  object_versions: ["cluster_id", "kind", "uid", "namespace", "name", "valid_from", "valid_to"],
  matrix_classes: ["cluster_id", "class_key", "valid_from", "valid_to"],
  matrix_class_members: ["cluster_id", "class_key", "member_key", "namespace", "workload_kind", "workload_name", "valid_from", "valid_to"],
  matrix_connections: ["cluster_id", "src_class", "dst_class", "valid_from", "valid_to"],
  pods: ["cluster_id", "uid", "namespace", "name", "workload_kind", "workload_name", "resource_version"],
  network_policies: ["cluster_id", "uid", "namespace", "name"],
  namespaces: ["cluster_id", "uid", "name"],
  workloads: ["cluster_id", "namespace", "kind", "name"],
  policy_revisions: ["cluster_id", "seq", "object_kind", "namespace", "name", "uid"],
};

const MATRIX_CLASSES: BulkTable = { name: "matrix_classes", columns: [["cluster_id", "text"], ["class_key", "text"], ["kind", "text"], ["valid_from", "int4"]] };
const MATRIX_CLASS_MEMBERS: BulkTable = {
  name: "matrix_class_members",
  columns: [
    ["cluster_id", "text"], ["class_key", "text"], ["member_key", "text"], ["member_type", "text"], ["namespace", "text"], ["workload_kind", "text"],
    ["workload_name", "text"], ["pods", "int4"], ["ip_family", "int4"], ["ip_start", "text"], ["ip_end", "text"], ["valid_from", "int4"],
  ],
};
const MATRIX_CONNECTIONS: BulkTable = { name: "matrix_connections", columns: [["cluster_id", "text"], ["src_class", "text"], ["dst_class", "text"], ["conn", "text"], ["valid_from", "int4"]] };

/** The delta's new rows, in its (primary-key) order: a bulk load, through the store's RowLoader. */
async function openRows(tx: Tx, loader: RowLoader, cluster: ClusterId, g: number, d: MatrixDelta): Promise<void> {
  await loader.insert(tx, MATRIX_CLASSES, d.openClasses, (c) => [cluster, c.key, c.kind, g]);
  await loader.insert(tx, MATRIX_CLASS_MEMBERS, d.openMembers, ({ classKey, memberKey, member: m }): Cell[] =>
    m.type === "workload"
      ? [cluster, classKey, memberKey, m.type, m.namespace, m.kind, m.name, m.pods, null, null, null, g]
      : [cluster, classKey, memberKey, m.type, null, null, null, null, m.family, m.start, m.end, g],
  );
  await loader.insert(tx, MATRIX_CONNECTIONS, d.openConnections, (c) => [cluster, c.srcClass, c.dstClass, c.conn, g]);
}

function toMember(r: MemberDbRow): ClassMember {
  if (r.member_type === "workload") {
    return { type: "workload", namespace: r.namespace!, kind: r.workload_kind!, name: r.workload_name!, pods: r.pods! };
  }
  return { type: "external", family: r.ip_family as 4 | 6, start: r.ip_start!, end: r.ip_end! };
}

function toConnectionRow(r: ConnectionDbRow): MatrixConnectionRow {
  return { srcClass: storedClassKey(r.src_class), dstClass: storedClassKey(r.dst_class), conn: r.conn };
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
