/**
 * Which generation a request means: the cluster (named, or the only one), then the latest
 * generation (read after the request began, reads shared between concurrent requests) or the one
 * in force at `at`, with its commit time. Every query module starts here.
 */
import { BadInputError, NotFoundError } from "../../domain/errors.js";
import type { CacheSizes } from "../../domain/config.js";
import type { Store } from "../../domain/repositories.js";
import { cacheKey, lruCache } from "./caches.js";

export interface GenerationRef {
  readonly cluster: string;
  readonly generation: number;
  readonly computedAt: Date;
}

export interface QueryOptions {
  readonly cluster?: string | null;
  readonly at?: Date | null;
}

/** How long the cluster list behind a request without `cluster` may be reused. */
const CLUSTER_LIST_TTL_MS = 1000;

export class GenerationResolver {
  /** Commit times of generations (immutable once committed). */
  private readonly generationTimes;
  /** Reads of the latest generation per cluster: the one in flight and the one queued after it. */
  private readonly latestReads = new Map<string, { current?: Promise<number | undefined>; next?: Promise<number | undefined> }>();
  /** Clusters seen in the database: they are never deleted, so a name once seen stays valid. */
  private clusterList: { ids: string[]; at: number } | undefined;
  /** The latest generation per cluster as last read or committed here, and when (clock ms). */
  private readonly latestKnown = new Map<string, { generation: number; at: number }>();

  constructor(
    private readonly store: Pick<Store, "clusters" | "matrix">,
    private readonly clock: () => number,
    /** See QueryServiceOptions.latestGenerationTtlMs. */
    private readonly latestTtlMs: number,
    sizes: Pick<CacheSizes, "generationTimes">,
    /** The generation readers of the latest one get (MatrixReaders.visibleGeneration: not before it is indexed). */
    private readonly visible: (cluster: string, latest: number) => number = (_c, latest) => latest,
  ) {
    this.generationTimes = lruCache<Date>(sizes.generationTimes);
  }

  async clusterIds(): Promise<string[]> {
    const ids = (await this.store.clusters.listClusters()).map((c) => c.id).sort();
    this.clusterList = { ids, at: this.clock() };
    return ids;
  }

  /**
   * The cluster a request means: the one named, or the only one there is. A named cluster already
   * seen needs no lookup (clusters are never deleted). A request without `cluster` may use a list
   * of exactly one cluster read at most CLUSTER_LIST_TTL_MS ago; anything else reads the database.
   */
  async resolveCluster(cluster: string | null | undefined): Promise<string> {
    const cached = this.clusterList;
    if (cluster && cached?.ids.includes(cluster)) return cluster;
    if (!cluster && cached?.ids.length === 1 && this.clock() - cached.at < CLUSTER_LIST_TTL_MS) return cached.ids[0]!;
    const ids = await this.clusterIds();
    if (cluster) {
      if (!ids.includes(cluster)) throw new NotFoundError(`no cluster ${JSON.stringify(cluster)} (known: ${ids.join(", ") || "none yet"})`);
      return cluster;
    }
    if (ids.length === 1) return ids[0]!;
    if (ids.length === 0) throw new NotFoundError("no cluster has been synced yet");
    throw new BadInputError(`several clusters are stored (${ids.join(", ")}): say which with the cluster argument`);
  }

  /** The latest generation (read from the database after the request began: a new one is visible at once), or the one in force at `at`. */
  async generation(options: QueryOptions): Promise<GenerationRef> {
    const cluster = await this.resolveCluster(options.cluster);
    const latest = options.at ? await this.store.matrix.generationAt(cluster, options.at) : await this.latestGeneration(cluster);
    const g = latest !== undefined && !options.at ? this.visible(cluster, latest) : latest;
    if (g === undefined)
      throw new NotFoundError(options.at ? `cluster ${cluster} has no matrix generation at or before ${options.at.toISOString()}` : `cluster ${cluster} has no matrix generation yet (the initial sync has not finished)`);
    return { cluster, generation: g, computedAt: await this.generationTime(cluster, g) };
  }

  /** A generation a page cursor names: it must exist (cursors outlive nothing but a wrong cluster). */
  async cursorGeneration(cluster: string, generation: number): Promise<GenerationRef> {
    const stored = await this.store.matrix.getGeneration(cluster, generation);
    if (!stored) throw new BadInputError(`the cursor refers to generation ${generation}, which cluster ${cluster} does not have`);
    return { cluster, generation, computedAt: stored.createdAt };
  }

  /**
   * A generation committed (by this process's sync) or read: with latestGenerationTtlMs, requests
   * within that time of it take it as the latest without a database read. A commit here is
   * reported at once, so only another replica's commits can be that late.
   */
  noteGeneration(cluster: string, generation: number, at = this.clock()): void {
    const known = this.latestKnown.get(cluster);
    if (known && (known.generation > generation || (known.generation === generation && known.at >= at))) return;
    this.latestKnown.set(cluster, { generation, at });
  }

  /**
   * The commit time of a generation this process committed (its own commit: no read to learn it).
   * Readers of a new generation would otherwise all wait for one more database read, while that
   * generation's commit is still loading the database.
   */
  noteCommitTime(cluster: string, generation: number, createdAt: Date): void {
    this.generationTimes.set(cacheKey(cluster, generation), createdAt);
  }

  /**
   * The latest generation: one known for less than latestGenerationTtlMs, or else from a read that
   * started after this call: concurrent calls share reads. One read per cluster is in flight at a
   * time; callers arriving meanwhile share the next one, which starts when it ends. Under load the
   * database sees at most one such query per round trip instead of one per request, and no caller
   * gets a value read before it asked.
   */
  private latestGeneration(cluster: string): Promise<number | undefined> {
    const known = this.latestKnown.get(cluster);
    const age = known ? this.clock() - known.at : Infinity;
    if (known && age < this.latestTtlMs) {
      // Refreshed ahead of expiry, in the background: under steady load the value never expires
      // and no request waits for the read (which, while a commit loads the database and the event
      // loop, took up to 40 ms). Every answer still comes from a read at most the TTL old.
      if (age >= this.latestTtlMs / 2 && !this.latestReads.get(cluster)?.current) this.refreshLatest(cluster).catch(() => undefined);
      return Promise.resolve(known.generation);
    }
    return this.refreshLatest(cluster);
  }

  private refreshLatest(cluster: string): Promise<number | undefined> {
    const startedAt = this.clock();
    return this.readLatestGeneration(cluster).then((g) => {
      if (g !== undefined) this.noteGeneration(cluster, g, startedAt);
      return g;
    });
  }

  private readLatestGeneration(cluster: string): Promise<number | undefined> {
    let state = this.latestReads.get(cluster);
    if (!state) this.latestReads.set(cluster, (state = {}));
    const s = state;
    const start = (): Promise<number | undefined> => {
      const read = this.store.matrix.latestGeneration(cluster);
      s.current = read;
      const done = () => {
        if (s.current === read) s.current = undefined;
      };
      read.then(done, done);
      return read;
    };
    if (!s.current) return start();
    s.next ??= s.current.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      s.next = undefined;
      return start();
    });
    return s.next;
  }

  private async generationTime(cluster: string, generation: number): Promise<Date> {
    const key = cacheKey(cluster, generation);
    const hit = this.generationTimes.get(key);
    if (hit) return hit;
    const stored = await this.store.matrix.getGeneration(cluster, generation);
    if (!stored) return new Date(0);
    this.generationTimes.set(key, stored.createdAt);
    return stored.createdAt;
  }
}
