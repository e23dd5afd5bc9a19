/**
 * Shared pieces of the Kubernetes source tests: a recording SourceHandler, polling waits, a
 * kubeconfig file pointing at the fake API server, and a source with test-sized timings.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClusterSource, type KubeClusterSourceOptions, type SourceLogger } from "../../../src/sync/kube/KubeClusterSource.js";
import type { ClusterObject, ObjectKind } from "../../../src/domain/objects.js";
import type { SourceHandler } from "../../../src/sync/source.js";
import type { FakeKubeApi } from "../../helpers/fakeKubeApi.js";

export type Call =
  | { readonly op: "list"; readonly kind: ObjectKind; readonly via: "list" | "relist" | "manifest"; readonly objects: readonly ClusterObject[] }
  | { readonly op: "upsert" | "remove"; readonly kind: ObjectKind; readonly object: ClusterObject };

/** Records every handler call, in call order. Optionally slow (async work after recording). */
export class RecordingHandler implements SourceHandler {
  readonly calls: Call[] = [];
  constructor(private readonly delayMs: () => number = () => 0) {}

  list(kind: ObjectKind, objects: readonly ClusterObject[], via: "list" | "relist" | "manifest"): Promise<void> {
    this.calls.push({ op: "list", kind, via, objects });
    return this.settle();
  }
  upsert(object: ClusterObject): Promise<void> {
    this.calls.push({ op: "upsert", kind: object.kind, object });
    return this.settle();
  }
  remove(object: ClusterObject): Promise<void> {
    this.calls.push({ op: "remove", kind: object.kind, object });
    return this.settle();
  }

  lists(kind?: ObjectKind, via?: "list" | "relist"): Extract<Call, { op: "list" }>[] {
    return this.calls.filter((c): c is Extract<Call, { op: "list" }> => c.op === "list" && (!kind || c.kind === kind) && (!via || c.via === via));
  }
  events(kind?: ObjectKind): Extract<Call, { op: "upsert" | "remove" }>[] {
    return this.calls.filter((c): c is Extract<Call, { op: "upsert" | "remove" }> => c.op !== "list" && (!kind || c.kind === kind));
  }
  /** `op kind ns/name` of the watch events, for compact assertions. */
  eventLines(kind?: ObjectKind): string[] {
    return this.events(kind).map((c) => `${c.op} ${c.kind} ${c.object.meta.namespace ? `${c.object.meta.namespace}/` : ""}${c.object.meta.name}`);
  }
  /** Names (ns/name) in the last listing of a kind. */
  lastListing(kind: ObjectKind): string[] {
    const l = this.lists(kind).at(-1);
    return l ? l.objects.map((o) => (o.meta.namespace ? `${o.meta.namespace}/${o.meta.name}` : o.meta.name)).sort() : [];
  }

  private settle(): Promise<void> {
    const ms = this.delayMs();
    return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
  }
}

/** Polls `predicate` until it holds; generous default timeout for a loaded 2-core machine. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A temporary directory with a kubeconfig for the fake (plain http needs insecure-skip-tls-verify: T-K2). */
export class TempKubeconfig {
  readonly dir = mkdtempSync(join(tmpdir(), "kubereach-kube-"));
  readonly path = join(this.dir, "config");

  constructor(url: string, options: { context?: string; token?: string; skipTls?: boolean } = {}) {
    writeKubeconfig(this.path, url, options);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function writeKubeconfig(path: string, url: string, options: { context?: string; token?: string; skipTls?: boolean } = {}): void {
  const context = options.context ?? "fake";
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: fake-cluster",
      "  cluster:",
      `    server: ${url}`,
      ...(options.skipTls === false ? [] : ["    insecure-skip-tls-verify: true"]),
      "users:",
      "- name: fake-user",
      "  user:",
      `    token: ${options.token ?? "test-token"}`,
      "contexts:",
      `- name: ${context}`,
      "  context:",
      "    cluster: fake-cluster",
      "    user: fake-user",
      `current-context: ${context}`,
      "",
    ].join("\n"),
  );
}

/** The kinds every cluster serves; the informer-mechanics tests watch these (the tiered-policy CRDs have their own tests). */
export const CORE_KINDS = ["Namespace", "Pod", "NetworkPolicy"] as const;

/** Test-sized timings: fast backoff, no periodic relist unless asked; the core kinds only. */
export const FAST: KubeClusterSourceOptions = {
  kinds: CORE_KINDS,
  backoff: { initialMs: 50, maxMs: 400, resetAfterMs: 60_000 },
  resyncIntervalMs: 0,
  minWatchDurationMs: 200,
  listTimeoutMs: 5_000,
};

export function sourceFor(kubeconfig: TempKubeconfig, options: KubeClusterSourceOptions = {}): KubeClusterSource {
  return new KubeClusterSource({ ...FAST, connection: { type: "kubeconfig", path: kubeconfig.path }, ...options });
}

/** Captures log records (level, msg, fields). */
export class MemoryLogger implements SourceLogger {
  readonly records: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  debug(obj: object, msg: string): void {
    this.records.push({ level: "debug", msg, fields: obj as Record<string, unknown> });
  }
  info(obj: object, msg: string): void {
    this.records.push({ level: "info", msg, fields: obj as Record<string, unknown> });
  }
  warn(obj: object, msg: string): void {
    this.records.push({ level: "warn", msg, fields: obj as Record<string, unknown> });
  }
  error(obj: object, msg: string): void {
    this.records.push({ level: "error", msg, fields: obj as Record<string, unknown> });
  }
}

/** The three watch connections of a source are open on the fake. */
export async function waitForWatches(api: FakeKubeApi, count = 3): Promise<void> {
  await waitFor(() => api.openWatches() >= count, `${count} open watches`);
}
