/**
 * reachabilityGraph and generationCommitted (what the web view at /ui draws from) over real HTTP
 * and graphql-ws, against the real service on PGlite and PostgreSQL with the scenario tree
 * (test/api/helpers/scenario.ts). The graph is checked against the other routes to the same data
 * (every node's incoming edges are its whoCanReach answer, every edge is a matrix row) and by hand
 * (the backend is reached by the frontend on TCP 80 only); pages, filters, scopes and errors.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { API_BACKENDS } from "../helpers/backends.js";
import { httpClient, listeners, ok, oneError, Subscription, waitFor, wsClient } from "../helpers/graphql.js";
import { backendAllow, initialFiles, PAYMENTS, SHOP } from "../helpers/scenario.js";
import { useTestService } from "../helpers/service.js";

const ADMIN = "admin-token-graph-1";
const SHOP_ONLY = "shop-token-graph-2";

interface Graph {
  cluster: string;
  generation: number;
  computedAt: string;
  nodes: { id: string; workload: { namespace: string; kind: string; name: string; isolatedForIngress: boolean } | null; external: { start: string; end: string } | null }[];
  edges: { src: number; dst: number; connections: { text: string } }[];
  totalEdges: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const GRAPH = `query($first: Int, $after: String, $namespace: String, $port: Int, $protocol: Protocol) {
  reachabilityGraph(first: $first, after: $after, namespace: $namespace, port: $port, protocol: $protocol) {
    cluster generation computedAt totalEdges pageInfo { hasNextPage endCursor }
    nodes { id workload { namespace kind name isolatedForIngress } external { start end } }
    edges { src dst connections { text } } } }`;
const WHO = `query($t: WorkloadRef!) { whoCanReach(target: $t) { peers { peer { display } connections { text } } } }`;
const MATRIX = `query($after: String) { matrix(first: 300, after: $after) { totalCount edges { node { src { display } dst { display } connections { text } } } } }`;
const GEN_SUB = `subscription($cluster: ID) { generationCommitted(cluster: $cluster) { cluster generation computedAt } }`;

/** `src -> dst conn` lines of a graph. */
const lines = (g: Graph) => g.edges.map((e) => `${g.nodes[e.src]!.id} -> ${g.nodes[e.dst]!.id} ${e.connections.text}`).sort();

