/**
 * A ClusterSource over a live cluster: one supervised informer per kind (Namespaces, Pods,
 * NetworkPolicies, and the tiered-policy CRDs when the cluster serves them), each delivering complete listings and watch events to the handler (contract in
 * ../source.ts; supervision in KindSupervisor.ts; the object mapping in toClusterObject.ts).
 *
 * Configuration (kubeconfig path and context, or in-cluster) is read when the source is built;
 * problems are typed errors (./errors.ts) that `start()` rejects with. API-server failures never
 * reject: they are retried with backoff and visible in `status()`. Nothing is written to stdout;
 * pass a logger to see restarts and relists.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { isAppError, type AppError } from "../../domain/errors.js";
import { OBJECT_KINDS, type ObjectKind } from "../../domain/objects.js";
import type { ClusterSource, SourceHandler, SourceStatus } from "../source.js";
import { DEFAULT_BACKOFF, type BackoffOptions } from "../backoff.js";
import { KUBERNETES_SOURCE_DEFAULTS } from "../../domain/config.js";
import { SourceStoppedError } from "./errors.js";
import { KindSupervisor, type SourceLogger, type SupervisorSettings } from "./KindSupervisor.js";
import { kindSpecs } from "./kinds.js";
import { describeConnection, loadKubeConfig, type KubeConfigEnvironment, type KubeConnection } from "./kubeconfig.js";

export type { SourceLogger } from "./KindSupervisor.js";

export interface KubeClusterSourceOptions {
  /** Default: `{ type: "kubeconfig" }` (KUBECONFIG, else ~/.kube/config, at its current-context). */
  readonly connection?: KubeConnection;
  /** Optional pino-compatible logger (a child with `component` is a good choice). Default: silent. */
  readonly logger?: SourceLogger;
  /** Restart backoff. Default 0.8 s doubling to 10 s, 20 % jitter, reset by a successful list or watch (or 2 min without failures). */
  readonly backoff?: BackoffOptions;
  /** Consecutive failures after which an informer is replaced (fresh list) rather than resumed. Default 3. */
  readonly recreateAfterFailures?: number;
  /** Forced relist of every kind, jittered ±10 % (R8 safety net); 0 disables. Default 10 min. */
  readonly resyncIntervalMs?: number;
  /** A watch ending sooner than this without events delays the next reconnect by the backoff. Default 1 s. */
  readonly minWatchDurationMs?: number;
  /** Timeout of one list request. Default 60 s. */
  readonly listTimeoutMs?: number;
  /** How often a CRD the cluster does not serve (AdminNetworkPolicy, ...), or RBAC refuses, is looked for again. Default 1 min. */
  readonly absentRetryMs?: number;
  /**
   * The kinds to watch. Default: every ObjectKind, the tiered-policy CRDs included (a cluster that
   * does not serve them answers 404, which is normal: see KindSpec.optional).
   */
  readonly kinds?: readonly ObjectKind[];
  /** Where KUBECONFIG and the home directory are looked up (tests). Default: the process's. */
  readonly environment?: KubeConfigEnvironment;
}

// The configuration's defaults (domain/config.ts): a source built without them behaves as an unset key.
export const DEFAULT_RESYNC_INTERVAL_MS = KUBERNETES_SOURCE_DEFAULTS.resyncSeconds * 1000;
export const DEFAULT_ABSENT_RETRY_MS = KUBERNETES_SOURCE_DEFAULTS.crdRetrySeconds * 1000;

const silent: SourceLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export class KubeClusterSource implements ClusterSource {
  readonly description: string;
  private readonly kubeConfig: KubeConfig | undefined;
  private readonly configError: AppError | undefined;
  private readonly settings: SupervisorSettings;
  private readonly log: SourceLogger;
  private readonly kinds: readonly ObjectKind[];
  private supervisors: KindSupervisor[] = [];
  private state: "new" | "started" | "stopped" = "new";
  private rejectStart: ((err: Error) => void) | undefined;

  constructor(options: KubeClusterSourceOptions = {}) {
    const connection = options.connection ?? { type: "kubeconfig" };
    this.log = options.logger ?? silent;
    this.kinds = options.kinds ?? OBJECT_KINDS;
    this.settings = {
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      recreateAfterFailures: options.recreateAfterFailures ?? 3,
      resyncIntervalMs: options.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS,
      minWatchDurationMs: options.minWatchDurationMs ?? 1000,
      listTimeoutMs: options.listTimeoutMs ?? 60_000,
      absentRetryMs: options.absentRetryMs ?? DEFAULT_ABSENT_RETRY_MS,
    };
    try {
      const loaded = loadKubeConfig(connection, options.environment);
      this.kubeConfig = loaded.kubeConfig;
      this.description = loaded.description;
    } catch (err) {
      if (!isAppError(err)) throw err;
      this.configError = err;
      this.description = describeConnection(connection, options.environment);
    }
  }

  /**
   * Starts the informers and resolves once every kind's first complete listing was accepted by the
   * handler. Rejects with the configuration error if the source could not be configured, and with
   * SourceStoppedError if stop() is called first; never for API-server failures (those are retried).
   */
  async start(handler: SourceHandler): Promise<void> {
    if (this.configError) throw this.configError;
    if (this.state !== "new" || !this.kubeConfig) throw new Error("KubeClusterSource can be started once; create a new source to start again");
    this.state = "started";
    const kubeConfig = this.kubeConfig;
    this.supervisors = kindSpecs(kubeConfig)
      .filter((spec) => this.kinds.includes(spec.kind))
      .map((spec) => new KindSupervisor(spec, kubeConfig, handler, this.settings, this.log));
    const stopped = new Promise<never>((_, reject) => (this.rejectStart = reject));
    this.log.info({ source: this.description, kinds: this.supervisors.map((s) => s.kind) }, "starting informers");
    for (const s of this.supervisors) s.start();
    try {
      await Promise.race([Promise.all(this.supervisors.map((s) => s.initialSync)), stopped]);
    } finally {
      this.rejectStart = undefined;
    }
    this.log.info({ source: this.description }, "initial sync complete");
  }

  /** Stops every informer, timer and request. No handler call is made after it resolves; in-flight handler promises are not awaited. */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.rejectStart?.(new SourceStoppedError(this.pendingKinds()));
    await Promise.all(this.supervisors.map((s) => s.stop()));
    this.log.info({ source: this.description }, "stopped");
  }

  status(): SourceStatus {
    if (this.supervisors.length === 0) {
      const lastError = this.configError?.message;
      return { description: this.description, kinds: this.kinds.map((kind) => ({ kind, watching: false, synced: false, restarts: 0, relists: 0, ...(lastError && { lastError }) })) };
    }
    return { description: this.description, kinds: this.supervisors.map((s) => s.status()) };
  }

  private pendingKinds(): string {
    const pending = this.supervisors.filter((s) => !s.status().synced).map((s) => s.kind);
    return pending.length ? `waiting for ${pending.join(", ")}` : "stopping";
  }
}
