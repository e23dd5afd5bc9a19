/**
 * Sync section: the live-cluster path end to end, in process, on the real PostgreSQL server.
 * - The generated cluster (bench/generateCluster.ts: namespaces, pods owned by their workloads
 *   through ownerReferences, NetworkPolicies) is loaded into the fake Kubernetes API server of the
 *   tests (test/helpers/fakeKubeApi.ts: the real list/watch protocol over HTTP), which runs in a
 *   child process (bench/lib/remoteFakeKubeApi.ts) as a real API server would: the RSS, GC pauses
 *   and event-loop delays reported are the service's own.
 * - Initial sync: the real KubeClusterSource (informers of @kubernetes/client-node) and SyncService
 *   with the service's default timings, into a fresh database: time from start() to "initial sync
 *   done" (every kind listed, applied in one transaction per listing, a generation computed and
 *   committed). Target at 10k pods / 2k policies: < 30 s.
 * - Change latency: one policy changed on the fake (a port added to its first rule), then the time
 *   until the generation that includes it is committed; `changes` times per run. Target at 10k:
 *   median < 500 ms (the max is reported). Each change is broken down into what the store and the
 *   engine spend: applyChanges of the watch event, the debounce wait, compute (compile, class
 *   matrix, snapshot) and commitGeneration; impacts (computed after the commit) are reported apart.
 * - Where the initial sync goes: list (per kind, from the source's log), applyChanges,
 *   commitGeneration and the engine phases (compileWorld + buildMatrix, toMatrixSnapshot) measured
 *   again on the stored state at the end of the run (so that the second analysis they build in this
 *   process does not count in the service's memory afterwards).
 * Each run uses a fresh fake API server and a fresh database (created and dropped here).
 * KUBEREACH_BENCH_PG_URL overrides the admin URL (default postgresql://postgres@127.0.0.1:5432/postgres);
 * KUBEREACH_BENCH_SYNC_CHANGES the number of timed changes per run (default 9).
 * KUBEREACH_BENCH_SYNC_CHANGES_PROFILE=file: a CPU profile while the policy changes are timed
 * (KUBEREACH_BENCH_SYNC_READS_PROFILE: the same while whoCanReach runs under churn);
 * KUBEREACH_BENCH_SYNC_INITIAL_PROFILE=file: a CPU profile of the initial sync;
 * KUBEREACH_BENCH_SYNC_READS_ALLOCATIONS=file: a sampling heap profile of the reads phase;
 * KUBEREACH_BENCH_SYNC_INITIAL_RETAINED=file: a sampling heap profile of what the initial sync
 *   allocated and is still live when it is done (bench/heapProfileSummary.ts reads it);
 * KUBEREACH_BENCH_SYNC_HEAP_SNAPSHOT=file: a heap snapshot after the initial sync;
 * KUBEREACH_BENCH_SYNC_LOG=file: the service's log lines (JSON), as they are written;
 * KUBEREACH_BENCH_SYNC_STALLS=file: every stretch of 50 ms or more the event loop was held after
 *   the initial sync (JSON: start and end on the CPU profiles' clock), for
 *   `bench/profileSummary.ts <profile> --stalls file` to say what ran in each;
 *   KUBEREACH_BENCH_SYNC_STALL_MS: another threshold than 50 ms;
 * KUBEREACH_BENCH_SYNC_WARMUP_PROFILE=file: a CPU profile of the workload list and the warm-up
 *   (starting a profile holds this process 1-3 s at 150,000 pods: stalls beside one are its own);
 *   with KUBEREACH_BENCH_SYNC_WARMUP_PROFILE_THROUGH_READS=1 it goes on until the reads end, so that
 *   the reads are profiled without a profile's start in their window;
 * KUBEREACH_BENCH_SYNC_MEMORY_TRACE=file: process.memoryUsage() every 250 ms of the initial sync
 *   (JSON lines with the epoch time, to lay beside the log's phases: where the peak RSS comes from);
 * KUBEREACH_BENCH_SYNC_INDEX_MAX_CONNECTIONS: the in-memory index limit of the readers (default: the service's);
 * KUBEREACH_BENCH_SYNC_READS_WIDE=1: one wide change among the reads' churn, 3 s in: the policy of
 *   the first timed change gets one more port (its rule admits every source: ~11,000 connections
 *   change at 150,000 pods), so that the readers' figures include a change of that size.
 */
import { Writable } from "node:stream";
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { Session } from "node:inspector/promises";
import { appendFileSync, writeFileSync } from "node:fs";
import { writeHeapSnapshot } from "node:v8";
import { pino } from "pino";
import { generateCluster } from "../generateCluster.js";
import { Rng } from "../prng.js";
import { best, fmtInt, fmtMs, median, table, worst } from "../lib/stats.js";
import { openStore } from "../../src/store/openStore.js";
import type { Store } from "../../src/domain/repositories.js";
import { analyze } from "../../src/sync/analysis.js";
import { ClusterState } from "../../src/domain/ClusterState.js";
import { KubeClusterSource } from "../../src/sync/kube/KubeClusterSource.js";
import { toMatrixSnapshot } from "../../src/sync/matrixSnapshot.js";
import type { SyncStore } from "../../src/sync/ports.js";
import { SyncService, type GenerationEvent } from "../../src/sync/SyncService.js";
import type { WorldInput } from "../../src/engine/index.js";
import { pod, type KubeObject } from "../../test/helpers/fakeKubeApi.js";
import { RemoteFakeKubeApi } from "../lib/remoteFakeKubeApi.js";
import { ownerRef } from "../lib/kubeObjects.js";
import { changedPolicyIndex, withExtraPortSpec } from "../lib/policyChange.js";
import { TempKubeconfig } from "../../test/sync/kube/helpers.js";
import { parseSize, type BenchOptions, type BenchSection, type TargetResult } from "./types.js";
import { ADMIN_URL, admin } from "../lib/pgAdmin.js";
import { gc, peakRss, resetPeakRss } from "../lib/memory.js";
import { QueryService } from "../../src/api/query/QueryService.js";
import { GENERATION_INDEX_MAX_CONNECTIONS } from "../../src/domain/config.js";
import { FULL_SCOPE } from "../../src/domain/scope.js";

