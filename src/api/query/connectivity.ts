/**
 * The connectivity list of a generation (every workload-to-workload and workload-to-range row,
 * or one namespace's), expanded from the stored class matrix and cached per generation and
 * namespace: the matrix page, the reachability graph page and the exports read it, under the
 * caller's scope. Lists are scanned from the store (not the index), in the store's order, which
 * page offsets rely on.
 */
import type { CacheSizes } from "../../domain/config.js";
import type { ClassKey, MatrixConnectionRow } from "../../domain/repositories.js";
import { expandEdges, formatConnEndpoint, type ConnEndpoint, type ConnectionSet, type ConnectivityRow } from "../../engine/index.js";
import { cacheKey, lruCache, sharedLoad } from "./caches.js";
import type { ConnectionTextParser } from "./connectionTexts.js";
import { assertVisible, matchesPort, type PortFilter } from "./filters.js";
import { canSeeConnection } from "../../domain/scope.js";
import type { GenerationRef, GenerationResolver, QueryOptions } from "./generations.js";
import type { MatrixReaders } from "./matrixReaders.js";
import { toEndpoint } from "./members.js";
import { checkPageSize, decodeOffsetCursor } from "./pagination.js";
import { inScope, type Scope } from "../../domain/scope.js";
import type { WorldCache } from "./WorldCache.js";

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

export interface PageOptions extends QueryOptions {
  readonly namespace?: string | null;
  readonly first: number;
  readonly after?: string | null;
}

/** Largest page of connectivityMatrix rows. */
const MAX_MATRIX_PAGE = 1000;
/** Largest page of reachabilityGraph edges (about 60 bytes each in a response). */
const MAX_GRAPH_PAGE = 50_000;
/** Rows per database page when a generation's connections are scanned. */
const SCAN_PAGE = 5000;

export class ConnectivityQueries {
  /** Expanded connectivity lists per (cluster, generation, namespace): generations are immutable. */
  private readonly lists;

  constructor(
    private readonly generations: GenerationResolver,
    private readonly readers: MatrixReaders,
    private readonly worlds: WorldCache,
    private readonly parseConn: ConnectionTextParser,
    sizes: Pick<CacheSizes, "connectivityLists">,
  ) {
    this.lists = lruCache<Promise<ConnectivityRow[]>>(sizes.connectivityLists);
  }

  async matrixPage(scope: Scope, options: PageOptions): Promise<MatrixPage> {
    checkPageSize(options.first, MAX_MATRIX_PAGE);
    const { ref, offset } = await this.pageStart(options);
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
  async graphPage(scope: Scope, options: PageOptions & PortFilter): Promise<GraphPage> {
    checkPageSize(options.first, MAX_GRAPH_PAGE);
    const { ref, offset } = await this.pageStart(options);
    const namespace = options.namespace ?? undefined;
    if (namespace) assertVisible(scope, namespace, `namespace ${namespace}`);
    const [rowsOfGeneration, snapshot] = await Promise.all([this.connectivity(ref, namespace), this.worlds.get(ref.cluster, ref.generation)]);
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
    const ref = await this.generations.generation(options);
    if (options.namespace) assertVisible(scope, options.namespace, `namespace ${options.namespace}`);
    const rows = (await this.connectivity(ref, options.namespace ?? undefined)).filter((r) => canSeeConnection(scope, r));
    return { ref, rows };
  }

  /** Where a page begins: the generation and offset after the cursor's row, or the first row of the requested generation. */
  private async pageStart(options: PageOptions): Promise<{ ref: GenerationRef; offset: number }> {
    if (!options.after) return { ref: await this.generations.generation(options), offset: 0 };
    const cursor = decodeOffsetCursor(options.after);
    const ref = await this.generations.cursorGeneration(await this.generations.resolveCluster(options.cluster), cursor.g);
    return { ref, offset: cursor.o + 1 };
  }

  private connectivity(ref: GenerationRef, namespace: string | undefined): Promise<ConnectivityRow[]> {
    return sharedLoad(this.lists, cacheKey(ref.cluster, ref.generation, namespace ?? ""), () => this.expandAll(ref, namespace));
  }

  private async expandAll(ref: GenerationRef, namespace: string | undefined): Promise<ConnectivityRow[]> {
    const reader = this.readers.stored(ref);
    const conns: MatrixConnectionRow[] = [];
    for await (const c of reader.allConnections({ namespace, pageSize: SCAN_PAGE })) conns.push(c);
    const classes = [...new Set(conns.flatMap((c) => [c.srcClass, c.dstClass]))];
    const members = await reader.members(classes);
    const endpoints = new Map<ClassKey, ConnEndpoint[]>();
    for (const [k, ms] of members) endpoints.set(k, ms.map(toEndpoint));
    // One ConnectionSet object per text within a list: the graph groups its edges by identity.
    const connOf = new Map<string, ConnectionSet>();
    const rows = expandEdges(
      conns.map((c) => {
        let conn = connOf.get(c.conn);
        if (!conn) connOf.set(c.conn, (conn = this.parseConn(c.conn)));
        return { src: endpoints.get(c.srcClass) ?? [], dst: endpoints.get(c.dstClass) ?? [], conn };
      }),
    );
    if (!namespace) return rows;
    const inNs = (e: ConnEndpoint) => e.kind === "workload" && e.ref.namespace === namespace;
    return rows.filter((r) => inNs(r.src) || inNs(r.dst));
  }
}
