/**
 * One generation's matrix, computed incrementally from the last one when it can be (the engine's
 * IncrementalMatrix: only the class pairs a change can move are evaluated), from scratch otherwise:
 * the first generation, after a fallback the engine asks for (it says why), or when the snapshot
 * to build on is not the one this maintainer produced (a restart loaded it from the database).
 *
 * The incremental snapshot is the previous one with the changed classes and connections replaced,
 * so the store's delta (computeMatrixDelta) stays a few rows for a one-object change.
 */
import { collectGarbage } from "./collectGarbage.js";
import type { Logger } from "pino";
import { classSignatures, IncrementalMatrix, RowEstimate, type ChangePair, type NamespaceInput, type NetworkPolicyInput, type PodInput, type TieredPolicyInput, type WorldChange } from "../engine/index.js";
import type { MatrixSnapshot } from "../domain/repositories.js";
import { analyze, type Analysis } from "./analysis.js";
import { namespaceInput, networkPolicyInput, podInput, tieredPolicyInput, type ClusterState } from "../domain/ClusterState.js";
import type { LoggedBatch } from "./impact.js";
import { toMatrixSnapshot } from "./matrixSnapshot.js";
import { SnapshotBuilder } from "./SnapshotBuilder.js";
import { drain, TimeSlicer } from "../domain/TimeSlicer.js";
import { isTieredKind, type ClusterObject, type NamespaceObject, type PodObject, type PolicyObject } from "../domain/objects.js";

export interface GenerationStats {
  readonly classes: number;
  readonly entries: number;
  readonly pods: number;
  readonly policies: number;
  readonly tieredPolicies: number;
  readonly unresolvedPeerRules: number;
}

export interface ComputedGeneration {
  readonly analysis: Analysis;
  readonly snapshot: MatrixSnapshot;
  readonly stats: GenerationStats;
  readonly method: "full" | "incremental";
  /** Why a full recompute was needed, when one was. */
  readonly reason?: string;
  readonly touchedPods?: number;
  readonly evaluatedPairs?: number;
  /**
   * Work the impacts of this generation need, done sliced before they read the analysis (an
   * incremental generation's estimatedRows counts what changed since the last count, which for a
   * change of every class is O(matrix); it must run before the next change moves the engine
   * state). Absent when there is none.
   */
  readonly prepareImpacts?: () => Promise<void>;
}

/** More changed objects than this in one generation: recompute from scratch (a relist, a large rollout). */
export const MAX_INCREMENTAL_OBJECTS = 2000;

export class MatrixMaintainer {
  private inc: IncrementalMatrix | undefined;
  /** The snapshot the engine state corresponds to: incremental only on top of it. */
  private produced: MatrixSnapshot | undefined;
  private unresolvedPeerRules = 0;
  /**
   * The impact estimate (estimatedRows) of the engine state, kept across generations: counted again
   * only where the engine's updates changed something. Counted from scratch at every generation,
   * it was a pass over every connection (50-230 ms of CPU per change at 150,000 pods).
   */
  private rowEstimate: RowEstimate | undefined;

  /** A generation was computed: a later full recompute has readers, whom a collection would stall. */
  private computedBefore = false;

  constructor(private readonly log: Logger) {}

  /** Drops the incremental state: the next compute is from scratch. */
  reset(): void {
    this.inc = undefined;
    this.produced = undefined;
    this.rowEstimate = undefined;
  }

  /**
   * The next generation. Incremental work is cut into steps (stepsOf: an object, or a few pods, at
   * a time) and the event loop gets a turn between steps whenever `slicer`'s slice is used up: a
   * generation that batches dozens of policy changes is seconds of CPU at 10,000 pods, and run in
   * one go it stalled every reader of the API. Applying the steps one after the other is exact:
   * each is an ordinary change of the engine state the previous step left.
   */
  async compute(previous: { state: ClusterState; snapshot: MatrixSnapshot | undefined }, state: ClusterState, log: readonly LoggedBatch[], slicer: TimeSlicer = new TimeSlicer()): Promise<ComputedGeneration> {
    let reason = "first generation of this process";
    if (this.inc && previous.snapshot && previous.snapshot === this.produced) {
      const change = worldChange(previous.state, state, log);
      if (change === "too many") reason = `more than ${MAX_INCREMENTAL_OBJECTS} objects changed`;
      else {
        const outcome = await this.incremental(previous.snapshot, stepsOf(change), slicer);
        if (outcome.ok) return this.generation(outcome.built, state);
        reason = outcome.reason;
      }
    }
    const first = !this.computedBefore;
    if (first) this.collect("before the first generation");
    this.computedBefore = true;
    const computed = this.full(state, reason);
    // And committed on one: the computation's garbage (about 1 GB allocated at 150,000 pods) is
    // otherwise still there while the commit builds the delta, the digest and the readers' index.
    if (first) this.collect("after computing the first generation");
    return computed;
  }

