/**
 * Keeps the database equal to what a ClusterSource observes, one cluster per service:
 * - events are queued and applied in arrival order, in micro-batches, each batch one store
 *   transaction (objects + revisions); a failed write is retried with backoff, never dropped;
 * - the in-memory ClusterState changes only after the store accepted the batch;
 * - the matrix is recomputed after changes, debounced (a burst of events gives a handful of
 *   recomputes), and committed as one generation; reachability impacts of the revisions follow.
 */
import type { Logger } from "pino";
import type { LabelSelector } from "../engine/index.js";
import type { ClusterId, Fence, MatrixSnapshot, ObjectChange, StoredRevision } from "../domain/repositories.js";
import { analyze, type Analysis } from "./analysis.js";
import { changesForDelete, changesForListing, changesForUpsert, type ChangeContext } from "./changes.js";
import { ClusterState } from "../domain/ClusterState.js";
import { computeImpacts, type LoggedBatch } from "./impact.js";
import { MatrixMaintainer } from "./recompute.js";
import { OBJECT_KINDS, POLICY_KINDS, TIERED_POLICY_KINDS, type ClusterObject, type JsonValue, type ObjectKind, type ObservedVia } from "../domain/objects.js";
import type { SyncStore } from "./ports.js";
import type { ClusterSource, SourceHandler } from "./source.js";
import { Mutex } from "./Mutex.js";
import { appendAll } from "../engine/util/appendAll.js";

export interface SyncServiceOptions {
  readonly clusterId: ClusterId;
  readonly source: ClusterSource;
  readonly store: SyncStore;
  readonly logger: Logger;
  /** Quiet time before a recompute (default 200 ms) and the longest a change waits for one (default 2 s). */
  readonly debounceMs?: number;
  readonly maxWaitMs?: number;
  /** Largest number of events applied in one transaction. */
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
}

export interface GenerationEvent {
  readonly clusterId: ClusterId;
  readonly generation: number;
  readonly durationMs: number;
  readonly stats: { classes: number; entries: number; pods: number; policies: number; tieredPolicies?: number; unresolvedPeerRules?: number };
  /** How the matrix was computed: from the previous generation, or from scratch. */
  readonly method?: "full" | "incremental";
  /** The committed snapshot (in-process readers index it without reading it back; do not keep it longer than needed). */
  readonly snapshot?: MatrixSnapshot;
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

type QueuedEvent =
  | { readonly type: "list"; readonly kind: ObjectKind; readonly objects: readonly ClusterObject[]; readonly via: ObservedVia; readonly at: Date; readonly done: () => void }
  | { readonly type: "upsert" | "remove"; readonly object: ClusterObject; readonly at: Date; readonly done: () => void };

export class SyncService {
  private state = new ClusterState();
  private queue: QueuedEvent[] = [];
  private draining: Promise<void> | undefined;
  private persisted: { generation: number; snapshot: MatrixSnapshot } | undefined;
  /** The state and analysis the last committed generation was computed from (impact "before"). */
  private generationBase: { state: ClusterState; analysis: Analysis | undefined } = { state: new ClusterState(), analysis: undefined };
  private namespaceSelectors: readonly LabelSelector[] = [];
  private log: LoggedBatch[] = [];
  private dirtySince: number | undefined;
  private recomputeTimer: NodeJS.Timeout | undefined;
  private recomputing: Promise<void> | undefined;
  /** When a change was last applied (ms since epoch): the first change after a debounce period of quiet skips the debounce. */
  private lastChangeAt = 0;
  private stopped = false;
  /** Set when shutdown gives up on a failing database: queued events are left for the next start's reconcile. */
  private aborted = false;
  private initialSyncDone = false;
  /** True until the source's initial listing is applied: no generation is worth committing before every kind is listed. */
  private listing = true;
  private lastError: string | undefined;
  private lastAppliedAt: Date | undefined;
  private lastGenerationAt: Date | undefined;
  private readonly startedAt: Date;
  /** When the oldest applied change that no recompute has taken yet was applied. */
  private uncommittedSince: Date | undefined;
  /** What the running recompute took (put back if it fails: its changes wait for the next one, impacts included). */
  private inFlight: { log: LoggedBatch[]; since: Date | undefined; dirtySince: number | undefined; expectedGeneration: number } | undefined;
  private recomputeError: string | undefined;
  private recomputeRetry: NodeJS.Timeout | undefined;
  private readonly clock: () => Date;
  /**
   * The generation changes applied now belong to: one past the last committed. The mutex makes
   * "apply a batch" and "take the state a recompute is computed from" exclusive, so a generation's
   * object versions are exactly the state its matrix was computed from.
   */
  private openGeneration = 1;
  private readonly applyLock = new Mutex();
  private readonly log_: Logger;
  private readonly matrix: MatrixMaintainer;

