/**
 * The read side of kubereach, shared by GraphQL, the REST exports and chat so the three give the
 * same answers under the same scope. Reachability comes from stored generations (indexed lookups,
 * expanded by the engine's expandEdges); explanations from the engine's explain over the world of
 * the same generation. Nothing here applies a policy rule itself.
 */
import { BadInputError, NotFoundError } from "../../domain/errors.js";
import type {
  ConnectionSet} from "../../engine/index.js";
import {
  explain,
  expandEdges,
  formatConnEndpoint,
  parseConnectionSet,
  parseSelectorString,
  PROTOCOLS,
  resolveWorkload,
  type ClassEdge,
  type ConnEndpoint,
  type ConnectivityRow,
  type EndpointQuery,
  type Explanation,
  type LabelSelector,
  type Protocol,
  type WorkloadQuery,
  type WorkloadRef,
} from "../../engine/index.js";
import type { ClassKey, MatrixConnectionRow, MatrixSnapshot, Store, StoredRevision } from "../../domain/repositories.js";
import { GenerationIndex } from "./GenerationIndex.js";
import { toEndpoint } from "./members.js";
import { canSeeClusterScoped, canSeeConnection, canSeeObject, explainOptions, inScope, type Scope } from "../../domain/scope.js";
import { WorldCache, type WorldSnapshot } from "./WorldCache.js";

export interface GenerationRef {
  readonly cluster: string;
  readonly generation: number;
  readonly computedAt: Date;
}

export interface ReachabilityAnswer extends GenerationRef {
  readonly workload: WorkloadRef;
  readonly rows: readonly ConnectivityRow[];
}

export interface CanConnectAnswer extends GenerationRef {
  readonly explanation: Explanation;
}

export interface MatrixPage extends GenerationRef {
  readonly rows: readonly ConnectivityRow[];
  readonly offset: number;
  readonly totalCount: number;
  readonly hasNextPage: boolean;
}

export interface GraphPage extends GenerationRef {
  /** Workloads first (the world's order), then external ranges: edges refer to them by index. */
  readonly nodes: readonly ConnEndpoint[];
  readonly edges: readonly { readonly src: number; readonly dst: number; readonly conn: ConnectionSet }[];
  readonly offset: number;
  readonly totalCount: number;
  readonly hasNextPage: boolean;
}

export interface RevisionPage {
  readonly revisions: readonly StoredRevision[];
  readonly hasNextPage: boolean;
}

export interface QueryOptions {
  readonly cluster?: string | null;
  readonly at?: Date | null;
}

export interface QueryServiceOptions {
  /**
   * How long a latest generation read (or committed in this process) stands for "latest" without
   * another database read (default 0: every request reads). Under load the service sets it so that
   * a steady stream of requests costs a handful of reads per second, not one per request.
   */
  readonly latestGenerationTtlMs?: number;
  /**
   * Generations with at most this many class-to-class connections are loaded whole into a
   * GenerationIndex on the first whoCanReach/reachableFrom, and answered from memory (default 0:
   * every workload's first answer reads the database). Larger ones keep the per-workload reads.
   */
  readonly generationIndexMaxConnections?: number;
}

export class QueryService {
  readonly worlds: WorldCache;
  /** Expanded connectivity lists per (cluster, generation, namespace): generations are immutable. */
  private readonly matrices = new Map<string, Promise<ConnectivityRow[]>>();
  /**
   * whoCanReach / reachableFrom answers per (cluster, generation, direction, workload), before the
   * caller's scope and port filter are applied: generations are immutable, so an answer never
   * changes, and the DB round trips (classes, connections, members) are paid once per generation.
   */
  private readonly reaches = new BoundedCache<Promise<ReachRows>>(MAX_CACHED_REACH_ROWS, (r) => r.size);
  /** Commit times of generations (immutable once committed). */
  private readonly generationTimes = new BoundedCache<Date>(4096, () => 1);
  /** Reads of the latest generation per cluster: the one in flight and the one queued after it. */
  private readonly latestReads = new Map<string, { current?: Promise<number | undefined>; next?: Promise<number | undefined> }>();
  /** Clusters seen in the database: they are never deleted, so a name once seen stays valid. */
  private clusterList: { ids: string[]; at: number } | undefined;

