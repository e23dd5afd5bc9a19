/**
 * /healthz: the process is alive (no dependency checked: a database outage must not get the pod
 * restarted). /readyz: the initial sync is done, the source is current (no required kind unable to
 * list or watch for SOURCE_OUTAGE_GRACE_MS), the database answers, and the process is not
 * shutting down; otherwise 503 with the reasons (docs/sync-health.md).
 */
import type { Express } from "express";
import type { Logger } from "pino";
import type { Store } from "../../domain/repositories.js";
import { clusterHealth, type RuntimeStatus } from "../runtime.js";

export interface HealthDeps {
  readonly store: Store;
  readonly runtime: RuntimeStatus;
  /** Where a database failure's detail goes: /readyz is unauthenticated and says only "database unavailable". */
  readonly logger?: Logger;
}

export function registerHealth(app: Express, deps: HealthDeps): void {
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const reasons = await notReadyReasons(deps);
    if (reasons.length) res.status(503).json({ status: "not ready", reasons });
    else res.json({ status: "ready" });
  });
}

/** Why the process is not ready (empty when it is): what /readyz and the kubereach_ready metric report. */
export async function notReadyReasons(deps: HealthDeps, now = Date.now()): Promise<string[]> {
  const reasons: string[] = [];
  if (!deps.runtime.accepting()) reasons.push("shutting down");
  for (const c of deps.runtime.clusters()) for (const reason of clusterHealth(c, now).reasons) reasons.push(reason);
  try {
    await deps.store.clusters.listClusters();
    lastLogged.delete(deps);
  } catch (err) {
    reasons.push("database unavailable");
    // Probes come every few seconds: log each distinct failure once, not every probe.
    const text = String((err as Error).message);
    if (lastLogged.get(deps) !== text) {
      lastLogged.set(deps, text);
      deps.logger?.warn({ err }, "readiness: the database is unavailable");
    }
  }
  return reasons;
}

const lastLogged = new WeakMap<HealthDeps, string>();
