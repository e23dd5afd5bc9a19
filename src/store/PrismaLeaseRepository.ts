/**
 * Sync leases (schema: SyncLease): at most one writer per cluster, fenced by an epoch that grows
 * at every takeover. All times come from the database's clock, so replicas' clocks do not matter.
 */
import { ConflictError } from "../domain/errors.js";
import { mapStoreErrors } from "./errors.js";
import type { Db, Tx } from "./prisma.js";
import type { ClusterId, Fence, Lease, LeaseRepository } from "../domain/repositories.js";

interface LeaseRow {
  holder: string;
  epoch: bigint;
  expires_at: Date;
}

export class PrismaLeaseRepository implements LeaseRepository {
  constructor(private readonly db: Db) {}

  acquire(cluster: ClusterId, holder: string, ttlMs: number, options: { readonly force?: boolean } = {}): Promise<Lease | undefined> {
    return mapStoreErrors(`leases.acquire(${cluster})`, async () => {
      // Free, expired, or already ours (a holder id names one process incarnation): take it with a new epoch.
      const rows = await this.db.$queryRaw<LeaseRow[]>`
        INSERT INTO sync_leases (cluster_id, holder, epoch, acquired_at, renewed_at, expires_at)
        VALUES (${cluster}, ${holder}, 1, now(), now(), now() + make_interval(secs => ${ttlMs / 1000}))
        ON CONFLICT (cluster_id) DO UPDATE
          SET holder = excluded.holder, epoch = sync_leases.epoch + 1, acquired_at = now(), renewed_at = now(), expires_at = excluded.expires_at
          WHERE sync_leases.expires_at < now() OR sync_leases.holder = excluded.holder OR ${options.force === true}
        RETURNING holder, epoch, expires_at`;
      const r = rows[0];
      return r ? { cluster, holder: r.holder, epoch: r.epoch, expiresAt: r.expires_at } : undefined;
    });
  }

  renew(lease: Fence & { readonly cluster: ClusterId }, ttlMs: number): Promise<Lease | undefined> {
    return mapStoreErrors(`leases.renew(${lease.cluster})`, async () => {
      const rows = await this.db.$queryRaw<LeaseRow[]>`
        UPDATE sync_leases SET renewed_at = now(), expires_at = now() + make_interval(secs => ${ttlMs / 1000})
        WHERE cluster_id = ${lease.cluster} AND holder = ${lease.holder} AND epoch = ${lease.epoch}
        RETURNING holder, epoch, expires_at`;
      const r = rows[0];
      return r ? { cluster: lease.cluster, holder: r.holder, epoch: r.epoch, expiresAt: r.expires_at } : undefined;
    });
  }

  release(lease: Fence & { readonly cluster: ClusterId }): Promise<void> {
    return mapStoreErrors(`leases.release(${lease.cluster})`, async () => {
      await this.db.$executeRaw`
        UPDATE sync_leases SET expires_at = now() WHERE cluster_id = ${lease.cluster} AND holder = ${lease.holder} AND epoch = ${lease.epoch}`;
    });
  }

  current(cluster: ClusterId): Promise<Lease | undefined> {
    return mapStoreErrors(`leases.current(${cluster})`, async () => {
      const rows = await this.db.$queryRaw<LeaseRow[]>`SELECT holder, epoch, expires_at FROM sync_leases WHERE cluster_id = ${cluster}`;
      const r = rows[0];
      return r ? { cluster, holder: r.holder, epoch: r.epoch, expiresAt: r.expires_at } : undefined;
    });
  }
}

/**
 * Inside a writing transaction: refuse unless `fence` still holds the cluster's lease. The row is
 * locked FOR SHARE, so a takeover (an UPDATE of that row) waits for this transaction to end: a write
 * either commits before the takeover or is refused after it, never interleaved.
 */
export async function checkFence(tx: Tx, cluster: ClusterId, fence: Fence | undefined): Promise<void> {
  if (!fence) return;
  const rows = await tx.$queryRaw<{ epoch: bigint; holder: string }[]>`
    SELECT holder, epoch FROM sync_leases WHERE cluster_id = ${cluster} FOR SHARE`;
  const r = rows[0];
  if (!r || r.holder !== fence.holder || r.epoch !== BigInt(fence.epoch))
    throw new ConflictError(
      `write fenced off for cluster ${cluster}: this process (epoch ${fence.epoch}) no longer holds the sync lease${r ? ` (held by ${r.holder}, epoch ${r.epoch})` : ""}`,
    );
}
