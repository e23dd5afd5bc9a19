/**
 * A set of port numbers in [1, 65535], kept as sorted, disjoint, non-adjacent inclusive intervals.
 * Immutable: every operation returns a new set (or one of its operands when nothing changes).
 */
import { MAX_PORT, MIN_PORT } from "../model/protocol.js";

export class PortSet {
  static readonly EMPTY = new PortSet([]);
  static readonly ALL = new PortSet([MIN_PORT, MAX_PORT]);

  /** Flat [start0, end0, start1, end1, ...]; invariant: start_i <= end_i < start_{i+1} - 1. */
  private constructor(private readonly bounds: readonly number[]) {}

  static range(from: number, to: number): PortSet {
    const lo = Math.max(from, MIN_PORT);
    const hi = Math.min(to, MAX_PORT);
    return lo > hi ? PortSet.EMPTY : new PortSet([lo, hi]);
  }

  static single(port: number): PortSet {
    return PortSet.range(port, port);
  }

  static fromIntervals(intervals: readonly (readonly [number, number])[]): PortSet {
    return intervals.reduce((acc, [a, b]) => acc.union(PortSet.range(a, b)), PortSet.EMPTY);
  }

  isEmpty(): boolean {
    return this.bounds.length === 0;
  }

  isAll(): boolean {
    return this.bounds.length === 2 && this.bounds[0] === MIN_PORT && this.bounds[1] === MAX_PORT;
  }

  contains(port: number): boolean {
    const b = this.bounds;
    for (let i = 0; i < b.length; i += 2) {
      if (port < b[i]!) return false;
      if (port <= b[i + 1]!) return true;
    }
    return false;
  }

  intervals(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.bounds.length; i += 2) out.push([this.bounds[i]!, this.bounds[i + 1]!]);
    return out;
  }

  union(other: PortSet): PortSet {
    if (other.isEmpty() || this.isAll()) return this;
    if (this.isEmpty() || other.isAll()) return other;
    const merged = [...this.intervals(), ...other.intervals()].sort((x, y) => x[0] - y[0]);
    const out: number[] = [];
    for (const [a, b] of merged) {
      const n = out.length;
      if (n > 0 && a <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, b);
      else out.push(a, b);
    }
    return new PortSet(out);
  }

  intersect(other: PortSet): PortSet {
    if (this.isEmpty() || other.isAll()) return this;
    if (other.isEmpty() || this.isAll()) return other;
    const a = this.bounds;
    const b = other.bounds;
    const out: number[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const lo = Math.max(a[i]!, b[j]!);
      const hi = Math.min(a[i + 1]!, b[j + 1]!);
      if (lo <= hi) out.push(lo, hi);
      if (a[i + 1]! < b[j + 1]!) i += 2;
      else j += 2;
    }
    return new PortSet(out);
  }

  complement(): PortSet {
    const out: number[] = [];
    let next = MIN_PORT;
    for (let i = 0; i < this.bounds.length; i += 2) {
      if (this.bounds[i]! > next) out.push(next, this.bounds[i]! - 1);
      next = this.bounds[i + 1]! + 1;
    }
    if (next <= MAX_PORT) out.push(next, MAX_PORT);
    return new PortSet(out);
  }

  subtract(other: PortSet): PortSet {
    return other.isEmpty() ? this : this.intersect(other.complement());
  }

  equals(other: PortSet): boolean {
    if (this.bounds.length !== other.bounds.length) return false;
    return this.bounds.every((v, i) => v === other.bounds[i]);
  }

  isSubsetOf(other: PortSet): boolean {
    return this.subtract(other).isEmpty();
  }

  /** `80,8080-8090`; the full range prints as `1-65535`. */
  toString(): string {
    return this.intervals()
      .map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`))
      .join(",");
  }
}
