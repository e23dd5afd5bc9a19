/**
 * Peak memory, measured properly for synchronous work (an interval sampler never fires while the
 * engine runs): the kernel's RSS high-water mark, reset before the measured phases, and V8's
 * GCProfiler, whose per-GC "before" heap sizes bound the heap's peak from below within one
 * collection (the final heap size is added, so allocation after the last GC counts too).
 */
import { readFileSync, writeFileSync } from "node:fs";
import v8 from "node:v8";

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error("run the bench with node --expose-gc (npm run bench does)");
  collect();
  collect();
}

/**
 * Resets the RSS high-water mark (Linux: writing 5 to /proc/self/clear_refs), so that the next
 * peakRss() reports the peak of what follows. Returns false where that is not possible; then
 * peakRss() is the peak of the whole process so far.
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** Max RSS in bytes since start or since the last successful resetPeakRss(). */
export function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}

export interface HeapPeak {
  /** Largest used heap seen before any GC during the window, or at its end. */
  readonly peakUsed: number;
  readonly gcCount: number;
  readonly gcPauseMs: number;
}

/** Watches the heap through V8's GCProfiler while `fn` runs. */
export function watchHeap<T>(fn: () => T): { value: T; heap: HeapPeak } {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const value = fn();
  const endUsed = process.memoryUsage().heapUsed;
  const stats = profiler.stop() as unknown as {
    statistics: { cost: number; beforeGC: { heapStatistics: { usedHeapSize: number } } }[];
  };
  let peakUsed = endUsed;
  let pause = 0;
  for (const s of stats.statistics) {
    peakUsed = Math.max(peakUsed, s.beforeGC.heapStatistics.usedHeapSize);
    pause += s.cost;
  }
  // GCProfiler reports cost in microseconds.
  return { value, heap: { peakUsed, gcCount: stats.statistics.length, gcPauseMs: pause / 1000 } };
}
