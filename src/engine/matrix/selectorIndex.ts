/**
 * Evaluates label selectors over the distinct label sets ("label shapes") of each namespace, with an
 * inverted index so a selector like `app=web` touches only the shapes that carry that label, and a
 * cache so a selector used by many policies is evaluated once per namespace.
 *
 * A shape keeps only the label keys that some pod selector of the world mentions (policy
 * podSelectors, tiered policies' subject podSelectors and selector peers' podSelectors): a requirement reads its own key only, so labels no
 * selector names (pod-template-hash, controller-revision-hash, statefulset.kubernetes.io/pod-name,
 * job-name, ...) cannot change any match, yet they made nearly every workload, and every
 * StatefulSet or Job pod, a shape of its own. Consequently select() answers only for selectors of
 * this world, which are the only ones it is asked about.
 */
import type { CompiledNamespace, CompiledWorld } from "../compile/model.js";
import type { Labels } from "../model/input.js";
import type { LabelSelector } from "../selectors/LabelSelector.js";
import { sortSmallStrings } from "./sortSmall.js";

export interface LabelShape {
  readonly id: number;
  readonly namespace: CompiledNamespace;
  /** The members' labels, restricted to the keys some pod selector of the world mentions. */
  readonly labels: Labels;
}

const NONE: readonly number[] = [];

/**
 * An inverted index of labelled items (numbers, added in ascending order): for each label key, the
 * items carrying it, all and by value. Nested maps, so no "key\0value" strings are built per lookup.
 */
class LabelPostings {
  private readonly byKey = new Map<string, { readonly all: number[]; readonly byValue: Map<string, number[]> }>();

  add(item: number, key: string, value: string): void {
    let p = this.byKey.get(key);
    if (!p) this.byKey.set(key, (p = { all: [], byValue: new Map() }));
    p.all.push(item);
    const list = p.byValue.get(value);
    if (list) list.push(item);
    else p.byValue.set(value, [item]);
  }

  /** The smallest list implied by a positive requirement of `selector` (ascending), or `all`. */
  candidates(selector: LabelSelector, all: readonly number[]): readonly number[] {
    let best = all;
    for (const r of selector.requirements) {
      const p = this.byKey.get(r.key);
      let list: readonly number[] | undefined;
      if (r.operator === "Exists") list = p?.all ?? NONE;
      else if (r.operator === "In") {
        if (r.values.size === 1) list = p?.byValue.get(r.values.values().next().value!) ?? NONE;
        else {
          // An item has one value per key, so the lists are disjoint: the union's length is the
          // sum, and it is only worth building when it beats the best list so far.
          let size = 0;
          for (const v of r.values) size += p?.byValue.get(v)?.length ?? 0;
          if (size >= best.length) continue;
          const merged: number[] = [];
          for (const v of r.values) for (const id of p?.byValue.get(v) ?? NONE) merged.push(id);
          list = merged.sort((a, b) => a - b);
        }
      }
      if (list && list.length < best.length) best = list;
    }
    return best;
  }
}

export class SelectorIndex {
  readonly shapes: LabelShape[] = [];
  /** Pod index -> label shape id, or -1 for hostNetwork pods (which selectors never match). */
  readonly shapeOfPod: Int32Array;
  private readonly byNamespace: number[][];
  private readonly postingsByNamespace: LabelPostings[];
  /** Namespaces by their labels (all of them: namespace selectors may name any key), by index. */
  private readonly namespacePostings = new LabelPostings();
  private readonly namespaceIndices: readonly number[];
  /** selector.key -> per namespace index, the shapes it matches there. */
  private readonly cache = new Map<string, (readonly number[] | undefined)[]>();
  private readonly namespaceCache = new Map<string, readonly CompiledNamespace[]>();

  /** Label keys that pod selectors of the world mention: the only ones shapes keep. */
  private readonly selectedKeys = new Set<string>();

