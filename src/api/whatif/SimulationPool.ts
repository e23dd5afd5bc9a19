/**
 * Runs simulations in a worker thread (simulateWorker.ts), so an accepted but heavy simulation
 * never holds the API's event loop: /healthz and every other request keep being answered. One
 * worker runs one simulation at a time; each has a time budget and the worker a heap cap, past
 * which the worker is terminated (and started again for the next request) and the client gets a
 * clear error; past `maxQueued` waiting requests a new one is refused as busy, to retry.
 */
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../../sync/moduleWorker.js";
import { DEFAULT_CACHE_SIZES } from "../../domain/config.js";
import { BadInputError, ForbiddenError, UpstreamUnavailableError } from "../../domain/errors.js";
import type { WhatIfMode, WorldInput } from "../../engine/index.js";
import type { Scope } from "../../domain/scope.js";
import { WORKER_READY, type SimulateJob, type SimulateOutcome, type WorkerReply } from "./wire.js";

export interface SimulationPoolOptions {
  /** Milliseconds one simulation may run (server.simulateTimeoutMs). */
  readonly timeoutMs: number;
  /** Old-generation heap of the worker, in MB (server.simulateHeapMb). */
  readonly heapMb: number;
  /** Requests that may wait while one runs (server.simulateMaxQueued). */
  readonly maxQueued: number;
  /** Generations whose prepared base the worker keeps (server.cache.whatIfBases; default 2). */
  readonly basesKept?: number;
}

/** What the worker is started with (its workerData). */
export interface SimulateWorkerData {
  readonly basesKept: number;
}

export const DEFAULT_SIMULATION_POOL: SimulationPoolOptions = { timeoutMs: 10_000, heapMb: 512, maxQueued: 8 };

export interface SimulationRequest {
  readonly baseKey: string;
  /** The base generation's world input, loaded only when the worker does not hold it yet. */
  readonly loadBase: () => Promise<WorldInput>;
  readonly manifests: string;
  readonly mode: WhatIfMode;
  readonly scope: Scope;
}

interface Task {
  readonly request: SimulationRequest;
  readonly resolve: (o: SimulateOutcome) => void;
  readonly reject: (e: unknown) => void;
}

interface Running {
  readonly worker: Worker;
  /** Settles when the worker has loaded its modules (a start under tsx takes a while). */
  readonly ready: Promise<void>;
  /** Starts (again) the current job's time budget. */
  restart?: () => void;
  settle?: (r: { reply: WorkerReply } | { error: unknown }) => void;
}

export class SimulationPool {
  private readonly queue: Task[] = [];
  private running: Running | undefined;
  private busy = false;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: SimulationPoolOptions = DEFAULT_SIMULATION_POOL) {}

  run(request: SimulationRequest): Promise<SimulateOutcome> {
    if (this.closed) return Promise.reject(new UpstreamUnavailableError("the server is shutting down; retry on another replica"));
    if (this.busy && this.queue.length >= this.options.maxQueued)
      return Promise.reject(new UpstreamUnavailableError(`the simulator is busy: ${this.queue.length} simulations are already waiting (server.simulateMaxQueued); retry in a moment`));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      void this.drain();
    });
  }

  /** Stops the worker; waiting requests are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new UpstreamUnavailableError("the server is shutting down; retry on another replica"));
    const w = this.running?.worker;
    this.running = undefined;
    if (w) await w.terminate();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let task = this.queue.shift(); task; task = this.queue.shift()) {
        try {
          task.resolve(await this.execute(task.request));
        } catch (err) {
          task.reject(err);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async execute(request: SimulationRequest): Promise<SimulateOutcome> {
    const job: SimulateJob = { id: this.nextId++, baseKey: request.baseKey, manifests: request.manifests, mode: request.mode, scope: request.scope };
    let reply = await this.send(job);
    if (reply.kind === "needs-base") reply = await this.send({ ...job, baseInput: await request.loadBase() });
    if (reply.kind === "done") return reply.outcome;
    if (reply.kind !== "failed") throw new Error("the simulation worker did not keep the base it was sent");
    if (reply.code === "BAD_INPUT") throw new BadInputError(reply.message);
    if (reply.code === "FORBIDDEN") throw new ForbiddenError(reply.message);
    throw new Error(`simulation failed: ${reply.message}`);
  }

  /**
   * One job on the worker (started if none runs), within the time budget. The budget counts the
   * request's own work: not the worker's start, not compiling a generation's base.
   */
  private async send(job: SimulateJob): Promise<WorkerReply> {
    const running = (this.running ??= this.spawn());
    await running.ready;
    return new Promise<WorkerReply>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const start = () => {
        clearTimeout(timer);
        timer = setTimeout(expire, this.options.timeoutMs);
      };
      const expire = () => {
        this.discard(running);
        finish({
          error: new BadInputError(
            `the simulation exceeded its time budget of ${formatMs(this.options.timeoutMs)} and was stopped (server.simulateTimeoutMs); simulate a smaller change, or fewer namespaces at a time`,
          ),
        });
      };
      const finish = (r: { reply: WorkerReply } | { error: unknown }) => {
        clearTimeout(timer);
        running.settle = undefined;
        running.restart = undefined;
        if ("reply" in r) resolve(r.reply);
        else reject(r.error);
      };
      running.settle = finish;
      running.restart = start;
      start();
      running.worker.postMessage(job);
    });
  }

  private spawn(): Running {
    const resourceLimits = { maxOldGenerationSizeMb: this.options.heapMb };
    const worker = startWorker(resourceLimits, { basesKept: this.options.basesKept ?? DEFAULT_CACHE_SIZES.whatIfBases });
    let ready!: () => void;
    let failed!: (e: unknown) => void;
    const running: Running = { worker, ready: new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject))) };
    running.ready.catch(() => {}); // seen by send(), when a job waits for it
    worker.unref(); // an idle worker never keeps the process alive
    worker.on("message", (reply: WorkerReply | typeof WORKER_READY) => {
      if (reply === WORKER_READY) ready();
      else if (reply.kind === "base-ready") running.restart?.();
      else running.settle?.({ reply });
    });
    worker.on("error", (err: Error & { code?: string }) => {
      this.discard(running);
      const error =
        err.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? new BadInputError(`the simulation needed more memory than its budget of ${this.options.heapMb} MB and was stopped (server.simulateHeapMb); simulate a smaller change`)
          : new Error(`the simulation worker failed: ${err.message}`, { cause: err });
      failed(error);
      running.settle?.({ error });
    });
    worker.on("exit", (code) => {
      this.discard(running);
      failed(new Error(`the simulation worker exited (code ${code}) before it was ready`));
      running.settle?.({ error: new Error(`the simulation worker exited (code ${code})`) });
    });
    return running;
  }

  /** Forgets a worker (the next job starts a new one) and stops it. */
  private discard(running: Running): void {
    if (this.running === running) this.running = undefined;
    void running.worker.terminate();
  }
}

/** The worker module next to this one: simulateWorker.js in the compiled dist/, simulateWorker.ts from source. */
function startWorker(resourceLimits: { maxOldGenerationSizeMb: number }, workerData: SimulateWorkerData): Worker {
  return startModuleWorker(import.meta.url, new URL("./simulateWorker.js", import.meta.url), { resourceLimits, workerData });
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
