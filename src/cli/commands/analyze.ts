/** `kubereach analyze`: the connectivity list of the whole input, or of some workloads (--focus). */
import type { Command } from "commander";
import type { ConnEndpoint, ConnectivityRow, WorkloadQuery } from "../../engine/index.js";
import { CONNECTIVITY_FORMATS, type ConnectivityFormat } from "../format/formats.js";
import type { CliIo } from "../io.js";
import { addInputOptions, addOutputOptions, deprecation, outputOf, parseWorkload, type InputOptions, type OutputFlags } from "../options.js";

interface AnalyzeOptions extends InputOptions, OutputFlags {
  readonly focus: readonly WorkloadQuery[];
}

const EXAMPLES = `
Output: one line per allowed flow, "src => dst : conn", where an endpoint is ns/name[Kind] or an
external range a.b.c.d-e.f.g.h[External], and conn is e.g. "TCP 80,8080-8090,UDP 53" or
"All Connections". Pairs that allow nothing are not listed, nor a workload's traffic to itself.

Examples:
  $ kubereach analyze --manifests examples/seed
  $ kubereach analyze -m ./k8s -o json --output-file connectivity.json
  $ kubereach analyze -m ./k8s --focus shop/backend --focus shop/db -o md
  $ kubereach analyze -m ./k8s -o dot | dot -Tsvg > connectivity.svg`;

/** `--focus a --focus b` and `--focus a,b` alike. */
function collectWorkloads(value: string, previous: readonly WorkloadQuery[]): WorkloadQuery[] {
  return [...previous, ...value.split(",").filter(Boolean).map(parseWorkload)];
}

export function registerAnalyze(program: Command, io: CliIo): void {
  const cmd = program.command("analyze").description("print who can talk to whom: the allowed connections between workloads and external ranges");
  addInputOptions(cmd);
  addOutputOptions(cmd, CONNECTIVITY_FORMATS, "text")
    .option("--focus <workload>", "only flows from or to this workload (NS/NAME or NS/NAME[Kind]); repeat it, or separate with commas, for several", collectWorkloads, [])
    .addHelpText("after", EXAMPLES)
    .action(async (opts: AnalyzeOptions) => {
      const { format, file } = outputOf<ConnectivityFormat>(opts, "text", deprecation(io));
      // Loaded when the command runs, not when it is registered: --help stays fast.
      const [{ buildConnectivity, buildMatrix, buildWorkloadIndex, workloadKey }, { formatConnectivity }, { writeResult }, { loadWorld }, { resolveTargetWorkload }] = await Promise.all([
        import("../../engine/index.js"),
        import("../format/connectivity.js"),
        import("../io.js"),
        import("../loadWorld.js"),
        import("../resolveTarget.js"),
      ]);
      const world = await loadWorld(opts, io);
      const focus = opts.focus.map((q) => resolveTargetWorkload(world, q, io));
      const matrix = buildMatrix(world);
      const index = buildWorkloadIndex(matrix);
      let rows: ConnectivityRow[];
      if (focus.length <= 1) rows = buildConnectivity(matrix, focus[0] ? { focus: workloadKey(focus[0]) } : {}, index);
      else {
        const keys = new Set(focus.map(workloadKey));
        const touches = (e: ConnEndpoint) => e.kind === "workload" && keys.has(workloadKey(e.ref));
        rows = buildConnectivity(matrix, {}, index).filter((r) => touches(r.src) || touches(r.dst));
      }
      await writeResult(io, formatConnectivity(rows, format, focus.length ? focus : index.workloads), file);
    });
}
