/**
 * Leader election for one cluster over the database (sync leases): among the replicas of
 * `kubereach serve`, exactly one syncs and writes; the others serve the API and stand by. The
 * lease is renewed every `renewMs`; a leader that cannot renew for longer than `ttlMs - renewMs`
 * steps down on its own, and even a stalled leader that does not notice is fenced off by the
 * epoch every write carries (src/store/PrismaLeaseRepository.ts). A standby takes over once the
 * lease expires: at most `ttlMs + retryMs` after the leader died.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Lease, LeaseRepository } from "../domain/repositories.js";
import { SYNC_DEFAULTS } from "../domain/config.js";

export interface LeaderElectorOptions {
  readonly leases: LeaseRepository;
  readonly cluster: string;
  readonly logger: Logger;
  readonly ttlMs?: number;
  readonly renewMs?: number;
  readonly retryMs?: number;
  /** Take the lease whoever holds it (embedded database: no other process can hold it). */
  readonly force?: boolean;
  /** Called with the lease when this process becomes the leader; it should start syncing. */
  readonly onElected: (lease: Lease) => Promise<void> | void;
  /** Called when leadership ends (lost, or stop()); `graceful` is true only for stop(). */
  readonly onDemoted: (reason: string, graceful: boolean) => Promise<void> | void;
}

export const DEFAULT_LEASE_TTL_MS = SYNC_DEFAULTS.leaseTtlSeconds * 1000;

export class LeaderElector {
  /** Unique per process incarnation: a restarted process is a new holder. */
  readonly holder = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private lease: Lease | undefined;
  private lastRenewAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private transition: Promise<void> = Promise.resolve();
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;

  constructor(private readonly options: LeaderElectorOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.renewMs = options.renewMs ?? Math.max(200, Math.floor(this.ttlMs / 5));
    this.retryMs = options.retryMs ?? this.renewMs;
  }

  get isLeader(): boolean {
    return this.lease !== undefined;
  }

  get currentLease(): Lease | undefined {
    return this.lease;
  }

  /** Tries once right away, then keeps trying (standby) or renewing (leader) in the background. */
  async start(): Promise<void> {
    await this.tick();
  }

  /** Steps down gracefully (onDemoted with graceful=true, then the lease is released for a quick takeover). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.transition;
    const lease = this.lease;
    if (!lease) return;
    await this.demote("shutting down", true);
    await this.options.leases.release(lease).catch((err: unknown) => this.options.logger.warn({ err }, "could not release the sync lease; a standby takes over when it expires"));
  }

  /** Called by the sync service when a write was fenced off: another process took over. */
  lost(reason: string): void {
    if (!this.lease) return;
    this.transition = this.transition.then(() => this.demote(reason, false));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.transition = this.transition.then(() => this.tick());
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const { leases, cluster, logger } = this.options;
    if (!this.lease) {
      try {
        const lease = await leases.acquire(cluster, this.holder, this.ttlMs, { force: this.options.force });
        if (lease) {
          this.lease = lease;
          this.lastRenewAt = performance.now();
          logger.info({ cluster, holder: this.holder, epoch: lease.epoch.toString() }, "elected: this process syncs the cluster");
          await this.options.onElected(lease);
        }
      } catch (err) {
        logger.warn({ err, cluster }, "could not try the sync lease; will retry");
      }
      this.schedule(this.lease ? this.renewMs : this.retryMs);
      return;
    }
    try {
      const renewed = await leases.renew(this.lease, this.ttlMs);
      if (!renewed) {
        await this.demote("the sync lease was taken over by another process", false);
        this.schedule(this.retryMs);
        return;
      }
      this.lease = renewed;
      this.lastRenewAt = performance.now();
    } catch (err) {
      // Cannot reach the database: keep leading only while the lease is certainly still ours.
      if (performance.now() - this.lastRenewAt > this.ttlMs - this.renewMs) {
        await this.demote(`could not renew the sync lease: ${(err as Error).message}`, false);
        this.schedule(this.retryMs);
        return;
      }
      logger.warn({ err, cluster }, "could not renew the sync lease; will retry");
    }
    this.schedule(this.renewMs);
  }

  private async demote(reason: string, graceful: boolean): Promise<void> {
    if (!this.lease) return;
    const epoch = this.lease.epoch.toString();
    this.lease = undefined;
    const log = this.options.logger;
    (graceful ? log.info.bind(log) : log.warn.bind(log))({ cluster: this.options.cluster, reason, epoch }, "no longer the leader: syncing stops here");
    try {
      await this.options.onDemoted(reason, graceful);
    } catch (err) {
      this.options.logger.error({ err }, "stopping the sync after losing leadership failed");
    }
  }
}
