/** The matrix snapshot of an incremental generation (recompute.ts), from the engine's updates. */
import { workloadKey, type IncrementalUpdate, type SigClass } from "../engine/index.js";
import type { ClassKey, ClassMember, MatrixClass, MatrixSnapshot } from "../domain/repositories.js";
import { externalMembers } from "./matrixSnapshot.js";
import { PersistentMap } from "../domain/PersistentMap.js";
import { YIELD_EVERY, type SlicedWork } from "../domain/TimeSlicer.js";
import { classKeyOf, classPairKey, type ClassPairKey } from "../domain/keys.js";

/**
 * The next snapshot, step by step. Each step's changed classes and connections are collected in
 * native maps (a key changed by several steps keeps its last value); build() then makes new
 * versions of the previous snapshot's persistent maps with them, sliced (O(change), the previous
 * snapshot left as it was). The collected maps are the snapshot's changedSince hint, which the
 * store's delta, the content digest and the API's index read instead of the persistent maps.
 */
export class SnapshotBuilder {
  private readonly classes = new Map<ClassKey, MatrixClass | undefined>();
  private readonly connections = new Map<ClassPairKey, string | undefined>();
  private readonly keys = new Map<string, ClassKey>();
  world: IncrementalUpdate["world"] | undefined;
  touchedPods = 0;
  evaluatedPairs = 0;

  constructor(private readonly base: MatrixSnapshot) {}

  *add(update: IncrementalUpdate): SlicedWork<void> {
    this.world = update.world;
    this.touchedPods += update.stats.touchedPods;
    this.evaluatedPairs += update.stats.evaluatedPairs;
    // Work since the last yield: a class costs its pods (toMatrixClass reads each), a connection one.
    let work = 0;
    for (const sig of update.removedClasses) this.classes.set(this.keyOf(sig), undefined);
    // Members read now: the pods of a class are this step's (a later step that moves them lists the class again).
    for (const c of [...update.addedClasses, ...update.changedMembers]) {
      this.classes.set(this.keyOf(c.sig), toMatrixClass(this.keyOf(c.sig), c, update));
      work += 1 + c.pods.size;
      if (work >= YIELD_EVERY) {
        work = 0;
        yield;
      }
    }
    for (const c of update.connections) {
      this.connections.set(classPairKey(this.keyOf(c.src), this.keyOf(c.dst)), c.conn?.key);
      if (++work >= YIELD_EVERY) {
        work = 0;
        yield;
      }
    }
  }

  *build(): SlicedWork<MatrixSnapshot> {
    // A committed snapshot's maps never change: a full generation's native ones are built on in place.
    const classes = yield* PersistentMap.withEditsSliced(PersistentMap.over(this.base.classes), this.classes);
    const connections = yield* PersistentMap.withEditsSliced(PersistentMap.over(this.base.connections), this.connections);
    return { classes, connections, changedSince: { base: this.base, classes: this.classes, connections: this.connections } };
  }

  private keyOf(sig: string): ClassKey {
    let k = this.keys.get(sig);
    if (k === undefined) this.keys.set(sig, (k = classKeyOf(sig)));
    return k;
  }
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
