/**
 * What the sync service needs from persistence. src/store implements it; tests may use the real
 * store on PGlite. Kept here so sync depends on an interface, not on Prisma.
 */
import type { ClusterId, GenerationMeta, ImpactInput, MatrixSnapshot, ObjectChange, StoredRevision } from "../store/types.js";
import type { ClusterObject, JsonValue } from "./objects.js";

export interface SyncStore {
  ensureCluster(cluster: ClusterId, source: string): Promise<void>;
  loadObjects(cluster: ClusterId): Promise<ClusterObject[]>;
  /** One transaction: object upserts/deletes plus the revisions they carry. Returns the revisions appended (duplicates are skipped). */
  applyChanges(cluster: ClusterId, changes: readonly ObjectChange[]): Promise<StoredRevision[]>;
  loadLatestSnapshot(cluster: ClusterId): Promise<{ generation: number; snapshot: MatrixSnapshot } | undefined>;
  /** One transaction, writing only what differs from `previous`; returns the new generation number. */
  commitGeneration(cluster: ClusterId, previous: MatrixSnapshot | undefined, next: MatrixSnapshot, meta: GenerationMeta): Promise<number>;
  saveImpacts(cluster: ClusterId, impacts: readonly ImpactInput[]): Promise<void>;
  startSyncRun(cluster: ClusterId, source: string): Promise<bigint>;
  finishSyncRun(id: bigint, outcome: "success" | "failure", counts: JsonValue, errors: JsonValue): Promise<void>;
}
