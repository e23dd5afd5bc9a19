/**
 * Options shared by the commands that run against a cluster and a database (serve, sync, audit,
 * config): they become the command-line layer of the configuration (src/app/config.ts).
 */
import { type Command } from "commander";
import type { Config } from "../app/config.js";
import { BadInputError } from "../domain/errors.js";
import { parsePort } from "./options.js";

export interface ServiceFlags {
  readonly config?: string;
  readonly manifests?: string;
  readonly watch?: boolean;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly inCluster?: boolean;
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly clusterId?: string;
  readonly port?: number;
  readonly host?: string;
  readonly logLevel?: string;
}

export function addSourceOptions(cmd: Command): Command {
  return cmd
    .option("-m, --manifests <path>", "sync a directory (or file) of manifests instead of a cluster")
    .option("-w, --watch", "with --manifests: re-read when files change")
    .option("--kubeconfig <file>", "sync the cluster of this kubeconfig (default: $KUBECONFIG, then ~/.kube/config)")
    .option("--context <name>", "kubeconfig context (default: the current context)")
    .option("--in-cluster", "use the pod's service account (when running inside the cluster)");
}

export function addStoreOptions(cmd: Command, clusterIdHelp?: string): Command {
  return cmd
    .option("--database-url <url>", "PostgreSQL URL (env DATABASE_URL); default: the embedded database in --data-dir")
    .option("--data-dir <dir>", "embedded database directory (env KUBEREACH_DATA_DIR)", undefined)
    .option("--cluster-id <id>", clusterIdHelp ?? "the id the cluster is stored under (default: the --context name; else 'example' for the bundled example, 'default' otherwise)")
    .option("-c, --config <file>", "a YAML or JSON configuration file (env KUBEREACH_CONFIG)")
    .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent (env LOG_LEVEL)");
}

export function addServerOptions(cmd: Command): Command {
  return cmd
    .option("-p, --port <port>", "HTTP port (env PORT, default 4000; 0: any free port)", (v) => (v.trim() === "0" ? 0 : parsePort(v)))
    .option("--host <host>", "address to bind (env HOST; default 127.0.0.1 without API tokens, 0.0.0.0 with)");
}

/** The effective configuration: defaults < config file < environment < these flags. */
export async function configFromFlags(flags: ServiceFlags, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  // Loaded when a command runs (zod, yaml), not when the commands are registered (--help).
  const { loadConfig } = await import("../app/config.js");
  const cli: Record<string, unknown> = {
    clusterId: flags.clusterId,
    "database.url": flags.databaseUrl,
    "database.dataDir": flags.dataDir,
    "server.port": flags.port,
    "server.host": flags.host,
    "log.level": flags.logLevel,
  };
  const kube = flags.kubeconfig !== undefined || flags.context !== undefined;
  if (flags.manifests !== undefined && (kube || flags.inCluster)) throw new BadInputError("choose one source: --manifests, or --kubeconfig/--context, or --in-cluster");
  if (flags.inCluster && flags.kubeconfig !== undefined) throw new BadInputError("--in-cluster and --kubeconfig exclude each other");
  if (flags.watch && flags.manifests === undefined) throw new BadInputError("--watch needs --manifests");
  if (flags.manifests !== undefined) Object.assign(cli, { "source.type": "manifests", "source.path": flags.manifests, "source.watch": flags.watch === true });
  else if (flags.inCluster) Object.assign(cli, { "source.type": "kubernetes", "source.inCluster": true });
  else if (flags.kubeconfig !== undefined || flags.context !== undefined)
    Object.assign(cli, { "source.type": "kubernetes", "source.kubeconfig": flags.kubeconfig, "source.context": flags.context });
  return loadConfig({ env, flags: cli, file: flags.config });
}
