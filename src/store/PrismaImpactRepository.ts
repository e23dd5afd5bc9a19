/** Reachability impacts of revisions: derived data, insert-only (triggers refuse UPDATE/DELETE). */
import type { ReachabilityImpact } from "../generated/prisma/client.js";
import { impactSideFromJson, impactSideToJson } from "./impactRows.js";
import { mapStoreErrors } from "./errors.js";
import { checkFence } from "./PrismaLeaseRepository.js";
import { TX_OPTIONS, jsonInput, type Db } from "./prisma.js";
import type { ClusterId, Fence, ImpactInput, ImpactRepository, StoredImpact } from "../domain/repositories.js";

export class PrismaImpactRepository implements ImpactRepository {
  constructor(private readonly db: Db) {}

  save(cluster: ClusterId, impacts: readonly ImpactInput[], options: { readonly fence?: Fence } = {}): Promise<StoredImpact[]> {
    return mapStoreErrors(`impacts.save(${cluster}, ${impacts.length})`, async () => {
      if (impacts.length === 0) return [];
      const computedAt = new Date();
      const rows = await this.db.$transaction(async (tx) => {
        await checkFence(tx, cluster, options.fence);
        return tx.reachabilityImpact.createManyAndReturn({
        data: impacts.map((i) => ({
          clusterId: cluster,
          revisionIds: [...i.revisionIds],
          generation: i.generation,
          gained: jsonInput(impactSideToJson(i.gained)),
          lost: jsonInput(impactSideToJson(i.lost)),
          exact: i.exact,
          computedAt,
        })),
        });
      }, TX_OPTIONS);
      return rows.sort((a, b) => (a.id < b.id ? -1 : 1)).map(toStoredImpact);
    });
  }

  forRevisions(revisionIds: readonly bigint[]): Promise<StoredImpact[]> {
    return mapStoreErrors("impacts.forRevisions", async () => {
      if (revisionIds.length === 0) return [];
      // `&&` (array overlap) is what the GIN index on revision_ids serves.
      const ids = await this.db.$queryRaw<{ id: bigint }[]>`
        SELECT id FROM reachability_impacts WHERE revision_ids && ${revisionIds.map(String)}::int8[] ORDER BY id`;
      if (ids.length === 0) return [];
      const rows = await this.db.reachabilityImpact.findMany({ where: { id: { in: ids.map((r) => r.id) } }, orderBy: { id: "asc" } });
      return rows.map(toStoredImpact);
    });
  }
}

function toStoredImpact(r: ReachabilityImpact): StoredImpact {
  return {
    id: r.id,
    clusterId: r.clusterId,
    revisionIds: r.revisionIds,
    generation: r.generation,
    gained: impactSideFromJson(r.gained),
    lost: impactSideFromJson(r.lost),
    exact: r.exact,
    computedAt: r.computedAt,
  };
}
