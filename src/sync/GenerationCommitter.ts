/**
 * The write side of the sync (client-go's controller, for one cluster): keeps the store and the
 * in-memory ClusterState equal, and turns applied changes into committed matrix generations.
 * - apply(): one batch of object changes (and their revisions) in one store transaction, retried
 *   with backoff until it is accepted; the ClusterState changes only after the store accepted it;
 * - recompute(): takes every change applied since the last generation, computes the matrix
 *   (incrementally when it can, recompute.ts), commits it as the next generation (retried), then
 *   records the reachability impacts of the revisions it carries;
 * - fencing: every write carries the sync lease's fence; a CONFLICT means another process took the
 *   cluster over, and the committer stops writing at once (`onFenced`).
 * A mutex makes "apply a batch" and "take the state a recompute is computed from" exclusive, so a
 * generation's object versions are exactly the state its matrix was computed from.
 */
import type { Logger } from "pino";
import type { LabelSelector } from "../engine/index.js";
import type { ClusterId, Fence, ImpactInput, MatrixSnapshot, ObjectChange, StoredRevision } from "../domain/repositories.js";
import { ClusterState } from "../domain/ClusterState.js";
import { isAppError } from "../domain/errors.js";
import { OBJECT_KINDS, POLICY_KINDS, TIERED_POLICY_KINDS, type ClusterObject, type JsonValue } from "../domain/objects.js";
import { analyze, type Analysis } from "./analysis.js";
import { computeImpacts, MAX_DIFF_ROWS, type LoggedBatch } from "./impact.js";
import { ImpactWorker } from "./ImpactWorker.js";
import { MatrixMaintainer, type ComputedGeneration } from "./recompute.js";
import { Mutex } from "./Mutex.js";
import { PendingChanges, type TakenChanges } from "./PendingChanges.js";
import type { SyncStore } from "./ports.js";
import { retryWithBackoff, WRITE_RETRY_BACKOFF } from "./retry.js";

/** A committed generation, as SyncService's `onGeneration` reports it. */
export interface GenerationEvent {
  readonly clusterId: ClusterId;
  readonly generation: number;
  readonly durationMs: number;
  readonly stats: { classes: number; entries: number; pods: number; policies: number; tieredPolicies?: number; unresolvedPeerRules?: number };
  /** How the matrix was computed: from the previous generation, or from scratch. */
  readonly method?: "full" | "incremental";
  /** The committed snapshot (in-process readers index it without reading it back; do not keep it longer than needed). */
  readonly snapshot?: MatrixSnapshot;
  /** The objects the generation was computed from (a copy: in-process readers build its world without reading them back). */
  readonly state?: ClusterState;
  /** The generation's commit time as stored (its createdAt). */
  readonly createdAt: Date;
}

export interface GenerationCommitterOptions {
  readonly clusterId: ClusterId;
  readonly store: SyncStore;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly fence?: Fence;
  /** Set once the sync gave up (shutdown deadline, fencing): nothing more is written or retried. */
  readonly halted: AbortSignal;
  /** A write was refused with CONFLICT: another process holds the cluster now. */
  readonly onFenced: (err: unknown) => void;
  readonly onGeneration?: (event: GenerationEvent) => void;
}

export class GenerationCommitter {
  /** Equal to the store's objects: changed only after the store accepted a batch. */
  private current = new ClusterState();
  /** The last committed generation. */
  private persisted: { generation: number; snapshot: MatrixSnapshot } | undefined;
  /** The state and analysis the last committed generation was computed from (impact "before"). */
  private base: { state: ClusterState; analysis: Analysis | undefined } = { state: new ClusterState(), analysis: undefined };
  /** base.analysis's namespace selectors, once asked for (undefined: not collected yet). */
  private selectors: readonly LabelSelector[] | undefined;
  /** Applied batches not yet in a generation, and the generation number they will belong to. */
  private pending = new PendingChanges();
  /**
   * Object versions may be stamped past the open generation: by a writer that died while computing
   * a generation (before this one's term), or here by the applies of a recompute that failed and
   * released its number. They are moved back (store.objects.settleOpenGeneration) before anything
   * is applied or taken: the next generation committed is computed from them.
   */
  private unsettled = true;
  private readonly applyLock = new Mutex();
  private readonly matrix: MatrixMaintainer;
  /** Impacts off the event loop the API shares (ImpactWorker.ts); in process when the worker fails. */
  private readonly impacts = new ImpactWorker();
  private readonly log: Logger;
  /** The last write's error, cleared by the next batch the store accepts. */
  private writeError: string | undefined;
  private appliedAt: Date | undefined;
  private committedAt: Date | undefined;

  constructor(private readonly options: GenerationCommitterOptions) {
    this.log = options.logger;
    this.matrix = new MatrixMaintainer(options.logger);
  }

  get state(): ClusterState {
    return this.current;
  }

  get lastError(): string | undefined {
    return this.writeError;
  }

  /** When a batch that changed something was last written. */
  get lastAppliedAt(): Date | undefined {
    return this.appliedAt;
  }

  get lastGenerationAt(): Date | undefined {
    return this.committedAt;
  }

