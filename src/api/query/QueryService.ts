/**
 * The read side of kubereach, shared by GraphQL, the REST exports and chat so the three give the
 * same answers under the same scope: a facade over the query modules of this folder, which it
 * builds over one store and one set of caches (sizes from server.cache).
 * - generations.ts: which cluster and generation a request means;
 * - matrixReaders.ts: the MatrixReader of a generation (its in-memory index, or the store);
 * - reach.ts: whoCanReach / reachableFrom; connectivity.ts: matrix and graph pages, export rows;
 * - objects.ts: namespaces, workloads, policies; canConnect.ts: explanations; history.ts: revisions.
 * Reachability comes from stored generations, expanded by the engine's expandEdges; explanations
 * from the engine's explain over the world of the same generation. Nothing here applies a policy
 * rule itself.
 */
import { DEFAULT_CACHE_SIZES, type CacheSizes } from "../../domain/config.js";
import type { MatrixSnapshot, Store } from "../../domain/repositories.js";
import type { EndpointQuery, Protocol, WorkloadQuery, WorkloadRef } from "../../engine/index.js";
import { canConnect, type CanConnectAnswer } from "./canConnect.js";
import { ConnectivityQueries, type GraphPage, type MatrixPage, type PageOptions } from "./connectivity.js";
import { connectionTextParser } from "./connectionTexts.js";
import type { PortFilter } from "./filters.js";
import { GenerationResolver, type GenerationRef, type QueryOptions } from "./generations.js";
import { revisions, type RevisionPage, type RevisionQuery } from "./history.js";
import { MatrixReaders } from "./matrixReaders.js";
import { ObjectQueries } from "./objects.js";
import { encodeOffsetCursor, encodeSeqCursor } from "./pagination.js";
import { ReachQueries, type ReachabilityAnswer } from "./reach.js";
import type { Scope } from "../../domain/scope.js";
import type { ClusterState } from "../../domain/ClusterState.js";
import { WorldCache, type WorldSnapshot } from "./WorldCache.js";

export type { CanConnectAnswer } from "./canConnect.js";
export type { GraphPage, MatrixPage } from "./connectivity.js";
export type { PortFilter } from "./filters.js";
export type { GenerationRef, QueryOptions } from "./generations.js";
export type { RevisionPage } from "./history.js";
export type { ReachabilityAnswer } from "./reach.js";

export interface QueryServiceOptions {
  /**
   * How long a latest generation read (or committed in this process) stands for "latest" without
   * another database read (default 0: every request reads). Under load the service sets it so that
   * a steady stream of requests costs a handful of reads per second, not one per request. A request
   * in the second half of that time also starts a read in the background (if none is in flight),
   * so that under steady load no request waits for one.
   */
  readonly latestGenerationTtlMs?: number;
  /**
   * Generations with at most this many class-to-class connections are loaded whole into a
   * GenerationIndex on the first whoCanReach/reachableFrom, and answered from memory (default 0:
   * every workload's first answer reads the database). Larger ones keep the per-workload reads.
   */
  readonly generationIndexMaxConnections?: number;
  /** Cache sizes (server.cache); each one not given is the configuration's default. */
  readonly cacheSizes?: Partial<CacheSizes>;
}

export class QueryService {
  readonly worlds: WorldCache;
  private readonly generations: GenerationResolver;
  private readonly readers: MatrixReaders;
  private readonly reaches: ReachQueries;
  private readonly connectivity: ConnectivityQueries;
  private readonly objects: ObjectQueries;

  constructor(
    private readonly store: Store,
    clock: () => number = Date.now,
    options: QueryServiceOptions = {},
  ) {
    const sizes: CacheSizes = { ...DEFAULT_CACHE_SIZES, ...options.cacheSizes };
    const parseConn = connectionTextParser(sizes.connectionTexts);
    this.worlds = new WorldCache(store, sizes.worlds);
    this.readers = new MatrixReaders(store, options.generationIndexMaxConnections ?? 0, sizes, clock);
    const readers = this.readers;
    this.generations = new GenerationResolver(store, clock, options.latestGenerationTtlMs ?? 0, sizes, (cluster, latest) => readers.visibleGeneration(cluster, latest));
    this.reaches = new ReachQueries(this.generations, this.readers, parseConn, sizes);
    this.connectivity = new ConnectivityQueries(this.generations, this.readers, this.worlds, parseConn, sizes);
    this.objects = new ObjectQueries(this.generations, this.worlds);
  }

