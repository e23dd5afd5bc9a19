/**
 * API load section: the real service (startService: sync + API in one process) on PostgreSQL,
 * serving a generated cluster (bench/generateCluster.ts), under load.
 * - The cluster is written as manifests (pods owned by their workloads through ownerReferences,
 *   so they group as in a real cluster) and synced by the service itself into a fresh database.
 * - whoCanReach over GraphQL (JSON POSTs, as a client sends them) at a constant arrival rate (one
 *   request every 2 ms at 500 req/s, latency from the scheduled send time, as k6's
 *   constant-arrival-rate measures it), then with autocannon's per-second quota for comparison;
 *   targets drawn from the workloads the API itself lists; the load runs in a child process so
 *   the load generator does not share the server's event loop. Latency percentiles, errors
 *   (connection errors, timeouts, non-2xx, GraphQL errors in 200 answers), response sizes.
 * - The full connectivity list through GET /api/v1/exports/matrix, streamed and read to the end,
 *   cold (first export of the generation) and warm; the GraphQL matrix walk (first/after) as well.
 * Targets at 10k pods / 2k policies: whoCanReach p99 < 25 ms at 500 req/s; matrix export < 10 s.
 * With --cpu-prof, the server's CPU profile during the load phase is written for profileSummary.ts.
 * KUBEREACH_BENCH_PG_URL overrides the admin URL (default postgresql://postgres@127.0.0.1:5432/postgres);
 * KUBEREACH_BENCH_API_RATE and KUBEREACH_BENCH_API_SECONDS override the rate (500) and duration (25).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { generateCluster } from "../generateCluster.js";
import { runInChild } from "../lib/child.js";
import { fmtInt, fmtMs, table } from "../lib/stats.js";
import { Rng } from "../prng.js";
import { ConfigSchema } from "../../src/app/config.js";
import type { RunningService } from "../../src/app/service.js";
import type { WorldInput } from "../../src/engine/index.js";
import { parseSize, type BenchOptions, type BenchSection, type TargetResult } from "./types.js";
import { ADMIN_URL, admin } from "../lib/pgAdmin.js";

const RATE = Number(process.env["KUBEREACH_BENCH_API_RATE"] ?? 500);
const SECONDS = Number(process.env["KUBEREACH_BENCH_API_SECONDS"] ?? 25);
const CONNECTIONS = 32;
const P99_TARGET_MS = 25;
const EXPORT_TARGET_MS = 10_000;
/** The load targets are defined for 10k; larger clusters take minutes to write as manifests. */
const MAX_PODS = 20_000;

const WHO_CAN_REACH = `query WhoCanReach($t: WorkloadRef!) { whoCanReach(target: $t) { generation peers { peer { display } connections { text } } } }`;

export const apiLoadSection: BenchSection = {
  name: "api",
  description: "the service on PostgreSQL: whoCanReach at 500 req/s (constant arrival rate; autocannon for comparison), full matrix export",
  run: (options) => runApiLoadBench(options),
};

interface LoadArgs {
  readonly url: string;
  /** A JSON file with the request bodies (command-line arguments could not hold them). */
  readonly bodiesFile: string;
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
  /**
   * `arrival`: an open workload, one request every 1/rate s on a fixed schedule (k6's
   * constant-arrival-rate), latency measured from the scheduled send time, so a stalled server is
   * charged for the requests it delayed. `autocannon`: autocannon's overallRate, which lets each
   * second's quota go out as fast as the connections allow and then waits for the next second.
   */
  readonly mode: "arrival" | "autocannon";
}

export interface LoadResult {
  readonly latency: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number; readonly mean: number };
  readonly requests: number;
  readonly perSecond: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly graphqlErrors: number;
  readonly meanBytes: number;
}

interface ExportResult {
  readonly route: string;
  readonly firstByteMs: number;
  readonly totalMs: number;
  readonly bytes: number;
  readonly rows: number;
}

