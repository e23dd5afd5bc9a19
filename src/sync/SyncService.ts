/**
 * Keeps the database equal to what a ClusterSource observes, one cluster per service. A thin
 * composition, split the way client-go splits reflector, queue and controller:
 * - the source (the reflector) reports listings and watch events into an EventQueue, applied in
 *   arrival order, in micro-batches (EventQueue.ts; batchChanges.ts says what a batch changes);
 * - a GenerationCommitter writes each batch as one store transaction (objects + revisions, retried
 *   with backoff, never dropped), then recomputes and commits matrix generations under the fence;
 * - a RecomputeScheduler decides when: debounced, leading edge for a lone change, one run at a time.
 * This class owns the lifecycle (start, flush, stop), the status it reports, and what happens when a
 * recompute fails or the lease is lost.
 */
import type { Logger } from "pino";
import type { ClusterId, Fence, StoredRevision } from "../domain/repositories.js";
import { SYNC_DEFAULTS } from "../domain/config.js";
import { OBJECT_KINDS, type ObjectKind } from "../domain/objects.js";
import type { Analysis } from "./analysis.js";
import { changesForBatch, eventWeight, type SyncEvent } from "./batchChanges.js";
import { EventQueue, type BatchOutcome } from "./EventQueue.js";
import { countAll, errorMessage, GenerationCommitter, type GenerationEvent } from "./GenerationCommitter.js";
import type { SyncStore } from "./ports.js";
import { RecomputeScheduler } from "./RecomputeScheduler.js";
import type { ClusterSource, SourceHandler } from "./source.js";

export type { GenerationEvent };

/** Most objects applied in one store transaction, unless the options say otherwise. */
export const DEFAULT_MAX_BATCH = 5000;
/** A failed recompute is tried again after this long (or at the next change). */
const RECOMPUTE_RETRY_MS = 60_000;

export interface SyncServiceOptions {
  readonly clusterId: ClusterId;
  readonly source: ClusterSource;
  readonly store: SyncStore;
  readonly logger: Logger;
  /** Quiet time before a recompute and the longest a change waits for one (defaults: the sync settings' in domain/config.ts). */
  readonly debounceMs?: number;
  readonly maxWaitMs?: number;
  /** Largest number of objects applied in one transaction (default DEFAULT_MAX_BATCH). */
  readonly maxBatch?: number;
  readonly clock?: () => Date;
  /** A git commit or similar the source reports for manifest changes. */
  readonly sourceRef?: () => string | null;
  readonly onGeneration?: (event: GenerationEvent) => void;
  readonly onRevisions?: (revisions: readonly StoredRevision[]) => void;
  /**
   * The sync lease this service writes under (high availability). Every write carries it and is
   * refused once another process took over; the service then stops and calls onFenced.
   */
  readonly fence?: Fence;
  readonly onFenced?: (err: unknown) => void;
  /** How long after a failed recompute it is tried again without a new change (default RECOMPUTE_RETRY_MS; tests). */
  readonly recomputeRetryMs?: number;
}

export interface SyncServiceStatus {
  readonly clusterId: ClusterId;
  readonly initialSyncDone: boolean;
  readonly generation: number | undefined;
  readonly lastGenerationAt: Date | undefined;
  readonly lastAppliedAt: Date | undefined;
  readonly pendingEvents: number;
  readonly lastError: string | undefined;
  /** The last recompute failed (the served generation is older than the applied state); cleared by a successful one. */
  readonly recomputeError?: string;
  /**
   * Since when the sync has been behind what it received: the oldest queued event, the oldest applied
   * change not yet in a committed generation, or the start while the initial sync runs. Undefined
   * when caught up. (The source's own outages are reported by the source: see docs/sync-health.md.)
   */
  readonly behindSince?: Date;
  readonly counts: Record<ObjectKind, number>;
}

export class SyncService {
  private readonly queue: EventQueue<SyncEvent>;
  private readonly scheduler: RecomputeScheduler;
  private readonly committer: GenerationCommitter;
  /** Aborted when the sync gives up writing: shutdown on a failing database, or fenced off by another process. */
  private readonly halt = new AbortController();
  private readonly clock: () => Date;
  private readonly startedAt: Date;
  private readonly log: Logger;
  /** True until the source's initial listing is applied: no generation is worth committing before every kind is listed. */
  private listing = true;
  private initialSyncDone = false;
  private stopped = false;
  private recomputeError: string | undefined;

