/** `kubereach serve`: sync a cluster (or manifests) and serve the GraphQL and REST API. */
import type { Command } from "commander";
import { installProcessGuards } from "../processGuards.js";
import type { CliIo } from "../io.js";
import { addServerOptions, addSourceOptions, addStoreOptions, configFromFlags, type ServiceFlags } from "../serviceOptions.js";
import { waitForShutdown } from "../signals.js";

const HELP = `
GraphQL is served at /graphql (subscriptions over graphql-ws on the same path), an offline explorer
at /explorer, and REST routes at /healthz, /readyz, /metrics and /api/v1/... on one port.
Without a source option the bundled example manifests are synced into the embedded database, so a
fresh checkout shows something real. Without API tokens the server listens on 127.0.0.1 only.

Examples:
  $ kubereach serve
  $ kubereach serve --manifests ./policies --watch --port 8080
  $ kubereach serve --kubeconfig ~/.kube/config --context prod --database-url postgresql://postgres@127.0.0.1:5432/kubereach`;

export function registerServe(program: Command, _io: CliIo): void {
  const cmd = program.command("serve").description("sync a cluster (or manifests) and serve the GraphQL and REST API");
  addSourceOptions(cmd);
  addStoreOptions(cmd);
  addServerOptions(cmd);
  cmd.addHelpText("after", HELP).action(async (flags: ServiceFlags) => {
    const config = await configFromFlags(flags);
    // Apollo, Express, Prisma: loaded only by the command that serves.
    const [{ createLogger }, { startService }] = await Promise.all([import("../../app/logger.js"), import("../../app/service.js")]);
    const logger = createLogger({ level: config.log.level });
    const guards = installProcessGuards(logger);
    const shutdown = waitForShutdown();
    try {
      const service = await startService(config, { logger });
      const failed = service.initialSync.then(
        () => new Promise<never>(() => undefined),
        (err: unknown) => Promise.reject(err),
      );
      try {
        const signal = await Promise.race([shutdown.signal, failed]);
        logger.info({ signal }, "shutting down");
      } finally {
        await service.stop();
      }
    } finally {
      shutdown.dispose();
      guards.dispose();
    }
  });
}
