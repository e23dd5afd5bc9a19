/**
 * Turns what a source observed into changes to persist: which objects to upsert or delete, and the
 * revisions to append for policies (spec created, changed or deleted) and for namespace label
 * changes that change which namespace selectors match. Pure: reads the current state, never mutates it.
 */
import jsonpatch from "fast-json-patch";
import type { LabelSelector } from "../engine/index.js";
import type { ObjectChange, RevisionInput, RevisionOperation } from "../domain/repositories.js";
import type { ClusterState } from "../domain/ClusterState.js";
import { isPolicyObject, type ClusterObject, type JsonValue, type ObjectKind, type ObservedVia } from "../domain/objects.js";
import { appendAll } from "../engine/util/appendAll.js";

export interface ChangeContext {
  readonly observedAt: Date;
  readonly via: ObservedVia;
  readonly sourceRef: string | null;
  /**
   * Namespace selectors of the current policies, to tell which namespace label changes matter. A
   * function: they are read only when a namespace's labels change, and collecting them from every
   * peer of 15,000 policies is milliseconds.
   */
  readonly namespaceSelectors: () => readonly LabelSelector[];
}

/** The changes an observed object implies (none when its resourceVersion is already known). */
export function changesForUpsert(state: ClusterState, obj: ClusterObject, ctx: ChangeContext): ObjectChange[] {
  const existing = state.get(obj.kind, obj.meta.uid);
  if (existing) {
    if (existing.meta.resourceVersion === obj.meta.resourceVersion) return [];
    return [{ op: "upsert", object: obj, revision: revisionForUpdate(existing, obj, ctx) }];
  }
  const out: ObjectChange[] = [];
  // Same name, new uid: the object was deleted and recreated (possibly while nobody watched).
  const sameName = state.findByName(obj.kind, obj.meta.namespace, obj.meta.name);
  if (sameName) appendAll(out, changesForDelete(sameName, ctx, ctx.via !== "watch" && ctx.via !== "manifest"));
  out.push({ op: "upsert", object: obj, revision: isPolicyObject(obj) ? revision(obj, "CREATE", null, obj.spec, ctx, false) : undefined });
  return out;
}

export function changesForDelete(obj: ClusterObject, ctx: ChangeContext, finalStateUnknown: boolean): ObjectChange[] {
  return [{ op: "delete", object: obj, revision: isPolicyObject(obj) ? revision(obj, "DELETE", obj.spec, null, ctx, finalStateUnknown) : undefined }];
}

/**
 * A complete listing of one kind: everything in it is upserted, everything of that kind not in it
 * was deleted while unobserved (final state unknown, except for manifests, whose last read is final).
 */
export function changesForListing(state: ClusterState, kind: ObjectKind, objects: readonly ClusterObject[], ctx: ChangeContext): ObjectChange[] {
  const listed = new Set(objects.map((o) => o.meta.uid));
  const out: ObjectChange[] = [];
  for (const o of state.all(kind)) if (!listed.has(o.meta.uid)) appendAll(out, changesForDelete(o, ctx, ctx.via !== "manifest"));
  const working = state.clone();
  for (const c of out) working.delete(c.object);
  for (const o of objects) {
    const cs = changesForUpsert(working, o, ctx);
    for (const c of cs) {
      if (c.op === "delete") working.delete(c.object);
      else working.put(c.object);
    }
    appendAll(out, cs);
  }
  return out;
}

function revisionForUpdate(before: ClusterObject, after: ClusterObject, ctx: ChangeContext): RevisionInput | undefined {
  if (isPolicyObject(before) && isPolicyObject(after)) {
    // Metadata-only updates (annotations, labels of the policy object) do not change what it allows.
    if (jsonEqual(before.spec, after.spec)) return undefined;
    return revision(after, "UPDATE", before.spec, after.spec, ctx, false);
  }
  if (before.kind === "Namespace" && after.kind === "Namespace") {
    const changesSelection = ctx.namespaceSelectors().some((s) => s.matches(before.meta.labels) !== s.matches(after.meta.labels));
    if (!changesSelection) return undefined;
    return revision(after, "UPDATE", before.meta.labels as JsonValue, after.meta.labels as JsonValue, ctx, false);
  }
  return undefined;
}

function revision(obj: ClusterObject, operation: RevisionOperation, before: JsonValue | null, after: JsonValue | null, ctx: ChangeContext, finalStateUnknown: boolean): RevisionInput {
  return {
    objectKind: obj.kind,
    namespace: obj.meta.namespace,
    name: obj.meta.name,
    uid: obj.meta.uid,
    resourceVersion: revisionVersion(obj, ctx),
    operation,
    before,
    after,
    diff: jsonpatch.compare((before ?? {}) as object, (after ?? {}) as object) as unknown as JsonValue,
    observedAt: ctx.observedAt,
    observedVia: ctx.via,
    finalStateUnknown,
    sourceRef: ctx.sourceRef,
  };
}

/**
 * The resourceVersion a revision is recorded under. Kubernetes never reuses one, so it identifies
 * the change (and makes replays after a relist idempotent). A manifest's version is the hash of its
 * content, which repeats when a change is reverted (A, B, A, B): its revisions also carry the time
 * the change was observed, or the second B would look like a replay of the first and be dropped.
 */
function revisionVersion(obj: ClusterObject, ctx: ChangeContext): string {
  return ctx.via === "manifest" ? `${obj.meta.resourceVersion}@${ctx.observedAt.toISOString()}` : obj.meta.resourceVersion;
}

function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  return jsonpatch.compare(a as object, b as object).length === 0;
}