  constructor(private readonly options: SyncServiceOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.startedAt = this.clock();
    this.log = options.logger;
    this.committer = new GenerationCommitter({
      clusterId: options.clusterId,
      store: options.store,
      logger: options.logger,
      clock: this.clock,
      fence: options.fence,
      halted: this.halt.signal,
      onFenced: (err) => this.fenced(err),
      onGeneration: options.onGeneration,
    });
    this.queue = new EventQueue<SyncEvent>({
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      weigh: eventWeight,
      apply: (batch) => this.applyBatch(batch),
      halted: () => this.halt.signal.aborted,
    });
    this.scheduler = new RecomputeScheduler({
      debounceMs: options.debounceMs ?? SYNC_DEFAULTS.debounceMs,
      maxWaitMs: options.maxWaitMs ?? SYNC_DEFAULTS.maxWaitMs,
      run: () => this.recompute(),
      onError: (err) => this.log.error({ err }, "recompute failed"),
    });
  }

  /** Loads the stored state, starts the source and resolves after the initial sync is applied and a generation committed. */
  async start(): Promise<void> {
    const { store, clusterId, source } = this.options;
    await store.clusters.ensureCluster(clusterId, source.description);
    // Objects newer than the latest generation (a crash between the two writes): recompute at the first flush.
    if (await this.committer.load()) this.scheduler.markDirty(Date.now());
    this.log.info({ clusterId, source: source.description, storedObjects: countAll(this.committer.state), generation: this.committer.generation }, "sync starting");

    const run = await store.syncRuns.start(clusterId, source.description);
    const started = Date.now();
    try {
      await source.start(this.handler());
      // The first generation is computed once, over the complete initial listing (see applyBatch).
      this.listing = false;
      await this.flush();
      this.initialSyncDone = true;
      const counts = this.counts();
      await store.syncRuns.finish(run, "succeeded", { ...counts, generation: this.committer.generation ?? null }, []);
      this.log.info({ clusterId, ...counts, generation: this.committer.generation, durationMs: Date.now() - started }, "initial sync done");
    } catch (err) {
      await store.syncRuns.finish(run, "failed", this.counts(), [String(err)]).catch(() => undefined);
      throw err;
    }
  }

