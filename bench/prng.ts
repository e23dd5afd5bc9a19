/**
 * A small seeded PRNG (mulberry32) so every benchmark run sees exactly the same cluster.
 * Never use Math.random in bench/: figures must be comparable across runs and machines.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[item, weight], ...]`. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** `k` distinct items (fewer if the list is shorter), in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    const out: T[] = [];
    while (out.length < k && copy.length > 0) out.push(copy.splice(Math.floor(this.next() * copy.length), 1)[0]!);
    return out;
  }

  /**
   * Exactly `sample(items.filter((_, i) => i < start || i >= end), k)`, same draws and result,
   * without copying the list: callers exclude one contiguous block of a long list many times.
   */
  sampleExcluding<T>(items: readonly T[], start: number, end: number, k: number): T[] {
    const removed: number[] = []; // indices into the filtered list, ascending
    const out: T[] = [];
    const filteredLength = items.length - (end - start);
    while (out.length < k && removed.length < filteredLength) {
      let f = Math.floor(this.next() * (filteredLength - removed.length));
      let at = 0;
      for (; at < removed.length && removed[at]! <= f; at++) f++;
      removed.splice(at, 0, f);
      out.push(items[f < start ? f : f + (end - start)]!);
    }
    return out;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** Lowercase alphanumeric suffix like the ones ReplicaSets and pods get (`7d9f8c6b5-x2k4q`). */
  suffix(length: number): string {
    const alphabet = "bcdfghjklmnpqrstvwxz2456789";
    let s = "";
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }
}
