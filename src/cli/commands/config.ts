/** `kubereach config print`: the effective configuration (defaults, file, environment, flags), secrets redacted. */
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { addServerOptions, addSourceOptions, addStoreOptions, configFromFlags, type ServiceFlags } from "../serviceOptions.js";

export function registerConfig(program: Command, io: CliIo): void {
  const config = program.command("config").description("configuration tools");
  const print = config.command("print").description("print the effective configuration with secrets redacted").option("--json", "print JSON instead of YAML");
  addSourceOptions(print);
  addStoreOptions(print);
  addServerOptions(print);
  print.addHelpText("after", `\nLayers, later wins: defaults, config file (--config or KUBEREACH_CONFIG), environment (DATABASE_URL, PORT, HOST, KUBEREACH_TOKENS, ...: every variable is in docs/configuration.md), flags.\n`);
  print.action(async (flags: ServiceFlags & { json?: boolean }) => {
    const [{ redactedConfig }, { stringify }, { effectiveClusterId }, { effectiveHost }] = await Promise.all([
      import("../../app/config.js"),
      import("yaml"),
      import("../../app/sources.js"),
      import("../../api/listen.js"),
    ]);
    const config = await configFromFlags(flags);
    const redacted = redactedConfig(config) as Record<string, unknown> & { server: Record<string, unknown> };
    // What kubereach derives when they are not set: the cluster id it stores under, the address it binds.
    const { clusterId: _given, ...rest } = redacted;
    const effective = { clusterId: effectiveClusterId(config), ...rest, server: { ...redacted.server, host: effectiveHost(config.server) } };
    io.stdout.write(flags.json ? `${JSON.stringify(effective, null, 2)}\n` : stringify(effective));
  });
}
