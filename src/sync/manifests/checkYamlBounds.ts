/**
 * The bounds of one parsed YAML document, checked on its syntax tree before it is turned into
 * values (docs/input-limits.md). One pass in document order, without recursion (a deep document
 * cannot overflow the stack here), linear in the size of the tree:
 * - an alias refers to an earlier anchor, so the size of what it stands for is already known, or
 *   the anchor is still open: the alias sits inside its own anchor, a cycle, refused;
 * - nodes, scalar characters and depth are counted with aliases expanded, so an alias bomb is
 *   refused by its expanded size, whatever its alias count;
 * - duplicate mapping keys are found with a set per mapping (the yaml library's own check compares
 *   every pair of keys, quadratic in the keys of a mapping).
 * Pure.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from "yaml";
import { formatBytes, type ManifestLimits } from "./limits.js";

/** Running totals of one file: the bounds hold for a file, whatever the number of its documents. */
export interface YamlBudget {
  nodes: number;
  bytes: number;
}

export interface BoundViolation {
  /** `size` and `depth` are bounds of limits.ts; a cycle or a duplicate key is invalid at any size. */
  readonly kind: "size" | "depth" | "cycle" | "duplicate-key";
  readonly message: string;
  /** Offset in the text of the node where the problem was found. */
  readonly offset: number;
}

interface Expanded {
  readonly nodes: number;
  readonly bytes: number;
  readonly height: number;
}

interface Frame {
  readonly node: Node;
  readonly children: readonly (Node | null)[];
  next: number;
  readonly depth: number;
  readonly startNodes: number;
  readonly startBytes: number;
  height: number;
}

export function checkYamlBounds(doc: Document.Parsed, limits: ManifestLimits, budget: YamlBudget): BoundViolation | undefined {
  const anchors = new Map<string, Node>();
  const open = new Set<Node>();
  const done = new Map<Node, Expanded>();
  const stack: Frame[] = [];
  const at = (node: Node | null | undefined) => node?.range?.[0] ?? 0;
  const tooBig = (node: Node): BoundViolation | undefined => {
    if (budget.nodes > limits.maxNodes)
      return { kind: "size", message: `the file stands for more than ${limits.maxNodes.toLocaleString("en-US")} YAML nodes once aliases are expanded`, offset: at(node) };
    if (budget.bytes > limits.maxExpandedBytes)
      return { kind: "size", message: `the file stands for more than ${formatBytes(limits.maxExpandedBytes)} of text once aliases are expanded`, offset: at(node) };
    return undefined;
  };
  // Called for each node met, with the depth it sits at; returns the height it adds, or a violation.
  const enter = (node: Node, depth: number): BoundViolation | number => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return 0; // the parser has already reported the unknown anchor
      if (open.has(target)) return { kind: "cycle", message: `alias *${node.source} refers to its own anchor: a cycle has no value`, offset: at(node) };
      const size = done.get(target) ?? { nodes: 1, bytes: 0, height: 1 };
      budget.nodes += size.nodes;
      budget.bytes += size.bytes;
      if (depth + size.height > limits.maxDepth) return depthViolation(limits, node, at);
      return tooBig(node) ?? size.height;
    }
    if (depth + 1 > limits.maxDepth) return depthViolation(limits, node, at);
    if (node.anchor) anchors.set(node.anchor, node);
    if (isScalar(node)) {
      const bytes = scalarLength(node.value);
      budget.nodes += 1;
      budget.bytes += bytes;
      if (node.anchor) done.set(node, { nodes: 1, bytes, height: 1 });
      return tooBig(node) ?? 1;
    }
    const duplicate = isMap(node) ? duplicateKey(node.items) : undefined;
    if (duplicate) return duplicate;
    budget.nodes += 1;
    const children: (Node | null)[] = [];
    if (isMap(node)) for (const p of node.items) children.push(p.key as Node | null, p.value as Node | null);
    else if (isSeq(node)) for (const item of node.items) children.push(isPair(item) ? (item.value as Node | null) : (item as Node | null));
    if (node.anchor) open.add(node);
    stack.push({ node, children, next: 0, depth: depth + 1, startNodes: budget.nodes - 1, startBytes: budget.bytes, height: 1 });
    return tooBig(node) ?? -1; // -1: the height is known when the frame closes
  };

  if (doc.contents) {
    const first = enter(doc.contents as Node, 0);
    if (typeof first !== "number") return first;
  }
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++];
      if (!child) continue;
      const r = enter(child, frame.depth);
      if (typeof r !== "number") return r;
      if (r >= 0) frame.height = Math.max(frame.height, r + 1);
      continue;
    }
    stack.pop();
    if (frame.node.anchor) {
      open.delete(frame.node);
      done.set(frame.node, { nodes: budget.nodes - frame.startNodes, bytes: budget.bytes - frame.startBytes, height: frame.height });
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.height = Math.max(parent.height, frame.height + 1);
  }
  return undefined;
}

function depthViolation(limits: ManifestLimits, node: Node, at: (n: Node) => number): BoundViolation {
  return { kind: "depth", message: `the document nests deeper than ${limits.maxDepth} levels once aliases are expanded`, offset: at(node) };
}

function scalarLength(value: unknown): number {
  return typeof value === "string" ? value.length : value === null || value === undefined ? 0 : String(value).length;
}

/**
 * The second occurrence of a key in one mapping, as kubectl's strict decoding refuses it. Keys are
 * compared as the JSON object keys they become (`1` and `"1"` collide); YAML 1.1 merge keys (`<<`)
 * and non-scalar keys are left to the library.
 */
function duplicateKey(items: readonly { key: unknown }[]): BoundViolation | undefined {
  const seen = new Set<string>();
  for (const { key } of items) {
    if (!isScalar(key)) continue;
    const name = String(key.value);
    if (name === "<<" && key.type === "PLAIN") continue;
    if (seen.has(name)) return { kind: "duplicate-key", message: `Map keys must be unique: "${name.length > 60 ? `${name.slice(0, 60)}...` : name}" is repeated`, offset: key.range?.[0] ?? 0 };
    seen.add(name);
  }
  return undefined;
}
