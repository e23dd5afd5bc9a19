/**
 * Summarises a V8 .heapsnapshot (e.g. from KUBEREACH_BENCH_SYNC_HEAP_SNAPSHOT): self size by
 * constructor, and the objects that retain the most (dominator tree, Cooper-Harvey-Kennedy), each
 * with the chain of its dominators, so that "what holds the heap" is answered without DevTools.
 *
 *   node --max-old-space-size=8192 --import tsx bench/heapSummary.ts <file.heapsnapshot> [--top 40]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({ options: { top: { type: "string" } }, allowPositionals: true });
if (positionals.length !== 1) {
  console.error("usage: node --import tsx bench/heapSummary.ts <file.heapsnapshot> [--top 40]");
  process.exit(2);
}
const top = Number(values.top ?? 40);

interface Snapshot {
  readonly snapshot: { readonly meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] }; readonly node_count: number };
  readonly nodes: number[];
  readonly edges: number[];
  readonly strings: string[];
}
const snap = JSON.parse(readFileSync(positionals[0]!, "utf8")) as Snapshot;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [nType, nName, nSelf, nEdges] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
const [eType, eTo] = ["type", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number];
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const WEAK = edgeTypes.indexOf("weak");
const SHORTCUT = edgeTypes.indexOf("shortcut");
const n = snap.nodes.length / NF;

const firstEdge = new Uint32Array(n + 1);
for (let i = 0; i < n; i++) firstEdge[i + 1] = firstEdge[i]! + snap.nodes[i * NF + nEdges]!;
const self = (i: number) => snap.nodes[i * NF + nSelf]!;
const label = (i: number) => {
  const type = nodeTypes[snap.nodes[i * NF + nType]!]!;
  const name = snap.strings[snap.nodes[i * NF + nName]!]!;
  return type === "object" || type === "closure" || type === "native" ? `${name}` : `(${type}) ${type === "string" || type === "concatenated string" ? "" : name.slice(0, 60)}`;
};
const edgeOk = (e: number) => snap.edges[e * EF + eType] !== WEAK && snap.edges[e * EF + eType] !== SHORTCUT;
const target = (e: number) => snap.edges[e * EF + eTo]! / NF;

// Self size by constructor.
const byName = new Map<string, { size: number; count: number }>();
let total = 0;
for (let i = 0; i < n; i++) {
  const k = label(i);
  const v = byName.get(k) ?? { size: 0, count: 0 };
  v.size += self(i);
  v.count++;
  byName.set(k, v);
  total += self(i);
}
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
console.log(`${n.toLocaleString()} nodes, ${mib(total)} in all\n\nself size by constructor`);
for (const [k, v] of [...byName].sort((a, b) => b[1].size - a[1].size).slice(0, top)) console.log(`${mib(v.size).padStart(12)} ${String(v.count).padStart(10)}  ${k}`);

// Post-order from the root (node 0), iterative.
const post = new Int32Array(n).fill(-1); // node -> post-order index
const order: number[] = []; // post-order index -> node
{
  const stack: number[] = [0];
  const next = new Uint32Array(n);
  const seen = new Uint8Array(n);
  seen[0] = 1;
  for (let i = 0; i < n; i++) next[i] = firstEdge[i]!;
  while (stack.length) {
    const v = stack[stack.length - 1]!;
    let pushed = false;
    while (next[v]! < firstEdge[v + 1]!) {
      const e = next[v]!++;
      if (!edgeOk(e)) continue;
      const w = target(e);
      if (!seen[w]) {
        seen[w] = 1;
        stack.push(w);
        pushed = true;
        break;
      }
    }
    if (!pushed && stack[stack.length - 1] === v) {
      stack.pop();
      post[v] = order.length;
      order.push(v);
    }
  }
}
// Predecessors (reachable nodes only), CSR.
const predCount = new Uint32Array(n + 1);
for (let v = 0; v < n; v++) if (post[v]! >= 0) for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) if (edgeOk(e)) predCount[target(e) + 1]!++;
for (let i = 0; i < n; i++) predCount[i + 1]! += predCount[i]!;
const preds = new Uint32Array(predCount[n]!);
const fill = predCount.slice(0, n);
for (let v = 0; v < n; v++) if (post[v]! >= 0) for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) if (edgeOk(e)) preds[fill[target(e)]!++] = v;
// Cooper-Harvey-Kennedy on post-order indices.
const idom = new Int32Array(order.length).fill(-1);
const rootPo = post[0]!;
idom[rootPo] = rootPo;
const intersect = (a: number, b: number) => {
  while (a !== b) {
    while (a < b) a = idom[a]!;
    while (b < a) b = idom[b]!;
  }
  return a;
};
for (let changed = true; changed; ) {
  changed = false;
  for (let po = order.length - 1; po >= 0; po--) {
    if (po === rootPo) continue;
    const v = order[po]!;
    let d = -1;
    for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
      const u = post[preds[p]!]!;
      if (u < 0 || idom[u] === -1) continue;
      d = d === -1 ? u : intersect(u, d);
    }
    if (d !== -1 && idom[po] !== d) {
      idom[po] = d;
      changed = true;
    }
  }
}
const retained = new Float64Array(order.length);
for (let po = 0; po < order.length; po++) retained[po]! += self(order[po]!);
for (let po = 0; po < order.length; po++) if (po !== rootPo && idom[po]! >= 0) retained[idom[po]!]! += retained[po]!;

console.log(`\nlargest retainers (retained size, self size, object, then its dominators)`);
const ranked = [...order.keys()].filter((po) => po !== rootPo).sort((a, b) => retained[b]! - retained[a]!);
for (const po of ranked.slice(0, top)) {
  const chain: string[] = [];
  for (let d = idom[po]!, k = 0; d !== rootPo && k < 5; d = idom[d]!, k++) chain.push(label(order[d]!));
  console.log(`${mib(retained[po]!).padStart(12)} ${mib(self(order[po]!)).padStart(10)}  ${label(order[po]!)}  <- ${chain.join(" <- ")}`);
}
