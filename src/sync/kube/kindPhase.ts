/**
 * Where one kind's list/watch loop is (KindSupervisor), as an explicit state machine: the phases are
 * the states KindStatus reports (docs/sync-health.md), each carrying what only it needs, and every
 * transition is in `nextPhase`. Pure.
 *
 *   listing --listed, watch opens--> watching --ends normally--> reconnecting --opens--> watching
 *      |                               |  \--410 Gone--> listing
 *      |--404 (optional)--> notServed   \--fails--> backoff --restart--> listing
 *      |--401/403 (optional)--> forbidden
 *   a required kind refused (401/403) goes through backoff to forbidden (its restart is pending);
 *   any phase --stop--> stopped (final).
 *
 * `watchOpenedAt` is when the watch that is (or was, until a periodic relist replaced the informer)
 * open began: a failure after a watch that lived resets the backoff sequence.
 */
export type KindPhase =
  | { readonly state: "listing"; readonly watchOpenedAt?: number }
  | { readonly state: "watching"; readonly watchOpenedAt: number }
  | { readonly state: "reconnecting" }
  | { readonly state: "backoff" }
  | { readonly state: "notServed"; readonly watchOpenedAt?: number }
  | { readonly state: "forbidden"; readonly watchOpenedAt?: number }
  | { readonly state: "stopped" };

export type PhaseEvent =
  /** A list request goes out (the first, a relist, a restart's). */
  | { readonly type: "listStarted" }
  /** The API server does not serve this optional kind (404): not installed. */
  | { readonly type: "notServed" }
  /** RBAC refuses this optional kind: skipped, looked at again later. */
  | { readonly type: "optionalForbidden" }
  | { readonly type: "watchOpened"; readonly at: number }
  /** The watch ended without error: re-watched from its resourceVersion, or relisted after a 410. */
  | { readonly type: "watchEnded"; readonly expired: boolean }
  /** A list, watch or handler failed: a restart is scheduled after the backoff. */
  | { readonly type: "failed" }
  /** The failure was a required kind refused (401/403): its restart is pending, reported as forbidden. */
  | { readonly type: "refused" }
  | { readonly type: "stopped" };

export const INITIAL_PHASE: KindPhase = { state: "listing" };

export function nextPhase(phase: KindPhase, event: PhaseEvent): KindPhase {
  if (phase.state === "stopped") return phase;
  const opened = watchOpenedAt(phase);
  switch (event.type) {
    case "listStarted":
      return { state: "listing", ...(opened !== undefined && { watchOpenedAt: opened }) };
    case "notServed":
      return { state: "notServed", ...(opened !== undefined && { watchOpenedAt: opened }) };
    case "optionalForbidden":
      return { state: "forbidden", ...(opened !== undefined && { watchOpenedAt: opened }) };
    case "watchOpened":
      return { state: "watching", watchOpenedAt: event.at };
    case "watchEnded":
      return event.expired ? { state: "listing" } : { state: "reconnecting" };
    case "failed":
      return { state: "backoff" };
    case "refused":
      return { state: "forbidden" };
    case "stopped":
      return { state: "stopped" };
  }
}

/** When the watch this phase still remembers opened (ms), if any. */
export function watchOpenedAt(phase: KindPhase): number | undefined {
  return "watchOpenedAt" in phase ? phase.watchOpenedAt : undefined;
}
