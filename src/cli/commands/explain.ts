/** `kubereach explain`: is one connection allowed, and which policies and rules decide it. */
import type { Command } from "commander";
import { engineError } from "../../domain/errors.js";
import type { EndpointQuery, Protocol } from "../../engine/index.js";
import { EXPLAIN_FORMATS, type ExplainFormat } from "../format/formats.js";
import type { CliIo } from "../io.js";
import { addInputOptions, addOutputOptions, deprecation, outputOf, parseEndpoint, parsePort, parseProtocol, type InputOptions, type OutputFlags } from "../options.js";

interface ExplainOptions extends InputOptions, OutputFlags {
  readonly from: EndpointQuery;
  readonly to: EndpointQuery;
  readonly port: number;
  readonly protocol: Protocol;
}

const EXAMPLES = `
The exit code is 0 whether the connection is allowed or denied; read the verdict (ALLOWED or DENIED).
A workload stands for all its pods: the connection is allowed if any member pod pair allows it.

Examples:
  $ kubereach explain -m examples/seed --from default/frontend --to default/backend --port 80
  $ kubereach explain -m ./k8s --from shop/api --to 10.0.0.7 --port 53 --protocol UDP
  $ kubereach explain -m ./k8s --from 203.0.113.9 --to "shop/db[StatefulSet]" --port 5432 -o json`;

export function registerExplain(program: Command, io: CliIo): void {
  const cmd = program.command("explain").description("explain whether a connection is allowed: the verdict and the policies and rules behind it");
  addInputOptions(cmd)
    .requiredOption("--from <endpoint>", "source: a workload (NS/NAME or NS/NAME[Kind]) or an IP address", parseEndpoint)
    .requiredOption("--to <endpoint>", "destination: a workload (NS/NAME or NS/NAME[Kind]) or an IP address", parseEndpoint)
    .requiredOption("-p, --port <port>", "destination port (1-65535)", parsePort)
    .option("--protocol <protocol>", "TCP, UDP or SCTP", parseProtocol, "TCP");
  addOutputOptions(cmd, EXPLAIN_FORMATS, "text")
    .addHelpText("after", EXAMPLES)
    .action(async (opts: ExplainOptions) => {
      const { format, file } = outputOf<ExplainFormat>(opts, "text", deprecation(io));
      const [{ explain }, { formatExplanation }, { writeResult }, { loadWorld }] = await Promise.all([
        import("../../engine/index.js"),
        import("../format/explanation.js"),
        import("../io.js"),
        import("../loadWorld.js"),
      ]);
      const world = await loadWorld(opts, io);
      const result = explain(world, opts.from, opts.to, opts.port, opts.protocol);
      if (!result.ok) throw engineError(result);
      await writeResult(io, formatExplanation(result.explanation, world, format), file);
    });
}
