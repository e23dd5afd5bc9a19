/**
 * The tests' fake Kubernetes API server (test/helpers/fakeKubeApi.ts) in a child process, loaded
 * with a generated cluster. In the sync bench's own process the fake held a copy of every object
 * and served every list and watch: its heap and its CPU counted in the service's RSS, its garbage
 * collector's pauses and its event-loop time in the service's latencies. A real API server is
 * another process; so is this one. Object operations are asynchronous (one IPC round trip each).
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { KubeObject } from "../../test/helpers/fakeKubeApi.js";

const HOST_MAIN = fileURLToPath(new URL("./fakeKubeApiHost.ts", import.meta.url));

/** What the host generates and loads (generateCluster's options: the same as the bench's input). */
export interface HostStart {
  readonly pods: number;
  readonly policies: number;
  readonly seed: number;
}

type Op =
  | { op: "get"; kind: string; name: string; namespace?: string }
  | { op: "list"; kind: string }
  | { op: "upsert"; object: KubeObject }
  | { op: "delete"; object: Pick<KubeObject, "kind" | "metadata"> }
  | { op: "stop" };
export type HostRequest = Op & { readonly id: number };
export type HostReply = { ready: true; url: string } | { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export class RemoteFakeKubeApi {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on("message", (msg: HostReply) => {
      if ("ready" in msg) return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) p?.resolve(msg.result);
      else p?.reject(new Error(`fake API server: ${msg.error}`));
    });
    child.on("exit", (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`fake API server exited (code ${code}, signal ${signal})`));
      this.pending.clear();
    });
  }

  /** Starts the host process and waits until the cluster is loaded and the server listens. */
  static async start(cluster: HostStart): Promise<RemoteFakeKubeApi> {
    // The parent's flags (--import tsx, heap size); no inspector port clash: the host never opens one.
    const child = fork(HOST_MAIN, [JSON.stringify(cluster)], { execArgv: process.execArgv.filter((f) => !f.startsWith("--inspect")), stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
    const url = await new Promise<string>((resolve, reject) => {
      child.once("message", (msg: HostReply) => ("ready" in msg ? resolve(msg.url) : reject(new Error("fake API server: unexpected first message"))));
      child.once("exit", (code, signal) => reject(new Error(`fake API server exited before it was ready (code ${code}, signal ${signal})`)));
      child.once("error", reject);
    });
    return new RemoteFakeKubeApi(child, url);
  }

  get(kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    return this.call<KubeObject | null>({ op: "get", kind, name, ...(namespace !== undefined && { namespace }) }).then((o) => o ?? undefined);
  }

  list(kind: string): Promise<KubeObject[]> {
    return this.call({ op: "list", kind });
  }

  /** Creates or updates an object (a watch event); resolves to the stored copy. */
  upsert(object: KubeObject): Promise<KubeObject> {
    return this.call({ op: "upsert", object });
  }

  delete(object: Pick<KubeObject, "kind" | "metadata">): Promise<KubeObject> {
    return this.call({ op: "delete", object: { kind: object.kind, metadata: object.metadata } });
  }

  /** Stops the server and waits for the host process to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    await this.call({ op: "stop" }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }

  private call<R>(op: Op): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...op, id } satisfies HostRequest);
    });
  }
}