const CHANGES = Number(process.env["KUBEREACH_BENCH_SYNC_CHANGES"] ?? 9);
/**
 * A 100k cluster in the in-process fake API server takes minutes and gigabytes: larger sizes run
 * only when KUBEREACH_BENCH_SYNC_MAX_PODS allows them (e.g. 150000 for the 150k/15k target run).
 */
const MAX_PODS = Number(process.env["KUBEREACH_BENCH_SYNC_MAX_PODS"] ?? 20_000);
/** Pods of the Deployment rolled out by the rolling-update measurement (one new pod, then one old pod deleted, per step). */
const ROLLOUT_REPLICAS = 50;
const ROLLOUT_STEP_MS = 20;
/** whoCanReach rate and duration while a policy changes every CHURN_MS (the API target: p99 < 25 ms at 500 req/s). */
const READ_RATE = 500;
const READ_SECONDS = Number(process.env["KUBEREACH_BENCH_SYNC_READ_SECONDS"] ?? 10);
const CHURN_MS = 100;
/** Generations with more connections are answered from the database (the service's limit unless overridden). */
const INDEX_MAX_CONNECTIONS = Number(process.env["KUBEREACH_BENCH_SYNC_INDEX_MAX_CONNECTIONS"] ?? GENERATION_INDEX_MAX_CONNECTIONS);
const TARGETS: Readonly<Record<string, { initialMs: number; changeMs: number; changeMaxMs?: number; relabelMs?: number; rolloutGenerations?: number }>> = {
  "10k": { initialMs: 30_000, changeMs: 100, changeMaxMs: 250, relabelMs: 100, rolloutGenerations: 10 },
  "150k:15k": { initialMs: 60_000, changeMs: 1000 },
};
const CLUSTER = "bench";

interface ChangeTiming {
  readonly totalMs: number;
  readonly applyMs: number;
  readonly waitMs: number;
  readonly computeMs: number;
  readonly commitMs: number;
  /** Impacts of the change (after the commit, not part of the latency). */
  readonly impactsMs: number;
  /** What the generation's engine step did (its log line): class pairs evaluated, connection rows changed. */
  readonly evaluatedPairs: number;
  readonly changedConnections: number;
}

interface SyncRun {
  readonly initialMs: number;
  readonly listMs: number;
  readonly initialApplyMs: number;
  readonly initialCommitMs: number;
  readonly initialGenerations: number;
  readonly analyzeMs: number;
  readonly snapshotMs: number;
  readonly revisions: number;
  readonly classes: number;
  readonly connections: number;
  readonly changes: readonly ChangeTiming[];
  /** Pod relabels (labels of another pod of its namespace): change -> committed generation. */
  readonly relabels: readonly ChangeTiming[];
  /** Generations by method over the changes measured (incremental / from scratch). */
  readonly methods: Readonly<Record<string, number>>;
  /** The rolling update: generations committed while it ran and until it settled, and its duration. */
  readonly rollout: { readonly generations: number; readonly eventsMs: number; readonly settledMs: number };
  /** Peak RSS of this process (the service) until the initial sync was done, and afterwards (changes, rollout, reads). */
  readonly peakRssMiB: { readonly initial: number; readonly after: number };
  /** Highest values of process.memoryUsage() after the initial sync, sampled every 100 ms. */
  readonly memoryMiB: { readonly heapTotal: number; readonly external: number; readonly arrayBuffers: number; readonly rss: number };
  /** whoCanReach while a policy changes every CHURN_MS. */
  readonly reads: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    /** p99 of how late requests were issued (the event loop was busy) and of their service time. */
    readonly lateP99: number;
    readonly serviceP99: number;
    readonly requests: number;
    readonly errors: number;
    readonly firstError?: string;
    readonly generations: number;
    /** The event loop's delays and the GC pauses while the reads ran. */
    /** The database reads the API made meanwhile, by repository method: what a slow service time waited for. */
    readonly storeReads: Readonly<Record<string, { readonly count: number; readonly p99Ms: number; readonly maxMs: number }>>;
    readonly stalls: { readonly loopMaxMs: number; readonly loopP99Ms: number; readonly gcCount: number; readonly gcTotalMs: number; readonly gcLongestMs: readonly number[]; readonly gcByKind: Readonly<Record<string, { count: number; totalMs: number; longestMs: number }>> };
  };
}

export const syncSection: BenchSection = {
  name: "sync",
  description: "initial sync from a fake API server into PostgreSQL (KubeClusterSource + SyncService); one policy change -> committed generation",
  run: (options) => runSyncBench(options),
};

