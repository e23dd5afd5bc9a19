/**
 * DNS rebinding and cross-site WebSocket attacks against the real service without tokens (so it
 * listens on 127.0.0.1 and trusts every request), over real HTTP and WebSocket on PostgreSQL:
 * - a request whose Host names a rebound domain is refused on /graphql, /api/v1/exports/matrix and
 *   every other route but the probes; IP literals and localhost are served;
 * - a WebSocket upgrade from a foreign Origin (or a rebound Host) is refused; the server's own
 *   origin and clients without an Origin are served;
 * - over WebSocket only subscriptions run: queries and mutations are refused with a clear error.
 * Plus the OriginPolicy table: when a token server checks Host (allowedHosts set) and when not.
 */
import { request } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Client } from "graphql-ws";
import { OriginPolicy, hostName } from "../../../src/api/http/origin.js";
import { POSTGRES } from "../helpers/backends.js";
import { Subscription, wsClient, type GqlError } from "../helpers/graphql.js";
import { initialFiles } from "../helpers/scenario.js";
import { useTestService } from "../helpers/service.js";

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with a Host header of our choosing (fetch does not let a caller set it). */
function raw(port: number, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: body === undefined ? "GET" : "POST", headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Opens a WebSocket with the given headers; resolves with the HTTP status of a refusal, or 101. */
function upgrade(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/graphql`, "graphql-transport-ws", { headers });
    ws.on("open", () => {
      ws.close();
      resolve({ status: 101, body: "" });
    });
    ws.on("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString("utf8") }));
    });
    ws.on("error", (e) => (e.message.includes("Unexpected server response") ? undefined : reject(e)));
  });
}

const QUERY = JSON.stringify({ query: `{ whoCanReach(target: { namespace: "shop", name: "backend" }) { peers { peer { display } } } }` });

describe("without tokens, on PostgreSQL", () => {
  const svc = useTestService(() => ({ backend: POSTGRES, name: "harden_origin", files: initialFiles(), server: { corsOrigins: ["https://dash.example.com"] } }));
  const port = () => svc().service.api.port;

  it("a rebound Host is refused on /graphql and the exports, with nothing of the cluster in the answer", async () => {
    for (const host of [`evil.example:${port()}`, "evil.example", `127.0.0.1.nip.io:${port()}`, `LOCALHOST.evil.example:${port()}`]) {
      const gql = await raw(port(), "/graphql", { host }, QUERY);
      expect(gql.status, `Host ${JSON.stringify(host)}`).toBe(403);
      expect(JSON.parse(gql.body)).toMatchObject({ error: { code: "FORBIDDEN", message: expect.stringMatching(/DNS rebinding.*server\.allowedHosts/) } });
      expect(gql.body).not.toMatch(/frontend|backend/);
      for (const path of ["/api/v1/exports/matrix", "/api/v1/exports/audit", "/metrics", "/explorer", "/API/V1/EXPORTS/MATRIX"]) {
        const res = await raw(port(), path, { host });
        expect(res.status, `${host} ${path}`).toBe(403);
        expect(res.body).not.toMatch(/frontend|backend|kubereach_/);
      }
    }
  });

  it("IP literals and localhost are served, in any case and with any port", async () => {
    for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`, `LocalHost:${port()}`, "localhost.", `[::1]:${port()}`, "10.0.0.7"]) {
      const gql = await raw(port(), "/graphql", { host }, QUERY);
      expect(gql.status, host).toBe(200);
      expect(gql.body).toContain("shop/frontend[Deployment]");
      const matrix = await raw(port(), "/api/v1/exports/matrix", { host });
      expect(matrix.status, host).toBe(200);
      expect(matrix.body).toContain("frontend");
    }
  });

  it("the probes answer whatever the Host (kubelet addresses the pod by IP, a proxy by name)", async () => {
    expect((await raw(port(), "/healthz", { host: "evil.example" })).status).toBe(200);
    expect((await raw(port(), "/readyz", { host: "evil.example" })).status).toBe(200);
  });

  it("a WebSocket from a foreign origin or a rebound Host is refused before it opens", async () => {
    const own = `127.0.0.1:${port()}`;
    for (const headers of [
      { origin: "https://evil.example" },
      { origin: `http://evil.example:${port()}` },
      { origin: "null" },
      { origin: `https://127.0.0.1:${port()}.evil.example` },
      { host: `evil.example:${port()}`, origin: `http://evil.example:${port()}` },
      { host: `evil.example:${port()}` },
    ] as Record<string, string>[]) {
      const r = await upgrade(port(), headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
    }
    for (const headers of [{}, { origin: `http://${own}` }, { origin: "https://dash.example.com" }, { host: `localhost:${port()}`, origin: `http://localhost:${port()}` }] as Record<string, string>[]) {
      expect((await upgrade(port(), headers)).status, JSON.stringify(headers)).toBe(101);
    }
  });

  describe("over WebSocket, only subscriptions", () => {
    const clients: Client[] = [];
    afterAll(async () => {
      for (const c of clients) await c.dispose();
    });
    const run = async (query: string) => {
      const c = wsClient(svc().wsUrl);
      clients.push(c);
      const s = new Subscription<Record<string, unknown>>(c, query);
      await s.waitFor((x) => x.ended, "the operation to end");
      return { data: s.data, errors: Array.isArray(s.error) ? (s.error as GqlError[]) : [] };
    };

    it("queries and mutations are refused with a message saying where to send them", async () => {
      const refusal = [{ message: "only subscriptions are served over WebSocket: send queries and mutations as HTTP POST to /graphql", extensions: { code: "BAD_REQUEST" } }];
      const query = await run(`{ whoCanReach(target: { namespace: "shop", name: "backend" }) { peers { peer { display } } } }`);
      expect(query).toEqual({ data: [], errors: refusal });
      expect(await run(`mutation { simulate(manifests: "") { generation method } }`)).toEqual({ data: [], errors: refusal });
      const named = await run(`subscription S { policyChanged { namespace } } query Q { syncStatus { cluster } }`);
      expect(named).toEqual({ data: [], errors: refusal });
    });

    it("a subscription still runs", async () => {
      const c = wsClient(svc().wsUrl);
      clients.push(c);
      const s = new Subscription(c, `subscription { policyChanged { namespace name } }`);
      await new Promise((r) => setTimeout(r, 200));
      expect(s.error).toBeUndefined();
      expect(s.ended).toBe(false);
      s.close();
    });
  });
});

