/**
 * A ReadonlyMap whose next version shares everything that did not change with this one. Pure.
 *
 * Why: each generation's matrix snapshot is the previous one with a few classes and connections
 * replaced. Copying the previous maps (`new Map(previous)`) costs O(matrix) per generation: at
 * 150,000 pods (~800,000 connections) about a second, for a change that moved a handful of rows.
 * A hash array mapped trie (immutable.js's Map) makes a version cost O(changes · log32 n), and the
 * previous version stays intact for whoever still holds it (the committed generation, a reader's
 * index, a failed commit retried on it).
 *
 * Iteration order is the trie's, not insertion order: readers that need an order sort.
 */
import { Map as TrieMap } from "immutable";
import { YIELD_EVERY, type SlicedWork } from "./TimeSlicer.js";

/** The edits of one new version (see PersistentMap.update). */
export interface MapDraft<K, V> {
  set(key: K, value: V): void;
  delete(key: K): void;
}

/** A map filled step by step (across the yields of sliced work), then frozen once (build). */
export interface MapBuilder<K, V> extends MapDraft<K, V> {
  get(key: K): V | undefined;
  /** The PersistentMap of what was set; the builder must not be used after. */
  build(): PersistentMap<K, V>;
}

export class PersistentMap<K, V> implements ReadonlyMap<K, V> {
  private constructor(private readonly trie: TrieMap<K, V>) {}

  static empty<K, V>(): PersistentMap<K, V> {
    return new PersistentMap(TrieMap<K, V>());
  }

  static from<K, V>(entries: Iterable<readonly [K, V]>): PersistentMap<K, V> {
    return new PersistentMap(
      TrieMap<K, V>().withMutations((m) => {
        for (const [k, v] of entries) m.set(k, v);
      }),
    );
  }

  /** An empty map to fill in place (no version per edit), then freeze. */
  static builder<K, V>(): MapBuilder<K, V> {
    const m = TrieMap<K, V>().asMutable();
    return {
      get: (k) => m.get(k),
      set: (k, v) => void m.set(k, v),
      delete: (k) => void m.delete(k),
      build: () => new PersistentMap(m.asImmutable()),
    };
  }

  /** `map` itself when it already is one (no copy), else a PersistentMap of its entries. */
  static of<K, V>(map: ReadonlyMap<K, V>): PersistentMap<K, V> {
    return map instanceof PersistentMap ? (map as PersistentMap<K, V>) : PersistentMap.from(map);
  }

  /** of() as sliced work (TimeSlicer): hundreds of thousands of entries are seconds of CPU. */
  static *ofSliced<K, V>(map: ReadonlyMap<K, V>): SlicedWork<PersistentMap<K, V>> {
    if (map instanceof PersistentMap) return map as PersistentMap<K, V>;
    const builder = PersistentMap.builder<K, V>();
    let n = 0;
    for (const [k, v] of map) {
      builder.set(k, v);
      if (++n % YIELD_EVERY === 0) yield;
    }
    return builder.build();
  }

  /**
   * A new version of `map` with `edits` applied (undefined: delete), as sliced work: EDITS_PER_SLICE
   * at a time, since an immutable.js edit hashes its key anew (2,048 edits of 65-character keys held
   * the event loop ~35 ms).
   */
  static *withEditsSliced<K, V>(map: PersistentMap<K, V>, edits: ReadonlyMap<K, V | undefined>): SlicedWork<PersistentMap<K, V>> {
    // Read from the edits as they are applied: copying 186,762 of them into an array first took
    // 23 ms in one piece at 150,000 pods.
    const pending = edits.entries();
    for (let done = false; !done; ) {
      map = map.update((draft) => {
        for (let j = 0; j < EDITS_PER_SLICE; j++) {
          const next = pending.next();
          if (next.done) {
            done = true;
            return;
          }
          const [k, v] = next.value;
          if (v === undefined) draft.delete(k);
          else draft.set(k, v);
        }
      });
      if (!done) yield;
    }
    return map;
  }

  /** A new version with `edit`'s sets and deletes applied; this one is left as it was. */
  update(edit: (draft: MapDraft<K, V>) => void): PersistentMap<K, V> {
    const trie = this.trie.withMutations((m) => {
      edit({ set: (k, v) => void m.set(k, v), delete: (k) => void m.delete(k) });
    });
    // No edit: this very version (as set and delete answer).
    return trie === this.trie ? this : new PersistentMap(trie);
  }

  /** A new version with `key` set (one edit: cheaper than update()). */
  set(key: K, value: V): PersistentMap<K, V> {
    const trie = this.trie.set(key, value);
    return trie === this.trie ? this : new PersistentMap(trie);
  }

  /** A new version without `key`. */
  delete(key: K): PersistentMap<K, V> {
    const trie = this.trie.delete(key);
    return trie === this.trie ? this : new PersistentMap(trie);
  }

  get size(): number {
    return this.trie.size;
  }

  get(key: K): V | undefined {
    return this.trie.get(key);
  }

  has(key: K): boolean {
    return this.trie.has(key);
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    // immutable's forEach stops at a callback returning false; Map's never does.
    this.trie.forEach((v, k) => {
      callback.call(thisArg, v, k, this);
    });
  }

  *entries(): Generator<[K, V], undefined, unknown> {
    for (const e of this.trie.entries()) yield e;
    return undefined;
  }

  *keys(): Generator<K, undefined, unknown> {
    for (const k of this.trie.keys()) yield k;
    return undefined;
  }

  *values(): Generator<V, undefined, unknown> {
    for (const v of this.trie.values()) yield v;
    return undefined;
  }

  [Symbol.iterator](): Generator<[K, V], undefined, unknown> {
    return this.entries();
  }
}

/** Edits applied between two turns of the event loop (withEditsSliced). */
const EDITS_PER_SLICE = 256;
