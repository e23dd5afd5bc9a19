/** Clusters: the key every other table hangs off. */
import { mapStoreErrors } from "./errors.js";
import type { Db } from "./prisma.js";
import type { ClusterId, ClusterRecord, ClusterRepository } from "../domain/repositories.js";

export class PrismaClusterRepository implements ClusterRepository {
  constructor(private readonly db: Db) {}

  ensureCluster(id: ClusterId, source: string): Promise<ClusterRecord> {
    return mapStoreErrors(`ensureCluster(${id})`, async () => {
      const now = new Date();
      return this.db.cluster.upsert({
        where: { id },
        create: { id, source, createdAt: now, updatedAt: now },
        update: { source, updatedAt: now },
      });
    });
  }

  listClusters(): Promise<ClusterRecord[]> {
    return mapStoreErrors("listClusters", () => this.db.cluster.findMany({ orderBy: { id: "asc" } }));
  }
}