export async function runSyncBench(options: Pick<BenchOptions, "sizes" | "runs" | "seed">): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for (const size of options.sizes) {
    const { pods, policies } = parseSize(size);
    if (pods > MAX_PODS) {
      console.log(`sync ${size}: skipped (more than ${fmtInt(MAX_PODS)} pods; the targets are for 10k)\n`);
      continue;
    }
    const input = benchCluster(generateCluster({ pods, policies, seed: options.seed }).input);
    const runs: SyncRun[] = [];
    for (let i = 0; i < options.runs; i++) runs.push(await runOnce(input, { pods, policies, seed: options.seed }, `${size}_${i}`));
    const r0 = runs[0]!;
    console.log(
      `sync ${size}: ${fmtInt(input.pods)} pods, ${fmtInt(input.networkPolicies.length)} policies, ${fmtInt(input.namespaces)} namespaces from the fake API server ` +
        `into PostgreSQL; ${fmtInt(r0.revisions)} revisions, matrix ${fmtInt(r0.classes)} classes / ${fmtInt(r0.connections)} connections; ${options.runs} run(s), ${CHANGES} changes each`,
    );
    const row = (name: string, pick: (r: SyncRun) => number, fmt = fmtMs) => [name, fmt(best(runs.map(pick))), fmt(median(runs.map(pick))), fmt(worst(runs.map(pick)))];
    console.log(
      table([
        ["initial sync", "best", "median", "worst"],
        row("start() -> initial sync done", (r) => r.initialMs),
        row("  list (first request -> last listing)", (r) => r.listMs),
        row("  applyChanges (all batches)", (r) => r.initialApplyMs),
        row("  commitGeneration (all)", (r) => r.initialCommitMs),
        row("  generations committed", (r) => r.initialGenerations, fmtInt),
        row("  compileWorld + buildMatrix (again)", (r) => r.analyzeMs),
        row("  toMatrixSnapshot (again)", (r) => r.snapshotMs),
      ]),
    );
    const changes = runs.flatMap((r) => r.changes);
    const crow = (name: string, pick: (c: ChangeTiming) => number) => [name, fmtMs(best(changes.map(pick))), fmtMs(median(changes.map(pick))), fmtMs(worst(changes.map(pick)))];
    console.log(
      table([
        ["one policy change -> generation", "best", "median", "max"],
        crow("total (change on the API server -> committed)", (c) => c.totalMs),
        crow("  applyChanges (the watch event)", (c) => c.applyMs),
        crow("  debounce wait", (c) => c.waitMs),
        crow("  compute (compile, matrix, snapshot)", (c) => c.computeMs),
        crow("  commitGeneration", (c) => c.commitMs),
        crow("impacts (after the commit)", (c) => c.impactsMs),
        [" class pairs evaluated", fmtInt(best(changes.map((c) => c.evaluatedPairs))), fmtInt(median(changes.map((c) => c.evaluatedPairs))), fmtInt(worst(changes.map((c) => c.evaluatedPairs)))],
        [" connections changed", fmtInt(best(changes.map((c) => c.changedConnections))), fmtInt(median(changes.map((c) => c.changedConnections))), fmtInt(worst(changes.map((c) => c.changedConnections)))],
      ]),
    );
    const relabels = runs.flatMap((r) => r.relabels);
    const rrow = (name: string, pick: (c: ChangeTiming) => number) => [name, fmtMs(best(relabels.map(pick))), fmtMs(median(relabels.map(pick))), fmtMs(worst(relabels.map(pick)))];
    console.log(
      table([
        ["one pod relabel -> generation", "best", "median", "max"],
        rrow("total (change on the API server -> committed)", (c) => c.totalMs),
        rrow("  applyChanges (the watch event)", (c) => c.applyMs),
        rrow("  compute", (c) => c.computeMs),
        rrow("  commitGeneration", (c) => c.commitMs),
      ]),
    );
    const methods: Record<string, number> = {};
    for (const r of runs) for (const [k, v] of Object.entries(r.methods)) methods[k] = (methods[k] ?? 0) + v;
    console.log(`  generations after the initial one, by method: ${Object.entries(methods).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    for (const r of runs)
      console.log(
        `  rolling update of a ${ROLLOUT_REPLICAS}-replica Deployment (${2 * ROLLOUT_REPLICAS} events, one every ${ROLLOUT_STEP_MS} ms): ${r.rollout.generations} generation(s); events over ${fmtMs(r.rollout.eventsMs)}, last generation ${fmtMs(r.rollout.settledMs)} after the first event`,
      );
    console.log(
      `  peak RSS of the service (this process; the fake API server runs in another): until the initial sync was done ${runs.map((r) => `${fmtInt(r.peakRssMiB.initial)} MiB`).join(", ")}; ` +
        `afterwards (changes, rollout, reads) ${runs.map((r) => `${fmtInt(r.peakRssMiB.after)} MiB (sampled maxima: V8 heap ${fmtInt(r.memoryMiB.heapTotal)} MiB, external ${fmtInt(r.memoryMiB.external)} MiB of which array buffers ${fmtInt(r.memoryMiB.arrayBuffers)} MiB, RSS ${fmtInt(r.memoryMiB.rss)} MiB)`).join(", ")}`,
    );
    for (const r of runs)
      console.log(
        `  whoCanReach in process at ${READ_RATE} req/s for ${READ_SECONDS} s while a policy changes every ${CHURN_MS} ms (${r.reads.generations} generations committed meanwhile): ` +
          `p50 ${fmtMs(r.reads.p50)}, p99 ${fmtMs(r.reads.p99)}, max ${fmtMs(r.reads.max)} (p99 issued late ${fmtMs(r.reads.lateP99)}, p99 in service ${fmtMs(r.reads.serviceP99)}), ${fmtInt(r.reads.requests)} answers, ${r.reads.errors} errors${r.reads.firstError ? ` (first: ${r.reads.firstError})` : ""}; ` +
          `store reads by the API ${Object.entries(r.reads.storeReads).map(([k, v]) => `${k} ${fmtInt(v.count)} (p99 ${fmtMs(v.p99Ms)}, max ${fmtMs(v.maxMs)})`).join(", ") || "none"}; ` +
          `event loop delay p99 ${fmtMs(r.reads.stalls.loopP99Ms)}, max ${fmtMs(r.reads.stalls.loopMaxMs)}; GC ${r.reads.stalls.gcCount} pauses, ${fmtMs(r.reads.stalls.gcTotalMs)} in all, longest ${r.reads.stalls.gcLongestMs.map(fmtMs).join(", ")} (${Object.entries(r.reads.stalls.gcByKind).map(([k, v]) => `${k} ${v.count}, ${fmtMs(v.totalMs)}, longest ${fmtMs(v.longestMs)}`).join("; ")})`,
      );
    const t = TARGETS[size];
    if (t) {
      const maxChangeAll = worst(changes.map((c) => c.totalMs));
      if (t.changeMaxMs !== undefined)
        results.push({ section: "sync", size, target: `change -> generation, worst < ${fmtMs(t.changeMaxMs)}`, measured: `max ${fmtMs(maxChangeAll)}`, pass: maxChangeAll < t.changeMaxMs });
      if (t.relabelMs !== undefined && relabels.length > 0) {
        const m = median(relabels.map((c) => c.totalMs));
        results.push({ section: "sync", size, target: `pod relabel -> generation < ${fmtMs(t.relabelMs)}`, measured: `median ${fmtMs(m)}, max ${fmtMs(worst(relabels.map((c) => c.totalMs)))}`, pass: m < t.relabelMs });
      }
      const p99 = worst(runs.map((r) => r.reads.p99));
      results.push({ section: "sync", size, target: `whoCanReach p99 < 25 ms at ${READ_RATE} req/s, a change every ${CHURN_MS} ms (in process)`, measured: `p99 ${fmtMs(p99)}`, pass: p99 < 25 && runs.every((r) => r.reads.errors === 0) });
      if (t.rolloutGenerations !== undefined) {
        const g = worst(runs.map((r) => r.rollout.generations));
        results.push({ section: "sync", size, target: `${ROLLOUT_REPLICAS}-replica rollout <= ${t.rolloutGenerations} generations`, measured: `${g}`, pass: g <= t.rolloutGenerations });
      }
      const initial = median(runs.map((r) => r.initialMs));
      const change = median(changes.map((c) => c.totalMs));
      const maxChange = worst(changes.map((c) => c.totalMs));
      results.push({ section: "sync", size, target: `initial sync < ${fmtMs(t.initialMs)}`, measured: `median ${fmtMs(initial)}`, pass: initial < t.initialMs });
      results.push({ section: "sync", size, target: `change -> generation < ${fmtMs(t.changeMs)}`, measured: `median ${fmtMs(change)}, max ${fmtMs(maxChange)}`, pass: change < t.changeMs });
      console.log(`  target initial sync < ${fmtMs(t.initialMs)}: median ${fmtMs(initial)} -> ${initial < t.initialMs ? "PASS" : "FAIL"}`);
      console.log(`  target change -> generation < ${fmtMs(t.changeMs)}: median ${fmtMs(change)}, max ${fmtMs(maxChange)} -> ${change < t.changeMs ? "PASS" : "FAIL"}`);
    }
    console.log("");
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

/**
 * Records every stretch of at least 50 ms (or KUBEREACH_BENCH_SYNC_STALL_MS) between two ticks of a
 * 5 ms timer (the event loop was held) until stopped, and writes them to `file` as
 * [{ startUs, endUs, endedAt }]: start and end on the clock CPU profiles use (process.hrtime), so
 * that profileSummary --stalls can show what ran in each, and the epoch time it ended, to lay
 * beside the log's lines and the bench's phases.
 */
function recordStalls(file: string | undefined): { stop(): void } {
  if (!file) return { stop: () => undefined };
  const nowUs = () => Number(process.hrtime.bigint() / 1000n);
  const thresholdUs = Number(process.env["KUBEREACH_BENCH_SYNC_STALL_MS"] ?? 50) * 1000;
  const stalls: { startUs: number; endUs: number; endedAt: number }[] = [];
  let last = nowUs();
  const timer = setInterval(() => {
    const now = nowUs();
    if (now - last >= thresholdUs) stalls.push({ startUs: last, endUs: now, endedAt: Date.now() });
    last = now;
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      writeFileSync(file, JSON.stringify(stalls));
    },
  };
}

/** Appends process.memoryUsage() (MiB) with the epoch time to `file` every 250 ms until stopped; nothing without a file. */
function traceMemory(file: string | undefined): { stop(): void } {
  if (!file) return { stop: () => undefined };
  const mib = (n: number) => Math.round(n / 2 ** 20);
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    appendFileSync(file, JSON.stringify({ time: Date.now(), rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) }) + "\n");
  }, 250);
  return { stop: () => clearInterval(timer) };
}

/**
 * What a run needs of the generated cluster (the child process generates and serves it whole). The
 * WorldInput itself is not kept: at 150,000 pods it is ~200 MB of this process that the service's
 * peak RSS would count.
 */
interface BenchCluster {
  readonly pods: number;
  readonly namespaces: number;
  readonly networkPolicies: readonly { readonly name: string; readonly namespace: string }[];
  /** A namespace with a Deployment's pods: where the rolling update runs. */
  readonly rolloutNamespace: string;
}

function benchCluster(input: WorldInput): BenchCluster {
  return {
    pods: input.pods.length,
    namespaces: input.namespaces.length,
    networkPolicies: input.networkPolicies.map((np) => ({ name: np.name, namespace: np.namespace })),
    rolloutNamespace: input.pods.find((p) => p.workload?.kind === "Deployment")?.namespace ?? input.namespaces[0]!.name,
  };
}

async function runOnce(input: BenchCluster, cluster: { pods: number; policies: number; seed: number }, tag: string): Promise<SyncRun> {
  // The same cluster as `input` (same generator, same seed), generated and served by the child.
  const api = await RemoteFakeKubeApi.start(cluster);
  const kubeconfig = new TempKubeconfig(api.url);
  const database = `kubereach_bench_sync_${process.pid}_${tag}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  await admin(`DROP DATABASE IF EXISTS "${database}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  let store: Store | undefined;
  let service: SyncService | undefined;
  /** A line in the service's log (KUBEREACH_BENCH_SYNC_LOG) where a phase of the bench starts. */
  let benchPhase = (_phase: string): void => undefined;
  const progress = (what: string) => process.stderr.write(`  sync ${tag}: ${what} (heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB)\n`);
  try {
    const policies = input.networkPolicies;
    store = await openStore({ databaseUrl: url.toString() });
    const calls = new Calls();
    // KUBEREACH_BENCH_SYNC_LOG=file: the service's log lines, appended to that file as they come.
    const logFile = process.env["KUBEREACH_BENCH_SYNC_LOG"];
    const logs: { msg: string; time: number; [k: string]: unknown }[] = [];
    const logger = pino(
      { level: "info", timestamp: () => `,"time":${Date.now()}` },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          if (logFile) appendFileSync(logFile, chunk);
          for (const line of chunk.toString().split("\n")) if (line) logs.push(JSON.parse(line) as (typeof logs)[number]);
          done();
        },
      }),
    );
    benchPhase = (phase) => logger.info({ phase }, "bench phase");
    const generations: (GenerationEvent & { at: number })[] = [];
    const apiReads = new StoreReads();
    const queries = new QueryService(apiReads.wrap(store), Date.now, { latestGenerationTtlMs: 100, generationIndexMaxConnections: INDEX_MAX_CONNECTIONS });
    const source = new KubeClusterSource({ connection: { type: "kubeconfig", path: kubeconfig.path }, logger: logger.child({ component: "source" }), resyncIntervalMs: 0 });
    // The service's defaults (debounce 200 ms, at most 2 s), as `kubereach serve` runs it.
    service = new SyncService({ clusterId: CLUSTER, source, store: calls.wrap(store), logger, onGeneration: ({ snapshot, state, ...e }) => {
        generations.push({ ...e, at: performance.now() });
        // As src/app/service.ts announces this process's commits to the API.
        queries.noteCommit(e.clusterId, e.generation, e.createdAt);
        if (snapshot) queries.noteSnapshot(e.clusterId, e.generation, snapshot);
        if (state) queries.noteState(e.clusterId, e.generation, state);
      } });

    // The peak RSS until the initial sync is the service's: what the bench allocated before (the
    // generated cluster, the child's start) is collected, and the high-water mark reset.
    gc();
    resetPeakRss();
    progress("initial sync");
    const memoryTrace = traceMemory(process.env["KUBEREACH_BENCH_SYNC_MEMORY_TRACE"]);
    const initialRetained = await retainedProfile(process.env["KUBEREACH_BENCH_SYNC_INITIAL_RETAINED"]);
    const startedAt = performance.now();
    const startedWall = Date.now();
    // KUBEREACH_BENCH_SYNC_INITIAL_PROFILE=file: a CPU profile of the initial sync.
    const initialProfile = await cpuProfile(process.env["KUBEREACH_BENCH_SYNC_INITIAL_PROFILE"]);
    await service.start();
    const initialMs = performance.now() - startedAt;
    await initialProfile.stop();
    memoryTrace.stop();
    await initialRetained.stop();
    const initialPeakRssMiB = Math.round(peakRss() / 2 ** 20);
    const listed = logs.filter((l) => l.msg === "listed").map((l) => l.time);
    const initial = { apply: calls.total("applyChanges"), commit: calls.total("commitGeneration"), generations: generations.length };

    const revisions = Number((await store.revisions.head(CLUSTER)).seq);
    await service.flush(); // impacts of the initial generation, if any
    gc();
    resetPeakRss();
    // What the RSS after the initial sync is made of: V8's heap, or memory outside it (buffers, worker threads, WebAssembly).
    const memory = { heapTotal: 0, external: 0, arrayBuffers: 0, rss: 0 };
    const memorySampler = setInterval(() => {
      const m = process.memoryUsage();
      for (const k of ["heapTotal", "external", "arrayBuffers", "rss"] as const) memory[k] = Math.max(memory[k], m[k]);
    }, 100);

    // KUBEREACH_BENCH_SYNC_HEAP_SNAPSHOT=file: what the service holds after the initial sync (bench/heapSummary.ts reads it).
    const heapSnapshot = process.env["KUBEREACH_BENCH_SYNC_HEAP_SNAPSHOT"];
    if (heapSnapshot) {
      progress(`writing a heap snapshot to ${heapSnapshot}`);
      writeHeapSnapshot(heapSnapshot);
    }
    progress(`initial sync done in ${fmtMs(initialMs)}; timing ${CHANGES} changes`);
    const svc = service;
    /** One change made on the API server, timed until the generation that includes it is committed. */
    const timedChange = async (make: () => Promise<unknown>): Promise<ChangeTiming> => {
      calls.reset();
      const before = generations.length;
      const changedAt = performance.now();
      await make();
      // Minutes, not seconds: at 150,000 pods a change that moves much of the matrix is slow, and its figures are wanted.
      const event = await waitFor(() => generations.slice(before).at(0), 600_000);
      const totalMs = event.at - changedAt;
      const applyMs = calls.total("applyChanges");
      const commitMs = calls.total("commitGeneration");
      const impactsStart = performance.now();
      await svc.flush(); // waits for the impacts of that generation
      const line = logs.find((l) => l.msg === "matrix generation committed" && l["generation"] === event.generation);
      const timing = {
        totalMs,
        applyMs,
        commitMs,
        computeMs: event.durationMs - commitMs,
        waitMs: totalMs - event.durationMs - applyMs,
        impactsMs: performance.now() - impactsStart,
        evaluatedPairs: Number(line?.["evaluatedPairs"] ?? NaN),
        changedConnections: Number(line?.["changedConnections"] ?? NaN),
      };
      progress(
        `change -> generation ${event.generation} in ${fmtMs(totalMs)}: compute ${fmtMs(timing.computeMs)}, commit ${fmtMs(commitMs)}, waited ${fmtMs(timing.waitMs)} (${fmtInt(timing.evaluatedPairs)} class pairs evaluated, ${fmtInt(timing.changedConnections)} connections changed)`,
      );
      // Quiet time, so that the next change is a lone change (the leading edge) and not debounced behind this one.
      await new Promise((r) => setTimeout(r, 250));
      return timing;
    };
    const changes: ChangeTiming[] = [];
    // KUBEREACH_BENCH_SYNC_CHANGES_PROFILE=file: a CPU profile of this process while the policy changes are timed.
    const stallRecorder = recordStalls(process.env["KUBEREACH_BENCH_SYNC_STALLS"]);
    const changesProfile = await cpuProfile(process.env["KUBEREACH_BENCH_SYNC_CHANGES_PROFILE"]);
    benchPhase("policy changes");
    for (let i = 0; i < CHANGES; i++) {
      const target = policies[changedPolicyIndex(i, policies.length)]!;
      const current = (await api.get("NetworkPolicy", target.name, target.namespace))!;
      changes.push(await timedChange(() => api.upsert(withExtraPort(current, 20_000 + i))));
    }
    await changesProfile.stop();
    // Pod relabels: a pod takes the labels of another pod of its namespace (it moves to that pod's class).
    const relabels: ChangeTiming[] = [];
    benchPhase("relabels (the bench lists every pod first)");
    const podsOnApi = await api.list("Pod");
    for (let i = 0; i < CHANGES; i++) {
      const target = podsOnApi[(i * 4999 + 17) % podsOnApi.length]!;
      const sameNs = podsOnApi.filter((p) => p.metadata.namespace === target.metadata.namespace && p !== target);
      const donor = sameNs[(i * 31) % Math.max(1, sameNs.length)] ?? target;
      const current = (await api.get("Pod", target.metadata.name, target.metadata.namespace))!;
      const labels = { ...(donor.metadata.labels ?? {}), "kubereach.bench/relabel": String(i) };
      relabels.push(await timedChange(() => api.upsert({ ...current, metadata: { ...current.metadata, labels } })));
    }

    benchPhase("rolling update");
    // A rolling update: a new Deployment of ROLLOUT_REPLICAS pods, then each pod replaced (new pod created, old deleted).
    const rolloutNs = input.rolloutNamespace;
    const rolloutPod = (hash: string, i: number) =>
      pod({
        namespace: rolloutNs,
        name: `bench-rollout-${hash}-${i}`,
        labels: { app: "bench-rollout", "pod-template-hash": hash },
        ip: `10.250.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        ports: [{ containerPort: 8080, name: "http" }],
        ownerReferences: [ownerRef("apps/v1", "ReplicaSet", `bench-rollout-${hash}`)],
      });
    const oldPods: KubeObject[] = [];
    for (let i = 0; i < ROLLOUT_REPLICAS; i++) oldPods.push(await api.upsert(rolloutPod("aaaaaaaaaa", i)));
    await new Promise((r) => setTimeout(r, 3000));
    await service.flush();
    const rolloutStart = generations.length;
    const rolloutAt = performance.now();
    for (let i = 0; i < ROLLOUT_REPLICAS; i++) {
      await api.upsert(rolloutPod("bbbbbbbbbb", i));
      await new Promise((r) => setTimeout(r, ROLLOUT_STEP_MS / 2));
      await api.delete(oldPods[i]!);
      await new Promise((r) => setTimeout(r, ROLLOUT_STEP_MS / 2));
    }
    const eventsMs = performance.now() - rolloutAt;
    await new Promise((r) => setTimeout(r, 3000)); // longer than the longest debounce wait (2 s)
    await service.flush();
    const rolloutGenerations = generations.slice(rolloutStart);
    // Reads while changes arrive: whoCanReach (QueryService in this process, as `kubereach serve` runs
    // it, without HTTP) at READ_RATE req/s on a fixed schedule (latency from the scheduled time), while
    // a policy changes on the API server every CHURN_MS.
    // The workloads of the latest generation: the relabels above can move a pod to another workload
    // (its pod-template-hash label names the ReplicaSet), so a workload of the input may be gone.
    // KUBEREACH_BENCH_SYNC_WARMUP_PROFILE=file: a CPU profile of the workload list and the warm-up below.
    const warmupProfile = await cpuProfile(process.env["KUBEREACH_BENCH_SYNC_WARMUP_PROFILE"]);
    benchPhase("workload list and warm-up");
    const workloads = (await queries.workloads(FULL_SCOPE, { cluster: CLUSTER })).workloads.map((w) => w.ref);
    // Warm-up (not timed): each workload asked once, as a dashboard's first pass would (the API
    // section measures that cold pass); then the timed phase measures what changes cost readers.
    for (let i = 0; i < workloads.length; i += 50)
      await Promise.all(workloads.slice(i, i + 50).map((w) => queries.whoCanReach(FULL_SCOPE, { namespace: w.namespace, name: w.name, kind: w.kind }, { cluster: CLUSTER }).catch(() => undefined)));
    // KUBEREACH_BENCH_SYNC_WARMUP_PROFILE_THROUGH_READS=1: that profile goes on until the reads end.
    const warmupThroughReads = Boolean(process.env["KUBEREACH_BENCH_SYNC_WARMUP_PROFILE_THROUGH_READS"]);
    if (!warmupThroughReads) await warmupProfile.stop();
    const latencies: number[] = [];
    // Each latency is how late the request was issued (the event loop was busy) plus its service time.
    const lateness: number[] = [];
    const serviceTimes: number[] = [];
    // What stalls readers, if anything: the event loop's longest delays and the garbage collector's pauses meanwhile.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    const gcPauses: number[] = [];
    // By kind: scavenges (young generation) scale with what survives, mark-compacts with the live heap.
    const gcByKind: Record<string, { count: number; totalMs: number; longestMs: number }> = {};
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gcPauses.push(e.duration);
        const kind = gcKindName(((e as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind);
        const k = (gcByKind[kind] ??= { count: 0, totalMs: 0, longestMs: 0 });
        k.count++;
        k.totalMs += e.duration;
        k.longestMs = Math.max(k.longestMs, e.duration);
      }
    });
    gcObserver.observe({ entryTypes: ["gc"] });
    loopDelay.enable();
    // KUBEREACH_BENCH_SYNC_READS_PROFILE=file: a CPU profile of this process while the reads run.
    const readsProfile = await cpuProfile(process.env["KUBEREACH_BENCH_SYNC_READS_PROFILE"]);
    // KUBEREACH_BENCH_SYNC_READS_ALLOCATIONS=file: a sampling heap profile (what allocates, the garbage collector's work) meanwhile.
    const readsAllocations = await allocationProfile(process.env["KUBEREACH_BENCH_SYNC_READS_ALLOCATIONS"]);
    let readErrors = 0;
    let firstReadError: string | undefined;
    benchPhase("reads under churn");
    const readsBefore = generations.length;
    apiReads.start();
    const readStart = performance.now();
    let churnError: unknown;
    // Every other change puts the policy changed before back as it was: the cluster keeps its size.
    // Adding ports for good (a default deny opened to every source at each pick) grew the 10k
    // matrix from 46,000 to 1.09 million connections in a minute, past the API's index limit.
    let changed: KubeObject | undefined;
    // Seeded (bench/prng.ts): every run changes the same policies in the same order. Picked with
    // Math.random, one run met only small changes and the next a rule open to every source (tens
    // of thousands of connections moved while the reads ran): p99 from 38 ms to 3.7 s.
    const churnRng = new Rng(cluster.seed + 1);
    let churnQueue: Promise<unknown> = Promise.resolve();
    const churnStep = async () => {
      if (changed) {
        const original = changed;
        changed = undefined;
        const current = await api.get("NetworkPolicy", original["metadata"].name, original["metadata"].namespace);
        await api.upsert({ ...current!, spec: original["spec"] });
        return;
      }
      const target = churnRng.pick(policies);
      const current = (await api.get("NetworkPolicy", target.name, target.namespace))!;
      changed = current;
      await api.upsert(withExtraPort(current, churnRng.int(30_000, 30_999)));
    };
    const churn = setInterval(() => {
      churnQueue = churnQueue.then(churnStep).catch((err: unknown) => (churnError ??= err));
    }, CHURN_MS);
    // KUBEREACH_BENCH_SYNC_READS_WIDE=1: one wide change among the churn (see the header).
    const wide = process.env["KUBEREACH_BENCH_SYNC_READS_WIDE"]
      ? setTimeout(() => {
          const target = policies[changedPolicyIndex(0, policies.length)]!;
          churnQueue = churnQueue
            .then(async () => {
              const current = (await api.get("NetworkPolicy", target.name, target.namespace))!;
              await api.upsert(withExtraPort(current, 21_000));
            })
            .catch((err: unknown) => (churnError ??= err));
        }, 3000)
      : undefined;
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < READ_RATE * READ_SECONDS; i++) {
      const scheduled = readStart + (i * 1000) / READ_RATE;
      const wait = scheduled - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const w = workloads[(i * 7907) % workloads.length]!;
      const issued = performance.now();
      lateness.push(issued - scheduled);
      inflight.push(
        queries.whoCanReach(FULL_SCOPE, { namespace: w.namespace, name: w.name, kind: w.kind }, { cluster: CLUSTER }).then(
          () => {
            const done = performance.now();
            // From when it was due, or from when it was issued if the timer fired a little early
            // (its clock is in whole milliseconds): a latency is never negative.
            latencies.push(done - Math.min(scheduled, issued));
            serviceTimes.push(done - issued);
          },
          (err: unknown) => {
            readErrors++;
            firstReadError ??= String(err);
          },
        ),
      );
    }
    await Promise.all(inflight);
    const storeReads = apiReads.stop();
    clearInterval(churn);
    clearTimeout(wide);
    await churnQueue;
    if (churnError) throw churnError;
    loopDelay.disable();
    gcObserver.disconnect();
    await readsProfile.stop();
    if (warmupThroughReads) await warmupProfile.stop();
    stallRecorder.stop();
    await readsAllocations.stop();
    gcPauses.sort((a, b) => b - a);
    const stalls = { loopMaxMs: loopDelay.max / 1e6, loopP99Ms: loopDelay.percentile(99) / 1e6, gcCount: gcPauses.length, gcTotalMs: gcPauses.reduce((a, b) => a + b, 0), gcLongestMs: gcPauses.slice(0, 3), gcByKind };
    const readsGenerations = generations.length - readsBefore;
    await service.flush();
    for (const l of [latencies, lateness, serviceTimes]) l.sort((a, b) => a - b);
    const pct = (l: number[], q: number) => l[Math.min(l.length - 1, Math.floor(q * l.length))] ?? NaN;
    const reads = {
      p50: pct(latencies, 0.5),
      p99: pct(latencies, 0.99),
      max: latencies.at(-1) ?? NaN,
      lateP99: pct(lateness, 0.99),
      serviceP99: pct(serviceTimes, 0.99),
      requests: latencies.length,
      errors: readErrors,
      firstError: firstReadError,
      generations: readsGenerations,
      storeReads,
      stalls,
    };

    clearInterval(memorySampler);
    const afterPeakRssMiB = Math.round(peakRss() / 2 ** 20);
    // The engine phases of a full generation, measured again on the stored state, now that the
    // service's memory is measured: the second analysis they build would count in it (V8 keeps the
    // heap it grew to for a while). The matrix's size is the initial generation's.
    const { analyzeMs, snapshotMs } = await remeasureEngine(store);
    const first = logs.find((l) => l.msg === "matrix generation committed" && l["generation"] === 1);
    const classes = Number(first?.["classes"] ?? NaN);
    const connections = Number(first?.["entries"] ?? NaN);
    const methods: Record<string, number> = {};
    for (const g of generations.slice(initial.generations)) methods[g.method ?? "?"] = (methods[g.method ?? "?"] ?? 0) + 1;

    return {
      reads,
      relabels,
      methods,
      rollout: { generations: rolloutGenerations.length, eventsMs, settledMs: rolloutGenerations.length ? rolloutGenerations.at(-1)!.at - rolloutAt : 0 },
      peakRssMiB: { initial: initialPeakRssMiB, after: afterPeakRssMiB },
      memoryMiB: { heapTotal: Math.round(memory.heapTotal / 2 ** 20), external: Math.round(memory.external / 2 ** 20), arrayBuffers: Math.round(memory.arrayBuffers / 2 ** 20), rss: Math.round(memory.rss / 2 ** 20) },
      initialMs,
      listMs: listed.length ? Math.max(...listed) - startedWall : NaN,
      initialApplyMs: initial.apply,
      initialCommitMs: initial.commit,
      initialGenerations: initial.generations,
      analyzeMs,
      snapshotMs,
      revisions,
      classes,
      connections,
      changes,
    };
  } finally {
    await service?.stop();
    await store?.close();
    await api.stop();
    kubeconfig.remove();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
}

