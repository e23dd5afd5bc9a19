/**
 * whoCanReach / reachableFrom: one workload's connections in one generation, read through a
 * MatrixReader (the generation's index for the latest generation when it has one, else the store)
 * and expanded by the engine's expandEdges. Answers are cached per (cluster, generation,
 * direction, workload) before the caller's scope and port filter are applied: generations are
 * immutable, so an answer never changes, and the reads are paid once per generation.
 */
import { BadInputError, NotFoundError } from "../../domain/errors.js";
import type { CacheSizes } from "../../domain/config.js";
import type { MatrixReader, ReachDirection } from "../../domain/matrixReader.js";
import type { ClassKey, ClassMember, MatrixConnectionRow } from "../../domain/repositories.js";
import { TimeSlicer, YIELD_EVERY } from "../../domain/TimeSlicer.js";
import { expandEdges, expandEdgesSteps, type ClassEdge, type ConnEndpoint, type ConnectivityRow, type WorkloadQuery, type WorkloadRef } from "../../engine/index.js";
import { cacheKey, forgetIfFails, weighedCache } from "./caches.js";
import type { ConnectionTextParser } from "./connectionTexts.js";
import { assertVisible, matchesPort, type PortFilter } from "./filters.js";
import { canSeeConnection } from "../../domain/scope.js";
import type { GenerationRef, GenerationResolver, QueryOptions } from "./generations.js";
import type { MatrixReaders } from "./matrixReaders.js";
import { endpointsOf } from "./members.js";
import type { Scope } from "../../domain/scope.js";

export interface ReachabilityAnswer extends GenerationRef {
  readonly workload: WorkloadRef;
  readonly rows: readonly ConnectivityRow[];
}

/** One workload's answer in one generation, unfiltered, as cached. */
interface ReachRows {
  readonly workload: WorkloadRef;
  readonly rows: readonly ConnectivityRow[];
  /** Rows + 1: what the answer weighs in the cache. */
  readonly size: number;
  /** What the answer was read from (indexed answers): the workload's classes and the classes at the other end. */
  readonly classes?: readonly ClassKey[];
  readonly peers?: readonly ClassKey[];
}

/**
 * An answer with more peer classes or peer members than this is large: expanded in time slices,
 * one at a time. Smaller ones (nearly all: a median of one row at 150,000 pods) are expanded in
 * one piece, which costs less than a turn of the event loop.
 */
export const LARGE_ANSWER_ITEMS = 2048;

const NO_MEMBERS: readonly ClassMember[] = [];