  /** See collectGarbage.ts: the first generation of a process is computed and committed on a collected heap. */
  private collect(when: string): void {
    const before = process.memoryUsage();
    const t0 = performance.now();
    if (!collectGarbage()) return;
    const after = process.memoryUsage();
    const mib = (n: number) => Math.round(n / 2 ** 20);
    this.log.info({ ms: Math.round(performance.now() - t0), heapUsedMiB: [mib(before.heapUsed), mib(after.heapUsed)], externalMiB: [mib(before.external), mib(after.external)], rssMiB: [mib(before.rss), mib(after.rss)] }, `collected garbage ${when}`);
  }

  private full(state: ClusterState, reason: string): ComputedGeneration {
    this.reset();
    const analysis = analyze(state);
    const signatures = classSignatures(analysis.matrix);
    // Native maps: the commit (its delta of every row and its digest), the readers' index and the
    // impacts read them much faster than persistent ones. The next incremental snapshot's
    // persistent maps lie over them (PersistentMap.over) and hold only what changed: converting
    // 833,000 entries at 150,000 pods took ~5 s of CPU, which the first policy change waited for.
    const native = toMatrixSnapshot(analysis.matrix, signatures);
    const snapshot: MatrixSnapshot = { classes: native.classes, connections: native.connections };
    this.inc = new IncrementalMatrix(analysis.matrix, analysis.diagnostics, signatures);
    this.rowEstimate = new RowEstimate(this.inc);
    this.produced = snapshot;
    this.unresolvedPeerRules = analysis.matrix.stats.unresolvedPeerRules;
    return {
      analysis,
      snapshot,
      method: "full",
      reason,
      stats: {
        classes: analysis.matrix.stats.classes,
        entries: analysis.matrix.stats.entries,
        pods: analysis.world.pods.length,
        policies: analysis.world.networkPolicies.length,
        tieredPolicies: analysis.world.tieredPolicies.length,
        unresolvedPeerRules: analysis.matrix.stats.unresolvedPeerRules,
      },
    };
  }

  /**
   * Applies the steps to the engine state and to new versions of the previous snapshot's maps.
   * Any failure leaves the engine state unusable (steps already applied moved it): it is reset,
   * and the caller recomputes from scratch.
   */
  private async incremental(previous: MatrixSnapshot, steps: readonly WorldChange[], slicer: TimeSlicer): Promise<{ ok: true; built: SnapshotBuilder } | { ok: false; reason: string }> {
    const inc = this.inc!;
    // The previous snapshot is committed: drop its own hint, or every snapshot would keep the one before alive.
    (previous as { changedSince?: MatrixSnapshot["changedSince"] }).changedSince = undefined;
    const built = new SnapshotBuilder(previous);
    for (const step of steps) {
      let update: ReturnType<IncrementalMatrix["apply"]>;
      try {
        // Sliced within a step too: one policy whose rule admits every source moves thousands of pairs.
        update = await slicer.run(inc.applySteps(step));
        if (update.method === "incremental") {
          this.rowEstimate!.note(update);
          // Sliced as well: a step that moves thousands of connections names each of them here.
          await slicer.run(built.add(update));
        }
      } catch (err) {
        this.log.error({ err }, "incremental recompute failed; recomputing from scratch");
        this.reset();
        return { ok: false, reason: "the incremental recompute failed" };
      }
      if (update.method !== "incremental") {
        // Nothing of this step was applied, but earlier steps were: the engine state is no longer `previous`'s.
        this.reset();
        return { ok: false, reason: update.reason };
      }
      await slicer.pause();
    }
    try {
      this.produced = await slicer.run(built.build());
    } catch (err) {
      // The engine state has moved past `produced`: never build on it again.
      this.log.error({ err }, "incremental snapshot failed; recomputing from scratch");
      this.reset();
      return { ok: false, reason: "the incremental snapshot failed" };
    }
    return { ok: true, built };
  }

