/**
 * What-if section: the impact of one changed policy on a generated cluster, computed by the engine's
 * incremental what-if against a prepared base (the world and class matrix of the current state, built
 * once as the API keeps it per generation). Each size runs in a fresh child process: generate,
 * compile and prepare the base (timed apart), then one what-if per change through whatIf() (compile
 * of the proposed policy, plan, incremental diff, explanations), for three kinds of change on
 * different per-workload policies: modify (a new ingress rule), add (a new egress policy), delete.
 * The first what-if of the process runs with a cold JIT and is reported on its own; the target is
 * checked on the median of the others, and p95 and max are reported. The sanity check compares the
 * incremental rows with the full recomputation (compareWorlds) for one change of each kind.
 */
import type { NetworkPolicyInput, WhatIfResult } from "../../src/engine/index.js";
import { generateCluster } from "../generateCluster.js";
import { runInChild } from "../lib/child.js";
import { fmtInt, fmtMs, median, table, worst } from "../lib/stats.js";
import { parseSize, type BenchOptions, type BenchSection, type TargetResult } from "./types.js";

const CHANGES_PER_KIND = 30;
const KINDS = ["modify", "add", "delete"] as const;
type ChangeKind = (typeof KINDS)[number];

interface WhatIfTaskArgs {
  readonly pods: number;
  readonly policies: number;
  readonly seed: number;
  readonly sanity: boolean;
}

interface Measure {
  readonly kind: ChangeKind;
  readonly policy: string;
  readonly ms: number;
  readonly rows: number;
  readonly evaluatedPairs: number;
  readonly method: string;
}

interface WhatIfTaskResult {
  readonly pods: number;
  readonly policies: number;
  readonly classes: number;
  readonly compileMs: number;
  readonly baseMs: number;
  readonly cold: Measure;
  readonly measures: readonly Measure[];
  readonly sanity: readonly { kind: ChangeKind; policy: string; incremental: number; full: number; equal: boolean }[];
}

const TARGETS: readonly { size: string; limitMs: number }[] = [{ size: "10k", limitMs: 200 }];

const p95 = (values: readonly number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
};

export const whatifSection: BenchSection = {
  name: "whatif",
  description: "incremental what-if of one changed policy (modify, add, delete) against a prepared base",
  async run(options: BenchOptions): Promise<TargetResult[]> {
    const results: TargetResult[] = [];
    for (const size of options.sizes) {
      const { pods, policies } = parseSize(size);
      const runs: WhatIfTaskResult[] = [];
      for (let i = 0; i < options.runs; i++) {
        if (process.stdout.isTTY) process.stdout.write(`\r  whatif ${size}: run ${i + 1}/${options.runs}...`);
        const args: WhatIfTaskArgs = { pods, policies, seed: options.seed, sanity: options.sanitySamples > 0 && i === 0 };
        runs.push(await runInChild<WhatIfTaskArgs, WhatIfTaskResult>(new URL(import.meta.url), args));
      }
      if (process.stdout.isTTY) process.stdout.write("\r\x1b[K");
      const first = runs[0]!;
      console.log(`whatif ${size}: ${fmtInt(first.pods)} pods, ${fmtInt(first.policies)} policies, ${fmtInt(first.classes)} classes; ${runs.length} run(s), ${CHANGES_PER_KIND} changes per kind each`);
      console.log(`  base (once per state): compileWorld median ${fmtMs(median(runs.map((r) => r.compileMs)))}, buildMatrix + prepareWhatIf median ${fmtMs(median(runs.map((r) => r.baseMs)))}`);
      const all = runs.flatMap((r) => r.measures);
      const rows = [["change", "median", "p95", "max", "rows (median)", "evaluated class pairs (median)"]];
      for (const kind of KINDS) {
        const m = all.filter((x) => x.kind === kind);
        rows.push([kind, fmtMs(median(m.map((x) => x.ms))), fmtMs(p95(m.map((x) => x.ms))), fmtMs(worst(m.map((x) => x.ms))), fmtInt(median(m.map((x) => x.rows))), fmtInt(median(m.map((x) => x.evaluatedPairs)))]);
      }
      rows.push(["all", fmtMs(median(all.map((x) => x.ms))), fmtMs(p95(all.map((x) => x.ms))), fmtMs(worst(all.map((x) => x.ms))), fmtInt(median(all.map((x) => x.rows))), fmtInt(median(all.map((x) => x.evaluatedPairs)))]);
      console.log(table(rows));
      console.log(`  first what-if of each process (cold JIT): ${runs.map((r) => `${fmtMs(r.cold.ms)} (${r.cold.kind} ${r.cold.policy})`).join(", ")}`);
      const slowest = [...all].sort((a, b) => b.ms - a.ms)[0]!;
      console.log(`  slowest: ${slowest.kind} ${slowest.policy}: ${fmtMs(slowest.ms)}, ${fmtInt(slowest.rows)} rows, ${fmtInt(slowest.evaluatedPairs)} class pairs`);
      for (const t of TARGETS.filter((x) => x.size === size)) {
        const m = median(all.map((x) => x.ms));
        const measured = `median ${fmtMs(m)} (p95 ${fmtMs(p95(all.map((x) => x.ms)))}, max ${fmtMs(worst(all.map((x) => x.ms)))})`;
        results.push({ section: "whatif", size, target: `one changed policy < ${t.limitMs} ms`, measured, pass: m < t.limitMs });
        console.log(`  target one changed policy < ${t.limitMs} ms: ${measured} -> ${m < t.limitMs ? "PASS" : "FAIL"}`);
      }
      const sanity = runs.flatMap((r) => r.sanity);
      if (sanity.length > 0) {
        for (const s of sanity) console.log(`  sanity ${s.kind} ${s.policy}: incremental ${fmtInt(s.incremental)} rows, full recomputation ${fmtInt(s.full)} rows -> ${s.equal ? "equal" : "DIFFERENT"}`);
        const bad = sanity.filter((s) => !s.equal).length;
        results.push({ section: "whatif", size, target: "sanity: incremental == full", measured: bad === 0 ? "no mismatch" : `${bad} mismatches`, pass: bad === 0 });
      }
      console.log("");
    }
    return results;
  },
};

