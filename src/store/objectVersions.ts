/**
 * Object versions stamped with generations (schema: ObjectVersion). A change applied while the
 * latest committed generation is g-1 belongs to generation g, the one the next recompute commits:
 * the version it replaces is closed at g (or dropped, when it was itself opened in the still-open
 * generation g and so never belonged to a committed one), and the new version opens at g.
 * Re-applying a change whose resourceVersion is already the open version writes nothing.
 */
import type { ClusterObject } from "../domain/objects.js";
import { Prisma } from "../generated/prisma/client.js";
import type { Tx } from "./prisma.js";
import { chunks, jsonRows } from "./bulkRows.js";
import type { BulkTable, RowLoader } from "./rowLoader.js";
import { appendAll } from "../engine/util/appendAll.js";
import type { ClusterId } from "../domain/repositories.js";

export interface VersionChange {
  readonly object: ClusterObject;
  readonly deleted: boolean;
}

const OBJECT_VERSIONS: BulkTable = {
  name: "object_versions",
  columns: [["cluster_id", "text"], ["kind", "text"], ["uid", "text"], ["namespace", "text"], ["name", "text"], ["resource_version", "text"], ["data", "jsonb"], ["valid_from", "int4"]],
};

export async function writeObjectVersions(tx: Tx, loader: RowLoader, cluster: ClusterId, generation: number, changes: readonly VersionChange[]): Promise<void> {
  // The lookups and closes in chunks (bulkRows.ts): a relist of 150,000 pods in one statement costs Prisma
  // several times more. The new versions (the bulk of the bytes) in one load, by COPY on PostgreSQL.
  const added: ClusterObject[] = [];
  for (const part of chunks(changes)) appendAll(added, await closeReplaced(tx, cluster, generation, part));
  await loader.insert(tx, OBJECT_VERSIONS, added, (o) => [cluster, o.kind, o.meta.uid, o.meta.namespace, o.meta.name, o.meta.resourceVersion, JSON.stringify(o), generation]);
}

/** Closes (or drops) the open versions `changes` replace; returns the objects whose new version must be added. */
async function closeReplaced(tx: Tx, cluster: ClusterId, generation: number, changes: readonly VersionChange[]): Promise<ClusterObject[]> {
  const keys = jsonRows(changes.map((c) => ({ kind: c.object.kind, uid: c.object.meta.uid })));
  // One index probe per key (LIMIT keeps the planner from flattening it into a join): during a first
  // relist the table has no statistics yet, and the join the planner chose then hashed every open
  // version for each statement (20 s of a 150,000-pod initial sync).
  const open = await tx.$queryRaw<{ kind: string; uid: string; resource_version: string }[]>`
    SELECT t.kind, t.uid, v.resource_version FROM json_to_recordset(${keys}::json) AS t(kind text, uid text)
    CROSS JOIN LATERAL (
      SELECT resource_version FROM object_versions v
      WHERE v.cluster_id = ${cluster} AND v.kind = t.kind AND v.uid = t.uid AND v.valid_to IS NULL LIMIT 1
    ) v`;
  const openRv = new Map(open.map((o) => [`${o.kind}\u0000${o.uid}`, o.resource_version]));
  const changed = changes.filter((c) => {
    const rv = openRv.get(`${c.object.kind}\u0000${c.object.meta.uid}`);
    return c.deleted ? rv !== undefined : rv !== c.object.meta.resourceVersion;
  });
  // Only versions that were open are closed or dropped: nothing to do for objects seen for the first time.
  const replaced = changed.filter((c) => openRv.has(`${c.object.kind}\u0000${c.object.meta.uid}`)).map((c) => ({ kind: c.object.kind, uid: c.object.meta.uid }));
  if (replaced.length > 0) {
    const replacedKeys = jsonRows(replaced);
    await tx.$executeRaw`
      DELETE FROM object_versions v USING json_to_recordset(${replacedKeys}::json) AS t(kind text, uid text)
      WHERE v.cluster_id = ${cluster} AND v.kind = t.kind AND v.uid = t.uid AND v.valid_to IS NULL AND v.valid_from >= ${generation}`;
    await tx.$executeRaw`
      UPDATE object_versions v SET valid_to = ${generation} FROM json_to_recordset(${replacedKeys}::json) AS t(kind text, uid text)
      WHERE v.cluster_id = ${cluster} AND v.kind = t.kind AND v.uid = t.uid AND v.valid_to IS NULL`;
  }
  return changed.filter((c) => !c.deleted).map((c) => c.object);
}

