/**
 * A set of IP addresses (both families) as sorted, disjoint, non-adjacent inclusive ranges.
 * Immutable. Used for ipBlock peers (`cidr` minus `except`).
 */
import { type IpAddress, type IpFamily, type IpRange } from "./ip.js";

export class IpSet {
  static readonly EMPTY = new IpSet([]);

  /** Sorted by family then start. */
  private constructor(readonly ranges: readonly IpRange[]) {}

  static of(range: IpRange): IpSet {
    return new IpSet([range]);
  }

  isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  contains(addr: IpAddress): boolean {
    // Binary search: sets built from many excepts can be long.
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (r.family < addr.family || (r.family === addr.family && r.end < addr.value)) lo = mid + 1;
      else if (r.family > addr.family || r.start > addr.value) hi = mid - 1;
      else return true;
    }
    return false;
  }

  /** True when the whole range lies inside this set. */
  containsRange(range: IpRange): boolean {
    return this.ranges.some((r) => r.family === range.family && r.start <= range.start && range.end <= r.end);
  }

  union(other: IpSet): IpSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    const all = [...this.ranges, ...other.ranges].sort(compareRanges);
    const out: IpRange[] = [];
    for (const r of all) {
      const last = out[out.length - 1];
      if (last && last.family === r.family && r.start <= last.end + 1n) {
        if (r.end > last.end) out[out.length - 1] = { family: r.family, start: last.start, end: r.end };
      } else out.push(r);
    }
    return new IpSet(out);
  }

  subtract(other: IpSet): IpSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    let current: IpRange[] = [...this.ranges];
    for (const cut of other.ranges) {
      const next: IpRange[] = [];
      for (const r of current) {
        if (r.family !== cut.family || cut.end < r.start || cut.start > r.end) {
          next.push(r);
          continue;
        }
        if (cut.start > r.start) next.push({ family: r.family, start: r.start, end: cut.start - 1n });
        if (cut.end < r.end) next.push({ family: r.family, start: cut.end + 1n, end: r.end });
      }
      current = next;
    }
    return new IpSet(current);
  }

  families(): Set<IpFamily> {
    return new Set(this.ranges.map((r) => r.family));
  }
}

export function compareRanges(a: IpRange, b: IpRange): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.start < b.start ? -1 : a.start > b.start ? 1 : 0;
}
