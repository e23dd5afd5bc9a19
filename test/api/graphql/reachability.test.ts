/**
 * The read queries of schema.graphql over real HTTP with a real GraphQL client, against the real
 * service (startService on port 0) syncing the scenario tree (test/api/helpers/scenario.ts) into
 * PGlite and into PostgreSQL with the same test code: whoCanReach, reachableFrom, canConnect,
 * matrix (Relay pagination, cursors pinned to their generation), namespaces, workloads,
 * networkPolicies and syncStatus. Expected answers are worked out by hand from the scenario.
 */
import { describe, expect, it } from "vitest";
import { API_BACKENDS } from "../helpers/backends.js";
import { gql, httpClient, ok, oneError } from "../helpers/graphql.js";
import { networkPolicy } from "../helpers/manifests.js";
import { initialFiles, PAYMENTS, SHOP } from "../helpers/scenario.js";
import { useTestService } from "../helpers/service.js";

interface Peer {
  peer: { display: string; workload: { namespace: string; kind: string; name: string } | null; external: { start: string; end: string; family: number } | null };
  connections: { text: string; all: boolean; protocols: { protocol: string; ports: { from: number; to: number }[] }[] };
}
interface Reach {
  cluster: string;
  generation: number;
  computedAt: string;
  workload: { namespace: string; kind: string; name: string };
  peers: Peer[];
}
interface Side {
  direction: string;
  subject: string;
  governed: boolean;
  isolatedBy: { kind: string; namespace: string; name: string }[];
  admittedBy: { policy: { name: string }; rule: string; peer: string; ports: string }[];
  nearMisses: { policy: { name: string }; rule: string; ports: string }[];
  allowed: boolean;
  reason: string;
}
interface CanConnect {
  allowed: "ALLOWED" | "DENIED" | "UNKNOWN";
  explanation: { summary: string[]; egress: Side | null; ingress: Side | null; generation: number };
}
interface MatrixPage {
  cluster: string;
  generation: number;
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: { src: { display: string }; dst: { display: string }; connections: { text: string } } }[];
}

const REACH_FIELDS = `cluster generation computedAt workload { namespace kind name }
  peers { peer { display workload { namespace kind name } external { start end family } } connections { text all protocols { protocol ports { from to } } } }`;
const WHO = `query($t: WorkloadRef!, $port: Int, $protocol: Protocol, $cluster: ID) { whoCanReach(target: $t, port: $port, protocol: $protocol, cluster: $cluster) { ${REACH_FIELDS} } }`;
const FROM = `query($s: WorkloadRef!, $port: Int, $protocol: Protocol) { reachableFrom(source: $s, port: $port, protocol: $protocol) { ${REACH_FIELDS} } }`;
const SIDE = `direction subject governed isolatedBy { kind namespace name } admittedBy { policy { name } rule peer ports } nearMisses { policy { name } rule ports } allowed reason`;
const CAN = `query($from: EndpointRef!, $to: EndpointRef!, $port: Int!, $protocol: Protocol) {
  canConnect(from: $from, to: $to, port: $port, protocol: $protocol) { allowed explanation { summary generation egress { ${SIDE} } ingress { ${SIDE} } } } }`;
const MATRIX = `query($first: Int, $after: String, $namespace: String) { matrix(first: $first, after: $after, namespace: $namespace) {
  cluster generation totalCount pageInfo { hasNextPage endCursor } edges { cursor node { src { display } dst { display } connections { text } } } } }`;

const wl = (namespace: string, name: string, kind?: string) => ({ namespace, name, ...(kind ? { kind } : {}) });
const displays = (r: Reach) => r.peers.map((p) => `${p.peer.display} ${p.connections.text}`);
const EVERYONE_BUT_FRONTEND = [
  "0.0.0.0-255.255.255.255[External] All Connections",
  "payments/api[Deployment] All Connections",
  "payments/ledger[Pod] All Connections",
  "payments/worker[Deployment] All Connections",
  "shop/backend[Deployment] All Connections",
  "shop/db[Deployment] All Connections",
  "shop/db[StatefulSet] All Connections",
  "shop/probe[Pod] All Connections",
];

