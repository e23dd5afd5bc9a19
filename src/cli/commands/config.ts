/** `kubereach config print`: the effective configuration (defaults, file, environment, flags), secrets redacted. */
import type { Command } from "commander";
import { stringify } from "yaml";
import { ENVIRONMENT, redactedConfig } from "../../app/config.js";
import type { CliIo } from "../io.js";
import { addServerOptions, addSourceOptions, addStoreOptions, configFromFlags, type ServiceFlags } from "../serviceOptions.js";

export function registerConfig(program: Command, io: CliIo): void {
  const config = program.command("config").description("configuration tools");
  const print = config.command("print").description("print the effective configuration with secrets redacted").option("--json", "print JSON instead of YAML");
  addSourceOptions(print);
  addStoreOptions(print);
  addServerOptions(print);
  print.addHelpText("after", `\nLayers, later wins: defaults, config file (--config or KUBEREACH_CONFIG), environment (${Object.keys(ENVIRONMENT).join(", ")}), flags.\n`);
  print.action((flags: ServiceFlags & { json?: boolean }) => {
    const effective = redactedConfig(configFromFlags(flags));
    io.stdout.write(flags.json ? `${JSON.stringify(effective, null, 2)}\n` : stringify(effective));
  });
}
