/**
 * One shared copy of equal values: `intern(key, make)` returns the value made for the first equal
 * key, while it is remembered. For the parts of objects that repeat across a cluster: the pods of a
 * ReplicaSet carry the same labels and container ports, and 150,000 copies of each were tens of
 * megabytes of heap. The values shared are frozen (a caller that mutates one throws instead of
 * changing every pod that shares it).
 *
 * Bounded: past `maxEntries` distinct keys it forgets everything and starts again (a cluster whose
 * pods all differ costs one map of `maxEntries`, not one entry per pod ever seen). Values made
 * before stay valid; they are merely shared no longer.
 */
export class Interner<T extends object> {
  private readonly values = new Map<string, T>();

  constructor(private readonly maxEntries: number) {}

  intern(key: string, make: () => T): T {
    const known = this.values.get(key);
    if (known !== undefined) return known;
    if (this.values.size >= this.maxEntries) this.values.clear();
    const value = Object.freeze(make());
    this.values.set(key, value);
    return value;
  }

  get size(): number {
    return this.values.size;
  }
}
