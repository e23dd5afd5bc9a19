/**
 * What one batch of queued source events changes: the object changes (and revisions) to write, the
 * state they lead to, and whether the engine sees any of it. Pure: the current state is cloned, never
 * mutated; the events are applied in arrival order, each against the state the previous ones left.
 */
import type { LabelSelector } from "../engine/index.js";
import type { ObjectChange } from "../domain/repositories.js";
import type { ClusterState } from "../domain/ClusterState.js";
import type { ClusterObject, ObjectKind, ObservedVia } from "../domain/objects.js";
import { changesForDelete, changesForListing, changesForUpsert, type ChangeContext } from "./changes.js";

/** What a source reported, stamped with its arrival time. */
export type SyncEvent =
  | { readonly type: "list"; readonly kind: ObjectKind; readonly objects: readonly ClusterObject[]; readonly via: ObservedVia; readonly at: Date }
  | { readonly type: "upsert" | "remove"; readonly object: ClusterObject; readonly at: Date };

/** How many objects an event carries (a batch is bounded by objects, not events). */
export function eventWeight(e: SyncEvent): number {
  return e.type === "list" ? Math.max(1, e.objects.length) : 1;
}

export interface BatchChanges {
  readonly changes: ObjectChange[];
  /** The state after the batch: what the cluster state becomes once the store accepted `changes`. */
  readonly working: ClusterState;
  /** Whether the engine reads any of it: a status-only pod update or a metadata-only change is not. */
  readonly material: boolean;
}

export function changesForBatch(
  state: ClusterState,
  batch: readonly SyncEvent[],
  context: { readonly sourceRef: () => string | null; readonly namespaceSelectors: () => readonly LabelSelector[] },
): BatchChanges {
  const working = state.clone();
  const changes: ObjectChange[] = [];
  let material = false;
  for (const e of batch) {
    const ctx: ChangeContext = { observedAt: e.at, via: e.type === "list" ? e.via : "watch", sourceRef: context.sourceRef(), namespaceSelectors: context.namespaceSelectors };
    for (const c of changesForEvent(working, e, ctx)) {
      if (c.op === "delete") working.delete(c.object);
      else {
        material ||= !sameForEngine(working.get(c.object.kind, c.object.meta.uid), c.object);
        working.put(c.object);
      }
      if (c.op === "delete" || c.revision) material = true;
      changes.push(c);
    }
  }
  return { changes, working, material };
}

function changesForEvent(working: ClusterState, e: SyncEvent, ctx: ChangeContext): ObjectChange[] {
  if (e.type === "list") return changesForListing(working, e.kind, e.objects, ctx);
  if (e.type === "upsert") return changesForUpsert(working, e.object, ctx);
  return working.get(e.object.kind, e.object.meta.uid) ? changesForDelete(e.object, ctx, false) : [];
}

/** Whether two versions of an object are the same to the engine (everything but the resourceVersion). */
function sameForEngine(before: ClusterObject | undefined, after: ClusterObject): boolean {
  if (!before || before.kind !== after.kind) return false;
  const strip = (o: ClusterObject) => ({ ...o, meta: { ...o.meta, resourceVersion: "" } });
  return JSON.stringify(strip(before)) === JSON.stringify(strip(after));
}
