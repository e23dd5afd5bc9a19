/**
 * Runs the sync of one cluster under the leader election: while this process holds the cluster's
 * sync lease it owns a source and a SyncService writing under the lease's fence; when it loses the
 * lease it stops them, and when it wins the lease again it starts fresh ones (the new source lists
 * everything, so nothing that happened meanwhile is missed). Processes that do not hold the lease
 * stand by and serve reads.
 */
import type { Logger } from "pino";
import type { Lease, Store, StoredRevision } from "../domain/repositories.js";
import type { ClusterSource } from "../sync/source.js";
import { SyncService, type GenerationEvent, type SyncServiceStatus } from "../sync/SyncService.js";
import type { Config } from "./config.js";
import { LeaderElector } from "./LeaderElector.js";
import { createSource } from "./sources.js";
import { SourceStoppedError } from "../sync/kube/index.js";

export interface ClusterSyncRunnerOptions {
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  readonly onGeneration?: (e: GenerationEvent) => void;
  readonly onRevisions?: (r: readonly StoredRevision[]) => void;
  /** Lease timing (defaults: 10 s lease, renewed every 2 s). */
  readonly leaseTtlMs?: number;
  readonly leaseRenewMs?: number;
}

export interface SyncRuntimeStatus {
  readonly clusterId: string;
  readonly role: "leader" | "standby";
  readonly holder: string;
  readonly source: string;
  readonly sync: SyncServiceStatus | undefined;
  readonly sourceStatus: ReturnType<ClusterSource["status"]> | undefined;
}

interface Term {
  readonly lease: Lease;
  readonly source: ClusterSource;
  readonly sync: SyncService;
}

export class ClusterSyncRunner {
  readonly clusterId: string;
  readonly sourceDescription: string;
  private readonly elector: LeaderElector;
  private term: Term | undefined;
  private resolveFirstSync!: () => void;
  private rejectFirstSync!: (err: unknown) => void;
  /** Resolves when this process completed an initial sync as leader; rejects when the source cannot start at all. */
  readonly firstSync: Promise<void>;

  constructor(private readonly options: ClusterSyncRunnerOptions) {
    const probe = createSource(options.config, options.logger);
    this.clusterId = probe.clusterId;
    this.sourceDescription = probe.source.description;
    this.firstSync = new Promise<void>((resolve, reject) => {
      this.resolveFirstSync = resolve;
      this.rejectFirstSync = reject;
    });
    this.firstSync.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
    this.elector = new LeaderElector({
      leases: options.store.leases,
      cluster: this.clusterId,
      logger: options.logger.child({ component: "leader" }),
      ttlMs: options.leaseTtlMs,
      renewMs: options.leaseRenewMs,
      // An embedded database is opened by one process only: a lease left in it is stale.
      force: options.store.backend === "pglite",
      onElected: (lease) => this.elected(lease),
      onDemoted: (_reason, graceful) => this.demoted(graceful),
    });
  }

  get holder(): string {
    return this.elector.holder;
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** The sync service of the current term (undefined on a standby). */
  get sync(): SyncService | undefined {
    return this.term?.sync;
  }

  get source(): ClusterSource | undefined {
    return this.term?.source;
  }

  async start(): Promise<void> {
    await this.options.store.clusters.ensureCluster(this.clusterId, this.sourceDescription);
    await this.elector.start();
  }

  /** Graceful: finishes the write in progress, commits a last generation, releases the lease. */
  async stop(): Promise<void> {
    await this.elector.stop();
  }

  status(): SyncRuntimeStatus {
    const t = this.term;
    return {
      clusterId: this.clusterId,
      role: t ? "leader" : "standby",
      holder: this.elector.holder,
      source: this.sourceDescription,
      sync: t?.sync.status(),
      sourceStatus: t?.source.status(),
    };
  }

  private elected(lease: Lease): void {
    const { config, store, logger } = this.options;
    const { source, sourceRef } = createSource(config, logger);
    const sync = new SyncService({
      clusterId: this.clusterId,
      source,
      store,
      logger: logger.child({ component: "sync", cluster: this.clusterId, epoch: lease.epoch.toString() }),
      debounceMs: config.sync.debounceMs,
      maxWaitMs: config.sync.maxWaitMs,
      sourceRef,
      onGeneration: this.options.onGeneration,
      onRevisions: this.options.onRevisions,
      fence: lease,
      onFenced: () => this.elector.lost("a write was fenced off: another process took over"),
    });
    this.term = { lease, source, sync };
    // Not awaited: the elector must keep renewing the lease while a large initial sync runs.
    sync.start().then(
      () => this.resolveFirstSync(),
      (err: unknown) => {
        // Stopped before the initial sync completed (shutdown, lost lease): not a failure.
        if (err instanceof SourceStoppedError) logger.info({ cluster: this.clusterId, reason: err.message }, "sync stopped before its initial sync completed");
        else logger.error({ err, cluster: this.clusterId }, "the sync could not start");
        this.rejectFirstSync(err);
      },
    );
  }

  private async demoted(graceful: boolean): Promise<void> {
    const t = this.term;
    this.term = undefined;
    if (!t) return;
    // Losing the lease: stop at once (writes are fenced anyway). Shutting down: finish what is in flight.
    await t.sync.stop(graceful ? 10_000 : 1_000);
  }
}
