/**
 * Inputs of `diff` and `findings`: a complete state read from manifests (as engine input and
 * compiled), a proposal read from manifests (objects to upsert, objects annotated for deletion),
 * and a live cluster listed once through the Kubernetes source (--cluster CONTEXT, --kubeconfig).
 * Input errors are reported on stderr as loadWorld reports them, and fail the command unless
 * --skip-invalid.
 */
import { readFile, stat } from "node:fs/promises";
import { sep } from "node:path";
import { BadInputError, NotFoundError, UpstreamUnavailableError } from "../../domain/errors.js";
import { compileWorld, formatDiagnostic, splitDeletions, type CompiledWorld, type Diagnostic, type Proposal, type RawManifest, type WorldInput } from "../../engine/index.js";
import { ClusterState } from "../../domain/ClusterState.js";
import { KubeClusterSource } from "../../sync/kube/index.js";
import { listManifestFiles, parseManifestText, readManifests, sortByOrigin, toWorldInput } from "../../sync/manifests/index.js";
import type { ClusterObject, ObjectKind } from "../../domain/objects.js";
import type { CliIo } from "../io.js";
import { appendAll } from "../../engine/util/appendAll.js";

export interface ReadOptions {
  readonly skipInvalid?: boolean;
  readonly verbose?: boolean;
}

export interface State {
  readonly input: WorldInput;
  readonly world: CompiledWorld;
  /** What the state is, for messages: `manifests ./base`, `cluster prod`. */
  readonly label: string;
}

/** A complete state from a manifest tree (like loadWorld, keeping the engine input). */
export async function readState(path: string, options: ReadOptions, io: CliIo): Promise<State> {
  const read = await readManifests(path);
  for (const w of read.warnings) io.stderr.write(`warning: ${w.message}\n`);
  const compiled = compileWorld(read.world);
  report(sortByOrigin([...read.diagnostics, ...compiled.diagnostics], read.files), path, options, io);
  if (options.verbose) io.stderr.write(`read ${path}: ${read.world.namespaces.length} namespaces, ${read.world.pods.length} pods, ${read.world.networkPolicies.length} network policies\n`);
  return { input: read.world, world: compiled.world, label: `manifests ${path}` };
}

/** A proposal from a manifest tree: objects to upsert, and those annotated kubereach.io/delete: "true". */
export async function readProposal(path: string, options: ReadOptions, io: CliIo): Promise<Proposal> {
  const info = await stat(path).catch((e: unknown) => {
    throw new NotFoundError(`${path}: no such file or directory`, { cause: e });
  });
  const files = info.isDirectory() ? await listManifestFiles(path) : [path];
  const shown = files.map((f) => f.split(sep).join("/"));
  const objects: RawManifest[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const [i, file] of files.entries()) {
    const text = await readFile(file, "utf8").catch((e: unknown) => {
      throw new BadInputError(`${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    });
    const parsed = parseManifestText(text.startsWith("\uFEFF") ? text.slice(1) : text, shown[i]!);
    appendAll(objects, parsed.objects);
    appendAll(diagnostics, parsed.diagnostics);
  }
  const { keep, deletions } = splitDeletions(objects);
  const mapped = toWorldInput(keep);
  for (const w of mapped.warnings) io.stderr.write(`warning: ${w.message}\n`);
  const own = compileWorld(mapped.world);
  report(sortByOrigin([...diagnostics, ...mapped.diagnostics, ...own.diagnostics], shown), path, options, io);
  if (options.verbose)
    io.stderr.write(`read proposal ${path}: ${mapped.world.networkPolicies.length} network policies, ${mapped.world.pods.length} pods, ${mapped.world.namespaces.length} namespaces, ${deletions.length} deletions\n`);
  return { input: mapped.world, deletions };
}

function report(diagnostics: readonly Diagnostic[], path: string, options: ReadOptions, io: CliIo): void {
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 && !options.skipInvalid) {
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    throw new BadInputError(`${errors.length} error${errors.length === 1 ? "" : "s"} in ${path}; fix ${errors.length === 1 ? "it" : "them"}, or pass --skip-invalid to use the valid objects only`);
  }
  for (const d of diagnostics) if (d.severity === "warning" || options.skipInvalid) io.stderr.write(`${formatDiagnostic(d)}\n`);
  if (errors.length > 0) io.stderr.write(`skipped ${errors.length} invalid object${errors.length === 1 ? "" : "s"} in ${path} (--skip-invalid)\n`);
}

export interface ClusterOptions {
  readonly context: string;
  readonly kubeconfig?: string;
  /** How long to wait for the first complete listing of every kind. */
  readonly timeoutMs: number;
}

/**
 * The live state of a cluster, listed once: the Kubernetes source's informers deliver a complete
 * listing of every kind, then stop. API-server failures are retried until the timeout.
 */
export async function readCluster(options: ClusterOptions, io: CliIo, verbose = false): Promise<State> {
  const source = new KubeClusterSource({ connection: { type: "kubeconfig", context: options.context, ...(options.kubeconfig ? { path: options.kubeconfig } : {}) }, resyncIntervalMs: 0 });
  const byKind = new Map<ObjectKind, Map<string, ClusterObject>>();
  const kindMap = (k: ObjectKind) => byKind.get(k) ?? byKind.set(k, new Map()).get(k)!;
  const handler = {
    list: async (kind: ObjectKind, objects: readonly ClusterObject[]) => void byKind.set(kind, new Map(objects.map((o) => [o.meta.uid, o]))),
    upsert: async (o: ClusterObject) => void kindMap(o.kind).set(o.meta.uid, o),
    remove: async (o: ClusterObject) => void kindMap(o.kind).delete(o.meta.uid),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const problems = source.status().kinds.filter((k) => !k.synced).map((k) => `${k.kind}${k.lastError ? `: ${k.lastError}` : ""}`);
      reject(new UpstreamUnavailableError(`no complete listing of cluster ${options.context} (${source.description}) within ${options.timeoutMs / 1000} s${problems.length ? `; waiting for ${problems.join("; ")}` : ""}`));
    }, options.timeoutMs);
  });
  const started = source.start(handler);
  started.catch(() => undefined); // after a timeout, stop() rejects it: that is expected
  try {
    await Promise.race([started, timeout]);
  } finally {
    clearTimeout(timer);
    await source.stop();
  }
  const objects = [...byKind.values()].flatMap((m) => [...m.values()]);
  const input = ClusterState.from(objects).toWorldInput();
  const compiled = compileWorld(input);
  // A live cluster's objects were accepted by its API server: problems are reported, never fatal.
  for (const d of compiled.diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
  if (verbose) io.stderr.write(`listed ${source.description}: ${input.namespaces.length} namespaces, ${input.pods.length} pods, ${input.networkPolicies.length} network policies\n`);
  return { input, world: compiled.world, label: `cluster ${options.context}` };
}
