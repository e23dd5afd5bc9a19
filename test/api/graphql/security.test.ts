/**
 * The GraphQL API's defences, over real HTTP (graphql-request, and raw fetch for what a client would
 * never send) and WebSocket (graphql-ws), against the real service on PGlite and PostgreSQL:
 * - authentication: no token or a wrong one is a 401 (and a refused WebSocket);
 * - namespace scopes: a token scoped to shop cannot see payments by ANY route (whoCanReach,
 *   reachableFrom, canConnect, matrix, namespaces, workloads, networkPolicies, policyHistory,
 *   auditLog and impacts), and cannot even tell whether something exists there;
 * - limits: depth, aliases, directives, tokens, batching, body size, introspection, field
 *   suggestions, CSRF;
 * - malformed queries and variables get clear errors and the server keeps serving;
 * - internal errors are masked: no stack, SQL or driver text in any response, HTTP or WebSocket.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { API_BACKENDS, POSTGRES } from "../helpers/backends.js";
import { gql, httpClient, ok, oneError, post, Subscription, wsClient, type GqlError } from "../helpers/graphql.js";
import { initialFiles, PAYMENTS, SHOP } from "../helpers/scenario.js";
import { startTestService, useTestService, type TestService } from "../helpers/service.js";
import { PG_ADMIN_URL } from "../../store/helpers/backends.js";

const ADMIN = "admin-3c9e1f0b";
const SHOP_ONLY = "shop-5d2a77c4";
const TOKENS = [
  { name: "admin", token: ADMIN },
  { name: "shop-team", token: SHOP_ONLY, namespaces: [SHOP] },
];
const MAX_BODY = 20_000;

const GOOD = `{ whoCanReach(target: { namespace: "shop", name: "backend" }) { peers { peer { display } } } }`;
const WHO = `query($t: WorkloadRef!, $port: Int, $at: DateTime) { whoCanReach(target: $t, port: $port, at: $at) { peers { peer { display } connections { text } } } }`;
const FROM = `query($s: WorkloadRef!) { reachableFrom(source: $s) { peers { peer { display } connections { text } } } }`;
const CAN = `query($from: EndpointRef!, $to: EndpointRef!) { canConnect(from: $from, to: $to, port: 80) { allowed explanation { summary egress { subject reason isolatedBy { namespace name } } ingress { subject reason isolatedBy { namespace name } } } } }`;
const MATRIX = `query($ns: String, $first: Int) { matrix(namespace: $ns, first: $first) { totalCount edges { node { src { display } dst { display } } } } }`;
const REVISION = `namespace name operation impact { gained { src dst } lost { src dst } gainedTotal lostTotal }`;
const AUDIT = `query($ns: String, $first: Int = 500) { auditLog(namespace: $ns, first: $first) { edges { node { ${REVISION} } } } }`;
const POLICY_HISTORY = `query($ns: String!, $name: String!) { policyHistory(namespace: $ns, name: $name) { edges { node { ${REVISION} } } } }`;

const wl = (namespace: string, name: string) => ({ namespace, name });
/** Every name, namespace or display string of the payments namespace that could appear in a body. */
const mentionsPayments = (body: string) => /payments|api\[|ledger|worker|10\.2\.0\.9/.test(body);
const LEAKS = [/\bat [\w.<>]+ \(/, /\.ts:\d+/, /node_modules/, /stack/i, /SELECT|INSERT|FROM "|prisma/i, /ECONNREFUSED|SQLSTATE/];

function expectNoLeak(body: string): void {
  for (const leak of LEAKS) expect(body, `${leak} in ${body}`).not.toMatch(leak);
}

describe.each(API_BACKENDS)("GraphQL security on $name", (backend) => {
  const svc = useTestService(() => ({ backend, name: "sec", files: initialFiles(), tokens: TOKENS, maxBodyBytes: MAX_BODY, latestGenerationTtlMs: 0 }));
  const admin = () => httpClient(svc().graphqlUrl, ADMIN);
  const shop = () => httpClient(svc().graphqlUrl, SHOP_ONLY);
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  describe("authentication", () => {
    it("a request without a token or with an unknown one is a 401 that asks for a bearer token", async () => {
      for (const headers of [{}, { authorization: "Bearer nope" }, { authorization: `Bearer ${ADMIN}x` }, { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString("base64")}` }, { authorization: ADMIN }] as Record<string, string>[]) {
        const res = await fetch(svc().graphqlUrl, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query: GOOD }) });
        expect(res.status, JSON.stringify(headers)).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="kubereach"');
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("UNAUTHENTICATED");
        expect(body.error.message).toMatch(/bearer token/);
      }
      const viaClient = await gql(httpClient(svc().graphqlUrl), GOOD);
      expect(viaClient.status).toBe(401);
      expect(viaClient.data).toBeUndefined();
      expect((await gql(httpClient(svc().graphqlUrl, "wrong"), GOOD)).status).toBe(401);
    });

    it("both tokens work", async () => {
      expect(await ok(admin(), GOOD)).toEqual({ whoCanReach: { peers: [{ peer: { display: "shop/frontend[Deployment]" } }] } });
      expect(await ok(shop(), GOOD)).toEqual({ whoCanReach: { peers: [{ peer: { display: "shop/frontend[Deployment]" } }] } });
    });
  });

  describe("a token scoped to shop sees nothing of payments", () => {
    it("whoCanReach and reachableFrom on payments are NOT_FOUND, exactly as for a workload that does not exist", async () => {
      const hidden = await oneError(shop(), WHO, { t: wl(PAYMENTS, "api") });
      const missing = await oneError(shop(), WHO, { t: wl(PAYMENTS, "no-such-thing") });
      const noNs = await oneError(shop(), WHO, { t: wl("no-such-ns", "api") });
      expect(hidden).toMatchObject({ message: "no payments/api visible to this token", extensions: { code: "NOT_FOUND" } });
      expect(missing).toMatchObject({ message: "no payments/no-such-thing visible to this token", extensions: { code: "NOT_FOUND" } });
      expect(noNs).toMatchObject({ message: "no no-such-ns/api visible to this token", extensions: { code: "NOT_FOUND" } });
      expect((await oneError(shop(), FROM, { s: wl(PAYMENTS, "worker") })).extensions?.["code"]).toBe("NOT_FOUND");
      // The admin sees it.
      expect((await ok<{ whoCanReach: { peers: unknown[] } }>(admin(), WHO, { t: wl(PAYMENTS, "api") })).whoCanReach.peers).toHaveLength(1);
    });

    it("peers from payments are filtered out of answers about shop", async () => {
      const peers = async (c: ReturnType<typeof admin>, q: string, vars: Record<string, unknown>) => {
        const r = await gql<Record<string, { peers: { peer: { display: string } }[] }>>(c, q, vars);
        expect(r.errors).toEqual([]);
        return { list: Object.values(r.data!)[0]!.peers.map((p) => p.peer.display), body: r.body };
      };
      const adminCache = await peers(admin(), WHO, { t: wl(SHOP, "cache") });
      const shopCache = await peers(shop(), WHO, { t: wl(SHOP, "cache") });
      expect(adminCache.list.filter((d) => d.startsWith("payments/"))).toHaveLength(3);
      expect(shopCache.list).toEqual(adminCache.list.filter((d) => !d.startsWith("payments/")));
      expect(shopCache.list).toContain("0.0.0.0-255.255.255.255[External]");
      expect(mentionsPayments(shopCache.body)).toBe(false);

      const shopFrom = await peers(shop(), FROM, { s: wl(SHOP, "frontend") });
      expect(shopFrom.list).toEqual(["shop/backend[Deployment]"]);
      expect((await peers(admin(), FROM, { s: wl(SHOP, "frontend") })).list).toEqual(["payments/api[Deployment]", "shop/backend[Deployment]"]);
      expect(mentionsPayments((await peers(shop(), WHO, { t: wl(SHOP, "cache"), port: 6379 })).body)).toBe(false);
    });

    it("canConnect involving payments is refused, from either side, and an IP says nothing about payments", async () => {
      for (const [from, to] of [
        [{ workload: wl(SHOP, "frontend") }, { workload: wl(PAYMENTS, "api") }],
        [{ workload: wl(PAYMENTS, "worker") }, { workload: wl(SHOP, "cache") }],
        [{ ip: "198.51.100.1" }, { workload: wl(PAYMENTS, "ledger") }],
      ]) {
        const e = await oneError(shop(), CAN, { from, to });
        expect(e.extensions?.["code"]).toBe("NOT_FOUND");
        expect(e.message).toMatch(/^no payments\/\w+ visible to this token$/);
      }
      // The ledger's IP, asked about by address: an external address like any other.
      const r = await gql(shop(), CAN, { from: { workload: wl(SHOP, "probe") }, to: { ip: "10.2.0.9" } });
      expect(r.errors).toEqual([]);
      expect(mentionsPayments(r.body.replace(/10\.2\.0\.9/g, ""))).toBe(false);
      expect((await ok(admin(), CAN, { from: { workload: wl(SHOP, "frontend") }, to: { workload: wl(PAYMENTS, "api") } })) as unknown).toBeTruthy();
    });

    it("matrix rows with payments are dropped, and the payments filter is NOT_FOUND", async () => {
      type M = { matrix: { totalCount: number; edges: { node: { src: { display: string }; dst: { display: string } } }[] } };
      const all = await ok<M>(admin(), MATRIX, { first: 1000 });
      const mine = await gql<M>(shop(), MATRIX, { first: 1000 });
      const expected = all.matrix.edges.filter((e) => !e.node.src.display.startsWith("payments/") && !e.node.dst.display.startsWith("payments/"));
      expect(mine.data!.matrix.edges).toEqual(expected);
      expect(mine.data!.matrix.totalCount).toBe(expected.length);
      expect(expected.length).toBeLessThan(all.matrix.totalCount);
      expect(mentionsPayments(mine.body)).toBe(false);
      const shopNs = await gql<M>(shop(), MATRIX, { ns: SHOP, first: 1000 });
      expect(mentionsPayments(shopNs.body)).toBe(false);
      expect((await oneError(shop(), MATRIX, { ns: PAYMENTS })).extensions?.["code"]).toBe("NOT_FOUND");
    });

    it("namespaces, workloads and networkPolicies list shop only", async () => {
      const q = `{ namespaces { name workloads { name policies { name } } networkPolicies { name selects { name } } }
        workloads { namespace name policies { name selects { name } } }
        networkPolicies { namespace name spec selects { namespace name } } }`;
      const r = await gql<{ namespaces: { name: string }[]; workloads: { namespace: string }[]; networkPolicies: { namespace: string }[] }>(shop(), q);
      expect(r.errors).toEqual([]);
      expect(r.data!.namespaces.map((n) => n.name)).toEqual([SHOP]);
      expect(new Set(r.data!.workloads.map((w) => w.namespace))).toEqual(new Set([SHOP]));
      expect(new Set(r.data!.networkPolicies.map((p) => p.namespace))).toEqual(new Set([SHOP]));
      expect(mentionsPayments(r.body)).toBe(false);
      const filtered = await gql(shop(), `{ workloads(namespace: "payments") { name } networkPolicies(namespace: "payments") { name } }`);
      expect(filtered.data).toEqual({ workloads: [], networkPolicies: [] });
      const admins = await ok<{ namespaces: { name: string }[] }>(admin(), `{ namespaces { name } }`);
      expect(admins.namespaces.map((n) => n.name)).toEqual([PAYMENTS, SHOP]);
    });

    it("auditLog, policyHistory and impacts show shop's revisions, and only shop's rows of them", async () => {
      type A = { auditLog: { edges: { node: { namespace: string; name: string; impact: { gained: { src: string; dst: string }[]; lost: { src: string; dst: string }[]; gainedTotal: number; lostTotal: number } } }[] } };
      const all = await ok<A>(admin(), AUDIT, {});
      const mine = await gql<A>(shop(), AUDIT, {});
      expect(mine.errors).toEqual([]);
      expect(mine.data!.auditLog.edges.map((e) => e.node.name).sort()).toEqual(["backend-allow-frontend", "frontend-egress"]);
      expect(all.auditLog.edges.map((e) => e.node.name).sort()).toEqual(["api-allow-shop", "backend-allow-frontend", "frontend-egress"]);
      expect(mentionsPayments(mine.body)).toBe(false);
      // The admin's impact of the backend policy names payments' workloads; the shop token's does not, and its totals count what it sees.
      const adminBackend = all.auditLog.edges.find((e) => e.node.name === "backend-allow-frontend")!.node.impact;
      const shopBackend = mine.data!.auditLog.edges.find((e) => e.node.name === "backend-allow-frontend")!.node.impact;
      expect(adminBackend.lost.some((l) => l.src.startsWith("payments/"))).toBe(true);
      expect(shopBackend.lost).toEqual(adminBackend.lost.filter((l) => !l.src.startsWith("payments/")));
      expect(shopBackend.lostTotal).toBe(shopBackend.lost.length);
      expect(adminBackend.lostTotal).toBe(adminBackend.lost.length);

      expect((await oneError(shop(), AUDIT, { ns: PAYMENTS })).extensions?.["code"]).toBe("NOT_FOUND");
      expect((await oneError(shop(), POLICY_HISTORY, { ns: PAYMENTS, name: "api-allow-shop" })).extensions?.["code"]).toBe("NOT_FOUND");
      const own = await gql(shop(), POLICY_HISTORY, { ns: SHOP, name: "backend-allow-frontend" });
      expect(own.errors).toEqual([]);
      expect(mentionsPayments(own.body)).toBe(false);
    });
  });

  describe("limits", () => {
    const expectRejected = async (query: string, status: number, code: string, message: RegExp) => {
      const r = await gql(admin(), query);
      expect(r.status).toBe(status);
      expect(r.data ?? null).toBeNull();
      expect(r.errors.map((e) => e.extensions?.["code"])).toContain(code);
      expect(r.errors.map((e) => e.message).join("\n")).toMatch(message);
    };

    it("rejects a query deeper than the limit", async () => {
      await expectRejected(`{ namespaces { workloads { policies { selects { policies { selects { policies { selects { policies { selects { name } } } } } } } } } } }`, 400, "GRAPHQL_VALIDATION_FAILED", /depth limit of 10 exceeded/i);
    });

    it("rejects too many aliases", async () => {
      await expectRejected(`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: syncStatus { cluster }`).join(" ")} }`, 400, "GRAPHQL_VALIDATION_FAILED", /aliases limit of 15 exceeded/i);
    });

    it("rejects too many directives", async () => {
      await expectRejected(`{ syncStatus { ${Array.from({ length: 21 }, (_, i) => `c${i % 10}: cluster @include(if: true)`).slice(0, 21).join(" ")} } }`, 400, "GRAPHQL_VALIDATION_FAILED", /limit/i);
    });

    it("rejects a huge query (too many tokens) with a syntax error, not a server error", async () => {
      await expectRejected(`{ syncStatus { ${"c ".repeat(3100)} } }`, 400, "GRAPHQL_PARSE_FAILED", /more that 3000 tokens/);
    });

    it("rejects a batch of operations", async () => {
      const r = await post(svc().graphqlUrl, JSON.stringify([{ query: GOOD }, { query: GOOD }]), auth(ADMIN));
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ errors: [{ message: "Operation batching disabled.", extensions: { code: "BAD_REQUEST" } }] });
      const viaClient = await admin().batchRequests([{ document: GOOD }, { document: GOOD }]).then(
        () => undefined,
        (e: { response?: { status?: number } }) => e.response?.status,
      );
      expect(viaClient).toBe(400);
    });

    it("rejects a body over maxBodyBytes with 413", async () => {
      const body = JSON.stringify({ query: GOOD, variables: { pad: "x".repeat(MAX_BODY) } });
      const r = await post(svc().graphqlUrl, body, auth(ADMIN));
      expect(r.status).toBe(413);
      expect(r.json).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE", message: `request body larger than ${MAX_BODY} bytes` } });
    });

    it("has introspection off, and does not leak field names through suggestions", async () => {
      for (const q of [`{ __schema { types { name } } }`, `{ __type(name: "Query") { fields { name } } }`]) {
        const r = await gql(admin(), q);
        expect(r.status).toBe(400);
        expect(r.errors[0]!.message).toMatch(/introspection is not allowed/);
      }
      expect(await ok(admin(), `{ __typename }`)).toEqual({ __typename: "Query" });
      for (const q of [
        `{ whoCanReach(target: { namespace: "shop", name: "backend" }) { generatio } }`,
        `{ whoCanReac(target: { namespace: "shop", name: "backend" }) { generation } }`,
        `{ whoCanReach(targt: { namespace: "shop", name: "backend" }) { generation } }`,
        `{ whoCanReach(target: { namespace: "shop", name: "backend" }, protocol: TPC) { generation } }`,
        `{ whoCanReach(target: { namespace: "shop", nam: "backend" }) { generation } }`,
      ]) {
        const r = await gql(admin(), q);
        expect(r.status).toBe(400);
        expect(r.errors.length).toBeGreaterThan(0);
        expect(r.body).not.toMatch(/did you mean/i);
      }
    });

    it("blocks CSRF: text/plain, form and preflight-less GET requests", async () => {
      const body = JSON.stringify({ query: GOOD });
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
        const r = await post(svc().graphqlUrl, body, { ...auth(ADMIN), "content-type": type });
        expect(r.status, type).toBe(400);
        expect(r.body).toMatch(/Cross-Site Request Forgery/);
        expect(r.body).not.toContain("frontend");
      }
      const url = `${svc().graphqlUrl}?query=${encodeURIComponent(GOOD)}`;
      const get = await fetch(url, { headers: auth(ADMIN) });
      expect(get.status).toBe(400);
      expect(await get.text()).toMatch(/Cross-Site Request Forgery/);
      const preflighted = await fetch(url, { headers: { ...auth(ADMIN), "apollo-require-preflight": "true" } });
      expect(preflighted.status).toBe(200);
    });
  });

  describe("malformed requests get clear errors and the server keeps serving", () => {
    const cases: [string, string, Record<string, unknown> | undefined, number, string, RegExp][] = [
      ["a syntax error", `{ whoCanReach(target: { namespace: "shop", name: "backend" } { generation } }`, undefined, 400, "GRAPHQL_PARSE_FAILED", /^Syntax Error: /],
      ["an unknown field", `{ whoCanReach(target: { namespace: "shop", name: "backend" }) { nope } }`, undefined, 400, "GRAPHQL_VALIDATION_FAILED", /Cannot query field "nope" on type "Reachability"/],
      ["an unknown query", `{ everything }`, undefined, 400, "GRAPHQL_VALIDATION_FAILED", /Cannot query field "everything" on type "Query"/],
      ["a variable of the wrong type", WHO, { t: wl(SHOP, "backend"), port: "eighty" }, 400, "BAD_USER_INPUT", /Variable "\$port" got invalid value "eighty"; Int cannot represent/],
      ["a missing required variable", WHO, {}, 400, "BAD_USER_INPUT", /Variable "\$t" of required type "WorkloadRef!" was not provided/],
      ["an incomplete input object", WHO, { t: { namespace: SHOP } }, 400, "BAD_USER_INPUT", /Field "name" of required type "String!" was not provided/],
      ["a bad DateTime variable", WHO, { t: wl(SHOP, "backend"), at: "yesterday" }, 400, "BAD_USER_INPUT", /DateTime must be an ISO 8601 date or date-time of the calendar, e\.g\. 2026-11-27 or 2026-11-27T10:00:00Z \(got "yesterday"\)/],
      ["an impossible DateTime variable", WHO, { t: wl(SHOP, "backend"), at: "2026-13-45T99:00:00Z" }, 400, "BAD_USER_INPUT", /date-time of the calendar.*\(got "2026-13-45T99:00:00Z"\)/],
      ["a bad DateTime literal", `{ whoCanReach(target: { namespace: "shop", name: "backend" }, at: "last week") { generation } }`, undefined, 400, "GRAPHQL_VALIDATION_FAILED", /DateTime must be an ISO 8601/],
      ["a DateTime that is not a string", `{ whoCanReach(target: { namespace: "shop", name: "backend" }, at: 12) { generation } }`, undefined, 400, "GRAPHQL_VALIDATION_FAILED", /DateTime must be a string/],
      ["an unknown operation name", `query A { syncStatus { cluster } } query B { syncStatus { cluster } }`, undefined, 400, "OPERATION_RESOLUTION_FAILURE", /Must provide operation name/],
    ];

    it.each(cases)("%s", async (_name, query, variables, status, code, message) => {
      const r = await gql(admin(), query, variables);
      expect(r.status).toBe(status);
      expect(r.errors.map((e) => e.extensions?.["code"])).toContain(code);
      expect(r.errors.map((e) => e.message).join("\n")).toMatch(message);
      expectNoLeak(r.body);
      // And the very next request is served.
      expect(await ok(admin(), GOOD)).toEqual({ whoCanReach: { peers: [{ peer: { display: "shop/frontend[Deployment]" } }] } });
    });

    it("a body that is not JSON, or has no query", async () => {
      const bad = await post(svc().graphqlUrl, '{"query": "{ syncStatus', auth(ADMIN));
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ error: { code: "BAD_INPUT", message: "request body is not valid JSON" } });
      const empty = await post(svc().graphqlUrl, "{}", auth(ADMIN));
      expect(empty.status).toBe(400);
      expect(empty.body).toMatch(/JSON object has no keys/);
      const notString = await post(svc().graphqlUrl, JSON.stringify({ query: 42 }), auth(ADMIN));
      expect(notString.status).toBe(400);
      for (const r of [bad, empty, notString]) expectNoLeak(r.body);
      expect(await ok(admin(), GOOD)).toBeTruthy();
    });
  });

  describe("internal errors are masked", () => {
    afterEach(() => restore?.());
    let restore: (() => void) | undefined;

    /** Makes a repository method fail the way a database driver does: SQL in the message, a stack, a cause. */
    const breakStore = (repo: "matrix" | "revisions" | "clusters", method: string) => {
      const target = svc().service.app.store[repo] as unknown as Record<string, unknown>;
      const original = target[method];
      target[method] = async () => {
        const cause = Object.assign(new Error('relation "matrix_connections" does not exist'), { code: "42P01" });
        throw Object.assign(new Error('Invalid `prisma.$queryRaw()` invocation: Raw query failed. Code: `42P01`. Message: `ERROR: relation "matrix_connections" does not exist` SELECT src_class FROM "matrix_connections" WHERE cluster_id = $1'), { cause });
      };
      restore = () => {
        target[method] = original;
        restore = undefined;
      };
    };

    it("over HTTP: a generic message and code, nothing of the failure", async () => {
      breakStore("matrix", "latestGeneration");
      const r = await gql(admin(), GOOD);
      expect(r.status).toBe(200);
      expect(r.errors).toEqual([{ message: "Internal server error (the server log has the details under this request's id)", path: ["whoCanReach"], extensions: { code: "INTERNAL_SERVER_ERROR" } }]);
      expectNoLeak(r.body);
      expect(r.body).not.toContain("matrix_connections");
      restore!();
      expect(await ok(admin(), GOOD)).toBeTruthy();

      breakStore("revisions", "list");
      const audit = await gql(admin(), AUDIT, {});
      expect(audit.errors.map((e) => e.extensions?.["code"])).toEqual(["INTERNAL_SERVER_ERROR"]);
      expectNoLeak(audit.body);
      restore!();

      breakStore("clusters", "listClusters");
      const status = await gql(admin(), `{ syncStatus { cluster } }`);
      expect(status.errors.map((e) => e.extensions?.["code"])).toEqual(["INTERNAL_SERVER_ERROR"]);
      expectNoLeak(status.body);
    });

    it("over WebSocket: subscriptions are masked the same way", async () => {
      const client = wsClient(svc().wsUrl, ADMIN);
      try {
        breakStore("matrix", "latestGeneration");
        const sub = new Subscription(client, `subscription { reachabilityChanged(target: { namespace: "shop", name: "backend" }) { generation } }`);
        await sub.waitFor((s) => s.ended, "the subscription to fail");
        const errors = sub.error as GqlError[];
        expect(errors.map((e) => [e.message, e.extensions?.["code"]])).toEqual([
          ["Internal server error (the server log has the details under this request's id)", "INTERNAL_SERVER_ERROR"],
        ]);
        expectNoLeak(JSON.stringify([sub.results, sub.error]));
      } finally {
        await client.dispose();
      }
    });
  });

  describe("over WebSocket, the same rules as over HTTP", () => {
    const clients: Client[] = [];
    const run = async (token: string, query: string, variables?: Record<string, unknown>) => {
      const c = wsClient(svc().wsUrl, token);
      clients.push(c);
      const s = new Subscription<Record<string, unknown>>(c, query, variables);
      await s.waitFor((x) => x.ended, "the operation to end");
      const errors = [...s.results.flatMap((r) => r.errors ?? []), ...(Array.isArray(s.error) ? (s.error as GqlError[]) : [])];
      return { data: s.data, errors, raw: JSON.stringify([s.results, s.error]) };
    };
    afterAll(async () => {
      for (const c of clients) await c.dispose();
    });

    it("no introspection, no suggestions, the token limit, and clear codes", async () => {
      const intro = await run(ADMIN, `{ __schema { types { name } } }`);
      expect(intro.data).toEqual([]);
      expect(intro.errors[0]).toMatchObject({ message: expect.stringMatching(/introspection has been disabled/), extensions: { code: "GRAPHQL_VALIDATION_FAILED" } });
      const typo = await run(ADMIN, `subscription { policyChanges { id } }`);
      expect(typo.errors).toEqual([{ message: 'Cannot query field "policyChanges" on type "Subscription".', locations: [{ line: 1, column: 16 }], extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }]);
      const huge = await run(ADMIN, `{ syncStatus { ${"c ".repeat(3100)} } }`);
      expect(huge.errors[0]).toMatchObject({ message: expect.stringMatching(/more that 3000 tokens/), extensions: { code: "GRAPHQL_PARSE_FAILED" } });
      const deep = await run(ADMIN, `{ namespaces { workloads { policies { selects { policies { selects { policies { selects { policies { selects { name } } } } } } } } } } }`);
      expect(deep.errors[0]!.message).toMatch(/depth limit of 10 exceeded/i);
      const badVar = await run(ADMIN, `subscription($t: WorkloadRef!) { reachabilityChanged(target: $t) { generation } }`, { t: "eighty" });
      expect(badVar.errors[0]).toMatchObject({ message: expect.stringMatching(/got invalid value "eighty"/), extensions: { code: "BAD_USER_INPUT" } });
      for (const r of [intro, typo, huge, deep, badVar]) expect(r.raw).not.toMatch(/did you mean/i);
    });

    it("scopes apply to subscriptions", async () => {
      const hidden = await run(SHOP_ONLY, `subscription($t: WorkloadRef!) { reachabilityChanged(target: $t) { generation } }`, { t: wl(PAYMENTS, "api") });
      expect(hidden.errors).toMatchObject([{ message: "no payments/api visible to this token", extensions: { code: "NOT_FOUND" } }]);
    });

    it("queries are not served over the socket (HTTP only)", async () => {
      const query = await run(SHOP_ONLY, WHO, { t: wl(SHOP, "cache") });
      expect(query.errors).toMatchObject([{ extensions: { code: "BAD_REQUEST" } }]);
      expect(mentionsPayments(query.raw)).toBe(false);
    });
  });
});

describe("GraphQL while PostgreSQL refuses connections", () => {
  let s: TestService;
  let admin: pg.Client;
  let database: string;
  beforeAll(async () => {
    s = await startTestService({ backend: POSTGRES, name: "outage", files: initialFiles(), tokens: TOKENS, latestGenerationTtlMs: 0 });
    database = new URL(s.config.database.url!).pathname.slice(1);
    admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    await s?.stop();
  });

  it("answers with a masked error, and normally again once the database is back", async () => {
    const client = httpClient(s.graphqlUrl, ADMIN);
    expect(await ok(client, GOOD)).toBeTruthy();
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [database]);
    for (const q of [GOOD, `{ auditLog { edges { cursor } } }`, `{ syncStatus { cluster } }`]) {
      const r = await gql(client, q);
      expect(r.status).toBe(200);
      expect(r.errors).toHaveLength(1);
      expect(["INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"]).toContain(r.errors[0]!.extensions?.["code"]);
      expectNoLeak(r.body);
      expect(r.body).not.toContain(database);
    }
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
    expect(await ok(client, GOOD)).toEqual({ whoCanReach: { peers: [{ peer: { display: "shop/frontend[Deployment]" } }] } });
  });
});
