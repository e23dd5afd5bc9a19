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
 * A version may also lie over a frozen native map (`over`): the trie then holds only what differs
 * from it (a removed key as a tombstone). A full generation's snapshot has native maps of ~833,000
 * entries at 150,000 pods; copying them into a trie before the first incremental generation could
 * be built on them was ~5 s of CPU after the initial sync (12 s on a slow day), and the first
 * policy change waited for it. Over the native map a version costs what changed from the start.
 * What such a version holds is at most the native map plus one entry per key changed since, so at
 * most about twice a trie of the same keys; the next full recompute starts a new native map.
 *
 * Iteration order: the native map's entries that no edit replaced, then the trie's (each in its own
 * order, not insertion order): readers that need an order sort.
 */
import { Map as TrieMap } from "immutable";
import type { SlicedWork } from "./TimeSlicer.js";

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
  /**
   * `trie`: every entry, or with `base` only what differs from it (GONE: removed). `count`: the
   * size with `base` (without, the trie's own).
   */
  private constructor(
    private readonly trie: TrieMap<K, V | Gone>,
    private readonly base?: ReadonlyMap<K, V>,
    private readonly count = 0,
  ) {}

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

  /**
   * `map` itself when it already is one, else a PersistentMap lying over it, in constant time: its
   * versions keep only what they change. The caller promises that `map` is never changed again
   * (a committed snapshot's maps, an index's maps once built).
   */
  static over<K, V>(map: ReadonlyMap<K, V>): PersistentMap<K, V> {
    if (map instanceof PersistentMap) return map as PersistentMap<K, V>;
    return new PersistentMap<K, V>(TrieMap<K, V | Gone>(), map, map.size);
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
    const base = this.base;
    if (base === undefined) {
      const trie = this.trie.withMutations((m) => {
        edit({ set: (k, v) => void m.set(k, v), delete: (k) => void m.delete(k) });
      });
      // No edit: this very version (as set and delete answer).
      return trie === this.trie ? this : new PersistentMap(trie);
    }
    let count = this.count;
    const trie = this.trie.withMutations((m) => {
      const present = (k: K) => {
        const v = m.get(k, ABSENT);
        return v === ABSENT ? base.has(k) : v !== GONE;
      };
      edit({
        set: (k, v) => {
          if (!present(k)) count++;
          m.set(k, v);
        },
        delete: (k) => {
          if (!present(k)) return;
          count--;
          // A key of the native map stays hidden by a tombstone; one only the trie had simply goes.
          if (base.has(k)) m.set(k, GONE);
          else m.delete(k);
        },
      });
    });
    return trie === this.trie ? this : new PersistentMap(trie, base, count);
  }

  /** A new version with `key` set (one edit: cheaper than update() without a native map). */
  set(key: K, value: V): PersistentMap<K, V> {
    if (this.base !== undefined) return this.update((d) => d.set(key, value));
    const trie = this.trie.set(key, value);
    return trie === this.trie ? this : new PersistentMap(trie);
  }

  /** A new version without `key`. */
  delete(key: K): PersistentMap<K, V> {
    if (this.base !== undefined) return this.update((d) => d.delete(key));
    const trie = this.trie.delete(key);
    return trie === this.trie ? this : new PersistentMap(trie);
  }

  get size(): number {
    return this.base === undefined ? this.trie.size : this.count;
  }

  get(key: K): V | undefined {
    if (this.base === undefined) return this.trie.get(key) as V | undefined;
    const v = this.trie.get(key, ABSENT);
    if (v === ABSENT) return this.base.get(key);
    return v === GONE ? undefined : (v as V);
  }

  has(key: K): boolean {
    if (this.base === undefined) return this.trie.has(key);
    const v = this.trie.get(key, ABSENT);
    return v === ABSENT ? this.base.has(key) : v !== GONE;
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    if (this.base !== undefined) {
      for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
      return;
    }
    // immutable's forEach stops at a callback returning false; Map's never does.
    this.trie.forEach((v, k) => {
      callback.call(thisArg, v as V, k, this);
    });
  }

  *entries(): Generator<[K, V], undefined, unknown> {
    const base = this.base;
    if (base === undefined) {
      yield* this.trie.entries() as IterableIterator<[K, V]>;
      return undefined;
    }
    for (const e of base) if (!this.trie.has(e[0])) yield e;
    for (const e of this.trie.entries()) if (e[1] !== GONE) yield e as [K, V];
    return undefined;
  }

  *keys(): Generator<K, undefined, unknown> {
    if (this.base === undefined) yield* this.trie.keys();
    else for (const [k] of this.entries()) yield k;
    return undefined;
  }

  *values(): Generator<V, undefined, unknown> {
    if (this.base === undefined) yield* this.trie.values() as IterableIterator<V>;
    else for (const [, v] of this.entries()) yield v;
    return undefined;
  }

  [Symbol.iterator](): Generator<[K, V], undefined, unknown> {
    return this.entries();
  }
}

/** A key of the native map a version removed (see over). */
const GONE: unique symbol = Symbol("gone");
type Gone = typeof GONE;
/** What a trie read answers for a key it does not hold. */
const ABSENT: unique symbol = Symbol("absent");

/** Edits applied between two turns of the event loop (withEditsSliced). */
const EDITS_PER_SLICE = 256;
