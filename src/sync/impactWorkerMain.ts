/**
 * The impact worker thread (ImpactWorker.ts starts it): computes reachability impacts (impact.ts)
 * off the sync's event loop. It keeps the state of the last generation it saw and that state's
 * analysis, so a job brings only the changes logged since; a job on another base is answered
 * `needs-base` and sent again with the whole base.
 */
import { parentPort } from "node:worker_threads";
import { ClusterState } from "../domain/ClusterState.js";
import { analyze, type Analysis } from "./analysis.js";
import { applyChange, computeImpacts } from "./impact.js";
import { IMPACT_WORKER_READY, type ImpactJob, type ImpactReply } from "./impactWire.js";

/** The state of generation `generation` (the base of the next job) and its analysis, once computed. */
let base: { generation: number | undefined; state: ClusterState; analysis: Analysis | undefined } | undefined;

function run(job: ImpactJob): ImpactReply {
  if (job.base) base = { generation: job.baseGeneration, state: ClusterState.from(job.base), analysis: undefined };
  if (!base || base.generation !== job.baseGeneration) return { id: job.id, kind: "needs-base" };
  const from = base;
  const final = from.state.clone();
  for (const batch of job.log) for (const c of batch.changes) applyChange(final, c);
  let finalAnalysis: Analysis | undefined;
  const baseAnalysis = () => (from.analysis ??= analyze(from.state));
  const afterAnalysis = () => (finalAnalysis ??= analyze(final));
  try {
    const impacts = computeImpacts(
      // The estimates come with the job: a full analysis only to learn that the diff is too large to
      // make would cost seconds per generation at 150k pods.
      { state: from.state, connectivity: () => baseAnalysis().connectivity(), estimatedRows: () => job.estimatedRows.base },
      { connectivity: () => afterAnalysis().connectivity(), estimatedRows: () => job.estimatedRows.final },
      job.log,
      job.generation,
    );
    return { id: job.id, kind: "done", impacts };
  } finally {
    // The next job starts from this generation, whatever happened to this one's impacts.
    base = { generation: job.generation, state: final, analysis: finalAnalysis };
  }
}

parentPort!.on("message", (job: ImpactJob) => {
  let reply: ImpactReply;
  try {
    reply = run(job);
  } catch (err) {
    base = undefined;
    reply = { id: job.id, kind: "error", message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage(IMPACT_WORKER_READY);
