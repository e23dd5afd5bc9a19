/**
 * /metrics, the offline explorer and request hardening (security headers, CORS allowlist, the
 * response deadline) over real HTTP; the metrics' sync lag and readiness on a stub runtime.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceMetrics } from "../../../src/api/http/metrics.js";
import { clusterHealth, SOURCE_OUTAGE_GRACE_MS, type ClusterRuntime, type KindRuntime, type RuntimeStatus } from "../../../src/api/runtime.js";
import { ConfigSchema } from "../../../src/app/config.js";
import type { Store } from "../../../src/domain/repositories.js";
import { client, deployment, namespace, networkPolicy, sleep, startRestService, type RestService } from "./helpers.js";

const ADMIN = { name: "admin", token: "http-admin-token-0123" };
const ORIGIN = "https://dash.example.com";
const require = createRequire(import.meta.url);

const policy = (port: number) =>
  networkPolicy("confidential-ns", "hidden-policy", { podSelector: { matchLabels: { app: "hidden-app" } }, ingress: [{ ports: [{ port, protocol: "TCP" }] }] });

let svc: RestService;
let admin: ReturnType<typeof client>;

beforeAll(async () => {
  svc = await startRestService({
    tokens: [ADMIN],
    corsOrigins: [ORIGIN],
    requestTimeoutMs: 300,
    files: {
      "all.yaml": [namespace("confidential-ns"), deployment("confidential-ns", "hidden-app", { app: "hidden-app" }, [80]), policy(80)],
    },
    routes: [
      (app) => {
        app.get("/api/v1/test/slow", async (_req, res) => {
          await sleep(1500);
          if (!res.headersSent) res.json({ late: true });
        });
        app.get("/api/v1/exports/test-slow", async (_req, res) => {
          await sleep(600);
          res.json({ exempt: true });
        });
      },
    ],
  });
  admin = client(svc.url, ADMIN.token);
}, 180_000);

afterAll(async () => {
  await svc?.stop();
}, 60_000);

const metricsText = async () => {
  const res = await fetch(`${svc.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};
const sample = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("GET /metrics", () => {
  it("answers without a token in Prometheus text format, with the default process metrics", async () => {
    const res = await fetch(`${svc.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = await res.text();
    for (const name of ["process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds", "nodejs_heap_size_used_bytes"]) expect(text).toContain(`# TYPE ${name} `);
    expect(text).toContain("# TYPE kubereach_sync_lag_seconds gauge");
    expect(text).toContain("# TYPE kubereach_matrix_generation gauge");
    expect(text).toContain("# TYPE kubereach_recompute_duration_seconds histogram");
    expect(text).toContain("# TYPE kubereach_http_request_duration_seconds histogram");
    expect(text).toContain("# TYPE kubereach_informer_restarts_total counter");
    expect(text).toContain("# TYPE kubereach_revisions_recorded_total counter");
    expect(text).toContain("# TYPE kubereach_ready gauge");
    expect(sample(text, 'kubereach_sync_lag_seconds{cluster="rest"}')).toBe(0);
    expect(sample(text, 'kubereach_informer_restarts_total{cluster="rest"}')).toBe(0);
    expect(sample(text, "kubereach_ready")).toBe(1);
    expect((await fetch(`${svc.url}/api/v1/exports/audit`)).status).toBe(401);
  });

  it("follows the sync: generations, recompute times and recorded revisions", async () => {
    const before = await metricsText();
    const generation = sample(before, 'kubereach_matrix_generation{cluster="rest"}')!;
    const recomputes = sample(before, 'kubereach_recompute_duration_seconds_count{cluster="rest"}')!;
    const revisions = sample(before, 'kubereach_revisions_recorded_total{cluster="rest"}')!;
    expect(generation).toBeGreaterThanOrEqual(1);
    expect(recomputes).toBe(generation);
    expect(revisions).toBeGreaterThanOrEqual(1);
    svc.write("all.yaml", [namespace("confidential-ns"), deployment("confidential-ns", "hidden-app", { app: "hidden-app" }, [80]), policy(8080 + generation)]);
    await svc.reread();
    const after = await metricsText();
    expect(sample(after, 'kubereach_matrix_generation{cluster="rest"}')).toBe(generation + 1);
    expect(sample(after, 'kubereach_recompute_duration_seconds_count{cluster="rest"}')).toBe(recomputes + 1);
    expect(sample(after, 'kubereach_recompute_duration_seconds_sum{cluster="rest"}')).toBeGreaterThan(0);
    expect(sample(after, 'kubereach_revisions_recorded_total{cluster="rest"}')).toBe(revisions + 1);
  });

  it("labels requests with the route pattern, never the URL, and shows no namespace data", async () => {
    await fetch(`${svc.url}/explorer/assets/react.production.min.js`);
    await admin("/api/v1/exports/audit?namespace=confidential-ns&format=ndjson").then((r) => r.text());
    await admin("/api/v1/exports/audit?format=bogus");
    await fetch(`${svc.url}/no/such/confidential-path`);
    await admin("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ syncStatus { cluster } }" }) });
    const text = await metricsText();
    const series = (route: string, status: string, method = "GET") => sample(text, `kubereach_http_request_duration_seconds_count{method="${method}",route="${route}",status="${status}"}`);
    expect(series("/explorer/assets/:file", "200")).toBeGreaterThanOrEqual(1);
    expect(series("/api/v1/exports/audit", "200")).toBeGreaterThanOrEqual(1);
    expect(series("/api/v1/exports/audit", "400")).toBeGreaterThanOrEqual(1);
    expect(series("(unmatched)", "404")).toBeGreaterThanOrEqual(1);
    expect(series("/graphql", "200", "POST")).toBeGreaterThanOrEqual(1);
    for (const secret of ["confidential", "hidden", "react.production", "bogus", "ndjson"]) expect(text).not.toContain(secret);
  });
});

describe("ServiceMetrics on a stub runtime", () => {
  const cluster = (over: Partial<ClusterRuntime>): ClusterRuntime => ({
    clusterId: "c1",
    source: "stub",
    initialSyncDone: true,
    lastAppliedAt: undefined,
    lastGenerationAt: undefined,
    generation: 3,
    pendingEvents: 0,
    errors: [],
    informerRestarts: 0,
    ...over,
  });

  it("sync lag and readiness from one model (clusterHealth): backlog, an outage past the grace period, recovery; informer restarts from the runtime", async () => {
    let now = 1_000_000;
    const at = (ms: number) => new Date(ms);
    let state = cluster({ initialSyncDone: false, behindSince: at(now) });
    let accepting = true;
    const runtime: RuntimeStatus = { clusters: () => [state], accepting: () => accepting };
    const store = { clusters: { listClusters: async () => [] } } as unknown as Store;
    const m = new ServiceMetrics(() => now);
    m.attach({ runtime, store });
    const read = async (series: string) => sample(await m.registry.metrics(), series);

    now += 5000;
    expect(await read('kubereach_sync_lag_seconds{cluster="c1"}')).toBe(5); // initial sync running since start
    expect(await read("kubereach_ready")).toBe(0);
    state = cluster({});
    expect(await read('kubereach_sync_lag_seconds{cluster="c1"}')).toBe(0);
    expect(await read("kubereach_ready")).toBe(1);
    // A backlog: the oldest change not yet in a committed generation.
    state = cluster({ pendingEvents: 40, behindSince: at(now) });
    now += 2500;
    expect(await read('kubereach_sync_lag_seconds{cluster="c1"}')).toBe(2.5);
    expect(await read("kubereach_ready")).toBe(1);
    // An outage: pods cannot be watched. Lag counts from the moment they stopped being current;
    // readiness drops once it lasts SOURCE_OUTAGE_GRACE_MS.
    const down = now;
    const pods: KindRuntime = { kind: "Pod", state: "backoff", behindSince: at(down), optional: false, lastError: "watch failed: ECONNREFUSED", restarts: 7, relists: 0 };
    state = cluster({ errors: ["Pod: watch failed: ECONNREFUSED"], informerRestarts: 7, sourceDownSince: at(down), kinds: [pods] });
    now += 4000;
    expect(await read('kubereach_sync_lag_seconds{cluster="c1"}')).toBe(4);
    expect(await read("kubereach_ready")).toBe(1);
    expect(await read('kubereach_informer_restarts_total{cluster="c1"}')).toBe(7);
    now += SOURCE_OUTAGE_GRACE_MS;
    expect(await read('kubereach_sync_lag_seconds{cluster="c1"}')).toBe(4 + SOURCE_OUTAGE_GRACE_MS / 1000);
    expect(await read("kubereach_ready")).toBe(0);
    expect(clusterHealth(state, now).reasons).toEqual([`cluster c1: source not current since ${at(down).toISOString()}: Pod (backoff: watch failed: ECONNREFUSED)`]);
    // An optional kind that cannot be read is an error, not an outage.
    state = cluster({ errors: ["AdminNetworkPolicy: forbidden"], kinds: [{ ...pods, kind: "AdminNetworkPolicy", state: "forbidden", optional: true }] });
    expect(await read('kubereach_sync_lag_seconds{cluster="c1"}')).toBe(0);
    expect(await read("kubereach_ready")).toBe(1);
    state = cluster({ informerRestarts: 7 });
    expect(await read('kubereach_sync_lag_seconds{cluster="c1"}')).toBe(0);
    expect(await read('kubereach_matrix_generation{cluster="c1"}')).toBe(3);
    accepting = false;
    expect(await read("kubereach_ready")).toBe(0);
    m.generationCommitted({ clusterId: "c1", durationMs: 1500 });
    m.revisionsRecorded("c1", 4);
    expect(await read('kubereach_recompute_duration_seconds_bucket{le="2.5",cluster="c1"}')).toBe(1);
    expect(await read('kubereach_recompute_duration_seconds_bucket{le="1",cluster="c1"}')).toBe(0);
    expect(await read('kubereach_revisions_recorded_total{cluster="c1"}')).toBe(4);
  });
});

describe("GET /explorer", () => {
  const VENDOR_HOSTS = new Set(["www.w3.org", "github.com", "reactjs.org", "en.wikipedia.org", "commonmark.org", "codemirror.net"]);
  /** Every http(s) URL in a text, and the ones in a loading position (src, href, url(), @import, import(), fetch(), workers). */
  const urls = (text: string) => [...text.matchAll(/https?:\/\/[^\s"'`)<>\\]*/g)].map((m) => m[0]);
  const loading = (text: string) =>
    [...text.matchAll(/(?:\b(?:src|href)\s*=\s*|url\(\s*|@import\s+|\bimport\(\s*|\bfetch\(\s*|\bimportScripts\(\s*|new\s+(?:Shared)?Worker\(\s*)["'`]?(?:https?:)?\/\/[^"'`)\s]+/gi)].map((m) => m[0]);

  it("the URL detectors used below find what they look for", () => {
    expect(loading('<script src="https://unpkg.com/react.js"></script><link href="//cdn.example/x.css">')).toHaveLength(2);
    expect(loading('a{background:url("https://fonts.gstatic.com/x.woff2")} @import "https://x/y.css"; fetch("https://a/b")')).toHaveLength(3);
    expect(loading('src="/explorer/assets/x.js" url(data:font/woff2;base64,AAA)')).toEqual([]);
    expect(urls('"http://www.w3.org/2000/svg" and https://cdn.jsdelivr.net/npm/x')).toEqual(["http://www.w3.org/2000/svg", "https://cdn.jsdelivr.net/npm/x"]);
  });

  it("serves a page that loads everything from this server: no http(s) URL at all", async () => {
    const res = await fetch(`${svc.url}/explorer`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(urls(html)).toEqual([]);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual([
      "data:,", // the favicon, inline: no request, no 404
      "/explorer/assets/graphiql.min.css",
      "/explorer/assets/explorer.css",
      "/explorer/assets/react.production.min.js",
      "/explorer/assets/react-dom.production.min.js",
      "/explorer/assets/graphiql.min.js",
      "/explorer/assets/explorer.js",
    ]);
    expect(html).toContain('<input id="token" type="password"');
  });

  it("serves each asset from the npm packages, none loading anything from another host", async () => {
    const html = await (await fetch(`${svc.url}/explorer`)).text();
    const vendor: Record<string, string> = {
      "react.production.min.js": join(dirname(require.resolve("react/package.json")), "umd/react.production.min.js"),
      "react-dom.production.min.js": join(dirname(require.resolve("react-dom/package.json")), "umd/react-dom.production.min.js"),
      "graphiql.min.js": join(dirname(require.resolve("graphiql/package.json")), "graphiql.min.js"),
      "graphiql.min.css": join(dirname(require.resolve("graphiql/package.json")), "graphiql.min.css"),
    };
    for (const [, path] of html.matchAll(/\b(?:src|href)="(\/[^"]+)"/g)) {
      const res = await fetch(`${svc.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toMatch(path!.endsWith(".css") ? /^text\/css/ : /^(application|text)\/javascript/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const body = await res.text();
      const name = path!.split("/").pop()!;
      if (vendor[name]) expect(body === readFileSync(vendor[name]!, "utf8"), path).toBe(true);
      expect(loading(body), path).toEqual([]);
      // What remains are documentation links and XML namespace names in strings and comments (and a bare "http://" prefix).
      for (const u of urls(body)) expect(u === "http://" || VENDOR_HOSTS.has(new URL(u.replace(/[.,;]+$/, "")).host), `${path}: ${u}`).toBe(true);
      if (name.startsWith("explorer.")) expect(urls(body), path).toEqual([]);
    }
    expect((await fetch(`${svc.url}/explorer/assets/package.json`)).status).toBe(404);
    expect((await fetch(`${svc.url}/explorer/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  it("the page's script posts JSON to /graphql and keeps the token in sessionStorage only", async () => {
    const js = await (await fetch(`${svc.url}/explorer/assets/explorer.js`)).text();
    expect(js).toContain('GraphiQL.createFetcher({ url: "/graphql", headers: auth, subscriptionUrl: wsUrl(), wsConnectionParams: auth })');
    expect(js).toContain('{ authorization: "Bearer " + t }');
    expect(js).toContain("window.sessionStorage.setItem(KEY, value)");
    expect(js).not.toContain("localStorage");
    expect(js).toContain("shouldPersistHeaders: false");
    // What that fetcher sends (createFetcher: POST, content-type application/json) passes CSRF prevention; a form post does not.
    const json = await admin("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ syncStatus { cluster } }" }) });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ data: { syncStatus: [{ cluster: "rest" }] } });
    const form = await admin("/graphql", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "query={syncStatus{cluster}}" });
    expect(form.status).toBe(400);
    expect(await form.text()).toMatch(/Cross-Site Request Forgery/);
  });
});

describe("request hardening", () => {
  it("security headers: nosniff everywhere, no-store on API answers", async () => {
    for (const path of ["/api/v1/exports/matrix", "/api/v1/nothing-here", "/healthz"]) {
      const res = await admin(path);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(res.headers.get("x-powered-by"), path).toBeNull();
    }
    const asset = await fetch(`${svc.url}/explorer/assets/explorer.css`);
    expect(asset.headers.get("cache-control")).toBe("no-cache");
  });

  it("CORS: the configured origin may call /graphql and /api (preflight before authentication), others get no CORS headers", async () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${svc.url}${path}`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } });
    for (const path of ["/graphql", "/api/v1/chat"]) {
      const ok = await preflight(path, ORIGIN);
      expect(ok.status, path).toBe(204);
      expect(ok.headers.get("access-control-allow-origin"), path).toBe(ORIGIN);
      expect(ok.headers.get("access-control-allow-headers"), path).toMatch(/authorization/);
      expect(ok.headers.get("access-control-allow-credentials"), path).toBeNull();
      expect(ok.headers.get("vary"), path).toMatch(/Origin/);
      const evil = await preflight(path, "https://evil.example.com");
      expect(evil.headers.get("access-control-allow-origin"), path).toBeNull();
    }
    const get = await admin("/api/v1/exports/matrix", { headers: { origin: ORIGIN } });
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(get.headers.get("access-control-expose-headers")).toMatch(/content-disposition/);
    await get.text();
    const other = await admin("/api/v1/exports/matrix", { headers: { origin: "https://evil.example.com" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    await other.text();
    expect((await fetch(`${svc.url}/metrics`, { headers: { origin: ORIGIN } })).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a response deadline on /api (503 TIMEOUT); exports are exempt", async () => {
    const started = Date.now();
    const slow = await admin("/api/v1/test/slow");
    expect(slow.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1400);
    expect(slow.headers.get("retry-after")).toBe("5");
    expect(await slow.json()).toMatchObject({ error: { code: "TIMEOUT", message: "no answer within 0.3 s; try a narrower question" } });
    const exempt = await admin("/api/v1/exports/test-slow");
    expect(exempt.status).toBe(200);
    expect(await exempt.json()).toEqual({ exempt: true });
    await sleep(1300); // the slow handler finishes after the deadline answer without disturbing anything
    expect((await admin("/api/v1/exports/matrix")).status).toBe(200);
  });

  it("server.corsOrigins takes exact origins only", () => {
    const parse = (corsOrigins: unknown) => ConfigSchema.safeParse({ source: { type: "example" }, database: {}, server: { corsOrigins }, sync: {}, log: {} });
    expect(parse(undefined).data?.server.corsOrigins).toEqual([]);
    expect(parse(["https://dash.example.com", "http://localhost:3000"]).success).toBe(true);
    for (const bad of [["*"], ["https://dash.example.com/"], ["dash.example.com"], ["https://*.example.com"], ["https://x.com/path"]]) expect(parse(bad).success, bad[0]).toBe(false);
  });
});
