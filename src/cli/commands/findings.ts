/**
 * `kubereach findings`: weak spots of the policies of a manifest tree or of a live cluster (listed
 * once), each with a severity, the objects involved and a fix hint.
 */
import { Option, type Command } from "commander";
import { AppError, UsageError } from "../../domain/errors.js";
import { SEVERITIES, type Severity } from "../../engine/findings/types.js";
import { FINDINGS_FORMATS, type FindingsFormat } from "../format/formats.js";
import type { CliIo } from "../io.js";
import { addOutputOptions, deprecation, outputOf, type OutputFlags } from "../options.js";
import { parseSeconds } from "./diff.js";
import type { ReadOptions } from "./stateInput.js";

interface FindingsOptions extends ReadOptions, OutputFlags {
  readonly manifests?: string;
  readonly context?: string;
  /** Deprecated spelling of --context. */
  readonly cluster?: string;
  readonly kubeconfig?: string;
  readonly namespace?: string;
  readonly minSeverity: Severity;
  readonly failOn?: Severity;
  readonly timeout: number;
}

class FindingsTripped extends AppError {
  readonly code = "BAD_INPUT" as const;
}

const HELP = `
Kinds (severity):
  INGRESS_NOT_ISOLATED (medium), EGRESS_NOT_ISOLATED (low)
      no policy selects any pod of the workload for that direction
  NAMESPACE_WITHOUT_DEFAULT_DENY (ingress medium, egress low)
      no NetworkPolicy with podSelector: {} isolates the namespace's pods for that direction
  POLICY_SELECTS_NO_POD (low)        the podSelector matches no pod of the namespace
  PEER_MATCHES_NOTHING (medium)      a from/to selector matches no pod (e.g. no namespace matches)
  NAMED_PORT_UNDEFINED (medium)      no destination of the rule defines that named port
  REDUNDANT_RULE (low)               another rule already allows everything this rule allows
  INGRESS_FROM_INTERNET (high; medium with restricted ports)
      an ingress rule admits any address (no from, or an ipBlock /0)
  INGRESS_FROM_ALL_NAMESPACES (medium; low when the peer also selects pods by label)
      a from peer with namespaceSelector: {}
  EGRESS_TO_INTERNET (medium; low with restricted ports)
      an egress rule to any address (no to, or an ipBlock /0)
  POD_IP_IN_EXTERNAL_IPBLOCK (medium)
      an ipBlock wider than one address contains pod IPs (ipBlocks match pods too)
  RULE_SHADOWED_BY_ADMIN_TIER (medium when denied and fully shadowed; info when accepted; low when partly denied)
      the Admin tier decides what a NetworkPolicy rule admits before NetworkPolicy is consulted

Exit codes: 0 (whatever is found, unless --fail-on), 1 a finding at or above --fail-on, or bad
input, 2 usage error.

Examples:
  $ kubereach findings -m ./k8s
  $ kubereach findings -m ./k8s --min-severity medium -o md --output-file findings.md
  $ kubereach findings --context prod --kubeconfig ~/.kube/config --namespace shop --fail-on high`;

export function registerFindings(program: Command, io: CliIo): void {
  const cmd = program
    .command("findings")
    .description("weak spots of the policies: unisolated workloads, policies and peers that match nothing, redundant rules, broad exposure")
    .option("-m, --manifests <path>", "a manifest file or a directory of them")
    .option("--context <name>", "the live cluster of this kubeconfig context, listed once")
    .addOption(new Option("--cluster <context>", "deprecated: use --context").hideHelp())
    .option("--kubeconfig <file>", "with --context: the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    .option("-n, --namespace <namespace>", "only findings about this namespace")
    .addOption(new Option("--min-severity <severity>", "leave out findings below this severity").choices(SEVERITIES).default("info"))
    .addOption(new Option("--fail-on <severity>", "exit 1 when a finding has this severity or a higher one").choices(SEVERITIES))
    .option("--timeout <seconds>", "with --context: how long to wait for the listing", parseSeconds, 60)
    .option("--skip-invalid", "leave out objects with errors (listed on stderr) instead of failing")
    .option("-v, --verbose", "report what was read on stderr");
  addOutputOptions(cmd, FINDINGS_FORMATS, "text", "the findings")
    .addHelpText("after", HELP)
    .action(async (opts: FindingsOptions) => {
      const warn = deprecation(io);
      const { format, file } = outputOf<FindingsFormat>(opts, "text", warn);
      if (opts.cluster !== undefined) warn("--cluster is deprecated: use --context (the kubeconfig context)");
      const context = opts.context ?? opts.cluster;
      const [{ findings }, { atLeast, formatFindings }, { writeResult }, { readCluster, readState }] = await Promise.all([
        import("../../engine/index.js"),
        import("../format/findings.js"),
        import("../io.js"),
        import("./stateInput.js"),
      ]);
      if ((opts.manifests === undefined) === (context === undefined)) throw new UsageError("give the state: exactly one of --manifests PATH and --context NAME");
      if (opts.kubeconfig !== undefined && context === undefined) throw new UsageError("--kubeconfig goes with --context");
      const state =
        opts.manifests !== undefined
          ? await readState(opts.manifests, opts, io)
          : await readCluster({ context: context!, kubeconfig: opts.kubeconfig, timeoutMs: opts.timeout * 1000 }, io, opts.verbose);
      const list = findings(state.world).filter((f) => atLeast(f.severity, opts.minSeverity) && (opts.namespace === undefined || f.namespace === opts.namespace));
      await writeResult(io, formatFindings(list, format), file);
      const failing = opts.failOn ? list.filter((f) => atLeast(f.severity, opts.failOn!)) : [];
      if (failing.length > 0) throw new FindingsTripped(`${failing.length} finding${failing.length === 1 ? "" : "s"} at severity ${opts.failOn} or higher (--fail-on ${opts.failOn})`);
    });
}