describe.each(API_BACKENDS)("GraphQL queries over HTTP on $name", (backend) => {
  const svc = useTestService(() => ({ backend, name: "reach", files: initialFiles() }));
  const client = () => httpClient(svc().graphqlUrl);
  const who = async (vars: Record<string, unknown>) => (await ok<{ whoCanReach: Reach }>(client(), WHO, vars)).whoCanReach;
  const from = async (vars: Record<string, unknown>) => (await ok<{ reachableFrom: Reach }>(client(), FROM, vars)).reachableFrom;
  const can = async (vars: Record<string, unknown>) => (await ok<{ canConnect: CanConnect }>(client(), CAN, { port: 80, ...vars })).canConnect;
  const page = async (vars: Record<string, unknown>) => (await ok<{ matrix: MatrixPage }>(client(), MATRIX, vars)).matrix;

  describe("whoCanReach", () => {
    it("lists every source with its connections, on the latest generation", async () => {
      const r = await who({ t: wl(SHOP, "backend") });
      expect(r).toMatchObject({ cluster: "test", generation: svc().generation(), workload: { namespace: SHOP, kind: "Deployment", name: "backend" } });
      expect(new Date(r.computedAt).getTime()).toBeLessThanOrEqual(Date.now());
      expect(r.peers).toEqual([
        {
          peer: { display: "shop/frontend[Deployment]", workload: { namespace: SHOP, kind: "Deployment", name: "frontend" }, external: null },
          connections: { text: "TCP 80", all: false, protocols: [{ protocol: "TCP", ports: [{ from: 80, to: 80 }] }] },
        },
      ]);
    });

    it("includes external ranges and other namespaces' workloads", async () => {
      const r = await who({ t: wl(SHOP, "cache") });
      expect(displays(r)).toEqual(EVERYONE_BUT_FRONTEND);
      expect(r.peers[0]!.peer).toEqual({ display: "0.0.0.0-255.255.255.255[External]", workload: null, external: { start: "0.0.0.0", end: "255.255.255.255", family: 4 } });
      expect(r.peers[0]!.connections).toMatchObject({ all: true, protocols: [{ protocol: "SCTP" }, { protocol: "TCP" }, { protocol: "UDP" }] });
    });

    it("filters by port, and by protocol with a port", async () => {
      expect(displays(await who({ t: wl(SHOP, "backend"), port: 80 }))).toEqual(["shop/frontend[Deployment] TCP 80"]);
      expect(displays(await who({ t: wl(SHOP, "backend"), port: 80, protocol: "TCP" }))).toEqual(["shop/frontend[Deployment] TCP 80"]);
      expect((await who({ t: wl(SHOP, "backend"), port: 443 })).peers).toEqual([]);
      expect((await who({ t: wl(SHOP, "backend"), port: 80, protocol: "UDP" })).peers).toEqual([]);
      expect(displays(await who({ t: wl(SHOP, "cache"), port: 6379, protocol: "SCTP" }))).toEqual(EVERYONE_BUT_FRONTEND);
    });

    it("takes the kind, and the cluster by name", async () => {
      expect((await who({ t: wl(SHOP, "backend", "Deployment"), cluster: "test" })).peers).toHaveLength(1);
      expect((await who({ t: wl(SHOP, "db", "StatefulSet") })).workload).toEqual({ namespace: SHOP, kind: "StatefulSet", name: "db" });
      expect((await who({ t: wl(SHOP, "db", "Deployment") })).workload).toEqual({ namespace: SHOP, kind: "Deployment", name: "db" });
    });

    it("says which kinds to choose from when a name is ambiguous", async () => {
      const e = await oneError(client(), WHO, { t: wl(SHOP, "db") });
      expect(e.extensions?.["code"]).toBe("BAD_USER_INPUT");
      expect(e.message).toContain("shop/db[Deployment]");
      expect(e.message).toContain("shop/db[StatefulSet]");
      expect(e.message).toMatch(/give the kind/);
    });

    it("answers NOT_FOUND for an unknown workload, kind, namespace or cluster", async () => {
      for (const vars of [{ t: wl(SHOP, "nope") }, { t: wl(SHOP, "backend", "StatefulSet") }, { t: wl("nowhere", "backend") }, { t: wl(SHOP, "backend"), cluster: "other" }]) {
        const e = await oneError(client(), WHO, vars);
        expect(e.extensions?.["code"], JSON.stringify(vars)).toBe("NOT_FOUND");
        expect(e.status).toBe(200);
      }
      expect((await oneError(client(), WHO, { t: wl(SHOP, "nope") })).message).toContain("shop/nope");
      expect((await oneError(client(), WHO, { t: wl(SHOP, "backend"), cluster: "other" })).message).toMatch(/no cluster "other"/);
    });

    it("rejects a port out of range", async () => {
      for (const port of [0, 65536, -1]) {
        const e = await oneError(client(), WHO, { t: wl(SHOP, "backend"), port });
        expect(e.extensions?.["code"]).toBe("BAD_USER_INPUT");
        expect(e.message).toMatch(/out of range/);
      }
    });
  });

  describe("reachableFrom", () => {
    it("lists every destination of an egress-isolated workload", async () => {
      const r = await from({ s: wl(SHOP, "frontend") });
      expect(r.workload).toEqual({ namespace: SHOP, kind: "Deployment", name: "frontend" });
      expect(displays(r)).toEqual(["payments/api[Deployment] TCP 8443", "shop/backend[Deployment] TCP 80"]);
      expect(displays(await from({ s: wl(SHOP, "frontend"), port: 8443 }))).toEqual(["payments/api[Deployment] TCP 8443"]);
      expect((await from({ s: wl(SHOP, "frontend"), port: 8443, protocol: "UDP" })).peers).toEqual([]);
    });

    it("leaves out destinations isolated against the source", async () => {
      const all = displays(await from({ s: wl(PAYMENTS, "worker") }));
      expect(all).toContain("shop/cache[Deployment] All Connections");
      expect(all).toContain("shop/frontend[Deployment] All Connections");
      expect(all).toContain("0.0.0.0-255.255.255.255[External] All Connections");
      expect(all.some((d) => d.startsWith("shop/backend[") || d.startsWith("payments/api["))).toBe(false);
    });

    it("has the same errors as whoCanReach", async () => {
      expect((await oneError(client(), FROM, { s: wl(SHOP, "db") })).extensions?.["code"]).toBe("BAD_USER_INPUT");
      expect((await oneError(client(), FROM, { s: wl(SHOP, "ghost") })).extensions?.["code"]).toBe("NOT_FOUND");
    });
  });

  describe("canConnect", () => {
    it("ALLOWED, with the rules that admit it on both sides", async () => {
      const r = await can({ from: { workload: wl(SHOP, "frontend") }, to: { workload: wl(SHOP, "backend") }, port: 80 });
      expect(r.allowed).toBe("ALLOWED");
      expect(r.explanation.generation).toBe(svc().generation());
      expect(r.explanation.summary[0]).toBe("shop/frontend[Deployment] => shop/backend[Deployment] on TCP 80: ALLOWED");
      expect(r.explanation.egress).toMatchObject({ direction: "EGRESS", governed: true, allowed: true, isolatedBy: [{ name: "frontend-egress" }], admittedBy: [{ policy: { name: "frontend-egress" }, rule: "spec.egress[0]", ports: "TCP 80" }] });
      expect(r.explanation.ingress).toMatchObject({ direction: "INGRESS", allowed: true, admittedBy: [{ policy: { name: "backend-allow-frontend" }, rule: "spec.ingress[0]" }] });
    });

    it("DENIED, naming the policy that isolates the destination", async () => {
      const r = await can({ from: { workload: wl(SHOP, "cache") }, to: { workload: wl(SHOP, "backend") }, port: 80 });
      expect(r.allowed).toBe("DENIED");
      expect(r.explanation.egress).toMatchObject({ allowed: true, isolatedBy: [] });
      expect(r.explanation.ingress).toMatchObject({ allowed: false, isolatedBy: [{ kind: "NetworkPolicy", namespace: SHOP, name: "backend-allow-frontend" }], admittedBy: [] });
      expect(r.explanation.ingress!.reason).toContain("isolated for ingress by NetworkPolicy shop/backend-allow-frontend");
      expect(r.explanation.summary[0]).toMatch(/: DENIED$/);
      // The protocol defaults to TCP; another protocol is another question.
      expect((await can({ from: { workload: wl(SHOP, "frontend") }, to: { workload: wl(SHOP, "backend") }, port: 80, protocol: "UDP" })).allowed).toBe("DENIED");
    });

    it("near misses: a rule that matches the peer but not the port", async () => {
      const r = await can({ from: { workload: wl(SHOP, "frontend") }, to: { workload: wl(SHOP, "backend") }, port: 8080, protocol: "UDP" });
      expect(r.allowed).toBe("DENIED");
      expect(r.explanation.ingress!.nearMisses).toEqual([{ policy: { name: "backend-allow-frontend" }, rule: "spec.ingress[0]", ports: "TCP 80" }]);
    });

    it("UNKNOWN, with the fact it depends on", async () => {
      const r = await can({ from: { workload: wl(SHOP, "frontend") }, to: { ip: "203.0.113.7" }, port: 443 });
      expect(r.allowed).toBe("UNKNOWN");
      expect(r.explanation.ingress).toMatchObject({ governed: false, allowed: true });
      expect(r.explanation.egress).toMatchObject({ allowed: false, isolatedBy: [{ name: "frontend-egress" }] });
      const unknowns = r.explanation.summary.filter((s) => s.startsWith("unknown: "));
      expect(unknowns).toHaveLength(1);
      expect(unknowns[0]).toContain('named port "https"');
    });

    it("takes IP endpoints on either side", async () => {
      expect((await can({ from: { ip: "198.51.100.1" }, to: { workload: wl(SHOP, "cache") }, port: 6379 })).allowed).toBe("ALLOWED");
      const denied = await can({ from: { ip: "198.51.100.1" }, to: { workload: wl(SHOP, "backend") }, port: 80 });
      expect(denied.allowed).toBe("DENIED");
      expect(denied.explanation.egress).toMatchObject({ governed: false, allowed: true });
      expect((await can({ from: { workload: wl(PAYMENTS, "worker") }, to: { ip: "2001:db8::1" }, port: 53, protocol: "UDP" })).allowed).toBe("ALLOWED");
      expect((await can({ from: { workload: wl(SHOP, "frontend") }, to: { workload: wl(PAYMENTS, "api") }, port: 8443 })).allowed).toBe("ALLOWED");
    });

    it("needs exactly one of workload and ip on each side", async () => {
      const both = { workload: wl(SHOP, "cache"), ip: "10.0.0.1" };
      for (const [f, t, arg] of [
        [{}, { ip: "10.0.0.1" }, "from"],
        [both, { ip: "10.0.0.1" }, "from"],
        [{ ip: "10.0.0.1" }, {}, "to"],
        [{ ip: "10.0.0.1" }, both, "to"],
      ] as const) {
        const e = await oneError(client(), CAN, { from: f, to: t, port: 80 });
        expect(e.extensions?.["code"]).toBe("BAD_USER_INPUT");
        expect(e.message).toBe(`${arg}: give exactly one of workload and ip`);
      }
    });

    it("reports bad endpoints and ports clearly", async () => {
      const notIp = await oneError(client(), CAN, { from: { ip: "not-an-ip" }, to: { workload: wl(SHOP, "cache") }, port: 80 });
      expect(notIp).toMatchObject({ message: expect.stringContaining("not an IP address"), extensions: { code: "BAD_USER_INPUT" } });
      const ghost = await oneError(client(), CAN, { from: { workload: wl(SHOP, "ghost") }, to: { workload: wl(SHOP, "cache") }, port: 80 });
      expect(ghost.extensions?.["code"]).toBe("NOT_FOUND");
      const ambiguous = await oneError(client(), CAN, { from: { workload: wl(SHOP, "db") }, to: { workload: wl(SHOP, "cache") }, port: 80 });
      expect(ambiguous).toMatchObject({ message: expect.stringContaining("several workloads"), extensions: { code: "BAD_USER_INPUT" } });
      const port = await oneError(client(), CAN, { from: { workload: wl(SHOP, "frontend") }, to: { workload: wl(SHOP, "cache") }, port: 0 });
      expect(port).toMatchObject({ message: expect.stringContaining("out of range"), extensions: { code: "BAD_USER_INPUT" } });
    });
  });

  describe("matrix", () => {
    it("walks every page with first/after, and the pages add up to the whole list", async () => {
      const whole = await page({ first: 1000 });
      expect(whole.pageInfo.hasNextPage).toBe(false);
      expect(whole.edges).toHaveLength(whole.totalCount);
      expect(whole.totalCount).toBeGreaterThan(20);
      const seen: MatrixPage["edges"] = [];
      let after: string | null = null;
      for (let i = 0; i < 100; i++) {
        const p: MatrixPage = await page({ first: 7, after });
        expect(p.totalCount).toBe(whole.totalCount);
        expect(p.generation).toBe(whole.generation);
        expect(p.edges.length).toBeLessThanOrEqual(7);
        seen.push(...p.edges);
        expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
        if (!p.pageInfo.hasNextPage) break;
        expect(p.edges).toHaveLength(7);
        after = p.pageInfo.endCursor;
      }
      expect(seen.map((e) => e.node)).toEqual(whole.edges.map((e) => e.node));
      expect(new Set(seen.map((e) => e.cursor)).size).toBe(seen.length);
    });

    it("agrees with whoCanReach row by row", async () => {
      const whole = await page({ first: 1000 });
      const intoCache = whole.edges.filter((e) => e.node.dst.display === "shop/cache[Deployment]").map((e) => `${e.node.src.display} ${e.node.connections.text}`);
      expect(intoCache.sort()).toEqual([...EVERYONE_BUT_FRONTEND].sort());
      const intoBackend = whole.edges.filter((e) => e.node.dst.display === "shop/backend[Deployment]").map((e) => `${e.node.src.display} ${e.node.connections.text}`);
      expect(intoBackend).toEqual(["shop/frontend[Deployment] TCP 80"]);
    });

    it("filters by namespace: rows whose source or destination is in it", async () => {
      const whole = await page({ first: 1000 });
      const inPayments = whole.edges.filter((e) => [e.node.src.display, e.node.dst.display].some((d) => d.startsWith("payments/")));
      const filtered = await page({ first: 1000, namespace: PAYMENTS });
      expect(filtered.totalCount).toBe(inPayments.length);
      expect(filtered.edges.map((e) => e.node)).toEqual(inPayments.map((e) => e.node));
      expect(filtered.totalCount).toBeLessThan(whole.totalCount);
      // Pagination works on the filtered list too.
      const first = await page({ first: 3, namespace: PAYMENTS });
      const second = await page({ first: 3, namespace: PAYMENTS, after: first.pageInfo.endCursor });
      expect([...first.edges, ...second.edges].map((e) => e.node)).toEqual(filtered.edges.slice(0, 6).map((e) => e.node));
      expect((await page({ first: 10, namespace: "nowhere" })).totalCount).toBe(0);
    });

    it("uses the default page size and rejects bad page arguments", async () => {
      const whole = await page({ first: 1000 });
      const dflt = await ok<{ matrix: MatrixPage }>(client(), `{ matrix { totalCount edges { cursor } } }`);
      expect(dflt.matrix.edges).toHaveLength(Math.min(100, whole.totalCount));
      for (const first of [0, -1, 1001]) expect((await oneError(client(), MATRIX, { first })).message).toBe("first must be between 1 and 1000");
      for (const after of ["garbage", Buffer.from('{"g":"x"}').toString("base64url")]) {
        const e = await oneError(client(), MATRIX, { first: 5, after });
        expect(e).toMatchObject({ message: "after: not a cursor this API returned", extensions: { code: "BAD_USER_INPUT" } });
      }
      const unknownGeneration = await oneError(client(), MATRIX, { first: 5, after: Buffer.from('{"g":999,"o":0}').toString("base64url") });
      expect(unknownGeneration.message).toMatch(/generation 999/);
    });
  });

  describe("objects", () => {
    it("namespaces, with their labels, workloads and policies", async () => {
      const r = await ok<{ namespaces: { cluster: string; name: string; labels: Record<string, string>; workloads: { name: string; kind: string }[]; networkPolicies: { name: string }[] }[] }>(
        client(),
        `{ namespaces { cluster name labels workloads { name kind } networkPolicies { name } } }`,
      );
      expect(r.namespaces.map((n) => n.name)).toEqual([PAYMENTS, SHOP]);
      const [payments, shop] = r.namespaces;
      expect(payments).toMatchObject({ cluster: "test", labels: { team: "b" }, networkPolicies: [{ name: "api-allow-shop" }] });
      expect(payments!.workloads.map((w) => w.name)).toEqual(["api", "ledger", "worker"]);
      expect(shop!.labels).toMatchObject({ team: "a" });
      expect(shop!.workloads.map((w) => `${w.name}[${w.kind}]`)).toEqual(["backend[Deployment]", "cache[Deployment]", "db[Deployment]", "db[StatefulSet]", "frontend[Deployment]", "probe[Pod]"]);
      expect(shop!.networkPolicies.map((p) => p.name).sort()).toEqual(["backend-allow-frontend", "frontend-egress"]);
    });

    it("workloads, with pods, labels, the policies that select them and isolation", async () => {
      type W = { cluster: string; namespace: string; kind: string; name: string; pods: number; labels: Record<string, string>; policies: { name: string }[]; isolatedForIngress: boolean; isolatedForEgress: boolean };
      const all = (await ok<{ workloads: W[] }>(client(), `{ workloads { cluster namespace kind name pods labels policies { name } isolatedForIngress isolatedForEgress } }`)).workloads;
      expect(all).toHaveLength(9);
      expect(all.find((w) => w.name === "frontend")).toEqual({
        cluster: "test",
        namespace: SHOP,
        kind: "Deployment",
        name: "frontend",
        pods: 1,
        labels: { app: "frontend", tier: "web" },
        policies: [{ name: "frontend-egress" }],
        isolatedForIngress: false,
        isolatedForEgress: true,
      });
      expect(all.find((w) => w.name === "backend")).toMatchObject({ isolatedForIngress: true, isolatedForEgress: false, policies: [{ name: "backend-allow-frontend" }] });
      expect(all.find((w) => w.name === "probe")).toMatchObject({ kind: "Pod", labels: { app: "probe" }, policies: [] });
    });

    it("workloads by namespace and by label selector in kubectl notation", async () => {
      const names = async (vars: Record<string, unknown>) =>
        (await ok<{ workloads: { namespace: string; name: string; kind: string }[] }>(client(), `query($ns: String, $sel: String) { workloads(namespace: $ns, labelSelector: $sel) { namespace name kind } }`, vars)).workloads.map(
          (w) => `${w.namespace}/${w.name}[${w.kind}]`,
        );
      expect(await names({ ns: PAYMENTS })).toEqual(["payments/api[Deployment]", "payments/ledger[Pod]", "payments/worker[Deployment]"]);
      expect(await names({ sel: "app=backend" })).toEqual(["shop/backend[Deployment]"]);
      expect(await names({ sel: "tier in (data,web)" })).toEqual(["shop/cache[Deployment]", "shop/db[StatefulSet]", "shop/frontend[Deployment]"]);
      expect(await names({ sel: "tier,app!=cache" })).toEqual(["shop/backend[Deployment]", "shop/db[StatefulSet]", "shop/frontend[Deployment]"]);
      expect(await names({ sel: "!tier", ns: SHOP })).toEqual(["shop/db[Deployment]", "shop/probe[Pod]"]);
      expect(await names({ sel: "app notin (api,worker)", ns: PAYMENTS })).toEqual(["payments/ledger[Pod]"]);
      expect(await names({ sel: "app=nothing" })).toEqual([]);
    });

    it("a bad label selector is a clear error", async () => {
      for (const sel of ["tier in (a", "a b", "=x", "app in ()", "app=x,,"]) {
        const e = await oneError(client(), `query($sel: String) { workloads(labelSelector: $sel) { name } }`, { sel });
        expect(e.extensions?.["code"], sel).toBe("BAD_USER_INPUT");
        expect(e.message, sel).toMatch(/^labelSelector: .*in selector/);
      }
    });

    it("networkPolicies, with spec, effective policyTypes and the workloads they select", async () => {
      type P = { cluster: string; kind: string; namespace: string; name: string; uid: string; resourceVersion: string; spec: unknown; selects: { name: string }[]; policyTypes: string[] };
      const r = (await ok<{ networkPolicies: P[] }>(client(), `{ networkPolicies { cluster kind namespace name uid resourceVersion spec selects { name } policyTypes } }`)).networkPolicies;
      const by = new Map(r.map((p) => [`${p.namespace}/${p.name}`, p]));
      expect([...by.keys()].sort()).toEqual(["payments/api-allow-shop", "shop/backend-allow-frontend", "shop/frontend-egress"]);
      expect(by.get("shop/backend-allow-frontend")).toMatchObject({ cluster: "test", kind: "NetworkPolicy", selects: [{ name: "backend" }], policyTypes: ["INGRESS"] });
      expect(by.get("shop/backend-allow-frontend")!.spec).toEqual((initialFiles()["shop/backend-allow-frontend.yaml"]![0]! as { spec: unknown }).spec);
      expect(by.get("shop/frontend-egress")).toMatchObject({ selects: [{ name: "frontend" }], policyTypes: ["EGRESS"] });
      // No policyTypes in the spec: Ingress, plus Egress only when there are egress rules.
      expect(by.get("payments/api-allow-shop")).toMatchObject({ selects: [{ name: "api" }], policyTypes: ["INGRESS"] });
      for (const p of r) {
        expect(p.uid).not.toBe("");
        expect(p.resourceVersion).not.toBe("");
      }
      const shopOnly = (await ok<{ networkPolicies: P[] }>(client(), `{ networkPolicies(namespace: "shop") { name } }`)).networkPolicies;
      expect(shopOnly.map((p) => p.name).sort()).toEqual(["backend-allow-frontend", "frontend-egress"]);
    });

    it("syncStatus reports the cluster, its source, generation and health", async () => {
      type S = { cluster: string; source: string; ready: boolean; lastSuccessfulSync: string | null; generation: number; generationAt: string; lagSeconds: number; errors: string[] };
      const [s, ...rest] = (await ok<{ syncStatus: S[] }>(client(), `{ syncStatus { cluster source ready lastSuccessfulSync generation generationAt lagSeconds errors } }`)).syncStatus;
      expect(rest).toEqual([]);
      expect(s).toMatchObject({ cluster: "test", source: `manifests ${svc().manifests.path}`, ready: true, generation: svc().generation(), lagSeconds: 0, errors: [] });
      expect(Date.parse(s!.lastSuccessfulSync!)).toBeGreaterThan(0);
      expect(Date.parse(s!.generationAt)).toBe(Date.parse((await who({ t: wl(SHOP, "backend") })).computedAt));
    });
  });

  describe("answers cached per generation (generations are immutable)", () => {
    /** Counts calls of store methods (the service's QueryService holds the same store objects). */
    const counting = (target: object, methods: readonly string[]) => {
      const t = target as Record<string, (...args: unknown[]) => unknown>;
      const counts: Record<string, number> = Object.fromEntries(methods.map((m) => [m, 0]));
      const originals = methods.map((m) => [m, t[m]!] as const);
      for (const [m, original] of originals)
        t[m] = (...args: unknown[]) => {
          counts[m]!++;
          return original.apply(target, args);
        };
      return { counts, restore: () => originals.forEach(([m, original]) => (t[m] = original)) };
    };

    it("answers every workload of a generation from one read of its snapshot, and filters every request by its own port", async () => {
      // The first question loads the generation's index (GenerationIndex: one snapshot read).
      await who({ t: wl(SHOP, "backend") });
      // (latestGeneration is read every 100 ms at most, and by the subscription poller in the background.)
      const m = counting(svc().service.app.store.matrix, ["getGeneration", "snapshotAt", "classesOfWorkload", "incoming", "outgoing", "members"]);
      const none = { getGeneration: 0, snapshotAt: 0, classesOfWorkload: 0, incoming: 0, members: 0, outgoing: 0 };
      try {
        const answers = [];
        for (let i = 0; i < 4; i++) answers.push(displays(await who({ t: wl(SHOP, "probe"), ...(i % 2 ? { port: 8080, protocol: "UDP" } : {}) })));
        const open = EVERYONE_BUT_FRONTEND.map((d) => d.replace("shop/probe[Pod]", "shop/cache[Deployment]")).sort();
        expect(answers.map((a) => [...a].sort())).toEqual([open, open, open, open]);
        // An answer already cached, filtered per request.
        expect(displays(await who({ t: wl(SHOP, "backend"), port: 80 }))).toEqual(["shop/frontend[Deployment] TCP 80"]);
        expect((await who({ t: wl(SHOP, "backend"), port: 443 })).peers).toEqual([]);
        await from({ s: wl(SHOP, "probe") });
        await from({ s: wl(SHOP, "probe"), port: 80 });
        // An unknown workload is unknown to the index too.
        await oneError(client(), WHO, { t: wl(SHOP, "ghost") });
        expect(m.counts).toEqual(none);
      } finally {
        m.restore();
      }
    });
  });

  // Last: this one commits a new generation.
  describe("matrix cursors across a new generation", () => {
    it("keep walking the generation they were issued for; a new walk sees the new one", async () => {
      const before = await page({ first: 1000 });
      const first = await page({ first: 5 });
      svc().manifests.write("shop/cache-isolated.yaml", networkPolicy(SHOP, "cache-isolated", { podSelector: { matchLabels: { app: "cache" } }, policyTypes: ["Ingress"] }));
      const next = await svc().reread();
      expect(next).toBeGreaterThan(before.generation);

      const rest: MatrixPage["edges"] = [];
      let after: string | null = first.pageInfo.endCursor;
      while (after) {
        const p: MatrixPage = await page({ first: 9, after });
        expect(p.generation).toBe(before.generation);
        expect(p.totalCount).toBe(before.totalCount);
        rest.push(...p.edges);
        after = p.pageInfo.hasNextPage ? p.pageInfo.endCursor : null;
      }
      expect([...first.edges, ...rest].map((e) => e.node)).toEqual(before.edges.map((e) => e.node));

      const fresh = await page({ first: 1000 });
      expect(fresh.generation).toBe(next);
      // Nothing reaches the cache any more.
      expect(fresh.totalCount).toBe(before.totalCount - EVERYONE_BUT_FRONTEND.length);
      expect(fresh.edges.some((e) => e.node.dst.display === "shop/cache[Deployment]")).toBe(false);
      const r = await gql(client(), WHO, { t: wl(SHOP, "cache") });
      expect(r.data).toMatchObject({ whoCanReach: { generation: next, peers: [] } });
    });
  });
});