/** The policy with one more port (bench/lib/policyChange.ts). */
function withExtraPort(np: KubeObject, port: number): KubeObject {
  return { ...np, spec: withExtraPortSpec(np["spec"] as Record<string, unknown>, port) };
}

/** Wall time spent in selected store methods, by name. */
/**
 * `target` with its methods timed: a call whose method `timedAs` names (false: not timed) reports
 * its duration, to when its promise settles, to `report`.
 */
function timedMethods<T extends object>(target: T, timedAs: (method: string) => string | false, report: (name: string, ms: number) => void): T {
  return new Proxy(target, {
    get: (t, p) => {
      const v = Reflect.get(t, p, t) as unknown;
      if (typeof v !== "function") return v;
      const f = (v as (...args: unknown[]) => unknown).bind(t);
      if (typeof p !== "string") return f;
      return (...args: unknown[]) => {
        const name = timedAs(p);
        if (name === false) return f(...args);
        const start = performance.now();
        const done = () => report(name, performance.now() - start);
        const result = f(...args);
        if (result instanceof Promise) result.then(done, done);
        else done();
        return result;
      };
    },
  });
}

/** Every read the API makes of the store, timed by `repository.method` while recording. */
class StoreReads {
  private readonly times = new Map<string, number[]>();
  private recording = false;

