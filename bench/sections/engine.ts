/**
 * Engine section: compileWorld, buildMatrix and buildConnectivity over generated clusters, each
 * size measured `runs` times in fresh child processes (cold JIT, independent memory figures).
 * Times are reported as best and median; targets are checked on the median (time) and on the
 * worst run (memory), so a lucky run cannot make a target pass.
 */
import { join } from "node:path";
import { best, fmtBytes, fmtInt, fmtMs, GiB, median, table, worst } from "../lib/stats.js";
import { runInChild } from "../lib/child.js";
import type { EngineTaskArgs, EngineTaskResult } from "./engineTask.js";
import { parseSize, type BenchOptions, type BenchSection, type TargetResult } from "./types.js";

interface Target {
  readonly size: string;
  readonly name: string;
  /** Returns [measured text, pass]. */
  check(runs: readonly EngineTaskResult[]): [string, boolean];
}

const TARGETS: readonly Target[] = [
  { size: "10k", name: "total < 1 s", check: (r) => timeTarget(r, 1000) },
  { size: "100k", name: "total < 10 s", check: (r) => timeTarget(r, 10_000) },
  {
    size: "100k",
    name: "peak RSS < 2 GiB",
    check: (r) => {
      const peak = worst(r.map((x) => x.peakRss));
      return [`worst ${fmtBytes(peak)}`, peak < 2 * GiB];
    },
  },
];

/**
 * Cluster-scoped tiered policies per size: one per 100 pods (100 at 10k), unless
 * KUBEREACH_BENCH_TIERED gives a number (0 measures NetworkPolicy alone, as before tiers existed).
 */
function tieredFor(pods: number): number {
  const override = process.env["KUBEREACH_BENCH_TIERED"];
  if (override !== undefined && override !== "") {
    const n = Number(override);
    if (!Number.isInteger(n) || n < 0) throw new Error(`KUBEREACH_BENCH_TIERED must be a non-negative integer, not ${JSON.stringify(override)}`);
    return n;
  }
  return Math.round(pods / 100);
}

function timeTarget(runs: readonly EngineTaskResult[], limitMs: number): [string, boolean] {
  const m = median(runs.map((x) => x.totalMs));
  return [`median ${fmtMs(m)} (best ${fmtMs(best(runs.map((x) => x.totalMs)))})`, m < limitMs];
}

export const engineSection: BenchSection = {
  name: "engine",
  description: "compileWorld + buildMatrix + buildConnectivity on generated clusters",
  async run(options: BenchOptions): Promise<TargetResult[]> {
    const results: TargetResult[] = [];
    for (const size of options.sizes) {
      const { pods, policies } = parseSize(size);
      const tieredPolicies = tieredFor(pods);
      const runs: EngineTaskResult[] = [];
      for (let i = 0; i < options.runs; i++) {
        if (process.stdout.isTTY) process.stdout.write(`\r  engine ${size}: run ${i + 1}/${options.runs}...`);
        const execArgv = options.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfDir, "--cpu-prof-name", `engine-${size.replace(":", "-")}-run${i + 1}.cpuprofile`] : [];
        const args: EngineTaskArgs = { pods, policies, tieredPolicies, seed: options.seed, sanitySamples: options.sanitySamples };
        runs.push(await runInChild<EngineTaskArgs, EngineTaskResult>(new URL("./engineTask.ts", import.meta.url), args, { execArgv }));
      }
      if (process.stdout.isTTY) process.stdout.write("\r\x1b[K");
      printSize(size, runs, options);
      for (const t of TARGETS.filter((t) => t.size === size)) {
        const [measured, pass] = t.check(runs);
        results.push({ section: "engine", size, target: t.name, measured, pass });
        console.log(`  target ${t.name}: ${measured} -> ${pass ? "PASS" : "FAIL"}`);
      }
      const sanityFailures = runs[0]!.sanity.filter((s) => s.mismatches > 0);
      if (runs[0]!.sanity.length > 0) results.push({ section: "engine", size, target: "sanity: matrix == evaluatePair", measured: sanityFailures.length === 0 ? "no mismatch" : `${sanityFailures.reduce((s, c) => s + c.mismatches, 0)} mismatches`, pass: sanityFailures.length === 0 });
      console.log("");
    }
    return results;
  },
};

