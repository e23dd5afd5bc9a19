/** `kubereach analyze`: the connectivity list of the whole input, or of one workload (--focus). */
import type { Command } from "commander";
import type { WorkloadQuery } from "../../engine/index.js";
import { CONNECTIVITY_FORMATS, type ConnectivityFormat } from "../format/formats.js";
import type { CliIo } from "../io.js";
import { addInputOptions, formatOption, parseWorkload, type InputOptions } from "../options.js";

interface AnalyzeOptions extends InputOptions {
  readonly format: ConnectivityFormat;
  readonly focus?: WorkloadQuery;
  readonly output?: string;
}

const EXAMPLES = `
Output: one line per allowed flow, "src => dst : conn", where an endpoint is ns/name[Kind] or an
external range a.b.c.d-e.f.g.h[External], and conn is e.g. "TCP 80,8080-8090,UDP 53" or
"All Connections". Pairs that allow nothing are not listed, nor a workload's traffic to itself.

Examples:
  $ kubereach analyze --manifests examples/seed
  $ kubereach analyze -m ./k8s --format json -o connectivity.json
  $ kubereach analyze -m ./k8s --focus shop/backend --format md
  $ kubereach analyze -m ./k8s --format dot | dot -Tsvg > connectivity.svg`;

export function registerAnalyze(program: Command, io: CliIo): void {
  const cmd = program.command("analyze").description("print who can talk to whom: the allowed connections between workloads and external ranges");
  addInputOptions(cmd)
    .addOption(formatOption(CONNECTIVITY_FORMATS, "text"))
    .option("--focus <workload>", "only flows from or to this workload (NS/NAME or NS/NAME[Kind])", parseWorkload)
    .option("-o, --output <file>", "write the result to this file instead of stdout")
    .addHelpText("after", EXAMPLES)
    .action(async (opts: AnalyzeOptions) => {
      // Loaded when the command runs, not when it is registered: --help stays fast.
      const [{ buildConnectivity, buildMatrix, buildWorkloadIndex, workloadKey }, { formatConnectivity }, { writeResult }, { loadWorld }, { resolveTargetWorkload }] = await Promise.all([
        import("../../engine/index.js"),
        import("../format/connectivity.js"),
        import("../io.js"),
        import("../loadWorld.js"),
        import("../resolveTarget.js"),
      ]);
      const world = await loadWorld(opts, io);
      const focus = opts.focus ? resolveTargetWorkload(world, opts.focus, io) : undefined;
      const matrix = buildMatrix(world);
      const index = buildWorkloadIndex(matrix);
      const rows = buildConnectivity(matrix, focus ? { focus: workloadKey(focus) } : {}, index);
      await writeResult(io, formatConnectivity(rows, opts.format, focus ? [focus] : index.workloads), opts.output);
    });
}