describe.each(API_BACKENDS)("reachabilityGraph and generationCommitted on $name", (backend) => {
  const svc = useTestService(() => ({
    backend,
    name: "graph",
    files: initialFiles(),
    tokens: [
      { name: "admin", token: ADMIN },
      { name: "shop-team", token: SHOP_ONLY, namespaces: [SHOP] },
    ],
  }));
  const http = (token = ADMIN) => httpClient(svc().graphqlUrl, token);
  const graph = async (vars: Record<string, unknown> = {}, token = ADMIN) => (await ok<{ reachabilityGraph: Graph }>(http(token), GRAPH, vars)).reachabilityGraph;

  it("has every workload as a node and the same edges as whoCanReach and matrix", async () => {
    const g = await graph();
    expect(g.cluster).toBe("test");
    expect(g.generation).toBe(svc().generation());
    expect(g.pageInfo.hasNextPage).toBe(false);
    expect(g.totalEdges).toBe(g.edges.length);
    const workloads = g.nodes.filter((n) => n.workload).map((n) => n.id);
    expect(workloads).toEqual([
      "payments/api[Deployment]",
      "payments/ledger[Pod]",
      "payments/worker[Deployment]",
      "shop/backend[Deployment]",
      "shop/cache[Deployment]",
      "shop/db[Deployment]",
      "shop/db[StatefulSet]",
      "shop/frontend[Deployment]",
      "shop/probe[Pod]",
    ]);
    // External ranges come after the workloads, and each node is one or the other.
    const firstExternal = g.nodes.findIndex((n) => n.external);
    expect(firstExternal).toBe(workloads.length);
    expect(g.nodes.every((n) => (n.workload === null) !== (n.external === null))).toBe(true);
    expect(new Set(g.nodes.map((n) => n.id)).size).toBe(g.nodes.length);

    // By hand: only the frontend reaches the backend, on TCP 80; the cache is not isolated.
    const backend = g.nodes.findIndex((n) => n.id === "shop/backend[Deployment]");
    expect(g.edges.filter((e) => e.dst === backend).map((e) => `${g.nodes[e.src]!.id} ${e.connections.text}`)).toEqual(["shop/frontend[Deployment] TCP 80"]);
    expect(g.nodes[backend]!.workload!.isolatedForIngress).toBe(true);
    expect(g.nodes.find((n) => n.id === "shop/cache[Deployment]")!.workload!.isolatedForIngress).toBe(false);

    // Every workload's incoming edges are its whoCanReach answer.
    for (const [i, n] of g.nodes.entries()) {
      if (!n.workload) continue;
      const { namespace, name, kind } = n.workload;
      const who = (await ok<{ whoCanReach: { peers: { peer: { display: string }; connections: { text: string } }[] } }>(http(), WHO, { t: { namespace, name, kind } })).whoCanReach;
      const incoming = g.edges.filter((e) => e.dst === i).map((e) => `${g.nodes[e.src]!.id} ${e.connections.text}`).sort();
      expect(incoming, n.id).toEqual(who.peers.map((p) => `${p.peer.display} ${p.connections.text}`).sort());
    }
    // And the edges are the matrix's rows.
    const m = (await ok<{ matrix: { totalCount: number; edges: { node: { src: { display: string }; dst: { display: string }; connections: { text: string } } }[] } }>(http(), MATRIX)).matrix;
    expect(m.totalCount).toBeLessThanOrEqual(300);
    expect(lines(g)).toEqual(m.edges.map((e) => `${e.node.src.display} -> ${e.node.dst.display} ${e.node.connections.text}`).sort());
  });

  it("pages through the edges with the same nodes on every page", async () => {
    const whole = await graph();
    const pages: Graph[] = [];
    let after: string | null = null;
    do {
      const p: Graph = await graph({ first: 7, after });
      pages.push(p);
      after = p.pageInfo.hasNextPage ? p.pageInfo.endCursor : null;
    } while (after);
    expect(pages.length).toBe(Math.ceil(whole.totalEdges / 7));
    for (const p of pages) {
      expect(p.nodes).toEqual(whole.nodes);
      expect(p.totalEdges).toBe(whole.totalEdges);
      expect(p.generation).toBe(whole.generation);
    }
    expect(pages.flatMap((p) => lines(p)).sort()).toEqual(lines(whole));
  });

  it("filters by port and protocol, and by namespace", async () => {
    const whole = await graph();
    const on80 = await graph({ port: 80 });
    expect(lines(on80).length).toBeGreaterThan(0);
    expect(lines(on80).length).toBeLessThan(lines(whole).length);
    expect(lines(on80)).toContain("shop/frontend[Deployment] -> shop/backend[Deployment] TCP 80");
    // The frontend may reach payments/api on 8443 only: not an edge on port 80.
    expect(lines(on80).some((l) => l.startsWith("shop/frontend[Deployment] -> payments/api"))).toBe(false);
    expect(lines(await graph({ port: 8443 }))).toContain("shop/frontend[Deployment] -> payments/api[Deployment] TCP 8443");
    expect(lines(await graph({ port: 80, protocol: "UDP" })).some((l) => l.includes("shop/backend[Deployment] TCP"))).toBe(false);

    const payments = await graph({ namespace: PAYMENTS });
    const inPayments = (id: string) => id.startsWith(`${PAYMENTS}/`);
    expect(payments.edges.every((e) => inPayments(payments.nodes[e.src]!.id) || inPayments(payments.nodes[e.dst]!.id))).toBe(true);
    expect(lines(payments)).toEqual(lines(whole).filter((l) => l.split(" -> ").some(inPayments)));
    expect(payments.nodes.filter((n) => inPayments(n.id)).map((n) => n.id)).toEqual(["payments/api[Deployment]", "payments/ledger[Pod]", "payments/worker[Deployment]"]);
  });

  it("shows a scoped token its namespaces and external ranges only", async () => {
    const g = await graph({}, SHOP_ONLY);
    expect(g.nodes.length).toBeGreaterThan(0);
    expect(g.nodes.filter((n) => n.workload).every((n) => n.workload!.namespace === SHOP)).toBe(true);
    expect(JSON.stringify(g)).not.toContain(`${PAYMENTS}/`);
    const whole = await graph();
    expect(lines(g)).toEqual(lines(whole).filter((l) => !l.includes(`${PAYMENTS}/`)));
    const e = await oneError(http(SHOP_ONLY), GRAPH, { namespace: PAYMENTS });
    expect(e).toMatchObject({ message: `no namespace ${PAYMENTS} visible to this token`, extensions: { code: "NOT_FOUND" } });
  });

  it("refuses bad arguments with errors naming them", async () => {
    for (const first of [0, 50_001]) expect(await oneError(http(), GRAPH, { first })).toMatchObject({ message: "first must be between 1 and 50000", extensions: { code: "BAD_USER_INPUT" } });
    expect(await oneError(http(), GRAPH, { after: "nonsense" })).toMatchObject({ message: "after: not a cursor this API returned", extensions: { code: "BAD_USER_INPUT" } });
    expect(await oneError(http(), GRAPH, { port: 70000 })).toMatchObject({ message: expect.stringContaining("out of range"), extensions: { code: "BAD_USER_INPUT" } });
  });

  describe("generationCommitted", () => {
    const clients: Client[] = [];
    const subs: Subscription<unknown>[] = [];
    afterEach(async () => {
      for (const s of subs.splice(0)) s.close();
      for (const c of clients.splice(0)) await c.dispose();
      await waitFor(() => listeners(svc().service.events, "generation") === 0, "closed subscriptions to stop listening");
    });
    const listening = async (token: string, variables: Record<string, unknown>) => {
      const c = wsClient(svc().wsUrl, token);
      clients.push(c);
      const before = listeners(svc().service.events, "generation");
      const s = new Subscription<{ generationCommitted: { cluster: string; generation: number; computedAt: string } }>(c, GEN_SUB, variables);
      subs.push(s as Subscription<unknown>);
      await s.waitFor((x) => x.ended || listeners(svc().service.events, "generation") > before, "the subscription to listen");
      expect(s.ended, JSON.stringify({ results: s.results, error: s.error })).toBe(false);
      return s;
    };

    it("fires with each new generation, which the graph then answers from, for every token", async () => {
      const s = svc();
      const admin = await listening(ADMIN, { cluster: "test" });
      const shop = await listening(SHOP_ONLY, {});
      const before = s.generation();
      s.manifests.write("shop/backend-allow-frontend.yaml", backendAllow(["frontend", "probe"]));
      const g = await s.reread();
      expect(g).toBeGreaterThan(before);
      await admin.waitFor((x) => x.data.some((d) => d.generationCommitted.generation === g), "the admin's event");
      await shop.waitFor((x) => x.data.some((d) => d.generationCommitted.generation === g), "the scoped token's event");
      const event = admin.data.at(-1)!.generationCommitted;
      expect(event.cluster).toBe("test");
      expect(Number.isNaN(Date.parse(event.computedAt))).toBe(false);
      const after = await graph();
      expect(after.generation).toBe(g);
      expect(after.computedAt).toBe(event.computedAt);
      expect(lines(after)).toContain("shop/probe[Pod] -> shop/backend[Deployment] TCP 80");
      s.manifests.write("shop/backend-allow-frontend.yaml", ...initialFiles()["shop/backend-allow-frontend.yaml"]!);
      await s.reread();
    });

    it("names an unknown cluster as an error", async () => {
      const c = wsClient(svc().wsUrl, ADMIN);
      clients.push(c);
      const s = new Subscription(c, GEN_SUB, { cluster: "nope" });
      subs.push(s);
      await s.waitFor((x) => x.ended || x.results.length > 0, "the refused subscription to end");
      const errors = s.results.flatMap((r) => r.errors ?? []).concat(Array.isArray(s.error) ? s.error : []);
      expect(errors.map((e) => e.extensions?.["code"])).toEqual(["NOT_FOUND"]);
    });
  });
});