// --- the task, in the child process ---------------------------------------------------------------

/** A change of each kind on the i-th per-workload policy (they are spread over namespaces). */
function changeOf(kind: ChangeKind, p: NetworkPolicyInput): { upserts: NetworkPolicyInput[]; deletes: { namespace: string; name: string }[] } {
  const spec = structuredClone(p.spec) as Record<string, unknown>;
  switch (kind) {
    case "modify": {
      // A new ingress rule: frontends of every prod namespace on TCP 8080.
      const ingress = Array.isArray(spec["ingress"]) ? [...(spec["ingress"] as unknown[])] : [];
      ingress.push({ from: [{ namespaceSelector: { matchLabels: { env: "prod" } }, podSelector: { matchLabels: { tier: "frontend" } } }], ports: [{ port: 8080 }] });
      const types = Array.isArray(spec["policyTypes"]) ? (spec["policyTypes"] as string[]) : undefined;
      return { upserts: [{ ...p, spec: { ...spec, ingress, ...(types && !types.includes("Ingress") ? { policyTypes: [...types, "Ingress"] } : {}) } }], deletes: [] };
    }
    case "add":
      // A new policy for the same pods: egress to the internet on TCP 443.
      return {
        upserts: [{ namespace: p.namespace, name: `${p.name}-whatif`, spec: { podSelector: spec["podSelector"], policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }], ports: [{ port: 443 }] }] } }],
        deletes: [],
      };
    case "delete":
      return { upserts: [], deletes: [{ namespace: p.namespace, name: p.name }] };
  }
}

const rowText = (r: WhatIfResult["rows"][number], fmt: (e: WhatIfResult["rows"][number]["src"]) => string) => `${r.diffType} ${fmt(r.src)} ${fmt(r.dst)} ${r.before.key} ${r.after.key}`;

export async function run(args: WhatIfTaskArgs): Promise<WhatIfTaskResult> {
  const engine = await import("../../src/engine/index.js");
  const { compileWorld, buildMatrix, prepareWhatIf, whatIf, compareWorlds, formatConnEndpoint } = engine;
  const { input } = generateCluster({ pods: args.pods, policies: args.policies, seed: args.seed });
  let t = performance.now();
  const { world } = compileWorld(input);
  const compileMs = performance.now() - t;
  t = performance.now();
  const base = prepareWhatIf(world, buildMatrix(world));
  const baseMs = performance.now() - t;

  // Per-workload policies (not the per-namespace baseline ones), spread over the cluster.
  const candidates = input.networkPolicies.filter((p) => !/^(default-deny|allow-dns|allow-prometheus-scrape|allow-same-namespace)/.test(p.name) && p.namespace.includes("-"));
  const stride = Math.max(1, Math.floor(candidates.length / (CHANGES_PER_KIND * KINDS.length + 1)));
  const pick = (i: number) => candidates[(i * stride) % candidates.length]!;
  const measureOne = (kind: ChangeKind, p: NetworkPolicyInput): { m: Measure; result: WhatIfResult } => {
    const { upserts, deletes } = changeOf(kind, p);
    const proposal = { input: { namespaces: [], pods: [], networkPolicies: upserts }, deletions: deletes.map((d) => ({ kind: "NetworkPolicy", ...d })) };
    const t0 = performance.now();
    const { result } = whatIf(base, proposal, "apply");
    const ms = performance.now() - t0;
    return { m: { kind, policy: `${p.namespace}/${p.name}`, ms, rows: result.rows.length, evaluatedPairs: result.stats.evaluatedPairs, method: result.method }, result };
  };

  const cold = measureOne("modify", pick(0)).m;
  const measures: Measure[] = [];
  let i = 1;
  for (let round = 0; round < CHANGES_PER_KIND; round++) for (const kind of KINDS) measures.push(measureOne(kind, pick(i++)).m);

  const sanity: WhatIfTaskResult["sanity"][number][] = [];
  if (args.sanity) {
    for (const kind of KINDS) {
      const p = pick(i++);
      const { result } = measureOne(kind, p);
      const { upserts, deletes } = changeOf(kind, p);
      const gone = new Set([...upserts, ...deletes].map((x) => `${x.namespace}/${x.name}`));
      const headInput = { ...input, networkPolicies: [...input.networkPolicies.filter((x) => !gone.has(`${x.namespace}/${x.name}`)), ...upserts] };
      const full = compareWorlds(base, compileWorld(headInput).world);
      const a = result.rows.map((r) => rowText(r, formatConnEndpoint));
      const b = full.rows.map((r) => rowText(r, formatConnEndpoint));
      sanity.push({ kind, policy: `${p.namespace}/${p.name}`, incremental: a.length, full: b.length, equal: a.join("\n") === b.join("\n") });
    }
  }
  return { pods: world.pods.length, policies: world.networkPolicies.length, classes: base.matrix.stats.classes, compileMs, baseMs, cold, measures, sanity };
}
