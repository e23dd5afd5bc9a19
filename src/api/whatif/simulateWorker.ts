/**
 * The simulation worker thread (SimulationPool.ts starts it): runs computeSimulation off the API's
 * event loop, one job at a time. Keeps the prepared base of the last few generations by key, so a
 * request sends only its manifests; a job for a base it lacks is answered `needs-base` and sent
 * again with the base's world input.
 */
import { parentPort, workerData } from "node:worker_threads";
import { DEFAULT_CACHE_SIZES } from "../../domain/config.js";
import { isAppError } from "../../domain/errors.js";
import { lruCache } from "../query/caches.js";
import { computeSimulation, prepareBase, type PreparedBase } from "./compute.js";
import type { SimulateWorkerData } from "./SimulationPool.js";
import { WORKER_READY, type SimulateJob, type WorkerReply } from "./wire.js";

/** Generations kept (server.cache.whatIfBases): the latest, and the one before while clients move over. */
const bases = lruCache<PreparedBase>((workerData as SimulateWorkerData | null)?.basesKept ?? DEFAULT_CACHE_SIZES.whatIfBases);

function base(job: SimulateJob): PreparedBase | undefined {
  let hit = bases.get(job.baseKey);
  if (!hit && job.baseInput) {
    hit = prepareBase(job.baseInput);
    parentPort!.postMessage({ id: job.id, kind: "base-ready" } satisfies WorkerReply);
    bases.set(job.baseKey, hit);
  }
  return hit;
}

function run(job: SimulateJob): WorkerReply {
  try {
    const prepared = base(job);
    if (!prepared) return { id: job.id, kind: "needs-base" };
    return { id: job.id, kind: "done", outcome: computeSimulation(prepared, job.manifests, job.mode, job.scope) };
  } catch (err) {
    if (isAppError(err)) return { id: job.id, kind: "failed", code: err.code, message: err.message };
    return { id: job.id, kind: "failed", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

parentPort!.on("message", (job: SimulateJob) => parentPort!.postMessage(run(job)));
parentPort!.postMessage(WORKER_READY);
