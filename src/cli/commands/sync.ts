/** `kubereach sync [--once]`: keep the database in sync with a cluster or manifests, without serving the API. */
import type { Command } from "commander";
import type { SyncApp } from "../../app/container.js";
import { ForbiddenError, UpstreamUnavailableError } from "../../domain/errors.js";
import { installProcessGuards } from "../processGuards.js";
import type { CliIo } from "../io.js";
import { addSourceOptions, addStoreOptions, configFromFlags, type ServiceFlags } from "../serviceOptions.js";
import { waitForShutdown } from "../signals.js";

const HELP = `
Without a source option, the bundled example manifests are synced (into the embedded database
unless --database-url or DATABASE_URL is given). With --once, the command syncs, commits a matrix
generation and exits (for cron jobs); it exits 1 when the API server refuses kubereach list or watch
on namespaces, pods or networkpolicies (a tiered-policy CRD it may not read is reported and
skipped). Otherwise it keeps watching until SIGTERM/SIGINT.

Examples:
  $ kubereach sync --once --manifests ./policies
  $ kubereach sync --kubeconfig ~/.kube/config --context prod --database-url postgresql://postgres@127.0.0.1:5432/kubereach`;

export function registerSync(program: Command, io: CliIo): void {
  const cmd = program
    .command("sync")
    .description("sync a cluster (or manifests) into the database and keep the reachability matrix current")
    .option("--once", "sync, commit a generation, and exit");
  addSourceOptions(cmd);
  addStoreOptions(cmd);
  cmd.addHelpText("after", HELP).action(async (flags: ServiceFlags & { once?: boolean }) => {
    const config = await configFromFlags(flags);
    const [{ openSyncApp }, { createLogger }] = await Promise.all([import("../../app/container.js"), import("../../app/logger.js")]);
    // Logs go to stderr: stdout carries the summary of --once.
    const logger = createLogger({ level: config.log.level, stderr: true });
    const guards = installProcessGuards(logger);
    const app = await openSyncApp(config, { logger });
    const shutdown = flags.once ? undefined : waitForShutdown();
    try {
      await app.start();
      if (flags.once) {
        await waitForLeadership(app, config.sync.leaseTtlSeconds * 1000 + 5000);
        await untilSyncedOrRefused(app);
        await app.sync.flush();
        const s = app.sync.status();
        io.stdout.write(
          `synced cluster ${app.clusterId} from ${app.source.description}: ${s.counts.Namespace} namespaces, ${s.counts.Pod} pods, ${s.counts.NetworkPolicy} network policies; matrix generation ${s.generation}\n`,
        );
        return;
      }
      // Surfaces a source that cannot start (e.g. unreadable manifests) instead of idling.
      const failed = app.runner.firstSync.then(() => new Promise<never>(() => undefined));
      const signal = await Promise.race([shutdown!.signal, failed]);
      logger.info({ signal }, "shutting down");
    } finally {
      shutdown?.dispose();
      await app.close();
      guards.dispose();
    }
  });
}

/**
 * --once runs from cron: a required kind the API server refuses (401/403) would be retried for ever
 * (right for `serve`, where RBAC may get fixed). Fail instead, naming the permission.
 */
async function untilSyncedOrRefused(app: SyncApp): Promise<void> {
  // Loaded here, not at the top: `--help` and the other commands must not load the sync layer.
  const { requiredPermissionProblem } = await import("../../sync/source.js");
  let timer: NodeJS.Timeout | undefined;
  const refused = new Promise<never>((_, reject) => {
    const check = () => {
      const source = app.runner.source;
      const problem = source && requiredPermissionProblem(source.status());
      if (problem) reject(new ForbiddenError(problem));
      else timer = setTimeout(check, 200);
    };
    check();
  });
  try {
    await Promise.race([app.runner.firstSync, refused]);
  } finally {
    clearTimeout(timer);
  }
}

/** --once needs the sync lease: wait for a lease left by a crashed process to expire, but not for a live leader. */
async function waitForLeadership(app: SyncApp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!app.runner.isLeader) {
    if (Date.now() > deadline) {
      const lease = await app.store.leases.current(app.clusterId);
      throw new UpstreamUnavailableError(`another process (${lease?.holder ?? "unknown"}) is syncing cluster ${app.clusterId}; --once needs the sync lease: stop it or leave the sync to it`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