  /** Stops the source, applies what is queued, commits a last generation if one is due. */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.stopped) return;
    if (this.listing) {
      // The initial sync has not finished (a slow or unreachable API server): nothing is worth
      // committing yet. Stopping the source rejects start() and ends every retry timer and request.
      this.stopped = true;
      // And no write is retried on a database that is about to close.
      this.halt.abort();
      await this.options.source.stop();
      await this.committer.close();
      return;
    }
    await this.options.source.stop();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), deadlineMs)));
    const outcome = await Promise.race([this.flush().then(() => "done" as const), gaveUp]);
    clearTimeout(timer);
    this.stopped = true;
    this.scheduler.cancelDebounce();
    this.scheduler.cancelRetry();
    if (outcome === "timeout") {
      this.halt.abort();
      // Nothing is lost: the next start lists the source again and reconciles the database by uid.
      this.log.warn({ pendingEvents: this.queue.length, lastError: this.committer.lastError }, "shutdown deadline reached with changes not yet written; they will be reconciled at the next start");
    }
    await this.committer.close();
  }

  /** Applies everything queued and, if anything changed, recomputes now. */
  async flush(): Promise<void> {
    do await this.queue.drain();
    while (this.queue.length > 0 && !this.halt.signal.aborted);
    await this.scheduler.settle();
    if (this.scheduler.dirtySince !== undefined || this.committer.generation === undefined) await this.scheduler.runNow();
  }

  status(): SyncServiceStatus {
    const c = this.committer;
    const behindSince = this.behindSince();
    return {
      clusterId: this.options.clusterId,
      initialSyncDone: this.initialSyncDone,
      generation: c.generation,
      lastGenerationAt: c.lastGenerationAt,
      lastAppliedAt: c.lastAppliedAt,
      pendingEvents: this.queue.length,
      lastError: c.lastError,
      ...(this.recomputeError !== undefined && { recomputeError: this.recomputeError }),
      ...(behindSince && { behindSince }),
      counts: this.counts(),
    };
  }

  /** The analysis of the last committed generation (for in-process readers). */
  currentAnalysis(): Analysis | undefined {
    return this.committer.analysis;
  }

  private behindSince(): Date | undefined {
    if (!this.initialSyncDone) return this.startedAt;
    let oldest: Date | undefined;
    for (const d of [this.queue.oldestAt, this.committer.uncommittedSince]) if (d && (!oldest || d < oldest)) oldest = d;
    return oldest;
  }

  private handler(): SourceHandler {
    return {
      list: (kind, objects, via) => this.queue.push({ type: "list", kind, objects, via, at: this.clock() }),
      upsert: (object) => this.queue.push({ type: "upsert", object, at: this.clock() }),
      remove: (object) => this.queue.push({ type: "remove", object, at: this.clock() }),
    };
  }

  /** The queue's worker: one batch, one store transaction (retried until accepted or the sync gives up). */
  private async applyBatch(batch: readonly SyncEvent[]): Promise<BatchOutcome> {
    const { changes, working, material } = changesForBatch(this.committer.state, batch, {
      sourceRef: () => this.options.sourceRef?.() ?? null,
      namespaceSelectors: () => this.committer.namespaceSelectors,
    });
    const revisions = await this.committer.apply(changes, working, { events: batch.length, firstAt: batch[0]!.at, material });
    if (!revisions) return "aborted";
    // Only changes the engine reads need a generation: a status-only pod update (a Ready condition)
    // or a metadata-only change is stored (its resourceVersion) and waits for the next generation.
    // Listings (a relist, a manifest re-read) come kind by kind: only watch events take the leading edge.
    // While the initial listing arrives, a debounced recompute would commit a generation of, say, all
    // pods and no policies, and its impact diff against the next one is quadratic: start() flushes
    // once the listing is complete.
    if (material) this.scheduler.changed(batch.every((e) => e.type !== "list"), !this.stopped && !this.listing);
    if (revisions.length) this.options.onRevisions?.(revisions);
    return "applied";
  }

  /** One recompute (the scheduler runs them one at a time); rejects when it failed. */
  private async recompute(): Promise<void> {
    try {
      await this.recomputeIfDue();
    } catch (err) {
      this.recomputeFailed(err);
    }
    this.recomputeSettled();
  }

  /** Commits a generation if one is due: changes since the last one, or none committed yet. */
  private async recomputeIfDue(): Promise<void> {
    if (this.halt.signal.aborted) return;
    if (this.scheduler.dirtySince === undefined && this.committer.generation !== undefined) return;
    const started = Date.now();
    this.scheduler.takeDirty();
    await this.committer.recompute(started);
  }

  private recomputeSettled(): void {
    // Returned without committing (stopped, fenced): nothing to put back, nothing recovered.
    if (!this.committer.settle()) return;
    // Committed (or nothing was due): whatever the failed recomputes held back is in this generation.
    if (this.recomputeError !== undefined) this.log.info({ generation: this.committer.generation }, "recompute succeeded again");
    this.recomputeError = undefined;
    this.scheduler.cancelRetry();
  }

  /**
   * A recompute failed before committing (the analysis threw: an input too large for the engine, a
   * bug). Not a fencing conflict: its changes go back to wait for the next recompute (GenerationCommitter.putBack),
   * and the failure is a sync error with lag growing until a recompute succeeds. Retried after a
   * minute, or at the next change.
   */
  private recomputeFailed(err: unknown): never {
    // Nothing taken (it failed before, settling the open generation): what is pending stays due.
    const dirtySince = this.committer.putBack() ?? this.committer.uncommittedSince?.getTime();
    if (dirtySince !== undefined) this.scheduler.markDirty(dirtySince);
    this.recomputeError = `recompute failed: ${errorMessage(err)}`;
    if (!this.stopped && !this.halt.signal.aborted) this.scheduler.retryAfter(this.options.recomputeRetryMs ?? RECOMPUTE_RETRY_MS);
    throw err;
  }

  /** Another process took the cluster over: stop writing at once (nothing written here can be lost: the new writer relists). */
  private fenced(err: unknown): void {
    if (this.halt.signal.aborted) return;
    this.halt.abort();
    this.scheduler.cancelDebounce();
    this.log.warn({ err: errorMessage(err) }, "this process no longer holds the sync lease; it stops syncing");
    this.options.onFenced?.(err);
  }

  private counts(): Record<ObjectKind, number> {
    const state = this.committer.state;
    return Object.fromEntries(OBJECT_KINDS.map((k) => [k, state.count(k)])) as Record<ObjectKind, number>;
  }
}
