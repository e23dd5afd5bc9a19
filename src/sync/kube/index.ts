/**
 * The Kubernetes source's public API: a ClusterSource over a live cluster (supervised informers),
 * its configuration and errors, and the pure object mapping shared with tests and tools.
 */
export { KubeClusterSource, DEFAULT_RESYNC_INTERVAL_MS, type KubeClusterSourceOptions, type SourceLogger } from "./KubeClusterSource.js";
export { loadKubeConfig, describeConnection, kubeconfigFiles, type KubeConnection, type KubeConfigEnvironment } from "./kubeconfig.js";
export { InClusterConfigError, KubeconfigInvalidError, KubeconfigNotFoundError, SourceStoppedError, UnknownContextError } from "./errors.js";
export { toClusterObject, podWorkload, InvalidKubeObjectError } from "./toClusterObject.js";
export type { BackoffOptions } from "../backoff.js";
