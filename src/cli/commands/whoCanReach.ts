/**
 * `kubereach who-can-reach` (the sources allowed to connect to one workload) and its egress
 * counterpart `kubereach reachable-from` (the destinations one workload may connect to),
 * optionally on one port.
 */
import type { Command } from "commander";
import type { ConnectivityRow, Protocol, WorkloadQuery } from "../../engine/index.js";
import { SOURCES_FORMATS, type SourcesFormat } from "../format/formats.js";
import type { CliIo } from "../io.js";
import { addInputOptions, addOutputOptions, deprecation, outputOf, parsePort, parseProtocol, parseWorkload, type InputOptions, type OutputFlags } from "../options.js";

interface PeersOptions extends InputOptions, OutputFlags {
  readonly port?: number;
  readonly protocol?: Protocol;
}

type Direction = "to" | "from";

const WHO_CAN_REACH_EXAMPLES = `
Output: one line per source, "src : conn", with every connection the source is allowed to open
to the workload (also when --port narrows which sources are listed).

Examples:
  $ kubereach who-can-reach default/backend -m examples/seed
  $ kubereach who-can-reach shop/db --port 5432 -m ./k8s
  $ kubereach who-can-reach kube-system/coredns --port 53 --protocol UDP -m ./k8s -o json`;

const REACHABLE_FROM_EXAMPLES = `
Output: one line per destination, "dst : conn", with every connection the workload is allowed to
open to it (also when --port narrows which destinations are listed). External ranges are listed
as a.b.c.d-e.f.g.h[External].

Examples:
  $ kubereach reachable-from default/frontend -m examples/seed
  $ kubereach reachable-from shop/api --port 443 -m ./k8s -o json`;

export function registerWhoCanReach(program: Command, io: CliIo): void {
  registerPeers(program, io, "to");
}

export function registerReachableFrom(program: Command, io: CliIo): void {
  registerPeers(program, io, "from");
}

function registerPeers(program: Command, io: CliIo, direction: Direction): void {
  const toTarget = direction === "to";
  const cmd = program
    .command(toTarget ? "who-can-reach" : "reachable-from")
    .description(
      toTarget
        ? "list the workloads and external ranges that can connect to a workload, with their connections"
        : "list the workloads and external ranges a workload can connect to, with their connections (egress)",
    )
    .argument("<workload>", `the ${toTarget ? "destination" : "source"} workload: NS/NAME or NS/NAME[Kind]`, parseWorkload);
  addInputOptions(cmd)
    .option("-p, --port <port>", `only ${toTarget ? "sources" : "destinations"} allowed on this port (1-65535)`, parsePort)
    .option("--protocol <protocol>", "TCP, UDP or SCTP (default: TCP when --port is given; alone, any port of the protocol)", parseProtocol);
  addOutputOptions(cmd, SOURCES_FORMATS, "text")
    .addHelpText("after", toTarget ? WHO_CAN_REACH_EXAMPLES : REACHABLE_FROM_EXAMPLES)
    .action(async (target: WorkloadQuery, opts: PeersOptions) => {
      const { format, file } = outputOf<SourcesFormat>(opts, "text", deprecation(io));
      const [{ buildConnectivity, buildMatrix, formatWorkload, workloadKey }, { formatPeers }, { writeResult }, { loadWorld }, { resolveTargetWorkload }] = await Promise.all([
        import("../../engine/index.js"),
        import("../format/sources.js"),
        import("../io.js"),
        import("../loadWorld.js"),
        import("../resolveTarget.js"),
      ]);
      const world = await loadWorld(opts, io);
      const workload = resolveTargetWorkload(world, target, io);
      const key = workloadKey(workload);
      const rows = buildConnectivity(buildMatrix(world), toTarget ? { dst: key } : { src: key }).filter(portFilter(opts.port, opts.protocol));
      if (rows.length === 0)
        io.stderr.write(toTarget ? `no source can reach ${formatWorkload(workload)}${describeFilter(opts.port, opts.protocol)}\n` : `${formatWorkload(workload)} can reach nothing${describeFilter(opts.port, opts.protocol)}\n`);
      await writeResult(io, formatPeers(rows, format, toTarget ? "src" : "dst"), file);
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
