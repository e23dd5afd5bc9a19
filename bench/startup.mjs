/* global process, URL, console */
// `npm run bench:startup`: how long the CLI takes to start, against a bare `node -e 0`.
//
// Each case runs N times in a row (after one warm-up run), like hyperfine: the median and the
// minimum of the wall time, and the mean CPU time (user + system, from this process's
// children-CPU counters in /proc). Cases: node alone, `kubereach --help` and `analyze` of the
// bundled example from the compiled dist/ (what `npm install` builds), and the same through tsx
// from the TypeScript sources (KUBEREACH_FROM_SOURCE=1, what every start cost before dist/).
// Targets (issue 13): --help within 6x `node -e 0`, analyze under 0.5 s on this 2-core machine.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const runs = Number(process.argv[2] ?? 15);
const bin = `${root}bin/kubereach.js`;
const example = `${root}examples/seed`;
const TICK_MS = 10; // USER_HZ is 100 on Linux

function childrenCpuMs() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[13]) + Number(f[14])) * TICK_MS; // cutime + cstime (fields 16 and 17)
}

function measure(args, env = {}) {
  const run = () => {
    const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  };
  run();
  const walls = [];
  const cpu0 = childrenCpuMs();
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    run();
    walls.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  walls.sort((a, b) => a - b);
  return { median: walls[Math.floor(walls.length / 2)], min: walls[0], cpu: (childrenCpuMs() - cpu0) / runs };
}

const cases = [
  ["node -e 0", ["-e", "0"], {}],
  ["kubereach --help (dist)", [bin, "--help"], {}],
  ["kubereach analyze example (dist)", [bin, "analyze", "-m", example], {}],
  ["kubereach --help (sources, tsx)", [bin, "--help"], { KUBEREACH_FROM_SOURCE: "1" }],
  ["kubereach analyze example (sources, tsx)", [bin, "analyze", "-m", example], { KUBEREACH_FROM_SOURCE: "1" }],
];
console.log(`start-up, ${runs} runs each (load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")})`);
console.log(`${"case".padEnd(42)} ${"median".padStart(9)} ${"min".padStart(9)} ${"cpu mean".padStart(9)}`);
const results = {};
for (const [name, args, env] of cases) {
  const r = (results[name] = measure(args, env));
  console.log(`${name.padEnd(42)} ${`${r.median.toFixed(0)} ms`.padStart(9)} ${`${r.min.toFixed(0)} ms`.padStart(9)} ${`${r.cpu.toFixed(0)} ms`.padStart(9)}`);
}
const ratio = results["kubereach --help (dist)"].median / results["node -e 0"].median;
console.log(`--help / node -e 0: ${ratio.toFixed(1)}x (target <= 6x); analyze: ${results["kubereach analyze example (dist)"].median.toFixed(0)} ms (target < 500 ms)`);
