/**
 * Which ClusterSource a configuration asks for, and the cluster id it is stored under.
 * With no source configured, the bundled example manifests are synced so a new user sees
 * something real (`npm start` on a fresh checkout).
 */
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { KubeClusterSource } from "../sync/kube/index.js";
import { ManifestSource } from "../sync/manifests/ManifestSource.js";
import type { ClusterSource } from "../sync/source.js";
import type { Config } from "./config.js";

/** The seed scenario shipped with kubereach: backend pods accept TCP 80 only from frontend pods. */
export const BUNDLED_EXAMPLE = fileURLToPath(new URL("../../examples/seed", import.meta.url));

export interface SourceChoice {
  readonly source: ClusterSource;
  readonly clusterId: string;
  /** A git commit (manifests in a git work tree), recorded with revisions. */
  readonly sourceRef?: () => string | null;
}

export function createSource(config: Config, logger: Logger): SourceChoice {
  const log = logger.child({ component: "source" });
  const s = config.source;
  switch (s.type) {
    case "example":
    case "manifests": {
      const path = s.type === "example" ? BUNDLED_EXAMPLE : s.path;
      const source = new ManifestSource({ path, watch: s.type === "manifests" && s.watch, logger: log });
      return { source, clusterId: effectiveClusterId(config), sourceRef: () => source.sourceRef() };
    }
    case "kubernetes": {
      const source = new KubeClusterSource({
        connection: s.inCluster ? { type: "in-cluster" } : { type: "kubeconfig", path: s.kubeconfig, context: s.context },
        logger: log,
        resyncIntervalMs: s.resyncSeconds * 1000,
        absentRetryMs: s.crdRetrySeconds * 1000,
      });
      return { source, clusterId: effectiveClusterId(config) };
    }
  }
}

/** The id the cluster is stored under: clusterId, else derived from the source (`config print` shows it). */
export function effectiveClusterId(config: Config): string {
  const s = config.source;
  if (config.clusterId) return config.clusterId;
  if (s.type === "kubernetes") return clusterIdFromContext(s.context);
  return s.type === "example" ? "example" : "default";
}

/** A context name made into a cluster id (lowercase letters, digits, - _ .), "default" when none. */
function clusterIdFromContext(context: string | undefined): string {
  const id = (context ?? "default").toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "").slice(0, 63);
  return id || "default";
}
