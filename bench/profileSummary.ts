/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): top functions by self time,
 * and by inclusive time for functions of src/ (which phases and helpers the time goes to).
 *
 *   node --import tsx bench/profileSummary.ts <file.cpuprofile> [--top 30] [--filter src/engine] [--long-tasks 20]
 *
 * --long-tasks MS: the stretches of at least MS ms without an idle sample (what held the event
 * loop, so what readers waited behind), longest first, each with its top functions by self time
 * and the innermost src/ function on its stack.
 * --stalls FILE: the same for each stretch FILE lists (KUBEREACH_BENCH_SYNC_STALLS: when the event
 * loop was held, measured by a timer; sliced work that yields is not listed, as it is by --long-tasks).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface Profile {
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({ options: { top: { type: "string" }, filter: { type: "string" }, "long-tasks": { type: "string" }, stalls: { type: "string" } }, allowPositionals: true });
if (positionals.length !== 1) {
  console.error("usage: node --import tsx bench/profileSummary.ts <file.cpuprofile> [--top 30] [--filter src/engine] [--long-tasks MS] [--stalls stalls.json]");
  process.exit(2);
}
const top = Number(values.top ?? 30);
const filter = values.filter ?? "/src/";
const profile = JSON.parse(readFileSync(positionals[0]!, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the samples.
const self = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

const label = (f: CallFrame) => {
  const file = f.url.replace(/^file:\/\//, "").replace(/^.*\/(src|bench|node_modules)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${file ? `${file}:${f.lineNumber + 1}` : ""}`.trim();
};

const selfByFn = new Map<string, number>();
const inclByFn = new Map<string, number>();
for (const [id, t] of self) {
  const node = byId.get(id)!;
  selfByFn.set(label(node.callFrame), (selfByFn.get(label(node.callFrame)) ?? 0) + t);
  // Inclusive: charge every distinct function on the stack once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!.callFrame);
    if (seen.has(l)) continue;
    seen.add(l);
    inclByFn.set(l, (inclByFn.get(l) ?? 0) + t);
  }
}

const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`total sampled: ${(total / 1000).toFixed(0)} ms\n\nself time, top ${top}:`);
for (const [fn, t] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${ms(t)}  ${fn}`);
console.log(`\ninclusive time of functions matching ${JSON.stringify(filter)}, top ${top}:`);
for (const [fn, t] of [...inclByFn].filter(([fn]) => fn.includes(filter.replace(/^\//, ""))).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${ms(t)}  ${fn}`);

if (values["long-tasks"] !== undefined) printLongTasks(Number(values["long-tasks"]) * 1000);
if (values.stalls !== undefined) printStalls(JSON.parse(readFileSync(values.stalls, "utf8")) as { startUs: number; endUs: number }[]);

function printStalls(stalls: readonly { startUs: number; endUs: number }[]): void {
  const windows = stalls.map((w) => ({ start: w.startUs - profile.startTime, us: w.endUs - w.startUs, samples: [] as number[] })).filter((w) => w.start >= 0);
  let at = 0;
  profile.samples.forEach((_id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    for (const w of windows) if (at >= w.start && at <= w.start + w.us) w.samples.push(i);
  });
  const inProfile = windows.filter((w) => w.samples.length > 0);
  console.log(`\n${stalls.length} stalls recorded, ${inProfile.length} within this profile (${(inProfile.reduce((a, w) => a + w.us, 0) / 1000).toFixed(0)} ms), longest ${Math.min(top, inProfile.length)}:`);
  printStretches(inProfile);
}

function printLongTasks(minUs: number): void {
  const idle = (id: number) => byId.get(id)!.callFrame.functionName === "(idle)";
  const tasks: { start: number; us: number; samples: number[] }[] = [];
  let current: { start: number; us: number; samples: number[] } | undefined;
  let at = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (idle(id)) {
      if (current && current.us >= minUs) tasks.push(current);
      current = undefined;
      return;
    }
    current ??= { start: at, us: 0, samples: [] };
    current.us += dt;
    current.samples.push(i);
  });
  if (current && current.us >= minUs) tasks.push(current);
  const busy = tasks.reduce((a, t) => a + t.us, 0);
  console.log(`\n${tasks.length} stretches of >= ${minUs / 1000} ms without idle (${(busy / 1000).toFixed(0)} ms in all), longest ${Math.min(top, tasks.length)}:`);
  printStretches(tasks);
}

function printStretches(tasks: readonly { start: number; us: number; samples: readonly number[] }[]): void {
  const innermostSrc = (id: number) => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (f.url.includes("/src/")) return label(f);
    }
    return "(no src frame)";
  };
  for (const t of [...tasks].sort((a, b) => b.us - a.us).slice(0, top)) {
    const bySelf = new Map<string, number>();
    const bySrc = new Map<string, number>();
    for (const i of t.samples) {
      const id = profile.samples[i]!;
      const dt = profile.timeDeltas[i] ?? 0;
      const l = label(byId.get(id)!.callFrame);
      bySelf.set(l, (bySelf.get(l) ?? 0) + dt);
      const s = innermostSrc(id);
      bySrc.set(s, (bySrc.get(s) ?? 0) + dt);
    }
    const topOf = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([f, us]) => `${(us / 1000).toFixed(1)} ms ${f}`).join("; ");
    console.log(`  ${(t.us / 1000).toFixed(1).padStart(7)} ms at ${(t.start / 1e6).toFixed(2)} s`);
    console.log(`      self: ${topOf(bySelf)}`);
    console.log(`      src:  ${topOf(bySrc)}`);
  }
}
