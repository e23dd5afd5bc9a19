/**
 * Reads manifests and compiles them for a command, reporting on stderr: warnings always; progress
 * and a summary of what was read with --verbose, or on a terminal when the input is large; input
 * errors either as a failure (BadInputError, exit 1, after every diagnostic is printed) or, with
 * --skip-invalid, as the list of objects left out.
 */
import { BadInputError } from "../domain/errors.js";
import { compileWorld, formatDiagnostic, type CompiledWorld, type Diagnostic } from "../engine/index.js";
import { readManifests, sortByOrigin, type ManifestStats, type ReadProgress } from "../sync/manifests/index.js";
import type { CliIo } from "./io.js";
import type { InputOptions } from "./options.js";

const PROGRESS_INTERVAL_MS = 1000;
/** On a terminal, the summary of what was read is shown for inputs at least this large (always with --verbose). */
const LARGE_INPUT = { files: 100, objects: 1000 } as const;

export async function loadWorld(options: InputOptions, io: CliIo): Promise<CompiledWorld> {
  const verbose = options.verbose === true;
  const started = Date.now();
  let lastProgress = started;
  const onProgress = (p: ReadProgress) => {
    if (!(verbose || io.stderrIsTty) || p.filesRead === p.filesTotal || Date.now() - lastProgress < PROGRESS_INTERVAL_MS) return;
    lastProgress = Date.now();
    io.stderr.write(`reading manifests: ${count(p.filesRead)} of ${count(p.filesTotal)} files, ${count(p.documents)} documents\n`);
  };
  const read = await readManifests(options.manifests, { onProgress });
  const large = read.stats.files >= LARGE_INPUT.files || read.stats.objects >= LARGE_INPUT.objects || lastProgress !== started;
  if (verbose || (io.stderrIsTty && large)) io.stderr.write(`${describeStats(read.stats)}\n`);
  for (const w of read.warnings) io.stderr.write(`warning: ${w.message}\n`);

  const compiled = compileWorld(read.world);
  // One list in input order, whichever layer found the problem.
  const diagnostics: Diagnostic[] = sortByOrigin([...read.diagnostics, ...compiled.diagnostics], read.files);
  const errors = diagnostics.filter((d) => d.severity === "error");
  const warnings = diagnostics.filter((d) => d.severity === "warning");
  if (errors.length > 0 && !options.skipInvalid) {
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    throw new BadInputError(`${count(errors.length)} error${errors.length === 1 ? "" : "s"} in ${options.manifests}; fix ${errors.length === 1 ? "it" : "them"}, or pass --skip-invalid to analyze the valid objects only`);
  }
  for (const d of warnings) io.stderr.write(`${formatDiagnostic(d)}\n`);
  if (errors.length > 0) {
    const skipped = groupByObject(errors);
    for (const [where, ds] of skipped) io.stderr.write(`skipped ${where}: ${ds.map((d) => `${d.field}: ${d.message}`).join("; ")}\n`);
    io.stderr.write(`skipped ${count(skipped.size)} invalid object${skipped.size === 1 ? "" : "s"} (--skip-invalid)\n`);
  }
  return compiled.world;
}

/** `read 12,000 objects from 340 files: 3 namespaces, 10 pods, ...` */
export function describeStats(s: ManifestStats): string {
  const parts = [
    `${count(s.namespaces)} namespaces`,
    `${count(s.pods)} pods`,
    `${count(s.workloads)} workloads (${count(s.templatePods)} pod templates used)`,
    `${count(s.networkPolicies)} network policies`,
    ...(s.tieredPolicies ? [`${count(s.tieredPolicies)} cluster-scoped policies`] : []),
    `${count(s.ignored)} ignored`,
    `${count(s.invalid)} invalid`,
  ];
  return `read ${count(s.objects)} objects from ${count(s.files)} file${s.files === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

function groupByObject(ds: readonly Diagnostic[]): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const d of ds) {
    const where = d.origin ? `${d.object} (${d.origin})` : d.object;
    const list = out.get(where) ?? [];
    list.push(d);
    out.set(where, list);
  }
  return out;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}
