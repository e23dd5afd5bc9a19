/**
 * Sorting a large array as sliced work (TimeSlicer): sorted natively in runs, then merged pairwise,
 * yielding between runs and during merges. A sort of 100,000 keys in one go held the event loop
 * ~60 ms; the content digest sorts the matrix's keys this way, the store a bulk commit's rows.
 */
import type { SlicedWork } from "./TimeSlicer.js";

/** The order of Array.prototype.sort with `<` (UTF-16 code units). */
export function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted runs of this many items, merged. */
const RUN = 4096;

/** `items` sorted by `compare` (a new array, or `items` sorted in place when it is one run). Stable. */
export function* sortSliced<T>(items: T[], compare: (a: T, b: T) => number): SlicedWork<T[]> {
  if (items.length <= RUN) return items.sort(compare);
  let runs: T[][] = [];
  for (let i = 0; i < items.length; i += RUN) {
    runs.push(items.slice(i, i + RUN).sort(compare));
    yield;
  }
  while (runs.length > 1) {
    const merged: T[][] = [];
    for (let i = 0; i < runs.length; i += 2) merged.push(i + 1 < runs.length ? yield* merge(runs[i]!, runs[i + 1]!, compare) : runs[i]!);
    runs = merged;
  }
  return runs[0]!;
}

function* merge<T>(a: readonly T[], b: readonly T[], compare: (a: T, b: T) => number): SlicedWork<T[]> {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    // `<= 0` takes from the earlier run on ties: stable.
    out.push(compare(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!);
    if (out.length % RUN === 0) yield;
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