  constructor(private readonly world: CompiledWorld) {
    for (const policy of world.networkPolicies) for (const r of policy.podSelector.requirements) this.selectedKeys.add(r.key);
    for (const peer of world.peers) if (peer.kind === "selector") for (const r of peer.podSelector.requirements) this.selectedKeys.add(r.key);
    for (const policy of world.tieredPolicies) for (const r of policy.subject.podSelector.requirements) this.selectedKeys.add(r.key);
    this.shapeOfPod = new Int32Array(world.pods.length).fill(-1);
    this.byNamespace = world.namespaces.map(() => []);
    this.postingsByNamespace = world.namespaces.map(() => new LabelPostings());
    this.namespaceIndices = world.namespaces.map((ns) => ns.index);
    for (const ns of world.namespaces) for (const [k, v] of Object.entries(ns.labels)) this.namespacePostings.add(ns.index, k, v);
    // A pod's shape is found by a hash of its namespace and selected labels, confirmed by comparing
    // them: this loop runs once per pod, and building a canonical key string per pod (then hashing
    // it) was the largest allocation of buildMatrix at 100k pods. No intermediate arrays or
    // iterators either.
    const byHash = new Map<number, number[]>();
    const shapeKeys: string[][] = []; // selected keys of each shape, sorted
    const keys: string[] = [];
    for (const pod of world.pods) {
      if (pod.hostNetwork) continue;
      keys.length = 0;
      const own = Object.keys(pod.labels);
      for (let i = 0; i < own.length; i++) if (this.selectedKeys.has(own[i]!)) keys.push(own[i]!);
      sortSmallStrings(keys);
      const hash = shapeHash(pod.namespace.index, keys, pod.labels);
      const bucket = byHash.get(hash);
      let id = -1;
      if (bucket)
        for (let b = 0; b < bucket.length && id < 0; b++) {
          const shape = this.shapes[bucket[b]!]!;
          if (shape.namespace === pod.namespace && sameLabels(shapeKeys[shape.id]!, shape.labels, keys, pod.labels)) id = shape.id;
        }
      if (id < 0) {
        id = this.shapes.length;
        const labels: Record<string, string> = {};
        for (const k of keys) labels[k] = pod.labels[k]!;
        this.shapes.push({ id, namespace: pod.namespace, labels });
        shapeKeys.push([...keys]);
        if (bucket) bucket.push(id);
        else byHash.set(hash, [id]);
        this.byNamespace[pod.namespace.index]!.push(id);
        const postings = this.postingsByNamespace[pod.namespace.index]!;
        for (const k of keys) postings.add(id, k, labels[k]!);
      }
      this.shapeOfPod[pod.index] = id;
    }
  }

  /** Shapes of namespace `ns` matched by `selector` (a pod selector of the world), ascending. */
  select(ns: CompiledNamespace, selector: LabelSelector): readonly number[] {
    let perNamespace = this.cache.get(selector.key);
    if (!perNamespace) {
      for (const r of selector.requirements)
        if (!this.selectedKeys.has(r.key)) throw new Error(`SelectorIndex: selector ${selector.key} is not a pod selector of this world`);
      this.cache.set(selector.key, (perNamespace = new Array<readonly number[] | undefined>(this.world.namespaces.length)));
    }
    const hit = perNamespace[ns.index];
    if (hit) return hit;
    const candidates = this.postingsByNamespace[ns.index]!.candidates(selector, this.byNamespace[ns.index]!);
    const out = candidates.filter((id) => selector.matches(this.shapes[id]!.labels));
    perNamespace[ns.index] = out;
    return out;
  }

  /** Namespaces matched by `selector`, in index order. */
  namespacesMatching(selector: LabelSelector): readonly CompiledNamespace[] {
    let hit = this.namespaceCache.get(selector.key);
    if (!hit) {
      // Through the index: with thousands of namespaces and of distinct namespace selectors (most
      // of them `kubernetes.io/metadata.name: x`), testing every namespace was a visible cost.
      const namespaces = this.world.namespaces;
      hit = this.namespacePostings
        .candidates(selector, this.namespaceIndices)
        .filter((i) => selector.matches(namespaces[i]!.labels))
        .map((i) => namespaces[i]!);
      this.namespaceCache.set(selector.key, hit);
    }
    return hit;
  }
}

/** FNV-1a over the namespace and the (key, value) pairs, kept a small integer for Map keys. */
function shapeHash(namespace: number, keys: readonly string[], labels: Labels): number {
  let h = Math.imul(0x811c9dc5 ^ namespace, 0x01000193);
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xffff, 0x01000193); // separator: no label string contains U+FFFF
  };
  for (let i = 0; i < keys.length; i++) {
    mix(keys[i]!);
    mix(labels[keys[i]!]!);
  }
  return h & 0x3fffffff;
}

/** Same sorted keys and, for each, the same value. */
function sameLabels(aKeys: readonly string[], a: Labels, bKeys: readonly string[], b: Labels): boolean {
  if (aKeys.length !== bKeys.length) return false;
  for (let i = 0; i < aKeys.length; i++) if (aKeys[i] !== bKeys[i] || a[aKeys[i]!] !== b[aKeys[i]!]) return false;
  return true;
}

export function canonicalLabels(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join("\u0000");
}
