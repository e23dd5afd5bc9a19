/** The messages between ImpactWorker.ts and its thread (impactWorkerMain.ts). */
import type { ClusterObject } from "../domain/objects.js";
import type { ImpactInput } from "../domain/repositories.js";
import type { LoggedBatch } from "./impact.js";

/** Impacts of generation `generation`, from the state of `baseGeneration` and the changes logged since. */
export interface ImpactJob {
  readonly id: number;
  readonly generation: number;
  readonly baseGeneration: number | undefined;
  readonly log: readonly LoggedBatch[];
  /** The connectivity rows the base and the final state have, about (Analysis.estimatedRows, cheap on the sync's side). */
  readonly estimatedRows: { readonly base: number; readonly final: number };
  /** The whole base state, sent when the worker answered needs-base. */
  readonly base?: readonly ClusterObject[];
}

export type ImpactReply =
  | { readonly id: number; readonly kind: "done"; readonly impacts: ImpactInput[] }
  | { readonly id: number; readonly kind: "needs-base" }
  | { readonly id: number; readonly kind: "error"; readonly message: string };

/** Posted once the worker has loaded its modules. */
export const IMPACT_WORKER_READY = "impact-worker-ready";