  get generation(): number | undefined {
    return this.persisted?.generation;
  }

  /** The analysis of the last committed generation (undefined before the first, or for an empty stored state). */
  get analysis(): Analysis | undefined {
    return this.base.analysis;
  }

  /** Namespace selectors of the last generation's policies: which namespace label changes matter. */
  get namespaceSelectors(): readonly LabelSelector[] {
    // Collected on first use after each generation (a namespace relabel), not at every commit.
    return (this.selectors ??= selectorsOf(this.base.analysis));
  }

  /** The oldest applied change not yet in a committed generation. */
  get uncommittedSince(): Date | undefined {
    return this.pending.oldestSince;
  }

  /**
   * Loads the stored objects and the latest generation. True when the objects are newer than that
   * generation: a process died between applying a batch and committing its generation, so a
   * recompute is due even if the source reports nothing new.
   */
  async load(): Promise<boolean> {
    const { store, clusterId } = this.options;
    this.current = ClusterState.from(await store.objects.loadObjects(clusterId));
    this.persisted = await store.matrix.loadLatestSnapshot(clusterId);
    this.pending = new PendingChanges(this.persisted?.generation);
    this.unsettled = true;
    const behind = this.persisted !== undefined && !sameVersions(this.current, await store.objects.loadObjectsAt(clusterId, this.persisted.generation));
    const state = this.current.clone();
    const analysis = this.current.count("Pod") + POLICY_KINDS.reduce((n, k) => n + this.current.count(k), 0) > 0 ? analyze(state) : undefined;
    this.base = { state, analysis };
    this.selectors = undefined;
    this.impacts.warmUp();
    return behind;
  }

  /**
   * Writes one batch's changes (retried until the store accepts them) and makes `working` the state.
   * `material`: the engine reads some of it, so it waits for a generation (from `firstAt`).
   * Undefined when the sync gave up on it.
   */
  async apply(changes: readonly ObjectChange[], working: ClusterState, batch: { readonly events: number; readonly firstAt: Date; readonly material: boolean }): Promise<readonly StoredRevision[] | undefined> {
    const { store, clusterId, fence } = this.options;
    const outcome = await retryWithBackoff(
      () =>
        this.applyLock.run(async () => {
          await this.settleOpenGeneration();
          const stored = changes.length ? await store.objects.applyChanges(clusterId, changes, { generation: this.pending.openGeneration, fence }) : [];
          // The state and the log of what changed move together, under the lock: a recompute takes
          // both or neither (an incremental matrix reads the log; a change in the state but not in
          // the log would be missing from it).
          this.current = working;
          this.pending.add(changes.length ? { changes, revisions: stored } : undefined, batch.material ? batch.firstAt : undefined);
          return stored;
        }),
      {
        backoff: WRITE_RETRY_BACKOFF,
        onFailure: (err, retryInMs) => {
          this.writeError = errorMessage(err);
          if (isConflict(err)) this.options.onFenced(err);
          if (this.options.halted.aborted) return "stop";
          this.log.error({ err, events: batch.events, retryInMs }, "could not write changes to the database; will retry (nothing is dropped)");
          return "retry";
        },
      },
    );
    if (!outcome.ok) return undefined;
    // Only real changes count: a relist that changed nothing must not look like lag.
    if (changes.length) this.appliedAt = this.options.clock();
    this.writeError = undefined;
    return outcome.value;
  }

  /**
   * Takes every change applied so far and commits the next generation from it (`started`: when the
   * recompute began, kept as the dirty time should it fail). Returns without committing when the
   * sync gave up meanwhile; throws when the computation fails (see putBack).
   */
  async recompute(started: number): Promise<void> {
    // Taken under the apply lock: no batch is half-applied, and later batches belong to the next generation.
    let taken: TakenChanges & { state: ClusterState };
    try {
      taken = await this.applyLock.run(async () => {
        await this.settleOpenGeneration();
        return { ...this.pending.take(started), state: this.current.clone() };
      });
    } catch (err) {
      // Another writer holds the cluster now (the settle is fenced): stop, as a refused commit does.
      if (!isConflict(err)) throw err;
      this.options.onFenced(err);
      return;
    }
    const { log, state, expectedGeneration } = taken;
    // Incremental on top of the last committed generation when the engine can be exact, else from scratch (recompute.ts).
    // stats.unresolvedPeerRules: tiered rules with nodes/domainNames peers; the generation is what kubereach can prove without them.
    // Sliced: the event loop (the API's readers) gets turns while a large batch is computed.
    const computed = await this.matrix.compute({ state: this.base.state, snapshot: this.persisted?.snapshot }, state, log);
    const committed = await this.commit(computed, state, expectedGeneration);
    if (committed === undefined) return;
    const { generation, createdAt } = committed;
    this.pending.committed();
    const before = { ...this.base, generation: this.persisted?.generation };
    this.persisted = { generation, snapshot: computed.snapshot };
    this.base = { state, analysis: computed.analysis };
    this.selectors = undefined;
    this.committedAt = this.options.clock();
    const durationMs = Date.now() - started;
    const { analysis, stats } = computed;
    this.log.info(
      {
        generation,
        durationMs,
        ...stats,
        method: computed.method,
        fullBecause: computed.reason,
        // What an incremental generation cost: class pairs evaluated, class and connection rows it changed.
        evaluatedPairs: computed.evaluatedPairs,
        changedClasses: computed.snapshot.changedSince?.classes.size,
        changedConnections: computed.snapshot.changedSince?.connections.size,
        invalidObjects: analysis.diagnostics.filter((d) => d.severity === "error").length,
      },
      "matrix generation committed",
    );
    this.options.onGeneration?.({ clusterId: this.options.clusterId, generation, durationMs, stats, method: computed.method, snapshot: computed.snapshot, state, createdAt });
    await this.recordImpacts(before, computed, log, generation);
  }

