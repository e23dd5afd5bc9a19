/**
 * One engine measurement, run in its own child process (see lib/child.ts): generate the cluster
 * (not timed), then compileWorld -> buildMatrix -> buildConnectivity, each timed, with peak memory;
 * then the correctness sanity check (not timed).
 */
import { resolve } from "node:path";
import type * as EngineModule from "../../src/engine/index.js";
import { pathToFileURL } from "node:url";
import { generateCluster, type ClusterStats } from "../generateCluster.js";
import { gc, peakRss, resetPeakRss, watchHeap, type HeapPeak } from "../lib/memory.js";
import { engineSanity, type SanityCheck } from "./engineSanity.js";

export interface EngineTaskArgs {
  readonly pods: number;
  readonly policies: number;
  /** Cluster-scoped tiered policies (AdminNetworkPolicy, ClusterNetworkPolicy, ...). */
  readonly tieredPolicies: number;
  readonly seed: number;
  /** Random pod pairs for the sanity check (0: skip it). */
  readonly sanitySamples: number;
}

export interface EngineTaskResult {
  readonly cluster: ClusterStats;
  readonly diagnostics: number;
  /** The first few, formatted: generated input should compile cleanly. */
  readonly diagnosticSamples: readonly string[];
  readonly generateMs: number;
  readonly compileMs: number;
  readonly matrixMs: number;
  readonly connectivityMs: number;
  readonly totalMs: number;
  /**
   * CPU time (user + system, all threads: GC helpers included) of the three phases. On a busy
   * machine wall time stretches while CPU time mostly does not: compare the two to spot contention.
   */
  readonly totalCpuMs: number;
  readonly classes: number;
  readonly podClasses: number;
  readonly entries: number;
  readonly rows: number;
  readonly connSets: number;
  /** Tiered rules whose nodes/domainNames peers the matrix cannot resolve. */
  readonly unresolvedPeerRules: number;
  /** RSS before the engine ran (node + the generated input, after GC). */
  readonly baseRss: number;
  /** Peak RSS during the engine phases (includes baseRss), or of the whole process if it could not be reset. */
  readonly peakRss: number;
  readonly peakRssIsolated: boolean;
  /** Peak RSS of the whole process up to the engine phases (generation included). */
  readonly generationPeakRss: number;
  readonly baseHeap: number;
  readonly heap: HeapPeak;
  /** Heap still held by world + matrix + rows after the run (after GC, minus baseHeap). */
  readonly retainedHeap: number;
  readonly sanity: readonly SanityCheck[];
  readonly sanityMs: number;
}

export type Engine = typeof EngineModule;

/**
 * The engine under test: src/engine, or another copy of it named by KUBEREACH_BENCH_ENGINE (its
 * index.ts), to compare two versions on the same clusters and machine, e.g. a checkout of an older
 * commit: `KUBEREACH_BENCH_ENGINE=/tmp/old/src/engine/index.ts npm run bench -- --only engine`.
 */
export async function loadEngine(): Promise<Engine> {
  const override = process.env["KUBEREACH_BENCH_ENGINE"];
  return override ? ((await import(pathToFileURL(resolve(override)).href)) as Engine) : await import("../../src/engine/index.js");
}

export async function run(args: EngineTaskArgs): Promise<EngineTaskResult> {
  const { buildConnectivity, buildMatrix, compileWorld, formatDiagnostic } = await loadEngine();
  let t = performance.now();
  const generated = generateCluster({ pods: args.pods, policies: args.policies, tieredPolicies: args.tieredPolicies, seed: args.seed });
  const generateMs = performance.now() - t;

  gc();
  const generationPeakRss = peakRss();
  const baseRss = process.memoryUsage().rss;
  const baseHeap = process.memoryUsage().heapUsed;
  const peakRssIsolated = resetPeakRss();

  const times = { compile: 0, matrix: 0, connectivity: 0 };
  const cpuStart = process.cpuUsage();
  const { value, heap } = watchHeap(() => {
    let start = performance.now();
    const compiled = compileWorld(generated.input);
    times.compile = performance.now() - start;
    start = performance.now();
    const matrix = buildMatrix(compiled.world);
    times.matrix = performance.now() - start;
    start = performance.now();
    const rows = buildConnectivity(matrix);
    times.connectivity = performance.now() - start;
    return { compiled, matrix, rows };
  });
  const cpu = process.cpuUsage(cpuStart);
  const peak = peakRss();
  gc();
  const retainedHeap = process.memoryUsage().heapUsed - baseHeap;

  const { compiled, matrix, rows } = value;
  t = performance.now();
  const sanity = args.sanitySamples > 0 ? engineSanity(await loadEngine(), compiled.world, matrix, rows, args.sanitySamples, args.seed) : [];
  const sanityMs = performance.now() - t;

  return {
    cluster: generated.stats,
    diagnostics: compiled.diagnostics.length,
    diagnosticSamples: compiled.diagnostics.slice(0, 3).map(formatDiagnostic),
    generateMs,
    compileMs: times.compile,
    matrixMs: times.matrix,
    connectivityMs: times.connectivity,
    totalMs: times.compile + times.matrix + times.connectivity,
    totalCpuMs: (cpu.user + cpu.system) / 1000,
    classes: matrix.stats.classes,
    podClasses: matrix.stats.podClasses,
    entries: matrix.stats.entries,
    rows: rows.length,
    connSets: matrix.conns.size,
    unresolvedPeerRules: matrix.stats.unresolvedPeerRules ?? 0,
    baseRss,
    peakRss: peak,
    peakRssIsolated,
    generationPeakRss,
    baseHeap,
    heap,
    retainedHeap,
    sanity,
    sanityMs,
  };
}
