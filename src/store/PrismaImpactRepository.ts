/** Reachability impacts of revisions: derived data, insert-only (triggers refuse UPDATE/DELETE). */
import type { ReachabilityImpact } from "../generated/prisma/client.js";
import { impactSideFromJson, impactSideToJson } from "./impactRows.js";
import { mapStoreErrors } from "./errors.js";
import { checkFence } from "./PrismaLeaseRepository.js";
import { TX_OPTIONS, type Db } from "./prisma.js";
import type { ClusterId, Fence, ImpactInput, ImpactRepository, StoredImpact } from "../domain/repositories.js";

export class PrismaImpactRepository implements ImpactRepository {
  constructor(private readonly db: Db) {}

  save(cluster: ClusterId, impacts: readonly ImpactInput[], options: { readonly fence?: Fence } = {}): Promise<StoredImpact[]> {
    return mapStoreErrors(`impacts.save(${cluster}, ${impacts.length})`, async () => {
      if (impacts.length === 0) return [];
      const computedAt = new Date();
      const ids = await this.db.$transaction(async (tx) => {
        await checkFence(tx, cluster, options.fence);
        // One statement per impact, its sides as JSON text: Prisma turns a JSON value parameter into
        // the query synchronously (one createMany of a generation's impacts, up to 2,000 rows a side,
        // held the event loop the API shares for 120 ms); a text parameter is copied, not walked.
        const out: bigint[] = [];
        for (const i of impacts) {
          const [row] = await tx.$queryRaw<{ id: bigint }[]>`
            INSERT INTO reachability_impacts (cluster_id, revision_ids, generation, gained, lost, exact, computed_at)
            VALUES (${cluster}, ${i.revisionIds.map(String)}::int8[], ${i.generation}, ${JSON.stringify(impactSideToJson(i.gained))}::jsonb,
                    ${JSON.stringify(impactSideToJson(i.lost))}::jsonb, ${i.exact}, ${computedAt})
            RETURNING id`;
          out.push(row!.id);
        }
        return out;
      }, TX_OPTIONS);
      return impacts.map((i, k) => ({ id: ids[k]!, clusterId: cluster, revisionIds: [...i.revisionIds], generation: i.generation, gained: i.gained, lost: i.lost, exact: i.exact, computedAt }));
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
