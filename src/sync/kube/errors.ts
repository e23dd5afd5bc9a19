/**
 * Typed errors of the Kubernetes source. Configuration problems (a missing kubeconfig, an unknown
 * context, an insecure server URL, no in-cluster environment) reject `KubeClusterSource.start()`;
 * API-server failures never do: they are retried and reported through `status()`.
 */
import { AppError, BadInputError, NotFoundError } from "../../domain/errors.js";

/** The kubeconfig file (explicit, from KUBECONFIG or ~/.kube/config) does not exist or cannot be read. */
export class KubeconfigNotFoundError extends NotFoundError {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`kubeconfig ${path} not found`, options);
  }
}

/** The kubeconfig exists but is unusable: bad YAML, no current context, a context without cluster... */
export class KubeconfigInvalidError extends BadInputError {
  constructor(
    readonly source: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`kubeconfig ${source}: ${detail}`, options);
  }
}

/** The requested context is not defined in the kubeconfig. */
export class UnknownContextError extends NotFoundError {
  constructor(
    readonly context: string,
    readonly available: readonly string[],
    readonly source: string,
  ) {
    super(`context "${context}" not found in kubeconfig ${source} (available: ${available.length ? available.join(", ") : "none"})`);
  }
}

/** In-cluster configuration was requested outside a pod (no service host/port or no service-account token). */
export class InClusterConfigError extends BadInputError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`in-cluster configuration unavailable: ${detail}`, options);
  }
}

/** `start()` was still waiting for the initial listing when `stop()` was called. */
export class SourceStoppedError extends AppError {
  readonly code = "UPSTREAM_UNAVAILABLE" as const;
  constructor(detail: string) {
    super(`Kubernetes source stopped before the initial sync completed: ${detail}`);
  }
}

