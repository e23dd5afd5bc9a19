/**
 * The graph as the view holds it: nodes and edges of one generation from reachabilityGraph (all
 * pages), indexes for selection, the marks (isolated, wide open), and the port filter over the
 * connections text (`All Connections`, `TCP 80,8080-8090,UDP 53`).
 */
import type { Api } from "./api";

export interface GNode {
  readonly index: number;
  /** `ns/name[Kind]` or `a-b[External]`. */
  readonly id: string;
  readonly external: boolean;
  /** Namespace; "" for an external range. */
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pods: number;
  readonly isolatedForIngress: boolean;
  readonly isolatedForEgress: boolean;
}

export interface GEdge {
  readonly src: number;
  readonly dst: number;
  readonly conn: string;
}

export interface GraphData {
  readonly cluster: string;
  readonly generation: number;
  readonly computedAt: string;
  readonly nodes: readonly GNode[];
  readonly edges: readonly GEdge[];
  /** Edge indexes into / out of each node. */
  readonly incoming: readonly number[][];
  readonly outgoing: readonly number[][];
  readonly namespaces: readonly string[];
}

const GRAPH_QUERY = `query Graph($at: DateTime, $after: String, $withNodes: Boolean!) {
  reachabilityGraph(at: $at, after: $after) {
    cluster generation computedAt totalEdges pageInfo { hasNextPage endCursor }
    nodes @include(if: $withNodes) {
      id
      workload { namespace kind name labels pods isolatedForIngress isolatedForEgress }
      external { start end }
    }
    edges { src dst connections { text } }
  }
}`;

interface GraphPage {
  reachabilityGraph: {
    cluster: string;
    generation: number;
    computedAt: string;
    totalEdges: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes?: {
      id: string;
      workload: { namespace: string; kind: string; name: string; labels: Record<string, string>; pods: number; isolatedForIngress: boolean; isolatedForEgress: boolean } | null;
      external: { start: string; end: string } | null;
    }[];
    edges: { src: number; dst: number; connections: { text: string } }[];
  };
}

/** Every page of the graph of the latest generation (or the one in force at `at`). */
export async function loadGraph(api: Api, at: string | null): Promise<GraphData> {
  const first = (await api.query<GraphPage>(GRAPH_QUERY, { at, after: null, withNodes: true })).reachabilityGraph;
  const edges: GEdge[] = first.edges.map((e) => ({ src: e.src, dst: e.dst, conn: e.connections.text }));
  let page = first;
  while (page.pageInfo.hasNextPage) {
    page = (await api.query<GraphPage>(GRAPH_QUERY, { at, after: page.pageInfo.endCursor, withNodes: false })).reachabilityGraph;
    for (const e of page.edges) edges.push({ src: e.src, dst: e.dst, conn: e.connections.text });
  }
  const nodes: GNode[] = (first.nodes ?? []).map((n, index) =>
    n.workload
      ? {
          index,
          id: n.id,
          external: false,
          namespace: n.workload.namespace,
          name: n.workload.name,
          kind: n.workload.kind,
          labels: n.workload.labels,
          pods: n.workload.pods,
          isolatedForIngress: n.workload.isolatedForIngress,
          isolatedForEgress: n.workload.isolatedForEgress,
        }
      : { index, id: n.id, external: true, namespace: "", name: n.id.replace(/\[External\]$/, ""), kind: "External", labels: {}, pods: 0, isolatedForIngress: false, isolatedForEgress: false },
  );
  return buildGraph(first.cluster, first.generation, first.computedAt, nodes, edges);
}

export function buildGraph(cluster: string, generation: number, computedAt: string, nodes: GNode[], edges: GEdge[]): GraphData {
  const incoming: number[][] = nodes.map(() => []);
  const outgoing: number[][] = nodes.map(() => []);
  edges.forEach((e, i) => {
    incoming[e.dst]!.push(i);
    outgoing[e.src]!.push(i);
  });
  const namespaces = [...new Set(nodes.filter((n) => !n.external).map((n) => n.namespace))].sort();
  return { cluster, generation, computedAt, nodes, edges, incoming, outgoing, namespaces };
}

/** Nothing reaches it and it reaches nothing (connections to itself aside). */
export function isIsolated(g: GraphData, n: GNode): boolean {
  return !n.external && g.incoming[n.index]!.every((e) => g.edges[e]!.src === n.index) && g.outgoing[n.index]!.every((e) => g.edges[e]!.dst === n.index);
}

/** No policy isolates it for ingress: every pod and every address may open any connection to it. */
export function isWideOpen(n: GNode): boolean {
  return !n.external && !n.isolatedForIngress;
}

export interface PortFilter {
  readonly port: number;
  readonly protocol?: "TCP" | "UDP" | "SCTP";
}

/** `80`, `80/udp`, `udp 80`, `UDP/53`; undefined when empty; throws on anything else. */
export function parsePortFilter(text: string): PortFilter | undefined {
  const t = text.trim().toUpperCase();
  if (!t) return undefined;
  const m = /^(?:(TCP|UDP|SCTP)[\s/:]*)?(\d{1,5})(?:\s*[/:]\s*(TCP|UDP|SCTP))?$/.exec(t);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`"${text}" is not a port: write 80, 53/UDP or SCTP 9000`);
  const protocol = (m[1] ?? m[3]) as PortFilter["protocol"];
  return protocol ? { port, protocol } : { port };
}

const connCache = new Map<string, { proto: string; from: number; to: number }[] | "all">();

function parseConn(text: string): { proto: string; from: number; to: number }[] | "all" {
  let hit = connCache.get(text);
  if (hit) return hit;
  if (text === "All Connections") hit = "all";
  else {
    const ranges: { proto: string; from: number; to: number }[] = [];
    let proto = "";
    for (const token of text.split(",")) {
      const m = /^(?:(SCTP|TCP|UDP) )?(\d+)(?:-(\d+))?$/.exec(token.trim());
      if (!m) continue;
      proto = m[1] ?? proto;
      ranges.push({ proto, from: Number(m[2]), to: Number(m[3] ?? m[2]) });
    }
    hit = ranges;
  }
  connCache.set(text, hit);
  return hit;
}

export function connAllows(text: string, f: PortFilter): boolean {
  const c = parseConn(text);
  if (c === "all") return true;
  return c.some((r) => (!f.protocol || r.proto === f.protocol) && r.from <= f.port && f.port <= r.to);
}

/** The first port a connection set allows (for prefilling the "why" form), with its protocol. */
export function firstPort(text: string): { port: number; protocol: string } {
  const c = parseConn(text);
  if (c === "all" || c.length === 0) return { port: 80, protocol: "TCP" };
  return { port: c[0]!.from, protocol: c[0]!.proto };
}

/** A stable color per namespace (hex: the WebGL renderer parses hex and rgb only). */
export function namespaceColor(ns: string): string {
  let h = 0;
  for (let i = 0; i < ns.length; i++) h = (h * 31 + ns.charCodeAt(i)) >>> 0;
  return hslHex(h % 360, 0.55, 0.42);
}

function hslHex(h: number, s: number, l: number): string {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)))));
  return `#${[f(0), f(8), f(4)].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}
