/**
 * A ClusterSource over a tree of manifests, so kubereach runs without a cluster and a
 * policy-as-code repository gets a history per change (and per git commit when the tree is in git).
 * Each read delivers complete listings; objects get a synthetic uid (hash of kind/namespace/name,
 * stable across reads) and a resourceVersion that is the hash of their content, so an unchanged file
 * produces no revision and an edit is an UPDATE. A read with errors (syntax, bounds, or an object
 * compileWorld refuses, as `analyze` would) is NOT applied: half a tree would look like deletions
 * and a refused policy like a deleted one, so the last good state stays and the errors are reported.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Logger } from "pino";
import { BadInputError } from "../../domain/errors.js";
import { compileWorld, formatDiagnostic, type WorldInput } from "../../engine/index.js";
import { OBJECT_KINDS, type ClusterObject, type JsonValue, type ObjectKind, type PolicyKind } from "../../domain/objects.js";
import type { ClusterSource, KindStatus, SourceHandler, SourceStatus } from "../source.js";
import { listManifestTree } from "./listManifestFiles.js";
import { sortByOrigin } from "./origin.js";
import { readManifests } from "./readManifests.js";

export interface ManifestSourceOptions {
  readonly path: string;
  /** Re-read when files change. */
  readonly watch?: boolean;
  readonly logger?: Logger;
  /** Quiet time after the last file event before re-reading (default 300 ms). */
  readonly debounceMs?: number;
}

const KINDS: readonly ObjectKind[] = OBJECT_KINDS;

export class ManifestSource implements ClusterSource {
  readonly description: string;
  /** One non-recursive watcher per directory of the tree (or the file's directory), by path. */
  private readonly watchers = new Map<string, FSWatcher>();
  private watching = false;
  private timer: NodeJS.Timeout | undefined;
  private handler: SourceHandler | undefined;
  private reading: Promise<void> | undefined;
  private rereadRequested = false;
  private lastReadAt: Date | undefined;
  private lastError: string | undefined;
  private reads = 0;
  private synced = false;
  private gitHead: string | null = null;

  constructor(private readonly options: ManifestSourceOptions) {
    this.description = `manifests ${options.path}${options.watch ? " (watching)" : ""}`;
  }

  /** The git commit of the last applied read, when the tree is in a git work tree. */
  sourceRef(): string | null {
    return this.gitHead;
  }

  async start(handler: SourceHandler): Promise<void> {
    this.handler = handler;
    // The first read must succeed: a service that starts on a broken tree should say so, not sit empty.
    // Watch first, then read: a write during the first read triggers a re-read instead of being missed.
    if (this.options.watch) {
      this.watching = true;
      await this.armWatchers();
    }
    try {
      await this.readOnce({ initial: true });
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Watches every directory of the tree, not the files: a file replaced by rename (`sed -i`, most
   * editors save so) is a new inode, and a watch on the old one never fires again, while the
   * directory's watch sees the rename and every later in-place write. Node's recursive watch on
   * Linux watches files one by one and missed exactly that. Re-armed after each read, so
   * directories created or removed since are followed; a directory that appeared between the read
   * and its watch triggers one more read (the return value), so nothing written into it is missed.
   */
  private async armWatchers(): Promise<boolean> {
    if (!this.watching) return false;
    const path = this.options.path;
    const isDir = await stat(path).then((st) => st.isDirectory(), () => false);
    const dirs = isDir ? (await listManifestTree(path).catch(() => ({ directories: [path] }))).directories : [dirname(path)];
    if (!this.watching) return false; // stopped while listing
    const only = isDir ? undefined : basename(path);
    let added = false;
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, (_event, file) => {
          if (!only || file === null || file === only) this.schedule();
        });
        w.on("error", (err) => {
          // A removed directory ends its watch with an error: forget it; the next read re-arms what exists.
          w.close();
          this.watchers.delete(dir);
          this.options.logger?.debug({ err, dir }, "manifest directory watch ended");
          this.schedule();
        });
        this.watchers.set(dir, w);
        added = true;
      } catch (err) {
        this.lastError = `watching ${dir}: ${(err as Error).message}`;
        this.options.logger?.warn({ err, dir }, "cannot watch a manifest directory");
      }
    }
    const current = new Set(dirs);
    for (const [dir, w] of this.watchers)
      if (!current.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    return added;
  }

  async stop(): Promise<void> {
    this.watching = false;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.reading;
    this.handler = undefined;
  }