  // --- clusters and generations -------------------------------------------------------------

  clusterIds(): Promise<string[]> {
    return this.generations.clusterIds();
  }

  resolveCluster(cluster: string | null | undefined): Promise<string> {
    return this.generations.resolveCluster(cluster);
  }

  generation(options: QueryOptions): Promise<GenerationRef> {
    return this.generations.generation(options);
  }

  /** A generation committed or read (see GenerationResolver.noteGeneration). */
  noteGeneration(cluster: string, generation: number, at?: number): void {
    this.generations.noteGeneration(cluster, generation, at);
  }

  /** A generation this process committed, at `createdAt` (its commit time): the latest at once. */
  noteCommit(cluster: string, generation: number, createdAt: Date): void {
    this.generations.noteCommitTime(cluster, generation, createdAt);
    this.generations.noteGeneration(cluster, generation);
  }

  /** The generation readers of the latest one are answered from (see MatrixReaders.visibleGeneration). */
  visibleGeneration(cluster: string, latest: number): number {
    return this.readers.visibleGeneration(cluster, latest);
  }

  /** The snapshot of a generation this process committed, indexed now (see MatrixReaders.noteSnapshot). */
  noteSnapshot(cluster: string, generation: number, snapshot: MatrixSnapshot): void {
    this.readers.noteSnapshot(cluster, generation, snapshot);
  }

  /** The objects of a generation this process committed: its world is built from them, not read back (see WorldCache.noteState). */
  noteState(cluster: string, generation: number, state: ClusterState): void {
    this.worlds.noteState(cluster, generation, state);
  }

  world(ref: GenerationRef): Promise<WorldSnapshot> {
    return this.objects.world(ref);
  }

  // --- reachability -------------------------------------------------------------------------

  whoCanReach(scope: Scope, target: WorkloadQuery, options: QueryOptions & PortFilter): Promise<ReachabilityAnswer> {
    return this.reaches.reach(scope, target, options, "incoming");
  }

  reachableFrom(scope: Scope, source: WorkloadQuery, options: QueryOptions & PortFilter): Promise<ReachabilityAnswer> {
    return this.reaches.reach(scope, source, options, "outgoing");
  }

  canConnect(scope: Scope, from: EndpointQuery, to: EndpointQuery, port: number, protocol: Protocol, options: QueryOptions): Promise<CanConnectAnswer> {
    return canConnect({ generations: this.generations, worlds: this.worlds }, scope, from, to, port, protocol, options);
  }

  // --- the connectivity list ----------------------------------------------------------------

  matrixPage(scope: Scope, options: PageOptions): Promise<MatrixPage> {
    return this.connectivity.matrixPage(scope, options);
  }

  graphPage(scope: Scope, options: PageOptions & PortFilter): Promise<GraphPage> {
    return this.connectivity.graphPage(scope, options);
  }

  connectivityRows(scope: Scope, options: QueryOptions & { namespace?: string | null }) {
    return this.connectivity.connectivityRows(scope, options);
  }

  cursorFor(ref: GenerationRef, offset: number): string {
    return encodeOffsetCursor(ref.generation, offset);
  }

  // --- objects ------------------------------------------------------------------------------

  namespaces(scope: Scope, options: QueryOptions) {
    return this.objects.namespaces(scope, options);
  }

  workloads(scope: Scope, options: QueryOptions & { namespace?: string | null; labelSelector?: string | null }) {
    return this.objects.workloads(scope, options);
  }

  networkPolicies(scope: Scope, options: QueryOptions & { namespace?: string | null }) {
    return this.objects.networkPolicies(scope, options);
  }

  resolveWorkload(scope: Scope, q: WorkloadQuery, options: QueryOptions): Promise<WorkloadRef> {
    return this.objects.resolveWorkload(scope, q, options);
  }

  // --- history ------------------------------------------------------------------------------

  revisions(scope: Scope, options: RevisionQuery): Promise<{ cluster: string } & RevisionPage> {
    return revisions({ generations: this.generations, store: this.store }, scope, options);
  }

  seqCursor(seq: bigint): string {
    return encodeSeqCursor(seq);
  }
}