function printSize(size: string, runs: readonly EngineTaskResult[], options: BenchOptions) {
  const first = runs[0]!;
  const c = first.cluster;
  console.log(
    `engine ${size}: ${fmtInt(c.pods)} pods, ${fmtInt(c.policies)} policies, ${fmtInt(c.tieredPolicies ?? 0)} cluster-scoped policies, ${fmtInt(c.namespaces)} namespaces, ${fmtInt(c.workloads)} workloads, ${fmtInt(c.nodes)} nodes (${fmtInt(c.hostNetworkPods)} hostNetwork pods); seed ${options.seed}, ${runs.length} run(s), each in a fresh process`,
  );
  const override = process.env["KUBEREACH_BENCH_ENGINE"];
  if (override) console.log(`  engine under test: ${override} (KUBEREACH_BENCH_ENGINE)`);
  if (first.diagnostics > 0) {
    console.log(`  WARNING: compileWorld reported ${first.diagnostics} diagnostics on generated input:`);
    for (const d of first.diagnosticSamples) console.log(`    ${d}`);
  }
  const row = (name: string, pick: (r: EngineTaskResult) => number) => {
    const v = runs.map(pick);
    return [name, fmtMs(best(v)), fmtMs(median(v)), fmtMs(worst(v))];
  };
  console.log(
    table([
      ["phase", "best", "median", "worst"],
      row("generate (not counted)", (r) => r.generateMs),
      row("compileWorld", (r) => r.compileMs),
      row("buildMatrix", (r) => r.matrixMs),
      row("buildConnectivity", (r) => r.connectivityMs),
      row("total", (r) => r.totalMs),
      row("total CPU time (all threads)", (r) => r.totalCpuMs),
    ]),
  );
  const wall = median(runs.map((r) => r.totalMs));
  const cpu = median(runs.map((r) => r.totalCpuMs));
  if (wall > 1.2 * cpu)
    console.log(`  note: wall time is ${(wall / cpu).toFixed(1)}x CPU time: the machine looks busy, so wall times are inflated (compare CPU times, or rerun)`);
  console.log(
    `  classes ${fmtInt(first.classes)} (${fmtInt(first.podClasses)} pod classes) | matrix entries ${fmtInt(first.entries)} | connectivity rows ${fmtInt(first.rows)} | connection sets ${fmtInt(first.connSets)}` +
      (first.unresolvedPeerRules ? ` | tiered rules with unresolved peers ${fmtInt(first.unresolvedPeerRules)}` : ""),
  );
  const mem = (pick: (r: EngineTaskResult) => number) => {
    const v = runs.map(pick);
    return `${fmtBytes(median(v))} (worst ${fmtBytes(worst(v))})`;
  };
  console.log(
    `  memory: peak RSS ${mem((r) => r.peakRss)}${first.peakRssIsolated ? "" : " [whole process: high-water mark could not be reset]"}` +
      ` | RSS before engine ${mem((r) => r.baseRss)} | peak heap ${mem((r) => r.heap.peakUsed)} (before engine ${fmtBytes(first.baseHeap)})` +
      ` | retained by world+matrix+rows ${mem((r) => r.retainedHeap)} | generation peak RSS ${fmtBytes(first.generationPeakRss)}`,
  );
  console.log(`  gc: ${fmtInt(first.heap.gcCount)} collections, ${fmtMs(first.heap.gcPauseMs)} (first run)`);
  for (const s of first.sanity) {
    console.log(`  sanity ${s.name}: ${fmtInt(s.checked)} checked, ${s.mismatches === 0 ? "OK" : `${fmtInt(s.mismatches)} MISMATCHES`}`);
    for (const e of s.examples) console.log(`    ${e}`);
  }
  if (first.sanity.length > 0) console.log(`  (sanity check took ${fmtMs(first.sanityMs)}, not counted)`);
  if (options.cpuProfDir) console.log(`  cpu profiles: ${join(options.cpuProfDir, `engine-${size.replace(":", "-")}-run*.cpuprofile`)}`);
}