  status(): SourceStatus {
    const kinds: KindStatus[] = KINDS.map((kind) => ({
      kind,
      watching: this.watchers.size > 0,
      synced: this.synced,
      lastEventAt: this.lastReadAt,
      restarts: 0,
      relists: Math.max(0, this.reads - 1),
    }));
    return { description: this.description, kinds, ...(this.lastError !== undefined && { lastError: this.lastError }) };
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.readOnce({ initial: false }).catch(() => undefined); // read() keeps and logs its failures
    }, this.options.debounceMs ?? 300);
  }

  private async readOnce({ initial }: { initial: boolean }): Promise<void> {
    if (this.reading) {
      this.rereadRequested = true;
      return this.reading;
    }
    this.reading = this.read(initial).finally(async () => {
      const added = await this.armWatchers().catch((err: unknown) => {
        this.options.logger?.warn({ err }, "cannot re-arm the manifest watchers");
        return false;
      });
      this.reading = undefined;
      if ((this.rereadRequested || added) && this.handler && (this.watching || !this.options.watch)) {
        this.rereadRequested = false;
        this.readOnce({ initial: false }).catch(() => undefined);
      }
    });
    return this.reading;
  }

  /**
   * One read, applied only if the whole tree is valid. Nothing escapes a re-read: whatever goes
   * wrong (an unreadable tree, errors in it, a failing handler) is logged and kept in status() for
   * syncStatus.errors, and the last good state stays. Only the first read throws, so a service
   * started on a broken tree says so.
   */
  private async read(initial: boolean): Promise<void> {
    try {
      await this.readAndApply(initial);
    } catch (err) {
      const message = err instanceof ManifestReadError ? err.summary : err instanceof Error ? err.message : String(err);
      this.lastError = message;
      if (initial) throw err;
      this.options.logger?.warn({ err, path: this.options.path }, `manifests not applied, keeping the last good state: ${message}`);
    }
  }

  private async readAndApply(initial: boolean): Promise<void> {
    const log = this.options.logger;
    const result = await readManifests(this.options.path);
    // Compiled as `analyze` compiles them: an object Kubernetes would reject (a port 70000, a bad
    // selector operator) makes the read fail like a syntax error, instead of its policy vanishing.
    const compiled = compileWorld(result.world);
    const errors = sortByOrigin([...result.diagnostics, ...compiled.diagnostics], result.files).filter((d) => d.severity === "error");
    if (errors.length > 0) {
      for (const d of errors) log?.error({ diagnostic: d }, formatDiagnostic(d));
      throw new ManifestReadError(this.options.path, errors.map(formatDiagnostic));
    }
    for (const w of result.warnings) log?.warn({ warning: w }, w.message);
    const objects = toClusterObjects(result.world);
    const handler = this.handler;
    if (!handler) return;
    this.gitHead = await gitHead(this.options.path);
    await Promise.all(KINDS.map((kind) => handler.list(kind, objects.filter((o) => o.kind === kind), "manifest")));
    this.reads++;
    this.synced = true;
    this.lastReadAt = new Date();
    this.lastError = undefined;
    log?.info({ path: this.options.path, ...result.stats, commit: this.gitHead, initial }, "manifests read");
  }
}

/** A BadInputError, so the CLI prints it as a validation message (exit 1), not as an internal error. */
export class ManifestReadError extends BadInputError {
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(`${path} has ${problems.length} error(s):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }

  /** One line for status: the count and the first problem. */
  get summary(): string {
    return `${this.problems.length} error(s) in ${this.path}: ${this.problems[0] ?? ""}`;
  }
}

function hash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/** Engine input read from manifests -> ClusterObjects with stable synthetic identities. */
export function toClusterObjects(world: WorldInput): ClusterObject[] {
  const meta = (kind: string, namespace: string, name: string, labels: Readonly<Record<string, string>>, content: unknown) => ({
    uid: `manifest-${hash([kind, namespace, name])}`,
    name,
    namespace,
    resourceVersion: hash(content),
    labels,
  });
  const out: ClusterObject[] = [];
  for (const ns of world.namespaces) out.push({ kind: "Namespace", meta: meta("Namespace", "", ns.name, ns.labels ?? {}, ns.labels ?? {}) });
  for (const p of world.pods) {
    const labels = p.labels ?? {};
    const body = { labels, ip: p.ip, hostNetwork: p.hostNetwork === true, ports: p.containerPorts ?? [], workload: p.workload };
    out.push({
      kind: "Pod",
      meta: meta("Pod", p.namespace, p.name, labels, body),
      ip: p.ip,
      hostNetwork: p.hostNetwork === true,
      containerPorts: p.containerPorts ?? [],
      workload: p.workload ?? { namespace: p.namespace, kind: "Pod", name: p.name },
    });
  }
  for (const np of world.networkPolicies) {
    const spec = (np.spec ?? null) as JsonValue;
    out.push({ kind: "NetworkPolicy", meta: meta("NetworkPolicy", np.namespace, np.name, {}, spec), spec });
  }
  // Cluster-scoped (namespace ""); a kind kubereach does not store would not have been read.
  for (const tp of world.tieredPolicies ?? []) {
    const spec = (tp.spec ?? null) as JsonValue;
    const kind = tp.kind as PolicyKind;
    out.push({ kind, meta: meta(kind, "", tp.name, {}, spec), spec });
  }
  return out;
}

/** The HEAD commit of the git work tree holding `path`, or null (no git, not a repository). */
async function gitHead(path: string): Promise<string | null> {
  const dir = await stat(path).then((s) => (s.isDirectory() ? path : dirname(path)), () => dirname(path));
  return new Promise((resolve) => {
    execFile("git", ["-C", dir, "rev-parse", "HEAD"], { timeout: 5000 }, (err, stdout) => resolve(err ? null : stdout.trim() || null));
  });
}
