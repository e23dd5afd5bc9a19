/**
 * `kubereach diff`: the semantic diff between two states (added, removed and changed connections,
 * each with the rules responsible), and CI gating with --fail-on. The base is a manifest tree
 * (--base) or a live cluster listed once (--context); the head is a complete tree, or with --mode a
 * proposal applied to the base. The engine's what-if computes it (incremental when only
 * NetworkPolicies differ).
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { AppError, UsageError } from "../../domain/errors.js";
// Small engine modules only at registration (--help); the engine and readers load in the action.
import type { WhatIfResult } from "../../engine/index.js";
import { FAIL_ON_DESCRIPTIONS, FAIL_ON_RULES, isFailOnRule, type FailOnRule } from "../../engine/whatif/gates.js";
import { WHATIF_MODES, type WhatIfMode } from "../../engine/whatif/modes.js";
import { DIFF_FORMATS, type DiffFormat } from "../format/formats.js";
import type { CliIo } from "../io.js";
import { addOutputOptions, deprecation, outputOf, type OutputFlags } from "../options.js";
import type { ReadOptions } from "./stateInput.js";

interface DiffOptions extends ReadOptions, OutputFlags {
  readonly base?: string;
  readonly context?: string;
  /** Deprecated spelling of --context. */
  readonly cluster?: string;
  readonly kubeconfig?: string;
  readonly head: string;
  readonly mode?: WhatIfMode;
  readonly failOn?: readonly FailOnRule[];
  readonly explain?: boolean;
  readonly timeout: number;
}

/** A tripped --fail-on gate: exit code 1 after the report. */
class GateTripped extends AppError {
  readonly code = "BAD_INPUT" as const;
}

export function parseFailOn(text: string): FailOnRule[] {
  const rules = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = rules.filter((r) => !isFailOnRule(r));
  if (rules.length === 0 || bad.length > 0)
    throw new InvalidArgumentError(`${bad.length ? `unknown rule${bad.length === 1 ? "" : "s"} ${bad.join(", ")}` : "no rule given"}; known: ${FAIL_ON_RULES.join(", ")}.`);
  return rules as FailOnRule[];
}

export function parseSeconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a number of seconds greater than 0.");
  return n;
}

const width = FAIL_ON_RULES.reduce((w, r) => Math.max(w, r.length), 0);
const HELP = `
States:
  --base PATH --head PATH     two complete manifest trees (e.g. two git checkouts)
  --context NAME --head PATH
                              the live cluster of that kubeconfig context (listed once, read-only)
                              and the manifests at PATH applied to it (--mode apply unless given)
  --base PATH --head PATH --mode MODE
                              the manifests at PATH applied to the base tree

Modes (objects are matched by kind, namespace and name):
  apply              upsert every object, as kubectl apply does; objects annotated
                     kubereach.io/delete: "true" are deleted instead
  replace-namespace  apply, and delete the NetworkPolicies the proposal does not give in every
                     namespace it mentions (an object's namespace, a Namespace object, a deletion)
  replace-all        apply, and delete every NetworkPolicy the proposal does not give
  A workload (Deployment, ...) replaces its pods by its pod template; a Pod replaces that pod.

Output: one row per endpoint pair whose connections differ: "+ src => dst : conn" (added: nothing
before), "- src => dst : conn" (removed: nothing after), "~ src => dst : before -> after" (changed),
each followed by the rules responsible ("because ..."). JSON rows are {"diff_type", "src", "dst",
"conn_before", "conn_after"} (plus "explanation" with --explain; csv and md get a column).

--fail-on RULE[,RULE...] exits 1, after printing the diff and a report on stderr, when a rule trips.
A row "gains" what its connections after have and before had not; it "loses" the reverse.
${FAIL_ON_RULES.map((r) => `  ${r.padEnd(width)}  ${FAIL_ON_DESCRIPTIONS[r]}`).join("\n")}

Exit codes: 0 no rule tripped (whatever the diff), 1 a --fail-on rule tripped or bad input,
2 usage error.

Examples:
  $ kubereach diff --base main/k8s --head pr/k8s
  $ kubereach diff --base main/k8s --head pr/k8s --fail-on added-external-ingress,added-cross-namespace,removed-any
  $ kubereach diff --context prod --kubeconfig ~/.kube/config --head ./policies --mode replace-namespace -o md
  $ kubereach diff --base main/k8s --head change.yaml --mode apply -o json --explain`;

