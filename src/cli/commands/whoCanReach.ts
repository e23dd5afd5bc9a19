/** `kubereach who-can-reach`: the sources allowed to connect to one workload, optionally on one port. */
import type { Command } from "commander";
import type { ConnectivityRow, Protocol, WorkloadQuery } from "../../engine/index.js";
import { SOURCES_FORMATS, type SourcesFormat } from "../format/formats.js";
import type { CliIo } from "../io.js";
import { addInputOptions, formatOption, parsePort, parseProtocol, parseWorkload, type InputOptions } from "../options.js";

interface WhoCanReachOptions extends InputOptions {
  readonly port?: number;
  readonly protocol?: Protocol;
  readonly format: SourcesFormat;
  readonly output?: string;
}

const EXAMPLES = `
Output: one line per source, "src : conn", with every connection the source is allowed to open
to the workload (also when --port narrows which sources are listed).

Examples:
  $ kubereach who-can-reach default/backend -m examples/seed
  $ kubereach who-can-reach shop/db --port 5432 -m ./k8s
  $ kubereach who-can-reach kube-system/coredns --port 53 --protocol UDP -m ./k8s --format json`;

export function registerWhoCanReach(program: Command, io: CliIo): void {
  const cmd = program
    .command("who-can-reach")
    .description("list the workloads and external ranges that can connect to a workload, with their connections")
    .argument("<workload>", "the destination workload: NS/NAME or NS/NAME[Kind]", parseWorkload);
  addInputOptions(cmd)
    .option("-p, --port <port>", "only sources allowed on this port (1-65535)", parsePort)
    .option("--protocol <protocol>", "TCP, UDP or SCTP (default: TCP when --port is given; alone, any port of the protocol)", parseProtocol)
    .addOption(formatOption(SOURCES_FORMATS, "text"))
    .option("-o, --output <file>", "write the result to this file instead of stdout")
    .addHelpText("after", EXAMPLES)
    .action(async (target: WorkloadQuery, opts: WhoCanReachOptions) => {
      const [{ buildConnectivity, buildMatrix, formatWorkload, workloadKey }, { formatSources }, { writeResult }, { loadWorld }, { resolveTargetWorkload }] = await Promise.all([
        import("../../engine/index.js"),
        import("../format/sources.js"),
        import("../io.js"),
        import("../loadWorld.js"),
        import("../resolveTarget.js"),
      ]);
      const world = await loadWorld(opts, io);
      const workload = resolveTargetWorkload(world, target, io);
      const rows = buildConnectivity(buildMatrix(world), { dst: workloadKey(workload) }).filter(portFilter(opts.port, opts.protocol));
      if (rows.length === 0) io.stderr.write(`no source can reach ${formatWorkload(workload)}${describeFilter(opts.port, opts.protocol)}\n`);
      await writeResult(io, formatSources(rows, opts.format), opts.output);
    });
}

function portFilter(port: number | undefined, protocol: Protocol | undefined): (row: ConnectivityRow) => boolean {
  if (port !== undefined) return (row) => row.conn.contains(port, protocol ?? "TCP");
  if (protocol !== undefined) return (row) => !row.conn.portsFor(protocol).isEmpty();
  return () => true;
}

function describeFilter(port: number | undefined, protocol: Protocol | undefined): string {
  if (port !== undefined) return ` on ${protocol ?? "TCP"} ${port}`;
  return protocol !== undefined ? ` on ${protocol}` : "";
}
