/**
 * kubereach benchmarks: `npm run bench [-- options]`.
 *
 *   --only <a,b>         sections to run (default: all; see --list)
 *   --sizes <a,b>        cluster sizes: 1k, 10k, 100k (pods/policies 1k/200, 10k/2k, 100k/10k) or
 *                        <pods>:<policies> such as 50k:5k (default: 1k,10k,100k)
 *   --runs <n>           measurements per size, each in a fresh child process (default 3)
 *   --seed <n>           generator seed (default 1)
 *   --sanity <n>         random pod pairs for the correctness sanity check (default 2000, 0 = off)
 *   --cpu-prof [dir]     write a V8 CPU profile per child run (default dir: $TMPDIR/kubereach-bench-profiles);
 *                        summarise one with `node --import tsx bench/profileSummary.ts <file>`
 *   --list               list sections and exit
 *
 * Exit code 1 when a target or a sanity check fails. Sections live in bench/sections/ and are
 * registered in SECTIONS below (see sections/types.ts for the contract).
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { apiLoadSection } from "./sections/apiLoad.js";
import { engineSection } from "./sections/engine.js";
import { storeSection } from "./sections/store.js";
import { whatifSection } from "./sections/whatif.js";
import { syncSection } from "./sections/sync.js";
import { realKubeSection } from "./sections/realkube.js";
import { webSection } from "./sections/web.js";
import { DEFAULT_SIZES, parseSize, type BenchOptions, type BenchSection, type TargetResult } from "./sections/types.js";
import { table } from "./lib/stats.js";

const SECTIONS: readonly BenchSection[] = [engineSection, storeSection, apiLoadSection, syncSection, whatifSection, realKubeSection, webSection];

function usage(message?: string): never {
  if (message) console.error(`bench: ${message}`);
  console.error("usage: npm run bench -- [--only engine] [--sizes 1k,10k,100k] [--runs 3] [--seed 1] [--sanity 2000] [--cpu-prof [dir]] [--list]");
  process.exit(2);
}

function parseOptions(argv: string[]): { sections: BenchSection[]; options: BenchOptions; list: boolean } {
  // `--cpu-prof` may stand alone or take a directory: give parseArgs a value it can recognise.
  const args = argv.flatMap((a, i) => (a === "--cpu-prof" && (argv[i + 1] === undefined || argv[i + 1]!.startsWith("--")) ? ["--cpu-prof", ""] : [a]));
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        only: { type: "string" },
        sizes: { type: "string" },
        runs: { type: "string" },
        seed: { type: "string" },
        sanity: { type: "string" },
        "cpu-prof": { type: "string" },
        list: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) usage();
  const csv = (s: string | undefined) => (s ?? "").split(",").map((x) => x.trim()).filter(Boolean);
  const only = csv(values.only);
  for (const name of only) if (!SECTIONS.some((s) => s.name === name)) usage(`unknown section ${JSON.stringify(name)} (known: ${SECTIONS.map((s) => s.name).join(", ")})`);
  const sizes = values.sizes ? csv(values.sizes) : DEFAULT_SIZES;
  for (const s of sizes) {
    try {
      parseSize(s);
    } catch (err) {
      usage((err as Error).message);
    }
  }
  const int = (v: string | undefined, dflt: number, name: string, min: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) usage(`--${name} needs an integer >= ${min}`);
    return n;
  };
  const cpuProf = values["cpu-prof"];
  const cpuProfDir = cpuProf === undefined ? undefined : resolve(cpuProf === "" ? join(tmpdir(), "kubereach-bench-profiles") : cpuProf);
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  return {
    sections: only.length > 0 ? SECTIONS.filter((s) => only.includes(s.name)) : [...SECTIONS],
    options: {
      sizes,
      runs: int(values.runs, 3, "runs", 1),
      seed: int(values.seed, 1, "seed", 0),
      sanitySamples: int(values.sanity, 2000, "sanity", 0),
      cpuProfDir,
    },
    list: values.list === true,
  };
}

const { sections, options, list } = parseOptions(process.argv.slice(2));
if (list) {
  for (const s of SECTIONS) console.log(`${s.name.padEnd(10)} ${s.description}`);
  process.exit(0);
}

console.log(`kubereach bench: node ${process.version}, ${process.platform}/${process.arch}; sections ${sections.map((s) => s.name).join(", ")}; sizes ${options.sizes.join(", ")}\n`);
const results: TargetResult[] = [];
for (const section of sections) results.push(...(await section.run(options)));

if (results.length > 0) {
  console.log("summary");
  console.log(table([["section", "size", "target", "measured", "result"], ...results.map((r) => [r.section, r.size, r.target, r.measured, r.pass ? "PASS" : "FAIL"])]));
}
if (results.some((r) => !r.pass)) process.exitCode = 1;
