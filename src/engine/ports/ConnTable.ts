/**
 * Interns ConnectionSets as small integers and memoises union/intersection, so the matrix can
 * combine thousands of identical sets without rebuilding them. Id 0 is NONE and id 1 is ALL.
 */
import { ConnectionSet } from "./ConnectionSet.js";

export type ConnId = number;
export const NONE_ID: ConnId = 0;
export const ALL_ID: ConnId = 1;

export class ConnTable {
  private readonly sets: ConnectionSet[] = [ConnectionSet.NONE, ConnectionSet.ALL];
  private readonly ids = new Map<string, ConnId>([
    [ConnectionSet.NONE.key, NONE_ID],
    [ConnectionSet.ALL.key, ALL_ID],
  ]);
  private readonly unions = new PairMemo();
  private readonly intersections = new PairMemo();
  /** a - b by a * 2^26 + b (not symmetric, and rarer: the tier walks of the matrix use it). */
  private readonly differences = new Map<number, ConnId>();

  id(set: ConnectionSet): ConnId {
    let id = this.ids.get(set.key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(set);
      this.ids.set(set.key, id);
    }
    return id;
  }

  get(id: ConnId): ConnectionSet {
    return this.sets[id]!;
  }

  get size(): number {
    return this.sets.length;
  }

  union(a: ConnId, b: ConnId): ConnId {
    if (a === b || b === NONE_ID || a === ALL_ID) return a;
    if (a === NONE_ID || b === ALL_ID) return b;
    let r = this.unions.get(a, b);
    if (r === undefined) {
      r = this.id(this.sets[a]!.union(this.sets[b]!));
      this.unions.set(a, b, r);
    }
    return r;
  }

  subtract(a: ConnId, b: ConnId): ConnId {
    if (a === NONE_ID || b === NONE_ID) return a;
    if (a === b || b === ALL_ID) return NONE_ID;
    const k = a * 0x4000000 + b;
    let r = this.differences.get(k);
    if (r === undefined) {
      r = this.id(this.sets[a]!.subtract(this.sets[b]!));
      this.differences.set(k, r);
    }
    return r;
  }

  intersect(a: ConnId, b: ConnId): ConnId {
    if (a === b || b === ALL_ID || a === NONE_ID) return a;
    if (a === ALL_ID || b === NONE_ID) return b;
    let r = this.intersections.get(a, b);
    if (r === undefined) {
      r = this.id(this.sets[a]!.intersect(this.sets[b]!));
      this.intersections.set(a, b, r);
    }
    return r;
  }
}

/**
 * Results of a symmetric operation on pairs of ids. The matrix asks millions of times over a few
 * dozen to a few hundred distinct sets, so pairs of ids below DENSE_LIMIT live in a dense square
 * table (grown by doubling), read with two array accesses; larger ids fall back to a Map keyed by
 * lo * 2^26 + hi. (With only the Map, keys passed the small-integer range once an id reached 16,
 * and every lookup hashed a boxed heap number: a visible share of buildMatrix time and garbage.)
 */
class PairMemo {
  private static readonly DENSE_LIMIT = 1024;
  private side = 32;
  /** [lo * side + hi] = result + 1; 0 means not computed yet. */
  private dense = new Int32Array(this.side * this.side);
  private readonly sparse = new Map<number, ConnId>();

  get(a: ConnId, b: ConnId): ConnId | undefined {
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    if (hi < this.side) {
      const v = this.dense[lo * this.side + hi]!;
      return v === 0 ? undefined : v - 1;
    }
    if (hi < PairMemo.DENSE_LIMIT) return undefined; // not in the table yet: never computed
    return this.sparse.get(lo * 0x4000000 + hi);
  }

  set(a: ConnId, b: ConnId, result: ConnId): void {
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    if (hi >= PairMemo.DENSE_LIMIT) {
      this.sparse.set(lo * 0x4000000 + hi, result);
      return;
    }
    if (hi >= this.side) this.grow(hi);
    this.dense[lo * this.side + hi] = result + 1;
  }

  private grow(atLeast: number): void {
    let side = this.side;
    while (side <= atLeast) side *= 2;
    const dense = new Int32Array(side * side);
    for (let lo = 0; lo < this.side; lo++) dense.set(this.dense.subarray(lo * this.side, (lo + 1) * this.side), lo * side);
    this.side = side;
    this.dense = dense;
  }
}
