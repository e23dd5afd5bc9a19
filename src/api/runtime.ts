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
  readonly informerRestarts: number;
  /** The sync's own backlog: the oldest change received but not in a committed generation (SyncServiceStatus.behindSince). */
  readonly behindSince?: Date;
  /** Since when a required kind has been unable to list or watch (the oldest such kind); undefined while all are current. */
  readonly sourceDownSince?: Date;
  readonly kinds?: readonly KindRuntime[];
}

export type KindRuntimeState = "listing" | "watching" | "reconnecting" | "backoff" | "notServed" | "forbidden" | "stopped";

export interface KindRuntime {
  readonly kind: string;
  readonly state: KindRuntimeState;
  readonly since?: Date;
  readonly behindSince?: Date;
  readonly optional: boolean;
  readonly lastError?: string;
  readonly lastFailure?: string;
  readonly lastFailureAt?: Date;
  readonly lastEventAt?: Date;
  readonly restarts: number;
  readonly relists: number;
}

/**
 * How long a required kind may be unable to list or watch before the process stops reporting
 * ready: long enough for a watch reconnect or an API server restart to go unnoticed, short enough
 * that an outage shows (docs/sync-health.md).
 */
export const SOURCE_OUTAGE_GRACE_MS = 10_000;

export interface ClusterHealth {
  readonly ready: boolean;
  /** Seconds the served data may be behind the cluster; 0 when caught up. */
  readonly lagSeconds: number;
  /** Why not ready (empty when ready). */
  readonly reasons: readonly string[];
}

/**
 * The one sync-health model: /readyz, kubereach_ready, kubereach_sync_lag_seconds and GraphQL
 * syncStatus.ready/lagSeconds all come from here, so they agree.
 * - lag: since the older of the sync's backlog (behindSince) and the source's outage (sourceDownSince); 0 when neither.
 * - ready: the initial sync is done and no required kind has been down for SOURCE_OUTAGE_GRACE_MS.
 */
export function clusterHealth(c: ClusterRuntime, now: number): ClusterHealth {
  const reasons: string[] = [];
  if (!c.initialSyncDone) reasons.push(`cluster ${c.clusterId}: initial sync not finished`);
  else if (c.sourceDownSince && now - c.sourceDownSince.getTime() >= SOURCE_OUTAGE_GRACE_MS) {
    const down = (c.kinds ?? []).filter((k) => !k.optional && k.behindSince).map((k) => `${k.kind} (${k.state}${k.lastError ? `: ${k.lastError}` : ""})`);
    reasons.push(`cluster ${c.clusterId}: source not current since ${c.sourceDownSince.toISOString()}: ${down.join("; ") || "kinds not watching"}`);
  }
  let since: number | undefined;
  for (const d of [c.behindSince, c.sourceDownSince]) if (d && (since === undefined || d.getTime() < since)) since = d.getTime();
  return { ready: reasons.length === 0, lagSeconds: since === undefined ? 0 : Math.max(0, (now - since) / 1000), reasons };
}

export interface RuntimeStatus {
  /** Clusters this process syncs (empty on an API-only replica). */
  clusters(): readonly ClusterRuntime[];
  /** False while shutting down: readiness drops before the server stops. */
  accepting(): boolean;
}

export const NO_SYNC: RuntimeStatus = { clusters: () => [], accepting: () => true };
