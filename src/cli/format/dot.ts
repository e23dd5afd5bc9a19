/**
 * The connectivity list as a Graphviz digraph: one cluster per namespace holding its workloads,
 * external ranges outside any cluster, one edge per row labelled with the allowed connections.
 */
import { formatConnEndpoint, formatWorkload, type ConnEndpoint, type ConnectivityRow, type WorkloadRef } from "../../engine/index.js";

export function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}

/** `workloads`: nodes to draw even without an edge (a fully isolated workload is worth seeing). */
export function toDot(rows: readonly ConnectivityRow[], workloads: readonly WorkloadRef[] = []): string {
  const byNamespace = new Map<string, Map<string, WorkloadRef>>();
  const externals = new Set<string>();
  const addWorkload = (ref: WorkloadRef) => {
    const m = byNamespace.get(ref.namespace) ?? new Map<string, WorkloadRef>();
    m.set(formatWorkload(ref), ref);
    byNamespace.set(ref.namespace, m);
  };
  const addEndpoint = (e: ConnEndpoint) => (e.kind === "workload" ? addWorkload(e.ref) : externals.add(formatConnEndpoint(e)));
  for (const w of workloads) addWorkload(w);
  for (const r of rows) {
    addEndpoint(r.src);
    addEndpoint(r.dst);
  }

  const out = ["digraph kubereach {", "  rankdir=LR;", '  node [shape=box, style=rounded, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const ns of [...byNamespace.keys()].sort(compare)) {
    out.push(`  subgraph ${dotString(`cluster_${ns}`)} {`, `    label=${dotString(ns)};`);
    const nodes = byNamespace.get(ns)!;
    for (const id of [...nodes.keys()].sort(compare)) {
      const ref = nodes.get(id)!;
      out.push(`    ${dotString(id)} [label=${dotString(`${ref.name}[${ref.kind}]`)}];`);
    }
    out.push("  }");
  }
  for (const id of [...externals].sort(compare)) out.push(`  ${dotString(id)} [label=${dotString(id.replace(/\[External\]$/, ""))}, shape=ellipse, style=dashed];`);
  for (const r of rows) out.push(`  ${dotString(formatConnEndpoint(r.src))} -> ${dotString(formatConnEndpoint(r.dst))} [label=${dotString(r.conn.key)}];`);
  out.push("}");
  return out.join("\n") + "\n";
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