  /** The latest generation per cluster as last read or committed here, and when (clock ms). */
  private readonly latestKnown = new Map<string, { generation: number; at: number }>();
  private readonly latestTtlMs: number;
  private readonly indexMaxConnections: number;
  /** GenerationIndex per (cluster, generation), the two most recently used; undefined: too large to index. */
  private readonly indexes = new Map<string, Promise<GenerationIndex | undefined>>();
  /** Indexes of snapshots noted by noteSnapshot, for deriving the next one. */
  private readonly snapshotIndexes = new WeakMap<MatrixSnapshot, GenerationIndex>();
  private readonly indexGeneration = new WeakMap<GenerationIndex, number>();

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
    options: QueryServiceOptions = {},
  ) {
    this.latestTtlMs = options.latestGenerationTtlMs ?? 0;
    this.indexMaxConnections = options.generationIndexMaxConnections ?? 0;
    this.worlds = new WorldCache(store);
  }

  // --- clusters and generations -------------------------------------------------------------

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
    const g = options.at ? await this.store.matrix.generationAt(cluster, options.at) : await this.latestGeneration(cluster);
    if (g === undefined)
      throw new NotFoundError(options.at ? `cluster ${cluster} has no matrix generation at or before ${options.at.toISOString()}` : `cluster ${cluster} has no matrix generation yet (the initial sync has not finished)`);
    return { cluster, generation: g, computedAt: await this.generationTime(cluster, g) };
  }

  /**
   * The latest generation, from a read that started after this call: concurrent calls share reads.
   * One read per cluster is in flight at a time; callers arriving meanwhile share the next one,
   * which starts when it ends. Under load the database sees at most one such query per round trip
   * instead of one per request, and no caller gets a value read before it asked.
   */
  private latestGeneration(cluster: string): Promise<number | undefined> {
    const known = this.latestKnown.get(cluster);
    if (known && this.clock() - known.at < this.latestTtlMs) return Promise.resolve(known.generation);
    const startedAt = this.clock();
    return this.readLatestGeneration(cluster).then((g) => {
      if (g !== undefined) this.noteGeneration(cluster, g, startedAt);
      return g;
    });
  }

  /**
   * A generation committed (by this process's sync) or read: with latestGenerationTtlMs, requests
   * within that time of it take it as the latest without a database read. A commit here is
   * reported at once, so only another replica's commits can be that late.
   */
  /**
   * The snapshot of a generation this process committed: its GenerationIndex is built now from
   * memory (derived from the previous generation's index when the snapshot says what changed), so
   * readers of a new generation never wait for a snapshot read from the database.
   */
  noteSnapshot(cluster: string, generation: number, snapshot: MatrixSnapshot): void {
    if (this.indexMaxConnections <= 0 || snapshot.connections.size > this.indexMaxConnections) return;
    const base = snapshot.changedSince ? this.snapshotIndexes.get(snapshot.changedSince.base) : undefined;
    const index = base ? GenerationIndex.derive(base, snapshot) : new GenerationIndex(snapshot);
    this.snapshotIndexes.set(snapshot, index);
    this.indexGeneration.set(index, generation);
    const key = `${cluster}\u0000${generation}`;
    this.indexes.delete(key);
    this.indexes.set(key, Promise.resolve(index));
    while (this.indexes.size > 2) this.indexes.delete(this.indexes.keys().next().value!);
  }

  noteGeneration(cluster: string, generation: number, at = this.clock()): void {
    const known = this.latestKnown.get(cluster);
    if (known && (known.generation > generation || (known.generation === generation && known.at >= at))) return;
    this.latestKnown.set(cluster, { generation, at });
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
    const key = `${cluster}\u0000${generation}`;
    const hit = this.generationTimes.get(key);
    if (hit) return hit;
    const stored = await this.store.matrix.getGeneration(cluster, generation);
    if (!stored) return new Date(0);
    this.generationTimes.set(key, stored.createdAt);
    return stored.createdAt;
  }

  world(ref: GenerationRef): Promise<WorldSnapshot> {
    return this.worlds.get(ref.cluster, ref.generation);
  }

  // --- reachability -------------------------------------------------------------------------

  whoCanReach(scope: Scope, target: WorkloadQuery, options: QueryOptions & PortFilter): Promise<ReachabilityAnswer> {
    return this.reach(scope, target, options, "incoming");
  }

  reachableFrom(scope: Scope, source: WorkloadQuery, options: QueryOptions & PortFilter): Promise<ReachabilityAnswer> {
    return this.reach(scope, source, options, "outgoing");
  }

  private async reach(scope: Scope, q: WorkloadQuery, options: QueryOptions & PortFilter, direction: "incoming" | "outgoing"): Promise<ReachabilityAnswer> {
    const ref = await this.generation(options);
    assertVisible(scope, q.namespace, `${q.namespace}/${q.name}`);
    const key = [ref.cluster, ref.generation, direction, q.namespace, q.name, q.kind ?? ""].join("\u0000");
    let answer = this.reaches.get(key);
    if (!answer && !options.at) {
      const carried = (await this.carriedOver(ref, q, direction))?.answer;
      answer = this.reaches.get(key); // another request may have answered meanwhile
      if (!answer && carried) {
        answer = carried;
        this.reaches.set(key, carried, (await carried).size);
      }
    }
    if (!answer) {
      // Only the latest generation is indexed: time travel alternating between generations would
      // otherwise reload whole snapshots; past generations are read per workload (and cached).
      answer = this.reachRows(ref, q, direction, !options.at);
      this.reaches.set(key, answer, 1);
      // Failures (unknown workload, a database error) are not kept; the size is known once resolved.
      answer.then(
        (r) => this.reaches.resize(key, answer!, r.size),
        () => this.reaches.delete(key, answer!),
      );
    }
    const { workload, rows } = await answer;
    return { ...ref, workload, rows: rows.filter((r) => canSeeConnection(scope, r) && matchesPort(r.conn, options)) };
  }

  /**
   * The previous generation's answer, when this generation's index was derived from that one's and
   * nothing the answer was read from changed: the workload's classes (membership), the connections
   * into (or out of) them, and the members of the classes at the other end. With a change every
   * 100 ms, recomputing every answer at every generation would have readers queue behind each other.
   */
  private async carriedOver(ref: GenerationRef, q: WorkloadQuery, direction: "incoming" | "outgoing"): Promise<{ answer: Promise<ReachRows> } | undefined> {
    const index = await this.generationIndex(ref);
    const derived = index?.derived;
    const previous = derived ? this.indexGeneration.get(derived.from) : undefined;
    if (!index || !derived || previous === undefined) return undefined;
    const old = this.reaches.get([ref.cluster, previous, direction, q.namespace, q.name, q.kind ?? ""].join("\u0000"));
    const rows = await old?.catch(() => undefined);
    if (!rows?.classes || !rows.peers) return undefined;
    const ends = direction === "incoming" ? derived.into : derived.outOf;
    const now = index.classesOfWorkload(q.namespace, q.name, q.kind).map((r) => r.classKey);
    if (now.length !== rows.classes.length || now.some((c) => !rows.classes!.includes(c))) return undefined;
    if (rows.classes.some((c) => derived.classes.has(c) || ends.has(c)) || rows.peers.some((c) => derived.classes.has(c))) return undefined;
    return old && { answer: old };
  }

  /** Every row of one workload's answer in one generation, unfiltered (see `reaches`). */
  private async reachRows(ref: GenerationRef, q: WorkloadQuery, direction: "incoming" | "outgoing", indexed: boolean): Promise<ReachRows> {
    const index = indexed ? await this.generationIndex(ref) : undefined;
    const rows = index ? index.classesOfWorkload(q.namespace, q.name, q.kind) : await this.store.matrix.classesOfWorkload(ref.cluster, ref.generation, q.namespace, q.name, q.kind);
    const kinds = [...new Set(rows.map((r) => r.workloadKind))];
    if (kinds.length === 0) throw new NotFoundError(`no workload ${q.namespace}/${q.name}${q.kind ? `[${q.kind}]` : ""} in cluster ${ref.cluster} at generation ${ref.generation}`);
    if (kinds.length > 1)
      throw new BadInputError(`${q.namespace}/${q.name} names several workloads (${kinds.map((k) => `${q.namespace}/${q.name}[${k}]`).join(", ")}); give the kind`);
    const workload: WorkloadRef = { namespace: q.namespace, kind: kinds[0]!, name: q.name };
    const self: ConnEndpoint = { kind: "workload", ref: workload };
    const classes = rows.map((r) => r.classKey);
    const conns = index
      ? index.connections(direction, classes)
      : direction === "incoming"
        ? await this.store.matrix.incoming(ref.cluster, ref.generation, classes)
        : await this.store.matrix.outgoing(ref.cluster, ref.generation, classes);
    const peerClasses = [...new Set(conns.map((c) => (direction === "incoming" ? c.srcClass : c.dstClass)))];
    const members = index ? index.members(peerClasses) : await this.store.matrix.members(ref.cluster, ref.generation, peerClasses);
    const edges: ClassEdge[] = conns.map((c) => {
      const peers = (members.get(direction === "incoming" ? c.srcClass : c.dstClass) ?? []).map(toEndpoint);
      const conn = parseConn(c.conn);
      return direction === "incoming" ? { src: peers, dst: [self], conn } : { src: [self], dst: peers, conn };
    });
    const all = expandEdges(edges);
    return { workload, rows: all, size: all.length + 1, classes, peers: peerClasses };
  }

  /** The generation's index when it is small enough (see QueryServiceOptions); loads are shared, failures not kept. */
  private generationIndex(ref: GenerationRef): Promise<GenerationIndex | undefined> {
    if (this.indexMaxConnections <= 0) return Promise.resolve(undefined);
    const key = `${ref.cluster}\u0000${ref.generation}`;
    let hit = this.indexes.get(key);
    if (hit) {
      // Most recently used last.
      this.indexes.delete(key);
      this.indexes.set(key, hit);
      return hit;
    }
    hit = (async () => {
      const stored = await this.store.matrix.getGeneration(ref.cluster, ref.generation);
      if (!stored || stored.connectionCount > this.indexMaxConnections) return undefined;
      return new GenerationIndex(await this.store.matrix.snapshotAt(ref.cluster, ref.generation));
    })();
    hit.catch(() => this.indexes.delete(key));
    this.indexes.set(key, hit);
    while (this.indexes.size > 2) this.indexes.delete(this.indexes.keys().next().value!);
    return hit;
  }

  async canConnect(scope: Scope, from: EndpointQuery, to: EndpointQuery, port: number, protocol: Protocol, options: QueryOptions): Promise<CanConnectAnswer> {
    const ref = await this.generation(options);
    for (const e of [from, to]) if (e.type === "workload") assertVisible(scope, e.namespace, `${e.namespace}/${e.name}`);
    const snapshot = await this.world(ref);
    // A pod's IP is answered for as that pod only if this token may see the pod (scope.ts explainOptions).
    const r = explain(snapshot.world, from, to, port, protocol, explainOptions(scope));
    if (!r.ok) throw r.code === "NOT_FOUND" ? new NotFoundError(`${r.message} (cluster ${ref.cluster}, generation ${ref.generation})`) : new BadInputError(r.message);
    return { ...ref, explanation: r.explanation };
  }

  // --- the connectivity list ----------------------------------------------------------------

  async matrixPage(scope: Scope, options: QueryOptions & { namespace?: string | null; first: number; after?: string | null }): Promise<MatrixPage> {
    if (!Number.isInteger(options.first) || options.first < 1 || options.first > 1000) throw new BadInputError("first must be between 1 and 1000");
    let ref: GenerationRef;
    let offset = 0;
    if (options.after) {
      const c = decodeCursor(options.after);
      ref = await this.generationRef(await this.resolveCluster(options.cluster), c.g);
      offset = c.o + 1;
    } else ref = await this.generation(options);
    if (options.namespace) assertVisible(scope, options.namespace, `namespace ${options.namespace}`);
    const all = (await this.connectivity(ref, options.namespace ?? undefined)).filter((r) => canSeeConnection(scope, r));
    const rows = all.slice(offset, offset + options.first);
    return { ...ref, rows, offset, totalCount: all.length, hasNextPage: offset + rows.length < all.length };
  }

  /**
   * The reachability graph of a generation, for drawing: every workload the caller may see (with a
   * namespace, that namespace's workloads and the peers of its rows) and the external ranges of the
   * rows as nodes, in a fixed order; a page of the rows (port filter applied) as edges between them.
   * Paginated like matrixPage (the cursor holds the generation), with larger pages.
   */
  async graphPage(scope: Scope, options: QueryOptions & PortFilter & { namespace?: string | null; first: number; after?: string | null }): Promise<GraphPage> {
    if (!Number.isInteger(options.first) || options.first < 1 || options.first > MAX_GRAPH_PAGE) throw new BadInputError(`first must be between 1 and ${MAX_GRAPH_PAGE}`);
    let ref: GenerationRef;
    let offset = 0;
    if (options.after) {
      const c = decodeCursor(options.after);
      ref = await this.generationRef(await this.resolveCluster(options.cluster), c.g);
      offset = c.o + 1;
    } else ref = await this.generation(options);
    const namespace = options.namespace ?? undefined;
    if (namespace) assertVisible(scope, namespace, `namespace ${namespace}`);
    const [rowsOfGeneration, snapshot] = await Promise.all([this.connectivity(ref, namespace), this.world(ref)]);
    const rows = rowsOfGeneration.filter((r) => canSeeConnection(scope, r) && matchesPort(r.conn, options));
    const nodes: ConnEndpoint[] = [];
    const index = new Map<string, number>();
    const add = (e: ConnEndpoint) => {
      const id = formatConnEndpoint(e);
      if (!index.has(id)) index.set(id, nodes.push(e) - 1);
    };
    for (const w of snapshot.workloads) if (inScope(scope, w.ref.namespace) && (!namespace || w.ref.namespace === namespace)) add({ kind: "workload", ref: w.ref });
    for (const r of rows) for (const e of [r.src, r.dst]) if (e.kind === "workload") add(e);
    for (const r of rows) for (const e of [r.src, r.dst]) if (e.kind === "external") add(e);
    const page = rows.slice(offset, offset + options.first);
    return {
      ...ref,
      nodes,
      edges: page.map((r) => ({ src: index.get(formatConnEndpoint(r.src))!, dst: index.get(formatConnEndpoint(r.dst))!, conn: r.conn })),
      offset,
      totalCount: rows.length,
      hasNextPage: offset + page.length < rows.length,
    };
  }

  /** Every row of a generation (one namespace's rows when given), for exports; scope applied. */
  async connectivityRows(scope: Scope, options: QueryOptions & { namespace?: string | null }): Promise<{ ref: GenerationRef; rows: ConnectivityRow[] }> {
    const ref = await this.generation(options);
    if (options.namespace) assertVisible(scope, options.namespace, `namespace ${options.namespace}`);
    const rows = (await this.connectivity(ref, options.namespace ?? undefined)).filter((r) => canSeeConnection(scope, r));
    return { ref, rows };
  }

  cursorFor(ref: GenerationRef, offset: number): string {
    return Buffer.from(JSON.stringify({ g: ref.generation, o: offset })).toString("base64url");
  }

  private async generationRef(cluster: string, generation: number): Promise<GenerationRef> {
    const stored = await this.store.matrix.getGeneration(cluster, generation);
    if (!stored) throw new BadInputError(`the cursor refers to generation ${generation}, which cluster ${cluster} does not have`);
    return { cluster, generation, computedAt: stored.createdAt };
  }

  private connectivity(ref: GenerationRef, namespace: string | undefined): Promise<ConnectivityRow[]> {
    const key = `${ref.cluster}\u0000${ref.generation}\u0000${namespace ?? ""}`;
    let hit = this.matrices.get(key);
    if (!hit) {
      hit = this.expandAll(ref, namespace);
      hit.catch(() => this.matrices.delete(key));
      this.matrices.set(key, hit);
      while (this.matrices.size > 8) this.matrices.delete(this.matrices.keys().next().value!);
    }
    return hit;
  }

  private async expandAll(ref: GenerationRef, namespace: string | undefined): Promise<ConnectivityRow[]> {
    const conns: MatrixConnectionRow[] = [];
    for await (const c of this.store.matrix.allConnections(ref.cluster, ref.generation, { namespace, pageSize: 5000 })) conns.push(c);
    const classes = [...new Set(conns.flatMap((c) => [c.srcClass, c.dstClass]))];
    const members = await this.store.matrix.members(ref.cluster, ref.generation, classes);
    const endpoints = new Map<ClassKey, ConnEndpoint[]>();
    for (const [k, ms] of members) endpoints.set(k, ms.map(toEndpoint));
    const connCache = new Map<string, ConnectionSet>();
    const rows = expandEdges(
      conns.map((c) => {
        let conn = connCache.get(c.conn);
        if (!conn) connCache.set(c.conn, (conn = parseConn(c.conn)));
        return { src: endpoints.get(c.srcClass) ?? [], dst: endpoints.get(c.dstClass) ?? [], conn };
      }),
    );
    if (!namespace) return rows;
    const inNs = (e: ConnEndpoint) => e.kind === "workload" && e.ref.namespace === namespace;
    return rows.filter((r) => inNs(r.src) || inNs(r.dst));
  }

  // --- objects ------------------------------------------------------------------------------

  async namespaces(scope: Scope, options: QueryOptions): Promise<{ ref: GenerationRef; snapshot: WorldSnapshot; names: string[] }> {
    const ref = await this.generation(options);
    const snapshot = await this.world(ref);
    return { ref, snapshot, names: snapshot.world.namespaces.map((n) => n.name).filter((n) => inScope(scope, n)).sort() };
  }

  async workloads(scope: Scope, options: QueryOptions & { namespace?: string | null; labelSelector?: string | null }) {
    const ref = await this.generation(options);
    const snapshot = await this.world(ref);
    let selector: LabelSelector | undefined;
    if (options.labelSelector) {
      const parsed = parseSelectorString(options.labelSelector);
      if (!parsed.ok) throw new BadInputError(`labelSelector: ${parsed.message}`);
      selector = parsed.selector;
    }
    const list = snapshot.workloads.filter(
      (w) => inScope(scope, w.ref.namespace) && (!options.namespace || w.ref.namespace === options.namespace) && (!selector || selector.matches(w.labels)),
    );
    return { ref, snapshot, workloads: list };
  }

  async networkPolicies(scope: Scope, options: QueryOptions & { namespace?: string | null }) {
    const ref = await this.generation(options);
    const snapshot = await this.world(ref);
    const wanted = (p: { readonly namespace: string }) => inScope(scope, p.namespace) && (!options.namespace || p.namespace === options.namespace);
    // Invalid ones the cluster holds are listed too (valid: false), rather than vanishing.
    const policies = [...snapshot.world.networkPolicies.filter(wanted), ...(snapshot.world.invalidPolicies ?? []).filter(wanted)];
    // Cluster-scoped policies belong to no namespace: listed for tokens that see everything, without a namespace filter.
    const tiered = canSeeClusterScoped(scope) && !options.namespace ? snapshot.world.tieredPolicies : [];
    return { ref, snapshot, policies: [...policies, ...tiered] };
  }

  /** Resolves a workload of the world (for canConnect / chat answers that need the engine's view). */
  async resolveWorkload(scope: Scope, q: WorkloadQuery, options: QueryOptions): Promise<WorkloadRef> {
    assertVisible(scope, q.namespace, `${q.namespace}/${q.name}`);
    const snapshot = await this.world(await this.generation(options));
    const r = resolveWorkload(snapshot.world, q);
    if (!r.ok) throw r.code === "NOT_FOUND" ? new NotFoundError(r.message) : new BadInputError(r.message);
    if (r.type !== "workload") throw new BadInputError(`${q.namespace}/${q.name} is not a workload`);
    return r.ref;
  }

  // --- history ------------------------------------------------------------------------------

  async revisions(
    scope: Scope,
    options: { cluster?: string | null; namespace?: string | null; name?: string | null; since?: Date | null; until?: Date | null; first: number; after?: string | null },
  ): Promise<{ cluster: string } & RevisionPage> {
    if (!Number.isInteger(options.first) || options.first < 1 || options.first > 500) throw new BadInputError("first must be between 1 and 500");
    const cluster = await this.resolveCluster(options.cluster);
    if (options.namespace) assertVisible(scope, options.namespace, `namespace ${options.namespace}`);
    let afterSeq = options.after ? decodeSeqCursor(options.after) : undefined;
    const out: StoredRevision[] = [];
    // A scoped caller's page is filtered after reading, so read until the page is full or history ends.
    for (;;) {
      const batch = await this.store.revisions.list(cluster, {
        namespace: options.namespace ?? undefined,
        name: options.name ?? undefined,
        since: options.since ?? undefined,
        until: options.until ?? undefined,
        afterSeq,
        limit: options.first + 1,
      });
      for (const r of batch) {
        if (out.length > options.first) break;
        if (canSeeObject(scope, r)) out.push(r);
      }
      if (out.length > options.first || batch.length < options.first + 1) break;
      afterSeq = batch[batch.length - 1]!.seq;
    }
    return { cluster, revisions: out.slice(0, options.first), hasNextPage: out.length > options.first };
  }

  seqCursor(seq: bigint): string {
    return Buffer.from(`seq:${seq}`).toString("base64url");
  }
}

