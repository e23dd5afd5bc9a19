/**
 * Where the cluster is and how to reach it: a kubeconfig file (path and context selectable) or the
 * pod's own service account. Loading is strict where @kubernetes/client-node is lenient: its
 * `loadFromDefault()` silently falls back to http://localhost:8080 when nothing is found and
 * `setCurrentContext()` accepts any name; here a missing file, an unknown context, a context
 * without cluster or a plain-http server without `insecure-skip-tls-verify` (T-K2) are typed errors.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { InClusterConfigError, KubeconfigInvalidError, KubeconfigNotFoundError, UnknownContextError } from "./errors.js";

export type KubeConnection =
  | {
      readonly type: "kubeconfig";
      /** Default: the files of KUBECONFIG (merged, first wins), else ~/.kube/config. */
      readonly path?: string;
      /** Default: the kubeconfig's current-context. */
      readonly context?: string;
    }
  | {
      readonly type: "in-cluster";
      /** Prefix of /var/run/secrets/kubernetes.io/serviceaccount (tests only). */
      readonly pathPrefix?: string;
    };

export interface KubeConfigEnvironment {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly homeDir?: string;
}

export interface LoadedKubeConfig {
  readonly kubeConfig: k8s.KubeConfig;
  /** `kubeconfig /home/me/.kube/config context prod (https://10.0.0.1:6443)` or `in-cluster (https://...)`. */
  readonly description: string;
  readonly server: string;
}

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** The kubeconfig files a connection reads, in merge order (empty for in-cluster). */
export function kubeconfigFiles(connection: KubeConnection, environment: KubeConfigEnvironment = {}): string[] {
  if (connection.type === "in-cluster") return [];
  if (connection.path) return [connection.path];
  const env = environment.env ?? process.env;
  const fromEnv = (env["KUBECONFIG"] ?? "").split(delimiter).filter(Boolean);
  return fromEnv.length ? fromEnv : [join(environment.homeDir ?? homedir(), ".kube", "config")];
}

/** A description that needs no I/O (used when loading failed). */
export function describeConnection(connection: KubeConnection, environment: KubeConfigEnvironment = {}): string {
  if (connection.type === "in-cluster") return "in-cluster";
  const ctx = connection.context ? ` context ${connection.context}` : "";
  return `kubeconfig ${kubeconfigFiles(connection, environment).join(delimiter)}${ctx}`;
}

export function loadKubeConfig(connection: KubeConnection, environment: KubeConfigEnvironment = {}): LoadedKubeConfig {
  return connection.type === "in-cluster" ? loadInCluster(connection.pathPrefix ?? "", environment) : loadFromFiles(connection, environment);
}

function loadInCluster(pathPrefix: string, environment: KubeConfigEnvironment): LoadedKubeConfig {
  const env = environment.env ?? process.env;
  if (!env["KUBERNETES_SERVICE_HOST"] || !env["KUBERNETES_SERVICE_PORT"]) throw new InClusterConfigError("KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT are not set (not running in a pod?)");
  if (!existsSync(`${pathPrefix}${SERVICE_ACCOUNT_TOKEN}`)) throw new InClusterConfigError(`no service-account token at ${pathPrefix}${SERVICE_ACCOUNT_TOKEN} (automountServiceAccountToken disabled?)`);
  // loadFromCluster reads process.env; pass the chosen environment through for the duration of the call.
  const kc = withEnv(env, () => {
    const c = new k8s.KubeConfig();
    c.loadFromCluster(pathPrefix);
    return c;
  });
  const server = kc.getCurrentCluster()?.server ?? "";
  return { kubeConfig: kc, server, description: `in-cluster (${server})` };
}

function loadFromFiles(connection: Extract<KubeConnection, { type: "kubeconfig" }>, environment: KubeConfigEnvironment): LoadedKubeConfig {
  const files = kubeconfigFiles(connection, environment);
  const existing = files.filter((f) => existsSync(f));
  // kubectl skips missing KUBECONFIG entries; an explicit path or the only candidate must exist.
  if (existing.length === 0) throw new KubeconfigNotFoundError(files.join(delimiter));
  const source = existing.join(delimiter);

  const kc = new k8s.KubeConfig();
  for (const [i, file] of existing.entries()) {
    const one = new k8s.KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") throw new KubeconfigNotFoundError(file, { cause: err });
      throw new KubeconfigInvalidError(file, `cannot parse: ${(err as Error).message}`, { cause: err });
    }
    if (i === 0) kc.loadFromOptions({ clusters: [...one.clusters], users: [...one.users], contexts: [...one.contexts], currentContext: one.currentContext });
    else mergeFirstWins(kc, one);
  }

  const contextName = connection.context ?? kc.getCurrentContext();
  if (!contextName) throw new KubeconfigInvalidError(source, "no current-context is set; choose a context explicitly");
  const context = kc.getContextObject(contextName);
  if (!context) {
    if (connection.context) throw new UnknownContextError(contextName, kc.getContexts().map((c) => c.name), source);
    throw new KubeconfigInvalidError(source, `current-context "${contextName}" is not defined`);
  }
  kc.setCurrentContext(contextName);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeconfigInvalidError(source, `context "${contextName}" refers to unknown cluster "${context.cluster}"`);
  if (context.user && !kc.getCurrentUser()) throw new KubeconfigInvalidError(source, `context "${contextName}" refers to unknown user "${context.user}"`);
  if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify)
    throw new KubeconfigInvalidError(source, `cluster "${cluster.name}" uses plain http (${cluster.server}); the client refuses it unless insecure-skip-tls-verify is set`);
  return { kubeConfig: kc, server: cluster.server, description: `kubeconfig ${source} context ${contextName} (${cluster.server})` };
}

/** kubectl's merge rule: the first file to define a name (and a current-context) wins. */
function mergeFirstWins(into: k8s.KubeConfig, from: k8s.KubeConfig): void {
  const has = (list: readonly { name: string }[], name: string) => list.some((x) => x.name === name);
  into.loadFromOptions({
    clusters: [...into.clusters, ...from.clusters.filter((c) => !has(into.clusters, c.name))],
    users: [...into.users, ...from.users.filter((u) => !has(into.users, u.name))],
    contexts: [...into.contexts, ...from.contexts.filter((c) => !has(into.contexts, c.name))],
    currentContext: into.currentContext || from.currentContext,
  });
}

function withEnv<T>(env: Readonly<Record<string, string | undefined>>, fn: () => T): T {
  if (env === process.env) return fn();
  const keys = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"] as const;
  const saved = keys.map((k) => [k, process.env[k]] as const);
  for (const k of keys) setEnv(k, env[k]);
  try {
    return fn();
  } finally {
    for (const [k, v] of saved) setEnv(k, v);
  }
}

function setEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