  start(): void {
    this.times.clear();
    this.recording = true;
  }

  stop(): Record<string, { count: number; p99Ms: number; maxMs: number }> {
    this.recording = false;
    const out: Record<string, { count: number; p99Ms: number; maxMs: number }> = {};
    for (const [k, l] of this.times) {
      l.sort((a, b) => a - b);
      out[k] = { count: l.length, p99Ms: l[Math.min(l.length - 1, Math.floor(0.99 * l.length))]!, maxMs: l.at(-1)! };
    }
    return out;
  }

  wrap(store: Store): Store {
    const repos = ["clusters", "objects", "revisions", "matrix", "impacts", "syncRuns", "leases"] as const;
    const wrapped: Record<string, unknown> = {};
    for (const r of repos) wrapped[r] = this.timed(r, store[r]);
    return new Proxy(store, { get: (t, p) => (typeof p === "string" && p in wrapped ? wrapped[p] : Reflect.get(t, p, t)) });
  }

  private timed<T extends object>(repo: string, target: T): T {
    return timedMethods(target, (name) => this.recording && `${repo}.${name}`, (name, ms) => {
      let l = this.times.get(name);
      if (!l) this.times.set(name, (l = []));
      l.push(ms);
    });
  }
}

class Calls {
  private readonly spent = new Map<string, number>();