  constructor(private readonly options: SyncServiceOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.startedAt = this.clock();
    this.log_ = options.logger;
    this.matrix = new MatrixMaintainer(options.logger);
  }

  /** Loads the stored state, starts the source and resolves after the initial sync is applied and a generation committed. */
  async start(): Promise<void> {
    const { store, clusterId, source } = this.options;
    await store.clusters.ensureCluster(clusterId, source.description);
    this.state = ClusterState.from(await store.objects.loadObjects(clusterId));
    this.persisted = await store.matrix.loadLatestSnapshot(clusterId);
    this.openGeneration = (this.persisted?.generation ?? 0) + 1;
    // A process that died between applying a batch and committing its generation left objects newer
    // than the latest generation: recompute at the first flush even if the source reports nothing new.
    if (this.persisted && !sameVersions(this.state, await store.objects.loadObjectsAt(clusterId, this.persisted.generation))) this.dirtySince = Date.now();
    const base = this.state.clone();
    const baseAnalysis = this.state.count("Pod") + POLICY_KINDS.reduce((n, k) => n + this.state.count(k), 0) > 0 ? analyze(base) : undefined;
    this.generationBase = { state: base, analysis: baseAnalysis };
    this.namespaceSelectors = selectorsOf(baseAnalysis);
    this.log_.info({ clusterId, source: source.description, storedObjects: countAll(this.state), generation: this.persisted?.generation }, "sync starting");

    const run = await store.syncRuns.start(clusterId, source.description);
    const started = Date.now();
    try {
      await source.start(this.handler());
      // The first generation is computed once, over the complete initial listing (see markDirty).
      this.listing = false;
      await this.flush();
      this.initialSyncDone = true;
      const counts = this.counts();
      await store.syncRuns.finish(run, "succeeded", { ...counts, generation: this.persisted?.generation ?? null }, []);
      this.log_.info({ clusterId, ...counts, generation: this.persisted?.generation, durationMs: Date.now() - started }, "initial sync done");
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
      this.aborted = true;
      await this.options.source.stop();
      return;
    }
    await this.options.source.stop();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), deadlineMs)));
    const outcome = await Promise.race([this.flush().then(() => "done" as const), gaveUp]);
    clearTimeout(timer);
    this.stopped = true;
    if (this.recomputeTimer) clearTimeout(this.recomputeTimer);
    clearTimeout(this.recomputeRetry);
    if (outcome === "timeout") {
      this.aborted = true;
      // Nothing is lost: the next start lists the source again and reconciles the database by uid.
      this.log_.warn({ pendingEvents: this.queue.length, lastError: this.lastError }, "shutdown deadline reached with changes not yet written; they will be reconciled at the next start");
    }
  }

  /** Applies everything queued and, if anything changed, recomputes now. */
  async flush(): Promise<void> {
    do await this.drain();
    while (this.queue.length > 0 && !this.aborted);
    if (this.recomputeTimer) clearTimeout(this.recomputeTimer);
    this.recomputeTimer = undefined;
    await this.recomputing;
    if (this.dirtySince !== undefined || this.persisted === undefined) await this.recompute();
  }

  status(): SyncServiceStatus {
    return {
      clusterId: this.options.clusterId,
      initialSyncDone: this.initialSyncDone,
      generation: this.persisted?.generation,
      lastGenerationAt: this.lastGenerationAt,
      lastAppliedAt: this.lastAppliedAt,
      pendingEvents: this.queue.length,
      lastError: this.lastError,
      ...(this.recomputeError !== undefined && { recomputeError: this.recomputeError }),
      ...(this.behindSince() && { behindSince: this.behindSince() }),
      counts: this.counts(),
    };
  }

  private behindSince(): Date | undefined {
    if (!this.initialSyncDone) return this.startedAt;
    let oldest: Date | undefined;
    for (const d of [this.queue[0]?.at, this.uncommittedSince, this.inFlight?.since]) if (d && (!oldest || d < oldest)) oldest = d;
    return oldest;
  }

  /** The analysis of the last committed generation (for in-process readers). */
  currentAnalysis(): Analysis | undefined {
    return this.generationBase.analysis;
  }

  private handler(): SourceHandler {
    const enqueue = (make: (done: () => void) => QueuedEvent) =>
      new Promise<void>((resolve) => {
        this.queue.push(make(resolve));
        void this.drain();
      });
    return {
      list: (kind, objects, via) => enqueue((done) => ({ type: "list", kind, objects, via, at: this.clock(), done })),
      upsert: (object) => enqueue((done) => ({ type: "upsert", object, at: this.clock(), done })),
      remove: (object) => enqueue((done) => ({ type: "remove", object, at: this.clock(), done })),
    };
  }

  private drain(): Promise<void> {
    this.draining ??= this.drainLoop().finally(() => {
      this.draining = undefined;
      // An event enqueued after the loop saw an empty queue but before this callback ran found
      // `draining` still set and relied on it: start again, or that event would wait for the next one.
      if (this.queue.length > 0 && !this.aborted) void this.drain();
    });
    return this.draining;
  }

  private async drainLoop(): Promise<void> {
    let backoff = 500;
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      const { changes, working, material } = this.changesFor(batch);
      for (;;) {
        try {
          const revisions = await this.applyLock.run(async () => {
            const stored = changes.length
              ? await this.options.store.objects.applyChanges(this.options.clusterId, changes, { generation: this.openGeneration, fence: this.options.fence })
              : [];
            this.state = working;
            return stored;
          });
          // Only real changes count: a relist that changed nothing must not look like lag.
          if (changes.length) this.lastAppliedAt = this.clock();
          this.lastError = undefined;
          if (changes.length) this.log.push({ changes, revisions });
          // Only changes the engine reads need a generation: a status-only pod update (a Ready condition)
          // or a metadata-only change is stored (its resourceVersion) and waits for the next generation.
          if (material) {
            this.uncommittedSince ??= batch[0]!.at;
            // Listings (a relist, a manifest re-read) come kind by kind: only watch events take the leading edge.
            this.markDirty(batch.every((e) => e.type !== "list"));
          }
          if (revisions.length) this.options.onRevisions?.(revisions);
          break;
        } catch (err) {
          this.lastError = errorMessage(err);
          if (isConflict(err)) this.fenced(err);
          if (this.aborted) {
            for (const e of [...batch, ...this.queue.splice(0)]) e.done();
            return;
          }
          this.log_.error({ err, events: batch.length, retryInMs: backoff }, "could not write changes to the database; will retry (nothing is dropped)");
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 30_000);
        }
      }
      for (const e of batch) e.done();
      backoff = 500;
    }
  }

  private takeBatch(): QueuedEvent[] {
    const max = this.options.maxBatch ?? 5000;
    let size = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || size < max)) {
      const e = this.queue[n]!;
      size += e.type === "list" ? Math.max(1, e.objects.length) : 1;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private changesFor(batch: readonly QueuedEvent[]): { changes: ObjectChange[]; working: ClusterState; material: boolean } {
    const working = this.state.clone();
    const changes: ObjectChange[] = [];
    let material = false;
    for (const e of batch) {
      const ctx: ChangeContext = {
        observedAt: e.at,
        via: e.type === "list" ? e.via : "watch",
        sourceRef: this.options.sourceRef?.() ?? null,
        namespaceSelectors: this.namespaceSelectors,
      };
      let cs: ObjectChange[];
      if (e.type === "list") cs = changesForListing(working, e.kind, e.objects, ctx);
      else if (e.type === "upsert") cs = changesForUpsert(working, e.object, ctx);
      else {
        const known = working.get(e.object.kind, e.object.meta.uid);
        cs = known ? changesForDelete(e.object, ctx, false) : [];
      }
      for (const c of cs) {
        if (c.op === "delete") working.delete(c.object);
        else {
          material ||= !sameForEngine(working.get(c.object.kind, c.object.meta.uid), c.object);
          working.put(c.object);
        }
        if (c.op === "delete" || c.revision) material = true;
      }
      appendAll(changes, cs);
    }
    return { changes, working, material };
  }

  private markDirty(leadingEdge: boolean): void {
    const now = Date.now();
    // Leading edge: the first watch event after a quiet period is recomputed at once, so a lone policy
    // change reaches a committed generation without waiting for the debounce; what arrives while that
    // recompute runs is debounced as usual (a burst costs the leading recompute plus a few trailing ones).
    // Listings never take it: the kinds of one manifest re-read or relist belong in one generation.
    const quiet = leadingEdge && this.dirtySince === undefined && !this.recomputing && !this.recomputeTimer && now - this.lastChangeAt >= (this.options.debounceMs ?? 200);
    this.lastChangeAt = now;
    this.dirtySince ??= now;
    // While the initial listing arrives kind by kind, a debounced recompute would commit a generation
    // of, say, all pods and no policies, and its impact diff against the next one is quadratic.
    // start() flushes once the listing is complete.
    if (this.stopped || this.listing) return;
    const debounce = this.options.debounceMs ?? 200;
    const maxWait = this.options.maxWaitMs ?? 2000;
    if (quiet) {
      void this.recompute().catch((err) => this.log_.error({ err }, "recompute failed"));
      return;
    }
    const due = Math.min(now + debounce, this.dirtySince + maxWait);
    if (this.recomputeTimer) clearTimeout(this.recomputeTimer);
    this.recomputeTimer = setTimeout(() => {
      this.recomputeTimer = undefined;
      void this.recompute().catch((err) => this.log_.error({ err }, "recompute failed"));
    }, Math.max(0, due - now));
  }

  /** Serialised: one recompute at a time; a recompute started while one runs waits and then runs. */
  private recompute(): Promise<void> {
    const run = (this.recomputing ?? Promise.resolve()).then(() => this.recomputeNow()).then(
      () => this.recomputeSucceeded(),
      (err: unknown) => this.recomputeFailed(err),
    );
    // The tracked promise never rejects (callers get `run`'s error): a failed recompute must neither
    // skip the next one nor surface as an unhandled rejection. It clears itself when it is the last.
    const tracked: Promise<void> = run.then(
      () => undefined,
      () => undefined,
    );
    this.recomputing = tracked;
    void tracked.then(() => {
      if (this.recomputing === tracked) this.recomputing = undefined;
    });
    return run;
  }

  private async recomputeNow(): Promise<void> {
    if (this.aborted) return;
    if (this.dirtySince === undefined && this.persisted !== undefined) return;
    const started = Date.now();
    this.dirtySince = undefined;
    // Taken under the apply lock: no batch is half-applied, and later batches belong to the next generation.
    const { log, state, expectedGeneration } = await this.applyLock.run(() => {
      const taken = { log: this.log, state: this.state.clone(), expectedGeneration: this.openGeneration };
      this.inFlight = { log: taken.log, since: this.uncommittedSince, dirtySince: started, expectedGeneration: taken.expectedGeneration };
      this.uncommittedSince = undefined;
      this.log = [];
      this.openGeneration++;
      return taken;
    });
    // Incremental on top of the last committed generation when the engine can be exact, else from scratch (recompute.ts).
    // stats.unresolvedPeerRules: tiered rules with nodes/domainNames peers; the generation is what kubereach can prove without them.
    const computed = this.matrix.compute({ state: this.generationBase.state, snapshot: this.persisted?.snapshot }, state, log);
    const { analysis, snapshot, stats } = computed;
    let generation: number;
    for (let backoff = 500; ; backoff = Math.min(backoff * 2, 30_000)) {
      try {
        generation = await this.options.store.matrix.commitGeneration(this.options.clusterId, this.persisted?.snapshot, snapshot, {
          expectedGeneration,
          fence: this.options.fence,
          stats: { ...stats, diagnostics: analysis.diagnostics.length },
          sourceVersions: { objects: countAll(state) },
          computedAt: this.clock(),
        });
        break;
      } catch (err) {
        this.lastError = errorMessage(err);
        if (this.aborted) return;
        // Another writer holds the cluster now: retrying would fork history. Stop and say so.
        if (isConflict(err)) {
          this.fenced(err);
          return;
        }
        this.log_.error({ err, retryInMs: backoff }, "could not commit the matrix generation; will retry");
        await sleep(backoff);
      }
    }
    this.inFlight = undefined;
    const base = this.generationBase;
    this.persisted = { generation, snapshot };
    this.generationBase = { state, analysis };
    this.namespaceSelectors = selectorsOf(analysis);
    this.lastGenerationAt = this.clock();
    const durationMs = Date.now() - started;
    this.log_.info(
      { generation, durationMs, ...stats, method: computed.method, fullBecause: computed.reason, invalidObjects: analysis.diagnostics.filter((d) => d.severity === "error").length },
      "matrix generation committed",
    );
    this.options.onGeneration?.({ clusterId: this.options.clusterId, generation, durationMs, stats, method: computed.method, snapshot });

    // Impacts are derived data: computed after the generation is durable, so history never waits on them.
    try {
      const impacts = computeImpacts(
        { state: base.state, connectivity: () => base.analysis?.connectivity() ?? [], estimatedRows: () => base.analysis?.estimatedRows() ?? 0 },
        analysis,
        log,
        generation,
      );
      if (impacts.length) await this.options.store.impacts.save(this.options.clusterId, impacts, { fence: this.options.fence });
    } catch (err) {
      this.log_.error({ err }, "could not record reachability impacts");
    }
  }

  private recomputeSucceeded(): void {
    if (!this.inFlight) {
      // Committed (or nothing was due): whatever the failed recomputes held back is in this generation.
      if (this.recomputeError !== undefined) this.log_.info({ generation: this.persisted?.generation }, "recompute succeeded again");
      this.recomputeError = undefined;
      clearTimeout(this.recomputeRetry);
      this.recomputeRetry = undefined;
    } else this.inFlight = undefined; // returned without committing (stopped, fenced): nothing to put back
  }

  /**
   * A recompute failed before committing (the analysis threw: an input too large for the engine, a
   * bug). Not a fencing conflict: the generation number it reserved is released, its changes (and
   * their revisions' impacts) go back to wait for the next recompute, and the failure is a sync
   * error with lag growing until a recompute succeeds. Retried after a minute, or at the next change.
   */
  private recomputeFailed(err: unknown): never {
    const taken = this.inFlight;
    this.inFlight = undefined;
    if (taken) {
      this.log = [...taken.log, ...this.log];
      if (this.openGeneration === taken.expectedGeneration + 1) this.openGeneration = taken.expectedGeneration;
      if (taken.since && (!this.uncommittedSince || taken.since < this.uncommittedSince)) this.uncommittedSince = taken.since;
      if (taken.dirtySince !== undefined) this.dirtySince = Math.min(this.dirtySince ?? Infinity, taken.dirtySince);
    }
    this.recomputeError = `recompute failed: ${errorMessage(err)}`;
    if (!this.stopped && !this.aborted && !this.recomputeRetry) {
      this.recomputeRetry = setTimeout(() => {
        this.recomputeRetry = undefined;
        if (this.dirtySince !== undefined) void this.recompute().catch(() => undefined);
      }, 60_000);
      this.recomputeRetry.unref();
    }
    throw err;
  }

  /** Another process took the cluster over: stop writing at once (nothing written here can be lost: the new writer relists). */
  private fenced(err: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    if (this.recomputeTimer) clearTimeout(this.recomputeTimer);
    this.log_.warn({ err: errorMessage(err) }, "this process no longer holds the sync lease; it stops syncing");
    this.options.onFenced?.(err);
  }

  private counts(): Record<ObjectKind, number> {
    return Object.fromEntries(OBJECT_KINDS.map((k) => [k, this.state.count(k)])) as Record<ObjectKind, number>;
  }
}

