/**
 * Sorting a large array as sliced work (TimeSlicer): strings bucketed by their first characters and
 * each bucket sorted on its own, other items (or a large bucket) sorted natively in runs and merged
 * pairwise, yielding between runs and during merges. A sort of 100,000 keys in one go held the event
 * loop ~60 ms; the content digest sorts the matrix's keys this way, the store a commit's rows, and
 * expandEdgesSteps a large answer's rows. Pure (engine/util): the engine's sliced work sorts with it.
 */
import type { Steps } from "./steps.js";

/** The order of Array.prototype.sort with `<` (UTF-16 code units), the default sort's order for strings. */
export function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted runs of this many items, merged. */
const RUN = 4096;

/**
 * `items` sorted (a new array, or `items` sorted in place when it is one run). Stable. Strings
 * without `compare` are sorted in UTF-16 order by the engine's own comparison, several times faster
 * than through a comparator (800,000 keys: a comparator call per comparison took seconds).
 */
export function sortSliced<K extends string>(keys: K[]): Steps<K[]>;
export function sortSliced<T>(items: T[], compare: (a: T, b: T) => number): Steps<T[]>;
export function* sortSliced<T>(items: T[], compare?: (a: T, b: T) => number): Steps<T[]> {
  if (!compare && items.length > RUN) return (yield* sortStrings(items as string[])) as T[];
  return yield* sortRuns(items, compare);
}

/**
 * Strings bucketed by their first two UTF-16 code units (a missing one sorts first), the buckets
 * in order and each sorted on its own: strings of one bucket share those units, so the buckets
 * concatenated are sorted, with no merge passes (800,000 class pair keys: the merges were most of
 * the sort's time).
 */
function* sortStrings(keys: string[]): Steps<string[]> {
  const buckets = new Map<number, string[]>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const b = k.length === 0 ? 0 : (k.charCodeAt(0) + 1) * 65537 + (k.length > 1 ? k.charCodeAt(1) + 1 : 0);
    const bucket = buckets.get(b);
    if (bucket) bucket.push(k);
    else buckets.set(b, [k]);
    if (i % RUN === 0) yield;
  }
  const out: string[] = [];
  for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
    for (const k of yield* sortRuns(buckets.get(b)!, undefined)) out.push(k);
    yield;
  }
  return out;
}

function* sortRuns<T>(items: T[], compare: ((a: T, b: T) => number) | undefined): Steps<T[]> {
  const sortRun = (run: T[]) => (compare ? run.sort(compare) : run.sort());
  if (items.length <= RUN) return sortRun(items);
  let runs: T[][] = [];
  for (let i = 0; i < items.length; i += RUN) {
    runs.push(sortRun(items.slice(i, i + RUN)));
    yield;
  }
  while (runs.length > 1) {
    const merged: T[][] = [];
    for (let i = 0; i < runs.length; i += 2) merged.push(i + 1 < runs.length ? yield* merge(runs[i]!, runs[i + 1]!, compare) : runs[i]!);
    runs = merged;
  }
  return runs[0]!;
}

function* merge<T>(a: readonly T[], b: readonly T[], compare: ((a: T, b: T) => number) | undefined): Steps<T[]> {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    // Ties take from the earlier run: stable.
    const first = compare ? compare(a[i]!, b[j]!) <= 0 : a[i]! <= b[j]!;
    out.push(first ? a[i++]! : b[j++]!);
    if (out.length % RUN === 0) yield;
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