/** How long the cluster list behind a request without `cluster` may be reused. */
const CLUSTER_LIST_TTL_MS = 1000;
/** Largest page of reachabilityGraph edges (about 60 bytes each in a response). */
const MAX_GRAPH_PAGE = 50_000;
/** Cached reachability rows, all answers together (about 100 bytes each). */
const MAX_CACHED_REACH_ROWS = 500_000;

interface ReachRows {
  readonly workload: WorkloadRef;
  readonly rows: readonly ConnectivityRow[];
  /** Rows + 1: what the answer weighs in the cache. */
  readonly size: number;
  /** What the answer was read from (indexed answers): the workload's classes and the classes at the other end. */
  readonly classes?: readonly ClassKey[];
  readonly peers?: readonly ClassKey[];
}

/** A map that forgets its least recently used entries beyond a total weight. */
class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>();
  private total = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly weightOf: (v: Awaited<V>) => number,
  ) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, weight?: number): void {
    this.delete(key);
    const w = weight ?? this.weightOf(value as Awaited<V>);
    this.entries.set(key, { value, weight: w });
    this.total += w;
    this.evict();
  }

  /** Sets the weight of `key` if it still holds `value`. */
  resize(key: string, value: V, weight: number): void {
    const e = this.entries.get(key);
    if (!e || e.value !== value) return;
    this.total += weight - e.weight;
    e.weight = weight;
    this.evict();
  }

  /** Deletes `key` (only if it holds `value`, when given). */
  delete(key: string, value?: V): void {
    const e = this.entries.get(key);
    if (!e || (value !== undefined && e.value !== value)) return;
    this.entries.delete(key);
    this.total -= e.weight;
  }

  private evict(): void {
    while (this.total > this.maxWeight && this.entries.size > 1) this.delete(this.entries.keys().next().value!);
  }
}

