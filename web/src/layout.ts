/**
 * Positions without a force simulation (instant and stable at 2,000 workloads): each namespace is a
 * disc of its workloads (a sunflower spiral, densest at the centre), discs packed in rows by name,
 * external ranges in a disc of their own after them.
 */
import type { GraphData } from "./model";

export interface Group {
  readonly name: string;
  /** "" for the external ranges. */
  readonly namespace: string;
  readonly x: number;
  readonly y: number;
  readonly radius: number;
  readonly members: readonly number[];
}

export interface Layout {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly groups: readonly Group[];
}

const SPACING = 10;
const GOLDEN = Math.PI * (3 - Math.sqrt(5));

export function layoutGraph(g: GraphData): Layout {
  const members = new Map<string, number[]>();
  for (const n of g.nodes) {
    const k = n.external ? "\u0000external" : n.namespace;
    let list = members.get(k);
    if (!list) members.set(k, (list = []));
    list.push(n.index);
  }
  const keys = [...members.keys()].sort((a, b) => (a === "\u0000external" ? 1 : b === "\u0000external" ? -1 : a.localeCompare(b)));
  const discs = keys.map((k) => ({ k, list: members.get(k)!, radius: SPACING * Math.sqrt(members.get(k)!.length) + SPACING }));
  // Rows about as wide as the whole is tall (a landscape canvas), never narrower than the widest disc.
  const cell = (d: { radius: number }) => 2 * d.radius + SPACING * 2;
  const totalArea = discs.reduce((s, d) => s + cell(d) ** 2, 0);
  const rowWidth = Math.max(Math.sqrt(totalArea) * 1.5, ...discs.map(cell));
  const x = new Float64Array(g.nodes.length);
  const y = new Float64Array(g.nodes.length);
  const groups: Group[] = [];
  let cx = 0;
  let cy = 0;
  let rowHeight = 0;
  for (const d of discs) {
    const w = cell(d);
    if (cx > 0 && cx + w > rowWidth) {
      cx = 0;
      cy += rowHeight;
      rowHeight = 0;
    }
    const gx = cx + w / 2;
    const gy = cy + w / 2;
    d.list.forEach((i, j) => {
      const r = SPACING * Math.sqrt(j + 0.5);
      x[i] = gx + r * Math.cos(j * GOLDEN);
      // Screen y grows downwards in the renderer's graph space: rows go down.
      y[i] = -(gy + r * Math.sin(j * GOLDEN));
    });
    groups.push({ name: d.k === "\u0000external" ? "external ranges" : d.k, namespace: d.k === "\u0000external" ? "" : d.k, x: gx, y: -gy, radius: d.radius, members: d.list });
    cx += w;
    rowHeight = Math.max(rowHeight, w);
  }
  return { x, y, groups };
}