export class ReachQueries {
  /** Answers, weighed in rows (server.cache.reachRows). */
  private readonly reaches;
  /** The last large answer's expansion queued (see oneLargeAnswerAtATime). */
  private largeAnswers: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly generations: GenerationResolver,
    private readonly readers: MatrixReaders,
    private readonly parseConn: ConnectionTextParser,
    sizes: Pick<CacheSizes, "reachRows">,
  ) {
    this.reaches = weighedCache<Promise<ReachRows>>(sizes.reachRows);
  }

  async reach(scope: Scope, q: WorkloadQuery, options: QueryOptions & PortFilter, direction: ReachDirection): Promise<ReachabilityAnswer> {
    const ref = await this.generations.generation(options);
    assertVisible(scope, q.namespace, `${q.namespace}/${q.name}`);
    const keyAt = (generation: number) => cacheKey(ref.cluster, generation, direction, q.namespace, q.name, q.kind ?? "");
    const key = keyAt(ref.generation);
    let answer = this.reaches.get(key);
    if (!answer && !options.at) {
      const carried = (await this.carriedOver(ref, q, direction, keyAt))?.answer;
      answer = this.reaches.get(key); // another request may have answered meanwhile
      if (!answer && carried) {
        answer = carried;
        this.reaches.set(key, carried, { size: (await carried).size });
      }
    }
    if (!answer) {
      // Only the latest generation is indexed: time travel alternating between generations would
      // otherwise reload whole snapshots; past generations are read per workload (and cached).
      const loading = this.reachRows(ref, q, direction, !options.at);
      answer = loading;
      this.reaches.set(key, loading, { size: 1 });
      // Failures (unknown workload, a database error) are not kept; the weight is known once resolved.
      forgetIfFails(this.reaches, key, loading);
      loading.then(
        (r) => {
          if (this.reaches.peek(key) === loading) this.reaches.set(key, loading, { size: r.size });
        },
        () => undefined,
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
  private async carriedOver(ref: GenerationRef, q: WorkloadQuery, direction: ReachDirection, keyAt: (generation: number) => string): Promise<{ answer: Promise<ReachRows> } | undefined> {
    const index = await this.readers.index(ref);
    const derived = index?.derived;
    const previous = derived ? this.readers.generationOf(derived.from) : undefined;
    if (!index || !derived || previous === undefined) return undefined;
    const old = this.reaches.get(keyAt(previous));
    const rows = await old?.catch(() => undefined);
    if (!rows?.classes || !rows.peers) return undefined;
    const ends = direction === "incoming" ? derived.into : derived.outOf;
    const now = index.classesOfWorkload(q.namespace, q.name, q.kind).map((r) => r.classKey);
    if (now.length !== rows.classes.length || now.some((c) => !rows.classes!.includes(c))) return undefined;
    if (rows.classes.some((c) => derived.classes.has(c) || ends.has(c)) || rows.peers.some((c) => derived.classes.has(c))) return undefined;
    // Wrapped: an async function's result would otherwise be the answer itself, not its promise.
    return old && { answer: old };
  }

  /** Every row of one workload's answer in one generation, unfiltered (see `reaches`). */
  private async reachRows(ref: GenerationRef, q: WorkloadQuery, direction: ReachDirection, indexed: boolean): Promise<ReachRows> {
    const reader: MatrixReader = (indexed ? await this.readers.index(ref) : undefined) ?? this.readers.stored(ref);
    const rows = await reader.classesOfWorkload(q.namespace, q.name, q.kind);
    const kinds = [...new Set(rows.map((r) => r.workloadKind))];
    if (kinds.length === 0) throw new NotFoundError(`no workload ${q.namespace}/${q.name}${q.kind ? `[${q.kind}]` : ""} in cluster ${ref.cluster} at generation ${ref.generation}`);
    if (kinds.length > 1)
      throw new BadInputError(`${q.namespace}/${q.name} names several workloads (${kinds.map((k) => `${q.namespace}/${q.name}[${k}]`).join(", ")}); give the kind`);
    const workload: WorkloadRef = { namespace: q.namespace, kind: kinds[0]!, name: q.name };
    const classes = rows.map((r) => r.classKey);
    const conns = await reader.connections(direction, classes);
    const peerClasses = [...new Set(conns.map((c) => (direction === "incoming" ? c.srcClass : c.dstClass)))];
    const answer = { workload, classes, peers: peerClasses };
    if (peerClasses.length > LARGE_ANSWER_ITEMS) return { ...answer, ...(await this.oneLargeAnswerAtATime(() => this.expandSliced(reader, workload, conns, peerClasses, direction))) };
    const members = await reader.members(peerClasses);
    let pairs = 0;
    for (const list of members.values()) pairs += list.length;
    if (pairs > LARGE_ANSWER_ITEMS) return { ...answer, ...(await this.oneLargeAnswerAtATime(() => this.expandSliced(reader, workload, conns, peerClasses, direction, members))) };
    const all = expandEdges(this.edgesOf(workload, conns, direction, members));
    return { ...answer, rows: all, size: all.length + 1 };
  }

  /**
   * A large answer (thousands of peers) in time slices: its members read a chunk at a time, its
   * edges built and expanded as steps. One at a time (oneLargeAnswerAtATime): sliced answers that
   * all ran at once piled up at 500 req/s (p99 1.4 s, a heap of 3.6 GiB, see commit 0c3794d).
   */
  private async expandSliced(reader: MatrixReader, workload: WorkloadRef, conns: readonly MatrixConnectionRow[], peerClasses: readonly ClassKey[], direction: ReachDirection, known?: ReadonlyMap<ClassKey, readonly ClassMember[]>): Promise<{ rows: ConnectivityRow[]; size: number }> {
    const slicer = new TimeSlicer();
    let members = known;
    if (!members) {
      const read = new Map<ClassKey, readonly ClassMember[]>();
      for (let i = 0; i < peerClasses.length; i += LARGE_ANSWER_ITEMS) {
        for (const [k, v] of await reader.members(peerClasses.slice(i, i + LARGE_ANSWER_ITEMS))) read.set(k, v);
        await slicer.pause();
      }
      members = read;
    }
    const edges: ClassEdge[] = [];
    for (const edge of this.edgesOf(workload, conns, direction, members)) {
      edges.push(edge);
      if (edges.length % YIELD_EVERY === 0) await slicer.pause();
    }
    const all = await slicer.run(expandEdgesSteps(edges));
    return { rows: all, size: all.length + 1 };
  }

  /** Runs the expansions of large answers one after the other (see expandSliced). */
  private oneLargeAnswerAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.largeAnswers.then(work);
    this.largeAnswers = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The class edges of an answer: each connection between the workload and its peers' members. */
  private *edgesOf(workload: WorkloadRef, conns: readonly MatrixConnectionRow[], direction: ReachDirection, members: ReadonlyMap<ClassKey, readonly ClassMember[]>): Generator<ClassEdge> {
    const self: readonly ConnEndpoint[] = [{ kind: "workload", ref: workload }];
    for (const c of conns) {
      const peers = endpointsOf(members.get(direction === "incoming" ? c.srcClass : c.dstClass) ?? NO_MEMBERS);
      const conn = this.parseConn(c.conn);
      yield direction === "incoming" ? { src: peers, dst: self, conn } : { src: self, dst: peers, conn };
    }
  }
}