/** Runs the API load benchmark for each size (default 10k) and returns the checked targets. */
export async function runApiLoadBench(options: Partial<Pick<BenchOptions, "sizes" | "seed" | "cpuProfDir">> = {}): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for (const size of options.sizes ?? ["10k"]) {
    const { pods, policies } = parseSize(size);
    if (pods > MAX_PODS) {
      console.log(`api ${size}: skipped (the API load targets are defined at 10k; run it with --sizes 10k or <pods>:<policies> up to ${fmtInt(MAX_PODS)} pods)\n`);
      continue;
    }
    results.push(...(await runSize(size, pods, policies, options.seed ?? 1, options.cpuProfDir)));
  }
  return results;
}

async function runSize(size: string, pods: number, policies: number, seed: number, cpuProfDir: string | undefined): Promise<TargetResult[]> {
  const { input, stats } = generateCluster({ pods, policies, seed });
  const dir = mkdtempSync(join(tmpdir(), "kubereach-bench-api-"));
  const database = `kubereach_bench_api_${process.pid}`;
  await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${database}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  let service: RunningService | undefined;
  try {
    const files = writeManifests(dir, input);
    const config = ConfigSchema.parse({
      clusterId: "bench",
      source: { type: "manifests", path: dir, watch: false },
      database: { url: url.toString() },
      server: { port: 0, host: "127.0.0.1" },
      sync: {},
      log: { level: "info" },
    });
    // As the image runs it (Dockerfile: NODE_ENV=production, which also drops graphql-js's
    // development checks), with logs as in production (JSON lines at info, one per request) written nowhere.
    process.env["NODE_ENV"] ??= "production";
    const { startService } = await import("../../src/app/service.js");
    const logger = pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync: false }));
    const syncStart = performance.now();
    service = await startService(config, { logger });
    await service.initialSync;
    const syncMs = performance.now() - syncStart;
    const base = service.api.url;
    console.log(
      `api ${size}: ${fmtInt(stats.pods)} pods, ${fmtInt(stats.workloads)} workloads, ${fmtInt(stats.policies)} policies, ${fmtInt(stats.namespaces)} namespaces ` +
        `as ${files} manifest files; initial sync into PostgreSQL (${url.host}) ${fmtMs(syncMs)}, generation ${service.app.sync.status().generation}; NODE_ENV=${process.env["NODE_ENV"]}`,
    );

    // Targets: the workloads the API lists, in a seeded random order.
    const listed = await graphql<{ workloads: { namespace: string; kind: string; name: string }[] }>(base, `{ workloads { namespace kind name } }`);
    const rng = new Rng(seed);
    const bodies = Array.from({ length: 5000 }, () => {
      const w = rng.pick(listed.workloads);
      return JSON.stringify({ operationName: "WhoCanReach", query: WHO_CAN_REACH, variables: { t: { namespace: w.namespace, kind: w.kind, name: w.name } } });
    });
    const graphqlUrl = `${base}/graphql`;
    const bodiesFile = join(dir, "bodies.json");
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    // Cold pass: every request body once, at the target rate: the first answer of each workload in a
    // generation is read from the database (the next ones come from the per-generation cache). Measured
    // and reported (a dashboard after a new generation sees this), then the steady state is measured.
    const cold = await runInChild<LoadArgs, LoadResult>(new URL(import.meta.url), { url: graphqlUrl, bodiesFile, rate: RATE, seconds: bodies.length / RATE, connections: CONNECTIONS, mode: "arrival" });
    console.log(
      `  cold pass (each of ${fmtInt(bodies.length)} request bodies once, ${fmtInt(new Set(bodies).size)} distinct, at ${RATE} req/s): p50 ${fmtMs(cold.latency.p50)}, p90 ${fmtMs(cold.latency.p90)}, ` +
        `p99 ${fmtMs(cold.latency.p99)}, max ${fmtMs(cold.latency.max)}, ${cold.errors + cold.non2xx + cold.graphqlErrors} errors`,
    );

    const profile = cpuProfDir ? await startProfile() : undefined;
    const loadBefore = loadavg()[0]!;
    const cpuBefore = process.cpuUsage();
    const load = await runInChild<LoadArgs, LoadResult>(new URL(import.meta.url), { url: graphqlUrl, bodiesFile, rate: RATE, seconds: SECONDS, connections: CONNECTIONS, mode: "arrival" });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuPerRequestMs = (cpu.user + cpu.system) / 1000 / Math.max(1, load.requests);
    if (profile) {
      const file = join(cpuProfDir!, `api-${size.replace(":", "-")}-whoCanReach.cpuprofile`);
      await profile.stop(file);
      console.log(`  CPU profile of the server under load: ${file}`);
    }
    const errorCount = load.errors + load.timeouts + load.non2xx + load.graphqlErrors;
    // The server's own CPU time per request does not depend on what else the machine runs; the latencies do.
    console.log(
      `  server CPU ${fmtMs(cpuPerRequestMs)} per request (this process: Apollo, Express, QueryService, Prisma client; PostgreSQL not included); ` +
        `${cpus().length} CPUs, load average ${loadBefore.toFixed(1)} before and ${loadavg()[0]!.toFixed(1)} after the load`,
    );
    console.log(
      table([
        ["whoCanReach", "p50", "p90", "p99", "p99.9", "max", "mean", "req/s", "requests", "errors", "mean body"],
        [
          `${RATE} req/s evenly, ${SECONDS} s, ≤${CONNECTIONS} conn`,
          fmtMs(load.latency.p50),
          fmtMs(load.latency.p90),
          fmtMs(load.latency.p99),
          fmtMs(load.latency.p999),
          fmtMs(load.latency.max),
          fmtMs(load.latency.mean),
          load.perSecond.toFixed(0),
          fmtInt(load.requests),
          `${errorCount} (conn ${load.errors}, timeouts ${load.timeouts}, non-2xx ${load.non2xx}, GraphQL ${load.graphqlErrors})`,
          `${fmtInt(Math.round(load.meanBytes))} B`,
        ],
      ]),
    );

    // The same rate as autocannon sends it (each second's quota in a burst over 32 connections):
    // reported for comparison with other tools' figures, not held to the target.
    const burst = await runInChild<LoadArgs, LoadResult>(new URL(import.meta.url), { url: graphqlUrl, bodiesFile, rate: RATE, seconds: Math.min(SECONDS, 15), connections: CONNECTIONS, mode: "autocannon" });
    console.log(
      `  autocannon overallRate ${RATE} (per-second bursts, ${CONNECTIONS} conn, ${Math.min(SECONDS, 15)} s): p50 ${fmtMs(burst.latency.p50)}, p90 ${fmtMs(burst.latency.p90)}, ` +
        `p99 ${fmtMs(burst.latency.p99)}, max ${fmtMs(burst.latency.max)}, ${burst.perSecond.toFixed(0)} req/s, ${burst.errors + burst.timeouts + burst.non2xx + burst.graphqlErrors} errors`,
    );

    const exports: ExportResult[] = [];
    const exportUrl = `${base}/api/v1/exports/matrix`;
    const probe = await fetch(exportUrl, { method: "HEAD" });
    if (probe.status !== 404) {
      exports.push(await timeExport(exportUrl, "GET /api/v1/exports/matrix (cold)"));
      exports.push(await timeExport(exportUrl, "GET /api/v1/exports/matrix (warm)"));
      exports.push(await timeExport(`${exportUrl}?format=csv`, "GET /api/v1/exports/matrix?format=csv"));
    }
    exports.push(await timeMatrixWalk(graphqlUrl));
    console.log(
      table([
        ["matrix export", "first byte", "total", "rows", "bytes"],
        ...exports.map((e) => [e.route, fmtMs(e.firstByteMs), fmtMs(e.totalMs), fmtInt(e.rows), fmtInt(e.bytes)]),
      ]),
    );

    const out: TargetResult[] = [];
    const p99Pass = load.latency.p99 < P99_TARGET_MS && errorCount === 0 && load.perSecond >= RATE * 0.95;
    out.push({
      section: "api",
      size,
      target: `whoCanReach p99 < ${P99_TARGET_MS} ms at ${RATE} req/s, no errors`,
      measured: `p50 ${fmtMs(load.latency.p50)}, p90 ${fmtMs(load.latency.p90)}, p99 ${fmtMs(load.latency.p99)}, ${load.perSecond.toFixed(0)} req/s, ${errorCount} errors`,
      pass: p99Pass,
    });
    const exported = exports[0]!;
    out.push({
      section: "api",
      size,
      target: `full matrix export < ${fmtMs(EXPORT_TARGET_MS)}`,
      measured: `${exported.route}: ${fmtMs(exported.totalMs)} for ${fmtInt(exported.rows)} rows`,
      pass: exported.totalMs < EXPORT_TARGET_MS,
    });
    for (const t of out) console.log(`  target ${t.target}: ${t.measured} -> ${t.pass ? "PASS" : "FAIL"}`);
    console.log("");
    return out;
  } finally {
    await service?.stop();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- the cluster as manifests ------------------------------------------------------------------

/**
 * Writes the WorldInput as manifests: namespaces, pods (a controller ownerReference to their
 * workload, status.podIP, hostNetwork, container ports) and policies, JSON documents in files of a
 * thousand. Returns the number of files.
 */
function writeManifests(dir: string, world: WorldInput): number {
  const docs: unknown[] = [];
  for (const ns of world.namespaces) docs.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns.name, labels: ns.labels ?? {} } });
  for (const p of world.pods) {
    const owner = p.workload && p.workload.kind !== "Pod" ? [{ apiVersion: "apps/v1", kind: p.workload.kind, name: p.workload.name, uid: `uid-${p.workload.name}`, controller: true }] : undefined;
    docs.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: p.name, namespace: p.namespace, labels: p.labels ?? {}, ...(owner ? { ownerReferences: owner } : {}) },
      spec: { ...(p.hostNetwork ? { hostNetwork: true } : {}), containers: [{ name: "c", image: "img", ports: p.containerPorts ?? [] }] },
      ...(p.ip ? { status: { podIP: p.ip } } : {}),
    });
  }
  for (const np of world.networkPolicies) docs.push({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: np.name, namespace: np.namespace }, spec: np.spec ?? {} });
  mkdirSync(dir, { recursive: true });
  let files = 0;
  for (let i = 0; i < docs.length; i += 1000) {
    writeFileSync(join(dir, `part-${String(files).padStart(4, "0")}.yaml`), docs.slice(i, i + 1000).map((d) => JSON.stringify(d)).join("\n---\n"));
    files++;
  }
  return files;
}