export function registerDiff(program: Command, io: CliIo): void {
  const cmd = program
    .command("diff")
    .description("what a change does to connectivity: connections added, removed and changed between two states, with the rules responsible")
    .option("--base <path>", "the base state: a manifest file or directory (complete)")
    .option("--context <name>", "the base state: the live cluster of this kubeconfig context, listed once")
    .addOption(new Option("--cluster <context>", "deprecated: use --context").hideHelp())
    .option("--kubeconfig <file>", "with --context: the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    .requiredOption("--head <path>", "the proposed state: a complete manifest tree, or with --mode (or --context) the objects to apply")
    .addOption(new Option("--mode <mode>", "apply --head to the base in this mode (default with --context: apply)").choices(WHATIF_MODES))
    .option("--fail-on <rules>", "comma-separated rules (listed below): exit 1 when one trips", parseFailOn)
    .option("--explain", "json, csv, md: add the rules responsible for each row")
    .option("--timeout <seconds>", "with --context: how long to wait for the listing", parseSeconds, 60)
    .option("--skip-invalid", "leave out objects with errors (listed on stderr) instead of failing")
    .option("-v, --verbose", "report what was read on stderr");
  addOutputOptions(cmd, DIFF_FORMATS, "text", "the diff")
    .addHelpText("after", HELP)
    .action(async (opts: DiffOptions) => {
      const warn = deprecation(io);
      const { format, file } = outputOf<DiffFormat>(opts, "text", warn);
      if (opts.cluster !== undefined) warn("--cluster is deprecated: use --context (the kubeconfig context)");
      const context = opts.context ?? opts.cluster;
      const [{ checkFailOn, diffStates, formatDiagnostic, prepareWhatIf, whatIf }, { formatDiff, formatFailOn }, { writeResult }, { readCluster, readProposal, readState }] = await Promise.all([
        import("../../engine/index.js"),
        import("../format/diff.js"),
        import("../io.js"),
        import("./stateInput.js"),
      ]);
      if ((opts.base === undefined) === (context === undefined)) throw new UsageError("give the base state: exactly one of --base PATH and --context NAME");
      if (opts.kubeconfig !== undefined && context === undefined) throw new UsageError("--kubeconfig goes with --context");
      const base = opts.base !== undefined ? await readState(opts.base, opts, io) : await readCluster({ context: context!, kubeconfig: opts.kubeconfig, timeoutMs: opts.timeout * 1000 }, io, opts.verbose);
      const mode = opts.mode ?? (context !== undefined ? "apply" : undefined);
      const prepared = prepareWhatIf(base.world);
      let result: WhatIfResult;
      if (mode) {
        const proposal = await readProposal(opts.head, opts, io);
        result = whatIf(prepared, proposal, mode, { baseInput: () => base.input }).result;
        // readProposal reported the proposal's own diagnostics; a deletion of nothing is known only here.
        for (const d of result.diagnostics) if (d.code === "NOT_IN_BASE") io.stderr.write(`${formatDiagnostic(d)}\n`);
      } else result = diffStates(prepared, (await readState(opts.head, opts, io)).world);
      if (opts.verbose) io.stderr.write(`diff of ${base.label} and ${opts.head}${mode ? ` (${mode})` : ""}: ${result.method} what-if, ${result.rows.length} rows\n`);
      await writeResult(io, formatDiff(result.rows, format, { explain: opts.explain === true, policyChanges: result.policyChanges }), file);
      const tripped = checkFailOn(result.rows, opts.failOn ?? []);
      if (tripped.length > 0) {
        io.stderr.write(formatFailOn(tripped));
        throw new GateTripped(`the change trips --fail-on ${tripped.map((t) => t.rule).join(", ")}`);
      }
    });
}