export interface PortFilter {
  readonly port?: number | null;
  readonly protocol?: Protocol | null;
}

function matchesPort(conn: ConnectionSet, f: PortFilter): boolean {
  if (f.port === undefined || f.port === null) return true;
  const protocols = f.protocol ? [f.protocol] : PROTOCOLS;
  return protocols.some((p) => conn.contains(f.port!, p));
}

function assertVisible(scope: Scope, namespace: string, what: string): void {
  // Outside the caller's namespaces looks exactly like "does not exist": existence does not leak.
  if (!inScope(scope, namespace)) throw new NotFoundError(`no ${what} visible to this token`);
}

/** Stored connection texts repeat a lot: parse each distinct one once. */
const parsedConns = new Map<string, ConnectionSet>();
function parseConn(text: string): ConnectionSet {
  let c = parsedConns.get(text);
  if (!c) {
    c = parseConnectionSet(text);
    if (parsedConns.size > 10_000) parsedConns.clear();
    parsedConns.set(text, c);
  }
  return c;
}

function decodeCursor(cursor: string): { g: number; o: number } {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { g?: unknown; o?: unknown };
    if (Number.isInteger(v.g) && Number.isInteger(v.o) && (v.o as number) >= 0) return { g: v.g as number, o: v.o as number };
  } catch {
    // fall through
  }
  throw new BadInputError("after: not a cursor this API returned");
}

function decodeSeqCursor(cursor: string): bigint {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const m = /^seq:(\d+)$/.exec(text);
  if (!m) throw new BadInputError("after: not a cursor this API returned");
  return BigInt(m[1]!);
}