// --- measurements ------------------------------------------------------------------------------

async function graphql<T>(base: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (!res.ok || body.errors || !body.data) throw new Error(`GraphQL request failed (${res.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function timeExport(url: string, route: string): Promise<ExportResult> {
  const start = performance.now();
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`${route}: HTTP ${res.status}: ${await res.text()}`);
  let firstByteMs = 0;
  let bytes = 0;
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    if (bytes === 0) firstByteMs = performance.now() - start;
    bytes += chunk.byteLength;
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-200);
  }
  const totalMs = performance.now() - start;
  const count = /"count":(\d+)\}\s*$/.exec(tail) ?? /# end count=(\d+)\s*$/.exec(tail);
  if (!count) throw new Error(`${route}: the export did not end with its row count (…${tail.slice(-80)})`);
  return { route, firstByteMs, totalMs, bytes, rows: Number(count[1]) };
}

/** The same list through GraphQL: matrix(first: 1000, after) until the last page. */
async function timeMatrixWalk(graphqlUrl: string): Promise<ExportResult> {
  const base = graphqlUrl.replace(/\/graphql$/, "");
  const q = `query($first: Int, $after: String) { matrix(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { src { display } dst { display } connections { text } } } } }`;
  const start = performance.now();
  let firstByteMs = 0;
  let rows = 0;
  let after: string | null = null;
  for (;;) {
    const page: { matrix: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: unknown[] } } = await graphql(base, q, { first: 1000, after });
    if (rows === 0) firstByteMs = performance.now() - start;
    rows += page.matrix.edges.length;
    if (!page.matrix.pageInfo.hasNextPage) break;
    after = page.matrix.pageInfo.endCursor;
  }
  return { route: "GraphQL matrix walk (first: 1000)", firstByteMs, totalMs: performance.now() - start, bytes: 0, rows };
}

async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return {
    async stop(file) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

// --- the load generator (runs in a child process: bench/lib/child.ts) --------------------------

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; p99_9: number; max: number; average: number };
  requests: { total: number; average: number };
  throughput: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

/** Child entry point: the load at a fixed rate, cycling through the request bodies. */
export function run(args: LoadArgs): Promise<LoadResult> {
  return args.mode === "arrival" ? runArrival(args) : runAutocannon(args);
}

/** Constant arrival rate over keep-alive connections (at most `connections`; later requests queue in the agent). */
async function runArrival(args: LoadArgs): Promise<LoadResult> {
  const bodies = (JSON.parse(readFileSync(args.bodiesFile, "utf8")) as string[]).map((b) => Buffer.from(b));
  const agent = new http.Agent({ keepAlive: true, maxSockets: args.connections });
  const url = new URL(args.url);
  const total = Math.round(args.rate * args.seconds);
  const intervalMs = 1000 / args.rate;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let graphqlErrors = 0;
  let bytes = 0;
  let sent = 0;
  const start = performance.now() + 50;
  const send = (i: number, scheduled: number) =>
    new Promise<void>((resolve) => {
      const body = bodies[i % bodies.length]!;
      const req = http.request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            latencies.push(performance.now() - scheduled);
            const text = Buffer.concat(chunks);
            bytes += text.length;
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++;
            else if (text.includes('"errors"')) graphqlErrors++;
            resolve();
          });
          res.on("error", () => (errors++, resolve()));
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
      req.on("error", () => (errors++, resolve()));
      req.end(body);
    });
  const inflight: Promise<void>[] = [];
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      // Every request whose time has come goes out now, stamped with its scheduled time.
      while (sent < total && start + sent * intervalMs <= now) {
        inflight.push(send(sent, start + sent * intervalMs));
        sent++;
      }
      if (sent >= total) return done();
      setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    setTimeout(tick, 50);
  });
  await Promise.all(inflight);
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    latency: { p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: latencies.at(-1) ?? 0, mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length) },
    requests: latencies.length,
    perSecond: latencies.length / elapsedS,
    errors,
    timeouts: 0,
    non2xx,
    graphqlErrors,
    meanBytes: latencies.length ? bytes / latencies.length : 0,
  };
}

async function runAutocannon(args: LoadArgs): Promise<LoadResult> {
  const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;
  const bodies = JSON.parse(readFileSync(args.bodiesFile, "utf8")) as string[];
  let next = 0;
  let graphqlErrors = 0;
  const result = await autocannon({
    url: args.url,
    method: "POST",
    headers: { "content-type": "application/json" },
    connections: args.connections,
    overallRate: args.rate,
    duration: args.seconds,
    timeout: 10,
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: bodies[next++ % bodies.length] }),
        onResponse: (status: number, body: string) => {
          if (status === 200 && body.includes('"errors"')) graphqlErrors++;
        },
      },
    ],
  });
  return {
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, p999: result.latency.p99_9, max: result.latency.max, mean: result.latency.average },
    requests: result.requests.total,
    perSecond: result.requests.total / result.duration,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    meanBytes: result.requests.total ? result.throughput.total / result.requests.total : 0,
  };
}
