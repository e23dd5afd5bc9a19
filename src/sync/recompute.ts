/**
 * One generation's matrix, computed incrementally from the last one when it can be (the engine's
 * IncrementalMatrix: only the class pairs a change can move are evaluated), from scratch otherwise:
 * the first generation, after a fallback the engine asks for (it says why), or when the snapshot
 * to build on is not the one this maintainer produced (a restart loaded it from the database).
 *
 * The incremental snapshot is the previous one with the changed classes and connections replaced,
 * so the store's delta (computeMatrixDelta) stays a few rows for a one-object change.
 */
import type { Logger } from "pino";
import { classSignatures, IncrementalMatrix, workloadKey, type ChangePair, type IncrementalUpdate, type NamespaceInput, type NetworkPolicyInput, type PodInput, type SigClass, type TieredPolicyInput, type WorldChange } from "../engine/index.js";
import type { ClassKey, ClassMember, MatrixClass, MatrixSnapshot } from "../domain/repositories.js";
import { analyze, type Analysis } from "./analysis.js";
import { namespaceInput, networkPolicyInput, podInput, tieredPolicyInput, type ClusterState } from "../domain/ClusterState.js";
import type { LoggedBatch } from "./impact.js";
import { externalMembers, toMatrixSnapshot } from "./matrixSnapshot.js";
import { PersistentMap } from "../domain/PersistentMap.js";
import { classKeyOf, classPairKey, type ClassPairKey } from "../domain/keys.js";
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
}

/** More changed objects than this in one generation: recompute from scratch (a relist, a large rollout). */
export const MAX_INCREMENTAL_OBJECTS = 2000;

export class MatrixMaintainer {
  private inc: IncrementalMatrix | undefined;
  /** The snapshot the engine state corresponds to: incremental only on top of it. */
  private produced: MatrixSnapshot | undefined;
  private unresolvedPeerRules = 0;

  constructor(private readonly log: Logger) {}

  /** Drops the incremental state: the next compute is from scratch. */
  reset(): void {
    this.inc = undefined;
    this.produced = undefined;
  }

  compute(previous: { state: ClusterState; snapshot: MatrixSnapshot | undefined }, state: ClusterState, log: readonly LoggedBatch[]): ComputedGeneration {
    let reason = "first generation of this process";
    if (this.inc && previous.snapshot && previous.snapshot === this.produced) {
      const change = worldChange(previous.state, state, log);
      if (change === "too many") reason = `more than ${MAX_INCREMENTAL_OBJECTS} objects changed`;
      else {
        let update: ReturnType<IncrementalMatrix["apply"]>;
        try {
          update = this.inc.apply(change);
        } catch (err) {
          // The engine state may be half-updated: never build on it again.
          this.log.error({ err }, "incremental recompute failed; recomputing from scratch");
          update = { method: "fallback", reason: "the incremental recompute failed" };
        }
        if (update.method === "incremental") {
          try {
            return this.incremental(previous.snapshot, update, state);
          } catch (err) {
            // The engine state has moved past `produced`: never build on it again.
            this.log.error({ err }, "incremental snapshot failed; recomputing from scratch");
            reason = "the incremental snapshot failed";
          }
        } else reason = update.reason;
      }
    }
    return this.full(state, reason);
  }

  private full(state: ClusterState, reason: string): ComputedGeneration {
    this.reset();
    const analysis = analyze(state);
    const signatures = classSignatures(analysis.matrix);
    const native = toMatrixSnapshot(analysis.matrix, signatures);
    // Persistent maps: the next (incremental) snapshot shares what it does not change with this one.
    const snapshot: MatrixSnapshot = { classes: PersistentMap.of(native.classes), connections: PersistentMap.of(native.connections) };
    this.inc = new IncrementalMatrix(analysis.matrix, analysis.diagnostics, signatures);
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

  private incremental(previous: MatrixSnapshot, update: IncrementalUpdate, state: ClusterState): ComputedGeneration {
    const inc = this.inc!;
    // The previous snapshot is committed: drop its own hint, or every snapshot would keep the one before alive.
    (previous as { changedSince?: MatrixSnapshot["changedSince"] }).changedSince = undefined;
    const keys = new Map<string, ClassKey>();
    const keyOf = (sig: string) => {
      let k = keys.get(sig);
      if (k === undefined) keys.set(sig, (k = classKeyOf(sig)));
      return k;
    };
    const changedClasses = new Set<ClassKey>();
    const changedConnections = new Set<ClassPairKey>();
    // New versions of the previous maps: O(change), the previous snapshot left as it was.
    const classes = PersistentMap.of(previous.classes).update((draft) => {
      for (const sig of update.removedClasses) {
        draft.delete(keyOf(sig));
        changedClasses.add(keyOf(sig));
      }
      for (const c of [...update.addedClasses, ...update.changedMembers]) {
        draft.set(keyOf(c.sig), toMatrixClass(keyOf(c.sig), c, update));
        changedClasses.add(keyOf(c.sig));
      }
    });
    const connections = PersistentMap.of(previous.connections).update((draft) => {
      for (const c of update.connections) {
        const k = classPairKey(keyOf(c.src), keyOf(c.dst));
        if (c.conn) draft.set(k, c.conn.key);
        else draft.delete(k);
        changedConnections.add(k);
      }
    });
    const snapshot: MatrixSnapshot = { classes, connections, changedSince: { base: previous, classes: changedClasses, connections: changedConnections } };
    this.produced = snapshot;
    const world = update.world;
    let full: Analysis | undefined;
    let estimate: number | undefined;
    // Readers of the class matrix itself (impacts of small clusters) get one computed from scratch, on demand.
    const fullAnalysis = () => (full ??= analyze(state));
    const analysis: Analysis = {
      world,
      diagnostics: update.diagnostics,
      get matrix() {
        return fullAnalysis().matrix;
      },
      connectivity: () => fullAnalysis().connectivity(),
      // Memoised at the first call (this generation's impacts, before the next change moves the engine state).
      estimatedRows: () => (estimate ??= estimateRows(inc, update)),
    };
    return {
      analysis,
      snapshot,
      method: "incremental",
      touchedPods: update.stats.touchedPods,
      evaluatedPairs: update.stats.evaluatedPairs,
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

function toMatrixClass(key: ClassKey, c: SigClass, update: IncrementalUpdate): MatrixClass {
  const members: ClassMember[] = [];
  if (c.kind === "pod") {
    const counts = new Map<string, { ref: { namespace: string; kind: string; name: string }; pods: number }>();
    for (const k of c.pods) {
      const w = update.world.podByKey.get(k)!.workload;
      const wk = workloadKey(w);
      const hit = counts.get(wk);
      if (hit) hit.pods++;
      else counts.set(wk, { ref: w, pods: 1 });
    }
    for (const { ref, pods } of counts.values()) members.push({ type: "workload", namespace: ref.namespace, kind: ref.kind, name: ref.name, pods });
    return { key, kind: c.kind, members };
  }
  return { key, kind: c.kind, members: externalMembers(c.ranges) };
}

/** estimatedRows of analysis.ts from the signature matrix: workloads (or atoms) per class, over the connections. */
function estimateRows(inc: IncrementalMatrix, update: IncrementalUpdate): number {
  const size = new Map<string, number>();
  for (const c of inc.allClasses()) {
    if (c.kind === "external") size.set(c.sig, c.ranges.length);
    else size.set(c.sig, new Set([...c.pods].map((k) => workloadKey(update.world.podByKey.get(k)!.workload))).size);
  }
  let total = 0;
  for (const c of inc.connections()) total += size.get(c.src)! * size.get(c.dst)!;
  return total;
}

