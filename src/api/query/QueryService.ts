/**
 * The read side of kubereach, shared by GraphQL, the REST exports and chat so the three give the
 * same answers under the same scope. Reachability comes from stored generations (indexed lookups,
 * expanded by the engine's expandEdges); explanations from the engine's explain over the world of
 * the same generation. Nothing here applies a policy rule itself.
 */
import { BadInputError, NotFoundError } from "../../app/errors.js";
import type {
  ConnectionSet} from "../../engine/index.js";
import {
  explain,
  expandEdges,
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
import type { ClassKey, MatrixConnectionRow, Store, StoredRevision } from "../../store/types.js";
import { toEndpoint } from "./members.js";
import { inScope, type Scope } from "./scope.js";
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

export interface RevisionPage {
  readonly revisions: readonly StoredRevision[];
  readonly hasNextPage: boolean;
}

export interface QueryOptions {
  readonly cluster?: string | null;
  readonly at?: Date | null;
}

export class QueryService {
  readonly worlds: WorldCache;
  /** Expanded connectivity lists per (cluster, generation, namespace): generations are immutable. */
  private readonly matrices = new Map<string, Promise<ConnectivityRow[]>>();

  constructor(private readonly store: Store) {
    this.worlds = new WorldCache(store);
  }

  // --- clusters and generations -------------------------------------------------------------

  async clusterIds(): Promise<string[]> {
    return (await this.store.clusters.listClusters()).map((c) => c.id).sort();
  }

  /** The cluster a request means: the one named, or the only one there is. */
  async resolveCluster(cluster: string | null | undefined): Promise<string> {
    const ids = await this.clusterIds();
    if (cluster) {
      if (!ids.includes(cluster)) throw new NotFoundError(`no cluster ${JSON.stringify(cluster)} (known: ${ids.join(", ") || "none yet"})`);
      return cluster;
    }
    if (ids.length === 1) return ids[0]!;
    if (ids.length === 0) throw new NotFoundError("no cluster has been synced yet");
    throw new BadInputError(`several clusters are stored (${ids.join(", ")}): say which with the cluster argument`);
  }

  /** The latest generation, or the one in force at `at`. */
  async generation(options: QueryOptions): Promise<GenerationRef> {
    const cluster = await this.resolveCluster(options.cluster);
    const g = options.at ? await this.store.matrix.generationAt(cluster, options.at) : await this.store.matrix.latestGeneration(cluster);
    if (g === undefined)
      throw new NotFoundError(options.at ? `cluster ${cluster} has no matrix generation at or before ${options.at.toISOString()}` : `cluster ${cluster} has no matrix generation yet (the initial sync has not finished)`);
    const stored = await this.store.matrix.getGeneration(cluster, g);
    return { cluster, generation: g, computedAt: stored?.createdAt ?? new Date(0) };
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
    const rows = await this.store.matrix.classesOfWorkload(ref.cluster, ref.generation, q.namespace, q.name, q.kind);
    const kinds = [...new Set(rows.map((r) => r.workloadKind))];
    if (kinds.length === 0) throw new NotFoundError(`no workload ${q.namespace}/${q.name}${q.kind ? `[${q.kind}]` : ""} in cluster ${ref.cluster} at generation ${ref.generation}`);
    if (kinds.length > 1)
      throw new BadInputError(`${q.namespace}/${q.name} names several workloads (${kinds.map((k) => `${q.namespace}/${q.name}[${k}]`).join(", ")}); give the kind`);
    const workload: WorkloadRef = { namespace: q.namespace, kind: kinds[0]!, name: q.name };
    const self: ConnEndpoint = { kind: "workload", ref: workload };
    const classes = rows.map((r) => r.classKey);
    const conns =
      direction === "incoming"
        ? await this.store.matrix.incoming(ref.cluster, ref.generation, classes)
        : await this.store.matrix.outgoing(ref.cluster, ref.generation, classes);
    const peerClasses = [...new Set(conns.map((c) => (direction === "incoming" ? c.srcClass : c.dstClass)))];
    const members = await this.store.matrix.members(ref.cluster, ref.generation, peerClasses);
    const edges: ClassEdge[] = conns.map((c) => {
      const peers = (members.get(direction === "incoming" ? c.srcClass : c.dstClass) ?? []).map(toEndpoint);
      const conn = parseConn(c.conn);
      return direction === "incoming" ? { src: peers, dst: [self], conn } : { src: [self], dst: peers, conn };
    });
    const out = expandEdges(edges).filter((r) => visibleRow(scope, r) && matchesPort(r.conn, options));
    return { ...ref, workload, rows: out };
  }

  async canConnect(scope: Scope, from: EndpointQuery, to: EndpointQuery, port: number, protocol: Protocol, options: QueryOptions): Promise<CanConnectAnswer> {
    const ref = await this.generation(options);
    for (const e of [from, to]) if (e.type === "workload") assertVisible(scope, e.namespace, `${e.namespace}/${e.name}`);
    const snapshot = await this.world(ref);
    const r = explain(snapshot.world, from, to, port, protocol);
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
    const all = (await this.connectivity(ref, options.namespace ?? undefined)).filter((r) => visibleRow(scope, r));
    const rows = all.slice(offset, offset + options.first);
    return { ...ref, rows, offset, totalCount: all.length, hasNextPage: offset + rows.length < all.length };
  }

  /** Every row of a generation (one namespace's rows when given), for exports; scope applied. */
  async connectivityRows(scope: Scope, options: QueryOptions & { namespace?: string | null }): Promise<{ ref: GenerationRef; rows: ConnectivityRow[] }> {
    const ref = await this.generation(options);
    if (options.namespace) assertVisible(scope, options.namespace, `namespace ${options.namespace}`);
    const rows = (await this.connectivity(ref, options.namespace ?? undefined)).filter((r) => visibleRow(scope, r));
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
    const policies = snapshot.world.networkPolicies.filter((p) => inScope(scope, p.namespace) && (!options.namespace || p.namespace === options.namespace));
    return { ref, snapshot, policies };
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
        if (r.namespace === "" ? scope.all : inScope(scope, r.namespace)) out.push(r);
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

/** A row is visible when every workload in it is in scope (external ranges belong to no namespace). */
export function visibleRow(scope: Scope, r: ConnectivityRow): boolean {
  const ok = (e: ConnEndpoint) => e.kind === "external" || inScope(scope, e.ref.namespace);
  return ok(r.src) && ok(r.dst);
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