  private generation(built: SnapshotBuilder, state: ClusterState): ComputedGeneration {
    const inc = this.inc!;
    const rows = this.rowEstimate!;
    const world = built.world ?? inc.currentWorld;
    let full: Analysis | undefined;
    let estimate: number | undefined;
    // Readers of the class matrix itself (impacts of small clusters) get one computed from scratch, on demand.
    const fullAnalysis = () => (full ??= analyze(state));
    const analysis: Analysis = {
      world,
      diagnostics: inc.currentDiagnostics,
      get matrix() {
        return fullAnalysis().matrix;
      },
      connectivity: () => fullAnalysis().connectivity(),
      // Filled by prepareImpacts (sliced) before the impacts read it, before the next change moves the engine state.
      estimatedRows: () => (estimate ??= drain(rows.count())),
    };
    return {
      analysis,
      snapshot: this.produced!,
      method: "incremental",
      touchedPods: built.touchedPods,
      evaluatedPairs: built.evaluatedPairs,
      prepareImpacts: async () => {
        estimate ??= await new TimeSlicer().run(rows.count());
      },
      stats: {
        classes: inc.stats.classes,
        entries: inc.stats.entries,
        pods: world.pods.length,
        policies: world.networkPolicies.length,
        tieredPolicies: world.tieredPolicies.length,
        unresolvedPeerRules: this.unresolvedPeerRules,
      },
    };
  }
}

/**
 * One generation's change as steps the engine applies one after the other, ordered so that every
 * intermediate world is one the engine can follow exactly: namespaces created or relabelled first
 * (pods and policies of a new namespace find it), then each policy on its own (deletions first, so
 * a policy deleted and recreated under its name never meets itself), then pods a few at a time
 * (deletions first, as for a StatefulSet pod recreated under its name), namespaces deleted last
 * (their pods and policies are gone by then). An intermediate world the engine cannot follow
 * (e.g. two tiered policies that swap priorities, tied between the two steps) is a fallback to a
 * full recompute: slower, never wrong.
 */
export function stepsOf(change: WorldChange): WorldChange[] {
  const order = <T>(pairs: readonly ChangePair<T>[] = []) => [...pairs.filter((p) => !p.after), ...pairs.filter((p) => p.after && p.before), ...pairs.filter((p) => !p.before)];
  const steps: WorldChange[] = [];
  const namespaces = change.namespaces ?? [];
  const kept = namespaces.filter((p) => p.after);
  if (kept.length) steps.push({ namespaces: kept });
  for (const p of order(change.networkPolicies)) steps.push({ networkPolicies: [p] });
  for (const p of order(change.tieredPolicies)) steps.push({ tieredPolicies: [p] });
  const pods = order(change.pods);
  for (let i = 0; i < pods.length; i += PODS_PER_STEP) steps.push({ pods: pods.slice(i, i + PODS_PER_STEP) });
  const deleted = namespaces.filter((p) => !p.after);
  if (deleted.length) steps.push({ namespaces: deleted });
  return steps.length ? steps : [{}];
}

/** Pods per step: a pod's reclassification is cheap, a step's fixed cost (compile, splice) is not. */
const PODS_PER_STEP = 32;

/** The change between two states, from the objects the log names (each compared before/after). */
function worldChange(before: ClusterState, after: ClusterState, log: readonly LoggedBatch[]): WorldChange | "too many" {
  const seen = new Set<string>();
  const namespaces: ChangePair<NamespaceInput>[] = [];
  const pods: ChangePair<PodInput>[] = [];
  const networkPolicies: ChangePair<NetworkPolicyInput>[] = [];
  const tieredPolicies: ChangePair<TieredPolicyInput>[] = [];
  for (const batch of log)
    for (const c of batch.changes) {
      const { kind } = c.object;
      const id = `${kind}\u0000${c.object.meta.uid}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (seen.size > MAX_INCREMENTAL_OBJECTS) return "too many";
      const b = before.get(kind, c.object.meta.uid);
      const a = after.get(kind, c.object.meta.uid);
      if (b === a) continue;
      if (isTieredKind(kind)) tieredPolicies.push(pair(b, a, (o) => tieredPolicyInput(o as PolicyObject)));
      else if (kind === "Namespace") namespaces.push(pair(b, a, (o) => namespaceInput(o as NamespaceObject)));
      else if (kind === "Pod") pods.push(pair(b, a, (o) => podInput(o as PodObject)));
      else networkPolicies.push(pair(b, a, (o) => networkPolicyInput(o as PolicyObject)));
    }
  return { namespaces, pods, networkPolicies, tieredPolicies };
}

function pair<T>(b: ClusterObject | undefined, a: ClusterObject | undefined, to: (o: ClusterObject) => T): ChangePair<T> {
  return { before: b && to(b), after: a && to(a) };
}