/** Whether two versions of an object are the same to the engine (everything but the resourceVersion). */
function sameForEngine(before: ClusterObject | undefined, after: ClusterObject): boolean {
  if (!before || before.kind !== after.kind) return false;
  const strip = (o: ClusterObject) => ({ ...o, meta: { ...o.meta, resourceVersion: "" } });
  return JSON.stringify(strip(before)) === JSON.stringify(strip(after));
}

function selectorsOf(analysis: Analysis | undefined): LabelSelector[] {
  if (!analysis) return [];
  const out: LabelSelector[] = [];
  for (const p of analysis.world.peers) if (p.kind === "selector" && p.namespaceSelector) out.push(p.namespaceSelector);
  // Tiered policies select their subjects by namespace labels too.
  for (const p of analysis.world.tieredPolicies) out.push(p.subject.namespaceSelector);
  return out;
}

/** Whether `objects` are exactly the state's objects (kind, uid and resourceVersion). */
function sameVersions(state: ClusterState, objects: readonly ClusterObject[]): boolean {
  if (objects.length !== OBJECT_KINDS.reduce((n, k) => n + state.count(k), 0)) return false;
  return objects.every((o) => state.get(o.kind, o.meta.uid)?.meta.resourceVersion === o.meta.resourceVersion);
}

function countAll(state: ClusterState): JsonValue {
  return {
    namespaces: state.count("Namespace"),
    pods: state.count("Pod"),
    networkPolicies: state.count("NetworkPolicy"),
    tieredPolicies: TIERED_POLICY_KINDS.reduce((n, k) => n + state.count(k), 0),
  };
}

function isConflict(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "CONFLICT";
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
