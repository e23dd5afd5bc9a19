/**
 * How many rows the connectivity list of an IncrementalMatrix's world has, about (an upper bound:
 * for each connection between two classes, the workloads, or address ranges, of one times those of
 * the other), kept up to date across the matrix's changes.
 *
 * Why: the sync asks this at every generation (impacts are skipped beyond a limit). Counted from
 * scratch it is a pass over every connection: 793,622 at 150,000 pods, 50-230 ms of CPU per
 * generation on the event loop the API's readers share, for a policy change that moved none.
 * Kept here, a count costs what the changes since the last one touched: the rows of the
 * destination classes whose sources changed, and of the classes a resized class is a source of.
 *
 * Each destination's share is kept (its size times the sum of its sources' sizes), so a changed row
 * is counted again alone. Pure: the caller hands it every update it applies (note) and asks for
 * the count when it needs it (count, as steps). One count at a time, and the matrix must not change
 * while a count is under way (the sync counts after a generation's commit, before the next change).
 */
import { workloadKey } from "../model/ids.js";
import { STEP_ITEMS, type Steps } from "../util/steps.js";
import type { IncrementalMatrix } from "./IncrementalMatrix.js";
import type { IncrementalUpdate, SigClass } from "./types.js";

export class RowEstimate {
  /** Per class: its workloads (a pod class) or address ranges (an external one), as last counted. */
  private readonly sizes = new Map<string, number>();
  /** Per destination class: its size times the sizes of its sources, as last counted. */
  private readonly shares = new Map<string, number>();
  private total = 0;
  private counted = false;
  /** Classes whose members may have changed since the last count. */
  private readonly resized = new Set<string>();
  /** Destination classes whose sources changed since the last count. */
  private readonly dirty = new Set<string>();

  /** `matrix`: every update applied to it from now on must be noted here, in order. */
  constructor(private readonly matrix: IncrementalMatrix) {}

  /** What an update applied to the matrix changed. */
  note(update: IncrementalUpdate): void {
    if (!this.counted) return; // the first count is a full pass anyway
    for (const c of update.addedClasses) this.resized.add(c.sig);
    for (const c of update.changedMembers) this.resized.add(c.sig);
    for (const sig of update.removedClasses) this.resized.add(sig);
    for (const c of update.connections) this.dirty.add(c.dst);
  }

  /** The estimate for the matrix as it is now. */
  *count(): Steps<number> {
    if (!this.counted) return yield* this.countAll();
    let n = 0;
    for (const sig of this.resized) {
      const c = this.matrix.classOf(sig);
      const now = c && (yield* this.sizeOf(c));
      if (now === this.sizes.get(sig)) continue;
      if (now === undefined) this.sizes.delete(sig);
      else this.sizes.set(sig, now);
      // Its own row, and every row it is a source of (rows it left are dirty by their connections).
      this.dirty.add(sig);
      for (const dst of this.matrix.destinationsOf(sig) ?? []) this.dirty.add(dst);
      if (++n % STEP_ITEMS === 0) yield;
    }
    this.resized.clear();
    for (const dst of this.dirty) {
      this.total -= this.shares.get(dst) ?? 0;
      const share = yield* this.shareOf(dst);
      if (share === undefined) this.shares.delete(dst);
      else this.shares.set(dst, share);
      this.total += share ?? 0;
    }
    this.dirty.clear();
    return this.total;
  }

  private *countAll(): Steps<number> {
    for (const c of this.matrix.allClasses()) this.sizes.set(c.sig, yield* this.sizeOf(c));
    this.total = 0;
    for (const [dst] of this.matrix.incomingRows()) {
      const share = (yield* this.shareOf(dst)) ?? 0;
      this.shares.set(dst, share);
      this.total += share;
    }
    this.counted = true;
    this.resized.clear();
    this.dirty.clear();
    return this.total;
  }

  /** A destination's share, from its row as it is now; undefined when it has no sources or is gone. */
  private *shareOf(dst: string): Steps<number | undefined> {
    const row = this.matrix.incomingRow(dst);
    const size = this.sizes.get(dst);
    if (!row || size === undefined) return undefined;
    let sources = 0;
    let n = 0;
    for (const src of row.keys()) {
      sources += this.sizes.get(src)!;
      if (++n % (STEP_ITEMS * 16) === 0) yield;
    }
    return sources * size;
  }

  /** Workloads of a pod class (counted pod by pod: one class can hold tens of thousands), ranges of an external one. */
  private *sizeOf(c: SigClass): Steps<number> {
    if (c.kind === "external") return c.ranges.length;
    const world = this.matrix.currentWorld;
    const keys = new Set<string>();
    let n = 0;
    for (const k of c.pods) {
      keys.add(workloadKey(world.podByKey.get(k)!.workload));
      if (++n % (STEP_ITEMS * 4) === 0) yield;
    }
    return keys.size;
  }
}
