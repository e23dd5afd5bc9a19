/**
 * What crosses the boundary between the API and the simulation worker. Messages are structured
 * clones, which keep plain data (bigint, Set, Map) but not classes: a ConnectionSet travels as its
 * canonical key and is parsed back, so the rows the API renders equal the engine's.
 */
import { parseConnectionSet, type ChangeCause, type ImpactRow, type PolicyChange, type WhatIfMode, type WorldInput } from "../../engine/index.js";
import type { Scope } from "../query/scope.js";

/** Posted once when the worker has loaded its modules: budgets start only then. */
export const WORKER_READY = "ready";

export interface SimulateJob {
  readonly id: number;
  /** cluster + generation: the worker keeps the compiled base of a few generations by this key. */
  readonly baseKey: string;
  /** Sent only when the worker said it lacks the base (a new generation, or a new worker). */
  readonly baseInput?: WorldInput;
  readonly manifests: string;
  readonly mode: WhatIfMode;
  readonly scope: Scope;
}

type Wired<T> = { [K in keyof T]: T[K] extends { readonly key: string; isEmpty(): boolean } ? string : T[K] };
export type WireCause = Wired<ChangeCause>;
export type WireRow = Omit<Wired<ImpactRow>, "causes"> & { readonly causes: readonly WireCause[] };

export interface SimulateOutcome {
  readonly method: "incremental" | "full";
  readonly policyChanges: readonly PolicyChange[];
  readonly rows: readonly WireRow[];
  readonly warnings: readonly string[];
}

export type WorkerReply =
  /** The base was compiled: the job's time budget starts now (a base is the cluster's cost, not the request's). */
  | { readonly id: number; readonly kind: "base-ready" }
  | { readonly id: number; readonly kind: "needs-base" }
  | { readonly id: number; readonly kind: "done"; readonly outcome: SimulateOutcome }
  /** code: an AppError code (BAD_INPUT, FORBIDDEN) the API re-raises as such; undefined for an internal error. */
  | { readonly id: number; readonly kind: "failed"; readonly code?: string; readonly message: string };

export function rowToWire(r: ImpactRow): WireRow {
  return {
    diffType: r.diffType,
    src: r.src,
    dst: r.dst,
    before: r.before.key,
    after: r.after.key,
    gained: r.gained.key,
    lost: r.lost.key,
    causes: r.causes.map((c) => ({ ...c, conn: c.conn.key })),
  };
}

export function rowFromWire(r: WireRow): ImpactRow {
  return {
    diffType: r.diffType,
    src: r.src,
    dst: r.dst,
    before: parseConnectionSet(r.before),
    after: parseConnectionSet(r.after),
    gained: parseConnectionSet(r.gained),
    lost: parseConnectionSet(r.lost),
    causes: r.causes.map((c) => ({ ...c, conn: parseConnectionSet(c.conn) })),
  };
}