  total(name: string): number {
    return this.spent.get(name) ?? 0;
  }

  reset(): void {
    this.spent.clear();
  }

  wrap(store: Store): SyncStore {
    return {
      clusters: store.clusters,
      syncRuns: store.syncRuns,
      objects: this.timed(store.objects, ["applyChanges"]),
      matrix: this.timed(store.matrix, ["commitGeneration"]),
      impacts: this.timed(store.impacts, ["save"]),
    };
  }

  private timed<T extends object>(target: T, names: readonly string[]): T {
    return timedMethods(target, (name) => names.includes(name) && name, (name, ms) => this.spent.set(name, this.total(name) + ms));
  }
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`sync bench: no generation within ${timeoutMs} ms of a change`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A sampling heap profile (.heapprofile) of this process from now until stop(), written to `file` (nothing when no file is given). */
function allocationProfile(file: string | undefined): Promise<{ stop(): Promise<void> }> {
  // Objects collected since are kept in the profile: it shows allocation, not what survives.
  const options = { samplingInterval: 64 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
  return inspectorRecording(file, (s) => s.post("HeapProfiler.startSampling", options), async (s) => (await s.post("HeapProfiler.stopSampling")).profile);
}

/** A sampling heap profile of what is allocated from now on and still live at stop(), by allocation stack. */
function retainedProfile(file: string | undefined): Promise<{ stop(): Promise<void> }> {
  const stop = async (s: Session) => {
    gc(); // what is garbage by then is not "retained"
    return (await s.post("HeapProfiler.stopSampling")).profile;
  };
  return inspectorRecording(file, (s) => s.post("HeapProfiler.startSampling", { samplingInterval: 64 * 1024 }), stop);
}

/** A CPU profile of this process from now until stop(), written to `file` (nothing when no file is given). */
function cpuProfile(file: string | undefined): Promise<{ stop(): Promise<void> }> {
  const start = async (s: Session) => {
    await s.post("Profiler.enable");
    await s.post("Profiler.start");
  };
  return inspectorRecording(file, start, async (s) => (await s.post("Profiler.stop")).profile);
}

/** An inspector recording of this process: started now, its result written to `file` as JSON at stop(). */
async function inspectorRecording(file: string | undefined, start: (s: Session) => Promise<unknown>, stop: (s: Session) => Promise<unknown>): Promise<{ stop(): Promise<void> }> {
  if (!file) return { stop: async () => {} };
  const session = new Session();
  session.connect();
  await start(session);
  return {
    stop: async () => {
      writeFileSync(file, JSON.stringify(await stop(session)));
      session.disconnect();
    },
  };
}

/** The name of a `gc` performance entry's kind (node's constants.NODE_PERFORMANCE_GC_*). */
function gcKindName(kind: number | undefined): string {
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return "scavenge";
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return "mark-compact";
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return "incremental marking";
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return "weak callbacks";
    default:
      return `kind ${kind}`;
  }
}

/**
 * compileWorld + buildMatrix and toMatrixSnapshot of the stored state, timed. In a function of its
 * own: the long async run function kept the analysis and snapshot (read at the end for the
 * report) reachable until the run ended: a second analysis of the cluster in the heap the service
 * shares, which its major garbage collections then marked too.
 */
async function remeasureEngine(store: Store): Promise<{ analyzeMs: number; snapshotMs: number }> {
  const state = ClusterState.from(await store.objects.loadObjects(CLUSTER));
  let t = performance.now();
  const analysis = analyze(state);
  const analyzeMs = performance.now() - t;
  t = performance.now();
  toMatrixSnapshot(analysis.matrix);
  return { analyzeMs, snapshotMs: performance.now() - t };
}
