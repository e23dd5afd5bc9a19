/**
 * Reachability impacts (impact.ts) computed in a worker thread (impactWorkerMain.ts). Replaying a
 * generation's revisions means full analyses of the cluster (compile, class matrix, connectivity
 * list, diff): at 10,000 pods about 0.4 s of CPU per generation, which on the sync's event loop
 * stalled every reader the process serves (the API of `kubereach serve` shares it). The worker
 * keeps its own copy of the last generation's state and analysis; a job sends only the changes
 * logged since (the LoggedBatch list the generation was committed with). A worker without that
 * base (just started, restarted after a failure) answers `needs-base` and gets the whole base once.
 * One job at a time, in generation order: the committer awaits each before the next generation.
 */
import type { Worker } from "node:worker_threads";
import type { ClusterState } from "../domain/ClusterState.js";
import { OBJECT_KINDS, type ClusterObject } from "../domain/objects.js";
import type { ImpactInput } from "../domain/repositories.js";
import type { LoggedBatch } from "./impact.js";
import { IMPACT_WORKER_READY, type ImpactJob, type ImpactReply } from "./impactWire.js";
import { startModuleWorker } from "./moduleWorker.js";

interface Running {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  /** The reply the running job waits for. */
  settle?: (r: { reply: ImpactReply } | { error: unknown }) => void;
}

export class ImpactWorker {
  private running: Running | undefined;
  private nextId = 1;

  /**
   * The impacts of `generation`, committed on the state of `baseGeneration` (`base`) plus `log`;
   * `estimatedRows`: the connectivity rows of both ends, about (impact.ts skips the diff beyond MAX_DIFF_ROWS).
   */
  async compute(base: ClusterState, baseGeneration: number | undefined, log: readonly LoggedBatch[], generation: number, estimatedRows: ImpactJob["estimatedRows"]): Promise<ImpactInput[]> {
    const job: ImpactJob = { id: this.nextId++, generation, baseGeneration, log, estimatedRows };
    let reply = await this.send(job);
    if (reply.kind === "needs-base") reply = await this.send({ ...job, id: this.nextId++, base: objectsOf(base) });
    if (reply.kind === "done") return reply.impacts;
    if (reply.kind === "error") throw new Error(`the impact worker failed: ${reply.message}`);
    throw new Error("the impact worker did not keep the base it was sent");
  }

  /**
   * Starts the thread now, so that the first generation's impacts do not wait for it to load its
   * modules (seconds when running from source); a no-op when it runs.
   */
  warmUp(): void {
    this.running ??= this.spawn();
  }

  /** Stops the worker (a later job starts a new one). */
  async close(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (running) await running.worker.terminate();
  }

  private async send(job: ImpactJob): Promise<ImpactReply> {
    const running = (this.running ??= this.spawn());
    await running.ready;
    return new Promise<ImpactReply>((resolve, reject) => {
      running.settle = (r) => {
        running.settle = undefined;
        if ("reply" in r) resolve(r.reply);
        else reject(r.error);
      };
      running.worker.postMessage(job);
    });
  }

  private spawn(): Running {
    const worker = startModuleWorker(import.meta.url, new URL("./impactWorkerMain.js", import.meta.url));
    let ready!: () => void;
    let failed!: (e: unknown) => void;
    const running: Running = { worker, ready: new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject))) };
    running.ready.catch(() => {}); // seen by send(), when a job waits for it
    worker.unref(); // an idle worker never keeps the process alive
    worker.on("message", (reply: ImpactReply | typeof IMPACT_WORKER_READY) => {
      if (reply === IMPACT_WORKER_READY) ready();
      else running.settle?.({ reply });
    });
    const gone = (error: Error) => {
      if (this.running === running) this.running = undefined;
      failed(error);
      running.settle?.({ error });
    };
    worker.on("error", (err: Error) => gone(new Error(`the impact worker failed: ${err.message}`, { cause: err })));
    worker.on("exit", (code) => gone(new Error(`the impact worker exited (code ${code})`)));
    return running;
  }
}

function objectsOf(state: ClusterState): ClusterObject[] {
  const out: ClusterObject[] = [];
  for (const kind of OBJECT_KINDS) for (const o of state.all(kind)) out.push(o);
  return out;
}
