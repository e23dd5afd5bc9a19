/**
 * The changes applied since the last committed generation, as the GenerationCommitter hands them to
 * a recompute: the batches (with their revisions, whose impacts the recompute records), since when
 * the oldest of them waits, and the generation number they will belong to. A recompute takes them
 * all and reserves that number; changes applied meanwhile belong to the next one. If the recompute
 * fails before committing, what it took goes back in front of what arrived since and the number is
 * released, so nothing is lost and no generation number is skipped.
 */
import type { LoggedBatch } from "./impact.js";

/** What a running recompute took. */
export interface TakenChanges {
  readonly log: LoggedBatch[];
  readonly since: Date | undefined;
  /** When the recompute that took them started (ms): the dirty time to restore should it fail. */
  readonly dirtySince: number;
  readonly expectedGeneration: number;
}

export class PendingChanges {
  private log: LoggedBatch[] = [];
  /** When the oldest change the engine reads, not yet taken, was applied. */
  private since: Date | undefined;
  private taken: TakenChanges | undefined;
  private open: number;

  constructor(lastCommitted: number | undefined = undefined) {
    this.open = (lastCommitted ?? 0) + 1;
  }

  /** The generation changes applied now belong to: one past the last committed or reserved. */
  get openGeneration(): number {
    return this.open;
  }

  /** The oldest applied change not yet in a committed generation (taken by a running recompute or not). */
  get oldestSince(): Date | undefined {
    const taken = this.taken?.since;
    return taken && (!this.since || taken < this.since) ? taken : this.since;
  }

  /** A batch was applied; `materialAt`: the engine reads some of it, so it waits for a generation since then. */
  add(batch: LoggedBatch | undefined, materialAt: Date | undefined): void {
    if (batch) this.log.push(batch);
    if (materialAt) this.since ??= materialAt;
  }

  /** A recompute takes everything pending and reserves the open generation number. */
  take(dirtySince: number): TakenChanges {
    const taken: TakenChanges = { log: this.log, since: this.since, dirtySince, expectedGeneration: this.open };
    this.taken = taken;
    this.since = undefined;
    this.log = [];
    this.open++;
    return taken;
  }

  /** The recompute that took the changes committed them. */
  committed(): void {
    this.taken = undefined;
  }

  /**
   * The last recompute ended. True when it committed (or took nothing); false when it returned
   * without committing (stopped, fenced): what it took is dropped with the sync.
   */
  settle(): boolean {
    const committed = this.taken === undefined;
    this.taken = undefined;
    return committed;
  }

  /** The last recompute failed before committing: its changes wait again, its number is released. Returns its dirty time. */
  putBack(): number | undefined {
    const taken = this.taken;
    this.taken = undefined;
    if (!taken) return undefined;
    this.log = [...taken.log, ...this.log];
    if (this.open === taken.expectedGeneration + 1) this.open = taken.expectedGeneration;
    if (taken.since && (!this.since || taken.since < this.since)) this.since = taken.since;
    return taken.dirtySince;
  }
}
