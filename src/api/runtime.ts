/**
 * What the running process knows about its own sync (readiness, last error, lag), for /readyz,
 * syncStatus and metrics. API-only replicas report from the database alone.
 */
export interface ClusterRuntime {
  readonly clusterId: string;
  readonly source: string;
  /** "leader" syncs this cluster; "standby" serves reads and takes over when the leader goes. */
  readonly role?: "leader" | "standby";
  readonly initialSyncDone: boolean;
  readonly lastAppliedAt: Date | undefined;
  readonly lastGenerationAt: Date | undefined;
  readonly generation: number | undefined;
  readonly pendingEvents: number;
  readonly errors: readonly string[];
  /** Objects of the latest generation left out as invalid (reported in syncStatus.errors; they are state, not lag). */
  readonly invalidObjects?: readonly string[];
  readonly informerRestarts: number;
}

export interface RuntimeStatus {
  /** Clusters this process syncs (empty on an API-only replica). */
  clusters(): readonly ClusterRuntime[];
  /** False while shutting down: readiness drops before the server stops. */
  accepting(): boolean;
}

export const NO_SYNC: RuntimeStatus = { clusters: () => [], accepting: () => true };
