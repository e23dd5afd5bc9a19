/**
 * What crosses the boundary between the API and the simulation worker. Messages are structured
 * clones, which keep plain data (bigint, Set, Map) but not classes: a ConnectionSet travels as its
 * canonical key and is parsed back, so the rows the API renders equal the engine's.
 */
import { parseConnectionSet, type ChangeCause, type ConnectionSet, type ImpactRow, type PolicyChange, type WhatIfMode, type WorldInput } from "../../engine/index.js";
import type { Scope } from "../../domain/scope.js";

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

/**
 * Rows back from the wire. A simulation's rows and causes repeat few distinct connection sets
 * (hundreds of thousands of causes, a handful of keys): each key is parsed once per answer, which
 * keeps decoding on the API's event loop short.
 */
export function rowsFromWire(rows: readonly WireRow[]): ImpactRow[] {
  const parsed = new Map<string, ConnectionSet>();
  const conn = (key: string) => {
    let c = parsed.get(key);
    if (!c) parsed.set(key, (c = parseConnectionSet(key)));
    return c;
  };
  return rows.map((r) => ({
    diffType: r.diffType,
    src: r.src,
    dst: r.dst,
    before: conn(r.before),
    after: conn(r.after),
    gained: conn(r.gained),
    lost: conn(r.lost),
    causes: r.causes.map((c) => ({ ...c, conn: conn(c.conn) })),
  }));
}
