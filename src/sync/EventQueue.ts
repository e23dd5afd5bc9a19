/**
 * The sync's event queue (the part client-go's DeltaFIFO plays between reflector and controller):
 * what a source observed waits here, in arrival order, until the one worker applies it. The worker
 * takes micro-batches: consecutive events up to `maxBatch` objects (a listing weighs its objects),
 * so a burst costs a few store transactions, not one per event. Events are never merged or
 * reordered: each change of an object is a revision in the history, and a listing reconciles a
 * whole kind against what came before it. Each event's promise resolves once the worker applied
 * it, or when the queue is dropped (shutdown on a failing database, fencing: the next start relists).
 */

/** The worker's answer for a batch: applied, or given up (the queue is dropped). */
export type BatchOutcome = "applied" | "aborted";

export interface EventQueueOptions<E> {
  /** Most objects in one batch (a batch holds at least one event, however large). */
  readonly maxBatch: number;
  /** How many objects an event carries. */
  readonly weigh: (event: E) => number;
  /** Applies one batch; the queue takes the next batch only after this settles. */
  readonly apply: (batch: readonly E[]) => Promise<BatchOutcome>;
  /** Once true, no new drain starts by itself (events queued meanwhile wait for a flush or are dropped). */
  readonly halted: () => boolean;
}

interface Entry<E> {
  readonly event: E;
  readonly done: () => void;
}

export class EventQueue<E extends { readonly at: Date }> {
  private entries: Entry<E>[] = [];
  private draining: Promise<void> | undefined;

  constructor(private readonly options: EventQueueOptions<E>) {}

  /** Queues an event and starts the worker; resolves when the event was applied (or dropped). */
  push(event: E): Promise<void> {
    return new Promise<void>((done) => {
      this.entries.push({ event, done });
      void this.drain();
    });
  }

  get length(): number {
    return this.entries.length;
  }

  /** When the oldest event still queued arrived. */
  get oldestAt(): Date | undefined {
    return this.entries[0]?.event.at;
  }

  /** Applies everything queued (the running drain, if one runs): at most one worker at a time. */
  drain(): Promise<void> {
    this.draining ??= this.drainLoop().finally(() => {
      this.draining = undefined;
      // An event pushed after the loop saw an empty queue but before this callback ran found
      // `draining` still set and relied on it: start again, or that event would wait for the next one.
      if (this.entries.length > 0 && !this.options.halted()) void this.drain();
    });
    return this.draining;
  }

  private async drainLoop(): Promise<void> {
    while (this.entries.length > 0) {
      const batch = this.takeBatch();
      const outcome = await this.options.apply(batch.map((e) => e.event));
      if (outcome === "aborted") {
        for (const e of [...batch, ...this.entries.splice(0)]) e.done();
        return;
      }
      for (const e of batch) e.done();
    }
  }

  private takeBatch(): Entry<E>[] {
    let size = 0;
    let n = 0;
    while (n < this.entries.length && (n === 0 || size < this.options.maxBatch)) {
      size += this.options.weigh(this.entries[n]!.event);
      n++;
    }
    return this.entries.splice(0, n);
  }
}
