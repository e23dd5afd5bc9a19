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
    const [{ redactedConfig }, { stringify }] = await Promise.all([import("../../app/config.js"), import("yaml")]);
    const effective = redactedConfig(await configFromFlags(flags));
    io.stdout.write(flags.json ? `${JSON.stringify(effective, null, 2)}\n` : stringify(effective));
  });
}
