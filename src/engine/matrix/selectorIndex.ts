/**
 * Evaluates label selectors over the distinct label sets ("label shapes") of each namespace, with an
 * inverted index so a selector like `app=web` touches only the shapes that carry that label, and a
 * cache so a selector used by many policies is evaluated once per namespace.
 */
import type { CompiledNamespace, CompiledWorld } from "../compile/model.js";
import type { Labels } from "../model/input.js";
import type { LabelSelector } from "../selectors/LabelSelector.js";

export interface LabelShape {
  readonly id: number;
  readonly namespace: CompiledNamespace;
  readonly labels: Labels;
}

export class SelectorIndex {
  readonly shapes: LabelShape[] = [];
  /** Pod index -> label shape id, or -1 for hostNetwork pods (which selectors never match). */
  readonly shapeOfPod: Int32Array;
  private readonly byNamespace: number[][];
  private readonly postingsByNamespace: Map<string, number[]>[];
  private readonly cache = new Map<string, readonly number[]>();
  private readonly namespaceCache = new Map<string, readonly CompiledNamespace[]>();

  constructor(private readonly world: CompiledWorld) {
    this.shapeOfPod = new Int32Array(world.pods.length).fill(-1);
    this.byNamespace = world.namespaces.map(() => []);
    this.postingsByNamespace = world.namespaces.map(() => new Map());
    const byKey = new Map<string, number>();
    for (const pod of world.pods) {
      if (pod.hostNetwork) continue;
      const key = `${pod.namespace.index}\u0000${canonicalLabels(pod.labels)}`;
      let id = byKey.get(key);
      if (id === undefined) {
        id = this.shapes.length;
        this.shapes.push({ id, namespace: pod.namespace, labels: pod.labels });
        byKey.set(key, id);
        this.byNamespace[pod.namespace.index]!.push(id);
        const postings = this.postingsByNamespace[pod.namespace.index]!;
        for (const [k, v] of Object.entries(pod.labels)) {
          for (const term of [`${k}\u0000${v}`, `${k}\u0001`]) {
            const list = postings.get(term);
            if (list) list.push(id);
            else postings.set(term, [id]);
          }
        }
      }
      this.shapeOfPod[pod.index] = id;
    }
  }

  /** Shapes of namespace `ns` matched by `selector`, ascending. */
  select(ns: CompiledNamespace, selector: LabelSelector): readonly number[] {
    const cacheKey = `${ns.index}\u0000${selector.key}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    const candidates = this.candidates(ns, selector);
    const out = candidates.filter((id) => selector.matches(this.shapes[id]!.labels));
    this.cache.set(cacheKey, out);
    return out;
  }

  namespacesMatching(selector: LabelSelector): readonly CompiledNamespace[] {
    let hit = this.namespaceCache.get(selector.key);
    if (!hit) {
      hit = this.world.namespaces.filter((ns) => selector.matches(ns.labels));
      this.namespaceCache.set(selector.key, hit);
    }
    return hit;
  }

  /** The smallest posting list implied by a positive requirement, or every shape of the namespace. */
  private candidates(ns: CompiledNamespace, selector: LabelSelector): readonly number[] {
    const postings = this.postingsByNamespace[ns.index]!;
    let best: readonly number[] = this.byNamespace[ns.index]!;
    for (const r of selector.requirements) {
      let list: readonly number[] | undefined;
      if (r.operator === "Exists") list = postings.get(`${r.key}\u0001`) ?? [];
      else if (r.operator === "In") {
        if (r.values.size === 1) list = postings.get(`${r.key}\u0000${[...r.values][0]}`) ?? [];
        else {
          const merged = new Set<number>();
          for (const v of r.values) for (const id of postings.get(`${r.key}\u0000${v}`) ?? []) merged.add(id);
          list = [...merged].sort((a, b) => a - b);
        }
      }
      if (list && list.length < best.length) best = list;
    }
    return best;
  }
}

export function canonicalLabels(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join("\u0000");
}
