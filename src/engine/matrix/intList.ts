/**
 * A growable list of 32-bit integers backed by an Int32Array. The matrix code collects hundreds of
 * thousands of ids; in plain arrays every push grows a large on-heap backing store (copied on growth
 * and scanned by the GC), which measured about 3x slower than this at 100k pods.
 */
export class IntList {
  private data: Int32Array;
  length = 0;

  constructor(capacity = 64) {
    this.data = new Int32Array(Math.max(capacity, 4));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  set(i: number, value: number): void {
    this.data[i] = value;
  }

  /** The values, as a view (no copy): valid until the next push. */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}
