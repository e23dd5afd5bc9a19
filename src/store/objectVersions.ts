/**
 * Object versions stamped with generations (schema: ObjectVersion). A change applied while the
 * latest committed generation is g-1 belongs to generation g, the one the next recompute commits:
 * the version it replaces is closed at g (or dropped, when it was itself opened in the still-open
 * generation g and so never belonged to a committed one), and the new version opens at g.
 * Re-applying a change whose resourceVersion is already the open version writes nothing.
 */
import type { ClusterObject } from "../domain/objects.js";
import type { Tx } from "./prisma.js";
import type { ClusterId } from "../domain/repositories.js";

export interface VersionChange {
  readonly object: ClusterObject;
  readonly deleted: boolean;
}

export async function writeObjectVersions(tx: Tx, cluster: ClusterId, generation: number, changes: readonly VersionChange[]): Promise<void> {
  if (changes.length === 0) return;
  const kinds = changes.map((c) => c.object.kind);
  const uids = changes.map((c) => c.object.meta.uid);
  const open = await tx.$queryRaw<{ kind: string; uid: string; resource_version: string }[]>`
    SELECT v.kind, v.uid, v.resource_version FROM object_versions v
    JOIN unnest(${kinds}::text[], ${uids}::text[]) AS t(kind, uid) ON v.kind = t.kind AND v.uid = t.uid
    WHERE v.cluster_id = ${cluster} AND v.valid_to IS NULL`;
  const openRv = new Map(open.map((o) => [`${o.kind}\u0000${o.uid}`, o.resource_version]));
  const changed = changes.filter((c) => {
    const rv = openRv.get(`${c.object.kind}\u0000${c.object.meta.uid}`);
    return c.deleted ? rv !== undefined : rv !== c.object.meta.resourceVersion;
  });
  if (changed.length === 0) return;
  const ck = changed.map((c) => c.object.kind);
  const cu = changed.map((c) => c.object.meta.uid);
  await tx.$executeRaw`
    DELETE FROM object_versions v USING unnest(${ck}::text[], ${cu}::text[]) AS t(kind, uid)
    WHERE v.cluster_id = ${cluster} AND v.kind = t.kind AND v.uid = t.uid AND v.valid_to IS NULL AND v.valid_from >= ${generation}`;
  await tx.$executeRaw`
    UPDATE object_versions v SET valid_to = ${generation} FROM unnest(${ck}::text[], ${cu}::text[]) AS t(kind, uid)
    WHERE v.cluster_id = ${cluster} AND v.kind = t.kind AND v.uid = t.uid AND v.valid_to IS NULL`;
  const added = changed.filter((c) => !c.deleted).map((c) => c.object);
  if (added.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO object_versions (cluster_id, kind, uid, namespace, name, resource_version, data, valid_from)
    SELECT ${cluster}, t.kind, t.uid, t.namespace, t.name, t.rv, t.data::jsonb, ${generation}
    FROM unnest(${added.map((o) => o.kind)}::text[], ${added.map((o) => o.meta.uid)}::text[], ${added.map((o) => o.meta.namespace)}::text[],
                ${added.map((o) => o.meta.name)}::text[], ${added.map((o) => o.meta.resourceVersion)}::text[],
                ${added.map((o) => JSON.stringify(o))}::text[]) AS t(kind, uid, namespace, name, rv, data)`;
}

/** The generation changes applied now belong to: one past the latest committed. */
export async function openGeneration(tx: Tx, cluster: ClusterId): Promise<number> {
  const [row] = await tx.$queryRaw<{ g: number | null }[]>`SELECT max(generation)::int AS g FROM matrix_generations WHERE cluster_id = ${cluster}`;
  return (row?.g ?? 0) + 1;
}

export async function readObjectsAt(tx: Tx, cluster: ClusterId, generation: number): Promise<ClusterObject[]> {
  const rows = await tx.$queryRaw<{ data: ClusterObject }[]>`
    SELECT data FROM object_versions
    WHERE cluster_id = ${cluster} AND valid_from <= ${generation} AND (valid_to IS NULL OR valid_to > ${generation})
    ORDER BY kind, namespace, name, uid`;
  return rows.map((r) => r.data);
}