describe("OriginPolicy", () => {
  it.each([
    // tokens, allowedHosts, host, refused
    [false, [], "127.0.0.1:4000", false],
    [false, [], "localhost", false],
    [false, [], "[fe80::1]:4000", false],
    [false, [], "kubereach.example", true],
    [false, ["kubereach.example"], "KubeReach.Example:443", false],
    [false, ["kubereach.example"], "x.kubereach.example", true],
    [true, [], "anything.example", false],
    [true, ["kubereach.example"], "anything.example", true],
    [true, ["kubereach.example"], "kubereach.example", false],
    [true, ["kubereach.example"], "10.1.2.3:4000", false],
    [false, [], "a b", true],
    [false, [], "user@localhost", true],
    [false, [], undefined, true],
  ] as const)("tokens %s, allowedHosts %j: Host %j refused=%s", (tokens, allowedHosts, host, refused) => {
    const policy = new OriginPolicy({ tokens, allowedHosts, corsOrigins: [] });
    expect(policy.refuseHost(host) !== undefined).toBe(refused);
  });

  it.each([
    [undefined, "127.0.0.1:4000", false],
    ["http://127.0.0.1:4000", "127.0.0.1:4000", false],
    ["http://127.0.0.1:4001", "127.0.0.1:4000", true],
    ["https://dash.example.com", "127.0.0.1:4000", false],
    ["https://dash.example.com:444", "127.0.0.1:4000", true],
    ["file://", "127.0.0.1:4000", true],
    ["garbage", "127.0.0.1:4000", true],
  ] as const)("Origin %j with Host %j refused=%s", (origin, host, refused) => {
    const policy = new OriginPolicy({ tokens: true, allowedHosts: [], corsOrigins: ["https://dash.example.com"] });
    expect(policy.refuseOrigin(origin, host) !== undefined).toBe(refused);
  });

  it("hostName strips port, brackets and a trailing dot", () => {
    expect(hostName("[::1]:80")).toBe("::1");
    expect(hostName("Example.COM.:8080")).toBe("example.com");
    expect(hostName("::1")).toBeUndefined();
  });
});
