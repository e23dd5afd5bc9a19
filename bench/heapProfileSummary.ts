/**
 * Summarises a V8 sampling heap profile (.heapprofile, e.g. from KUBEREACH_BENCH_SYNC_INITIAL_RETAINED):
 * bytes by allocating function, and by the innermost src/ function on the allocation stack (which
 * part of kubereach the memory belongs to), and the heaviest src/ stacks.
 *
 *   node --import tsx bench/heapProfileSummary.ts <file.heapprofile> [--top 30]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface HeapNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

const { values, positionals } = parseArgs({ options: { top: { type: "string" } }, allowPositionals: true });
if (positionals.length !== 1) {
  console.error("usage: node --import tsx bench/heapProfileSummary.ts <file.heapprofile> [--top 30]");
  process.exit(2);
}
const top = Number(values.top ?? 30);
const root = (JSON.parse(readFileSync(positionals[0]!, "utf8")) as { head: HeapNode }).head;

const label = (f: HeapNode["callFrame"]) => {
  const file = f.url.replace(/^file:\/\//, "").replace(/^.*\/(src|bench|test|node_modules)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${file ? `${file}:${f.lineNumber + 1}` : ""}`.trim();
};
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

const bySelf = new Map<string, number>();
const bySrc = new Map<string, number>();
const bySrcStack = new Map<string, number>();
let total = 0;
const walk = (node: HeapNode, stack: HeapNode["callFrame"][]) => {
  const frames = [...stack, node.callFrame];
  if (node.selfSize > 0) {
    total += node.selfSize;
    add(bySelf, label(node.callFrame), node.selfSize);
    const src = frames.filter((f) => f.url.includes("/src/"));
    add(bySrc, src.length ? label(src.at(-1)!) : "(no src frame)", node.selfSize);
    add(bySrcStack, src.length ? src.slice(-4).map((f) => f.functionName || "(anonymous)").join(" > ") : "(no src frame)", node.selfSize);
  }
  for (const c of node.children) walk(c, frames);
};
walk(root, []);

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1).padStart(8)} MiB ${((100 * b) / total).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}, top ${top}:`);
  for (const [k, b] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${mib(b)}  ${k}`);
};
console.log(`sampled live: ${(total / 2 ** 20).toFixed(0)} MiB`);
print("by allocating function", bySelf);
print("by innermost src/ function", bySrc);
print("by src/ stack (innermost 4)", bySrcStack);
