/** `kubereach sync [--once]`: keep the database in sync with a cluster or manifests, without serving the API. */
import type { Command } from "commander";
import { openSyncApp } from "../../app/container.js";
import { createLogger } from "../../app/logger.js";
import type { CliIo } from "../io.js";
import { addSourceOptions, addStoreOptions, configFromFlags, type ServiceFlags } from "../serviceOptions.js";
import { waitForShutdown } from "../signals.js";

const HELP = `
Without a source option, the bundled example manifests are synced (into the embedded database
unless --database-url or DATABASE_URL is given). With --once, the command syncs, commits a matrix
generation and exits (for cron jobs); otherwise it keeps watching until SIGTERM/SIGINT.

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
    const config = configFromFlags(flags);
    // Logs go to stderr: stdout carries the summary of --once.
    const logger = createLogger({ level: config.log.level, stderr: true });
    const app = await openSyncApp(config, { logger });
    const shutdown = flags.once ? undefined : waitForShutdown();
    try {
      await app.sync.start();
      if (flags.once) {
        await app.sync.flush();
        const s = app.sync.status();
        io.stdout.write(
          `synced cluster ${app.clusterId} from ${app.source.description}: ${s.counts.Namespace} namespaces, ${s.counts.Pod} pods, ${s.counts.NetworkPolicy} network policies; matrix generation ${s.generation}\n`,
        );
        return;
      }
      const signal = await shutdown!.signal;
      logger.info({ signal }, "shutting down");
    } finally {
      shutdown?.dispose();
      await app.close();
    }
  });
}