/** The generation changes applied now belong to: one past the latest committed. */
export async function openGeneration(tx: Tx, cluster: ClusterId): Promise<number> {
  const [row] = await tx.$queryRaw<{ g: number | null }[]>`SELECT max(generation)::int AS g FROM matrix_generations WHERE cluster_id = ${cluster}`;
  return (row?.g ?? 0) + 1;
}

/**
 * See ObjectRepository.settleOpenGeneration. With g the open generation: a version opened and
 * closed past g would be empty once moved back (dropped); versions closed past g close at g;
 * versions opened past g open at g (at most one per object is still open, so no key collides).
 * It only deletes, inserts and changes valid_to, as the runtime role may.
 * The closes are found without an index on valid_to: this runs once per writer's term and after a
 * failed computation, never per change.
 */
export async function settleOpenGeneration(tx: Tx, cluster: ClusterId): Promise<{ generation: number; rows: number }> {
  const g = await openGeneration(tx, cluster);
  const dropped = await tx.$executeRaw`
    DELETE FROM object_versions WHERE cluster_id = ${cluster} AND valid_from >= ${g} AND valid_to IS NOT NULL`;
  const closed = await tx.$executeRaw`
    UPDATE object_versions SET valid_to = ${g} WHERE cluster_id = ${cluster} AND valid_to > ${g}`;
  // Moved by delete and insert: the runtime role may change valid_to only (runtimeRole.ts), never
  // when a version begins. In one statement, so the open-version key is never held twice.
  const opened = await tx.$executeRaw`
    WITH moved AS (
      DELETE FROM object_versions WHERE cluster_id = ${cluster} AND valid_from > ${g}
      RETURNING cluster_id, kind, uid, namespace, name, resource_version, data
    )
    INSERT INTO object_versions (cluster_id, kind, uid, namespace, name, resource_version, data, valid_from)
    SELECT cluster_id, kind, uid, namespace, name, resource_version, data, ${g} FROM moved`;
  return { generation: g, rows: dropped + closed + opened };
}

/** Rows per FETCH of readObjectsAt's cursor. */
const OBJECTS_PAGE = 2000;

/**
 * The objects of a generation, read through a cursor in pages of OBJECTS_PAGE rows (`tx` must be
 * a transaction: a cursor lives in one). Read in one statement, 165,000 objects came back as one
 * result that Prisma turned into objects in one piece (~0.5 s, and its garbage, inside the 6.4 s
 * the API's first workload list of a generation held the event loop); between pages the event loop
 * gets a turn.
 */
export async function readObjectsAt(tx: Tx, cluster: ClusterId, generation: number): Promise<ClusterObject[]> {
  await tx.$executeRaw`
    DECLARE objects_at NO SCROLL CURSOR FOR
    SELECT data FROM object_versions
    WHERE cluster_id = ${cluster} AND valid_from <= ${generation} AND (valid_to IS NULL OR valid_to > ${generation})
    ORDER BY kind, namespace, name, uid`;
  const objects: ClusterObject[] = [];
  for (;;) {
    const rows = await tx.$queryRaw<{ data: ClusterObject }[]>`FETCH ${Prisma.raw(String(OBJECTS_PAGE))} FROM objects_at`;
    for (const r of rows) objects.push(r.data);
    if (rows.length < OBJECTS_PAGE) break;
  }
  await tx.$executeRaw`CLOSE objects_at`;
  return objects;
}