  /** The last recompute ended; true when it committed or had nothing to do (see PendingChanges.settle). */
  settle(): boolean {
    return this.pending.settle();
  }

  /**
   * The last recompute failed before committing (the analysis threw: an input too large for the
   * engine, a bug): its changes wait for the next one (see PendingChanges.putBack). Returns when it became dirty.
   */
  putBack(): number | undefined {
    // Its number is released: what was applied meanwhile (stamped with the next) belongs to it now.
    this.unsettled = true;
    return this.pending.putBack();
  }

  /** Under the apply lock: see `unsettled`. */
  private async settleOpenGeneration(): Promise<void> {
    if (!this.unsettled) return;
    const { store, clusterId, fence } = this.options;
    const { generation, rows } = await store.objects.settleOpenGeneration(clusterId, { fence });
    if (rows > 0) this.log.warn({ generation, rows }, "object versions stamped for a generation that was never committed belong to the open one: moved back");
    this.unsettled = false;
  }

  /** Commits the generation (retried); undefined when the sync gave up or was fenced. */
  private async commit(computed: ComputedGeneration, state: ClusterState, expectedGeneration: number): Promise<{ generation: number; createdAt: Date } | undefined> {
    const { store, clusterId, fence } = this.options;
    const outcome = await retryWithBackoff(
      async () => {
        const computedAt = this.options.clock();
        const generation = await store.matrix.commitGeneration(clusterId, this.persisted?.snapshot, computed.snapshot, {
          expectedGeneration,
          fence,
          stats: { ...computed.stats, diagnostics: computed.analysis.diagnostics.length },
          sourceVersions: { objects: countAll(state) },
          computedAt,
        });
        return { generation, createdAt: computedAt };
      },
      {
        backoff: WRITE_RETRY_BACKOFF,
        onFailure: (err, retryInMs) => {
          this.writeError = errorMessage(err);
          if (this.options.halted.aborted) return "stop";
          // Another writer holds the cluster now: retrying would fork history. Stop and say so.
          if (isConflict(err)) {
            this.options.onFenced(err);
            return "stop";
          }
          this.log.error({ err, retryInMs }, "could not commit the matrix generation; will retry");
          return "retry";
        },
      },
    );
    return outcome.ok ? outcome.value : undefined;
  }

  /** Stops the impact worker. */
  close(): Promise<void> {
    return this.impacts.close();
  }

  /** Impacts are derived data: computed after the generation is durable, so history never waits on them. */
  private async recordImpacts(base: { state: ClusterState; analysis: Analysis | undefined; generation: number | undefined }, computed: ComputedGeneration, log: readonly LoggedBatch[], generation: number): Promise<void> {
    const { analysis } = computed;
    try {
      await computed.prepareImpacts?.();
      const baseAnalysis = base.analysis;
      const inProcess = () =>
        computeImpacts(
          { state: base.state, connectivity: () => baseAnalysis?.connectivity() ?? [], estimatedRows: () => baseAnalysis?.estimatedRows() ?? 0 },
          analysis,
          log,
          generation,
        );
      // Read here, now: an incremental generation's estimate comes from the engine state, which the next change moves.
      const estimatedRows = { base: baseAnalysis?.estimatedRows() ?? 0, final: analysis.estimatedRows() };
      let impacts: ImpactInput[];
      try {
        // Beyond the diff limit impact.ts only records that it skipped: no worker, no analysis.
        impacts = Math.max(estimatedRows.base, estimatedRows.final) > MAX_DIFF_ROWS ? inProcess() : await this.impacts.compute(base.state, base.generation, log, generation, estimatedRows);
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, "the impact worker failed; computing the impacts in process");
        impacts = inProcess();
      }
      if (impacts.length) await this.options.store.impacts.save(this.options.clusterId, impacts, { fence: this.options.fence });
    } catch (err) {
      this.log.error({ err }, "could not record reachability impacts");
    }
  }
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

/** The object counts a generation records as its source versions. */
export function countAll(state: ClusterState): JsonValue {
  return {
    namespaces: state.count("Namespace"),
    pods: state.count("Pod"),
    networkPolicies: state.count("NetworkPolicy"),
    tieredPolicies: TIERED_POLICY_KINDS.reduce((n, k) => n + state.count(k), 0),
  };
}

/** A write refused under the fence: the store's ConflictError. */
function isConflict(err: unknown): boolean {
  return isAppError(err, "CONFLICT");
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
