/**
 * Reachability impact of recorded revisions: the workload pairs (and ports) that gained or lost
 * connectivity, from diffing the connectivity before and after. A revision gets an exact impact
 * when few revisions arrived together (the states between them are replayed); a large batch (an
 * initial sync, a reconcile after a gap) gets one impact attributed to all its revisions jointly.
 */
import { diffConnectivity, type ConnectivityRow, type DiffRow } from "../engine/index.js";
import type { ImpactInput, ObjectChange, StoredRevision } from "../domain/repositories.js";
import { impactRow, type ImpactRow, type ImpactSide } from "../domain/impacts.js";
import { analyze } from "./analysis.js";
import type { ClusterState } from "../domain/ClusterState.js";

/** Revisions replayed one by one at most; beyond this a batch gets a joint impact. */
export const MAX_EXACT_REVISIONS = 8;
/** Rows kept per side of an impact; the total is always recorded. */
export const MAX_IMPACT_ROWS = 2000;

export interface LoggedBatch {
  readonly changes: readonly ObjectChange[];
  readonly revisions: readonly StoredRevision[];
}

/** Beyond this many connectivity rows on either side, a diff would cost more than it tells: it is skipped and says so. */
export const MAX_DIFF_ROWS = 1_000_000;

export function computeImpacts(
  base: { state: ClusterState; connectivity: () => readonly ConnectivityRow[]; estimatedRows: () => number },
  final: { connectivity: () => readonly ConnectivityRow[]; estimatedRows: () => number },
  log: readonly LoggedBatch[],
  generation: number,
): ImpactInput[] {
  const revisions = log.flatMap((b) => b.revisions);
  if (revisions.length === 0) return [];
  const largest = Math.max(base.estimatedRows(), final.estimatedRows());
  if (largest > MAX_DIFF_ROWS) return [skippedImpact(revisions.map((r) => r.id), generation, largest)];
  const finalConnectivity = final.connectivity;
  if (revisions.length > MAX_EXACT_REVISIONS) {
    return [toImpact(revisions.map((r) => r.id), generation, diffConnectivity(base.connectivity(), finalConnectivity()), false)];
  }
  try {
    return exactImpacts(base, finalConnectivity, log, revisions, generation);
  } catch {
    // A state between two revisions the engine cannot analyse (the input a failed recompute choked
    // on, removed again before this generation): one joint impact, base to final, for all of them.
    return [toImpact(revisions.map((r) => r.id), generation, diffConnectivity(base.connectivity(), finalConnectivity()), false)];
  }
}

function exactImpacts(
  base: { state: ClusterState; connectivity: () => readonly ConnectivityRow[] },
  finalConnectivity: () => readonly ConnectivityRow[],
  log: readonly LoggedBatch[],
  revisions: readonly StoredRevision[],
  generation: number,
): ImpactInput[] {
  const revisionKey = (r: { uid: string; resourceVersion: string; operation: string }) => `${r.uid}\u0000${r.resourceVersion}\u0000${r.operation}`;
  const stored = new Map(revisions.map((r) => [revisionKey(r), r]));
  const out: ImpactInput[] = [];
  const state = base.state.clone();
  let before = base.connectivity;
  let pendingOther = false; // non-revision changes applied since `before` was computed
  let remaining = log.reduce((n, b) => n + b.changes.length, 0);
  for (const batch of log) {
    for (const c of batch.changes) {
      remaining--;
      const rev = c.revision ? stored.get(revisionKey(c.revision)) : undefined;
      if (!rev) {
        applyChange(state, c);
        pendingOther = true;
        continue;
      }
      if (pendingOther) {
        const rows = analyze(state).connectivity(); // bounded: the estimates of both ends were checked above
        before = () => rows;
        pendingOther = false;
      }
      applyChange(state, c);
      // After the last change the state is the final one: its analysis is the generation's own (an
      // incremental one computes it once and keeps it, so the next generation's "before" is free).
      const after = remaining === 0 ? finalConnectivity() : analyze(state).connectivity();
      out.push(toImpact([rev.id], generation, diffConnectivity(before(), after), true));
      before = () => after;
    }
  }
  return out;
}

/** One logged change applied to a state (the replay above, and the impact worker's copy of the state). */
export function applyChange(state: ClusterState, c: ObjectChange): void {
  if (c.op === "delete") state.delete(c.object);
  else state.put(c.object);
}

function toImpact(revisionIds: bigint[], generation: number, diff: readonly DiffRow[], exact: boolean): ImpactInput {
  const gained: ImpactRow[] = [];
  const lost: ImpactRow[] = [];
  for (const d of diff) {
    const more = d.after.subtract(d.before);
    const less = d.before.subtract(d.after);
    const row = (conn: string) => impactRow(d.src, d.dst, conn, d.before.key, d.after.key);
    if (!more.isEmpty()) gained.push(row(more.key));
    if (!less.isEmpty()) lost.push(row(less.key));
  }
  const cap = (rows: ImpactRow[]): ImpactSide => ({ total: rows.length, truncated: rows.length > MAX_IMPACT_ROWS, rows: rows.slice(0, MAX_IMPACT_ROWS) });
  return { revisionIds, generation, gained: cap(gained), lost: cap(lost), exact };
}

function skippedImpact(revisionIds: bigint[], generation: number, rows: number): ImpactInput {
  const note = `not computed: the connectivity list has about ${rows} rows (limit ${MAX_DIFF_ROWS}); compare the generations with the matrix export instead`;
  const side: ImpactSide = { total: 0, truncated: true, rows: [], skipped: note };
  return { revisionIds, generation, gained: side, lost: side, exact: false };
}
