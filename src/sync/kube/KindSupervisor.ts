/**
 * One informer per kind, supervised (RELIABILITY.md R2, R3, R8). @kubernetes/client-node 1.4.0's
 * informer stops for good on any error but 410 (T-K3, T-K7) and reconnects without delay (T-K5);
 * this class owns that informer and:
 * - restarts it after an error with jittered exponential backoff; after a 5xx (including 504 "too
 *   large resource version"), a handler failure or `recreateAfterFailures` consecutive failures it
 *   replaces it with a fresh informer, which lists from scratch;
 * - paces reconnects: a watch that ends (or expires) within `minWatchDurationMs` without events
 *   delays the next list/watch by the same backoff, so a server that closes every watch at once
 *   cannot cause a request storm;
 * - wraps the list function, so every (re)list hands the complete listing to the handler
 *   (`via` "list" the first time, "relist" afterwards); the add/update/delete callbacks the informer
 *   fires while diffing that listing against its cache are suppressed (the handler reconciles the
 *   listing itself, by uid, and a deletion found by a relist has no known final state);
 * - forwards watch events to the handler in arrival order, calling it synchronously (no await in
 *   informer callbacks): a handler must register each call before its first await;
 * - replaces the informer every `resyncIntervalMs` (jittered) as the safety net for silently lost
 *   events and half-open connections (T-K6), which 1.4.0 cannot detect.
 * - keeps only a cache entry (cacheEntry.ts) of each object in the informer: the listing and each
 *   watch event are mapped from the full object, which is then dropped.
 * Retired informers (replaced or stopped) are tagged by generation; whatever they still emit is ignored.
 * Where the loop is, is one explicit phase (kindPhase.ts, changed only by `transition`); what keeps the
 * kind from being current is its KindHealth; both are reported by status().
 */
import * as k8s from "@kubernetes/client-node";
import type { ClusterObject, ObjectKind } from "../../domain/objects.js";
import { describePermission, type KindStatus, type SourceHandler } from "../source.js";
import { Backoff, type BackoffOptions } from "../backoff.js";
import { classifyFailure, type Failure } from "./failures.js";
import type { KindSpec, KubeList } from "./kinds.js";
import { SupervisedWatch, type WatchStats } from "./SupervisedWatch.js";
import { toClusterObject } from "./toClusterObject.js";
import { cacheEntryOf } from "./cacheEntry.js";
import { statusOf } from "./status.js";
import { KindHealth } from "./KindHealth.js";
import { ReconnectPacer } from "./ReconnectPacer.js";
import { INITIAL_PHASE, nextPhase, watchOpenedAt, type KindPhase, type PhaseEvent } from "./kindPhase.js";

/** The logging methods kubereach uses; a pino Logger satisfies it. */
export interface SourceLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SupervisorSettings {
  readonly backoff: BackoffOptions;
  readonly recreateAfterFailures: number;
  readonly resyncIntervalMs: number;
  readonly minWatchDurationMs: number;
  readonly listTimeoutMs: number;
  /** How often an optional kind the API server does not serve (a CRD not installed) is looked for again. */
  readonly absentRetryMs: number;
}

type RestartMode = "restart" | "recreate";

export class KindSupervisor {
  private phase: KindPhase = INITIAL_PHASE;
  private phaseSince = new Date();
  private readonly health = new KindHealth();
  // The current informer, tagged by generation; and what its list/watch cycle is in the middle of.
  private gen = 0;
  private informer: k8s.ListWatch<k8s.KubernetesObject> | undefined;
  /** True between a successful list and the informer's next watch call: its diff callbacks are suppressed. */
  private inListDiff = false;
  /** The watch event being handed to the informer: its full object, for the callback that receives its cache entry. */
  private eventInFlight: { readonly entry: k8s.KubernetesObject; readonly full: k8s.KubernetesObject } | undefined;
  private listAbort: AbortController | undefined;
  private lastListError: unknown;
  private expiredSeen = false;
  // Timing: restarts after failures, paced reconnects, the periodic relist.
  private readonly backoff: Backoff;
  /** A restart waiting out its delay, and how it restarts (a later failure can only upgrade it to "recreate"). */
  private restart: { readonly timer: NodeJS.Timeout; mode: RestartMode } | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly pacer = new ReconnectPacer();
  // Reported counters and facts.
  private readonly initial: { promise: Promise<void>; resolve: () => void };
  /** A watch stream is open (it can outlive the phase: a periodic relist, a handler failure, replace it only later). */
  private watching = false;
  private synced = false;
  private lastEventAt: Date | undefined;
  /** Listings delivered: the first is "list", every later one a "relist". */
  private listCalls = 0;
  private restarts = 0;

  constructor(
    private readonly spec: KindSpec,
    private readonly kubeConfig: k8s.KubeConfig,
    private readonly handler: SourceHandler,
    private readonly settings: SupervisorSettings,
    private readonly log: SourceLogger,
  ) {
    this.backoff = new Backoff(settings.backoff);
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.initial = { promise, resolve };
  }

  get kind(): ObjectKind {
    return this.spec.kind;
  }

  /** Resolves once the first complete listing was accepted by the handler. */
  get initialSync(): Promise<void> {
    return this.initial.promise;
  }

  start(): void {
    this.createInformer();
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.transition({ type: "stopped" });
    this.gen++;
    clearTimeout(this.restart?.timer);
    clearTimeout(this.resyncTimer);
    this.restart = this.resyncTimer = undefined;
    this.pacer.cancel();
    this.listAbort?.abort();
    const informer = this.informer;
    this.informer = undefined;
    this.watching = false;
    await informer?.stop();
  }

  status(): KindStatus {
    const h = this.health;
    return {
      kind: this.spec.kind,
      watching: this.watching,
      synced: this.synced,
      ...(this.lastEventAt && { lastEventAt: this.lastEventAt }),
      restarts: this.restarts,
      relists: Math.max(0, this.listCalls - 1),
      ...(h.lastError !== undefined && { lastError: h.lastError }),
      ...(h.lastFailure && { lastFailure: h.lastFailure.message, lastFailureAt: h.lastFailure.at }),
      ...(h.notServed && { notServed: true }),
      state: this.phase.state,
      stateSince: this.phaseSince,
      ...(h.unhealthySince && { unhealthySince: h.unhealthySince }),
      ...(this.spec.optional && { optional: true }),
      ...(h.forbidden && { forbidden: h.forbidden }),
    };
  }

  private get stopped(): boolean {
    return this.phase.state === "stopped";
  }

  /** The only place the phase changes; `stateSince` moves when the reported state does. */
  private transition(event: PhaseEvent): void {
    const next = nextPhase(this.phase, event);
    if (next.state !== this.phase.state) this.phaseSince = new Date();
    this.phase = next;
  }

  // ----------------------------------------------------------------------------------------------
  // Informer lifecycle

  /** Replaces the informer (if any) by a fresh one, which starts with a list. */
  private createInformer(): void {
    const old = this.informer;
    const gen = ++this.gen;
    this.inListDiff = false;
    this.expiredSeen = false;
    this.listAbort?.abort();
    if (old) void old.stop(); // its AbortError arrives with a retired generation and is ignored

    const watch = new SupervisedWatch(this.kubeConfig, {
      beforeWatch: async () => {
        this.inListDiff = false; // the informer is done applying the listing
        await this.pacer.pace(this.retired(gen));
        return !this.retired(gen);
      },
      retired: () => this.retired(gen),
      onOpen: () => this.onWatchOpen(gen),
      onEvent: (type, object) => this.onWatchEvent(gen, type, object),
      onEnd: (err, stats) => this.onWatchEnd(gen, err, stats),
      path: () => this.spec.path,
      cacheEntry: (full) => {
        const entry = cacheEntryOf(full);
        this.eventInFlight = { entry, full };
        return entry;
      },
    });
    const informer = new k8s.ListWatch<k8s.KubernetesObject>(this.spec.path, watch, () => this.list(gen), false);
    informer.on("add", (o) => this.onObject(gen, "upsert", o));
    informer.on("update", (o) => this.onObject(gen, "upsert", o));
    informer.on("delete", (o) => this.onObject(gen, "remove", o));
    informer.on("error", (err) => this.onError(gen, err));
    this.informer = informer;
    this.run(gen, informer);
  }

  private run(gen: number, informer: k8s.ListWatch<k8s.KubernetesObject>): void {
    informer.start().catch((err: unknown) => this.onError(gen, err));
  }

  private retired(gen: number): boolean {
    return this.stopped || gen !== this.gen;
  }

  // ----------------------------------------------------------------------------------------------
  // List

  private async list(gen: number): Promise<KubeList> {
    await this.pacer.pace(this.retired(gen));
    if (this.retired(gen)) throw abortError();
    const abort = new AbortController();
    this.listAbort = abort;
    this.transition({ type: "listStarted" });
    let list: KubeList;
    try {
      list = await this.spec.list(AbortSignal.any([abort.signal, AbortSignal.timeout(this.settings.listTimeoutMs)]));
    } catch (err) {
      this.lastListError = err;
      const status = statusOf(err);
      if (this.spec.optional && status === 404) this.onNotServed(gen);
      else if (this.spec.optional && (status === 401 || status === 403)) this.onOptionalForbidden(gen, err);
      throw err;
    } finally {
      if (this.listAbort === abort) this.listAbort = undefined;
    }
    if (this.retired(gen)) throw abortError();
    // The backoff is reset only by a watch that lived (see scheduleRestart): a list that works
    // followed by a watch that fails at once must not restart the sequence.
    this.health.healthy();
    if (this.health.notServed) {
      this.health.notServed = false;
      this.log.info({ kind: this.spec.kind, path: this.spec.path }, "kind is served now (CRD installed)");
    }
    // The informer dereferences item.metadata; a real API server always sends it.
    const items = (list.items ?? []).filter((i) => i && typeof i.metadata === "object" && i.metadata !== null);
    this.deliverListing(items, list.metadata?.resourceVersion);
    this.inListDiff = true;
    // The informer diffs and caches entries only: the full listing is garbage once delivered.
    return { ...list, items: items.map(cacheEntryOf) };
  }

  private deliverListing(items: readonly k8s.KubernetesObject[], resourceVersion: string | undefined): void {
    const objects: ClusterObject[] = [];
    for (const item of items) {
      const o = this.map(item);
      if (o) objects.push(o);
    }
    const via = this.listCalls++ === 0 ? "list" : "relist";
    this.lastEventAt = new Date();
    this.expiredSeen = false;
    this.log.info({ kind: this.spec.kind, via, objects: objects.length, resourceVersion }, via === "list" ? "listed" : "relisted");
    call(() => this.handler.list(this.spec.kind, objects, via)).then(
      () => {
        if (this.synced) return;
        this.synced = true;
        this.initial.resolve();
      },
      (err: unknown) => this.onHandlerError(err, `list(${via})`),
    );
  }

  /**
   * The API server does not serve this optional kind (404 on the collection): none of its objects
   * exist. The first time (and whenever it stops being served) that is delivered as an empty
   * listing, so the initial sync completes and objects of a removed CRD are reconciled away.
   */
  private onNotServed(gen: number): void {
    if (this.retired(gen)) return;
    const first = !this.health.notServed;
    this.health.notServed = true;
    this.health.healthy();
    this.transition({ type: "notServed" });
    if (!first) return;
    this.log.info({ kind: this.spec.kind, path: this.spec.path, retryMs: this.settings.absentRetryMs }, "kind not served by the API server (CRD not installed); looking again later");
    this.deliverListing([], undefined);
  }

  /**
   * RBAC refuses an optional kind (the tiered-policy CRDs): reported (status, an error log) and
   * skipped, so the initial sync completes without it; looked at again every `absentRetryMs`.
   * Nothing is delivered: objects of the kind already known stay as they were (their deletion is
   * not known), and answers about what they select may be wrong, which lastError says.
   */
  private onOptionalForbidden(gen: number, err: unknown): void {
    if (this.retired(gen)) return;
    const first = this.health.forbidden === undefined;
    const forbidden = { verb: "list", resource: this.spec.resource, group: this.spec.group };
    this.health.forbidden = forbidden;
    const message = `forbidden: ${describePermission(forbidden)}; ${this.spec.kind} objects are not read, so answers ignore them (${classifyFailure(err, "list").message})`;
    this.health.failed(message);
    this.transition({ type: "optionalForbidden" });
    if (first) this.log.error({ kind: this.spec.kind, path: this.spec.path, error: message, retryMs: this.settings.absentRetryMs }, "optional kind not readable (RBAC); skipped, looking again later");
    if (!this.synced) {
      this.synced = true;
      this.initial.resolve();
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Watch

  private onObject(gen: number, op: "upsert" | "remove", entry: k8s.KubernetesObject): void {
    const inFlight = this.eventInFlight;
    this.eventInFlight = undefined;
    if (this.retired(gen) || this.inListDiff) return;
    if (inFlight?.entry !== entry) {
      // The informer called back outside the watch event that handed it this entry (a client
      // version that defers its callbacks): the full object is not known, so the kind is relisted.
      this.onHandlerError(new Error(`the informer's ${op} callback for ${describeEntry(entry)} came outside its watch event`), op);
      return;
    }
    const o = this.map(inFlight.full);
    if (!o) return;
    call(() => (op === "upsert" ? this.handler.upsert(o) : this.handler.remove(o))).catch((err: unknown) => this.onHandlerError(err, op));
  }

  private onWatchOpen(gen: number): void {
    if (this.retired(gen)) return;
    this.watching = true;
    this.health.healthy();
    this.transition({ type: "watchOpened", at: Date.now() });
    this.log.debug({ kind: this.spec.kind, resourceVersion: this.informer?.latestResourceVersion() }, "watching");
  }

  private onWatchEvent(gen: number, type: string, object: unknown): void {
    if (this.retired(gen)) return;
    if (type === "ERROR") {
      const code = (object as { code?: unknown } | null)?.code;
      if (code === 410) this.expiredSeen = true;
      this.log.debug({ kind: this.spec.kind, code, message: (object as { message?: unknown } | null)?.message }, "watch ERROR event");
      return;
    }
    this.lastEventAt = new Date();
  }

  private onWatchEnd(gen: number, err: unknown, stats: WatchStats): void {
    if (this.retired(gen)) return;
    this.watching = false;
    const status = statusOf(err);
    if (err && status !== 410) return; // the informer reports it through "error": onError
    const expired = this.expiredSeen || status === 410;
    this.transition({ type: "watchEnded", expired });
    // A watch that ends at once without events is suspicious: pace the next request. Not after a 410:
    // the informer relists at once, as client-go's reflector does (a relist that fails is paced by the backoff).
    const short = !expired && stats.durationMs < this.settings.minWatchDurationMs && stats.events === 0;
    const delayMs = short ? this.backoff.next() : 0;
    if (short) this.pacer.delayNext(delayMs);
    else this.backoff.reset(); // a watch that lived: the connection works
    const fields = { kind: this.spec.kind, durationMs: stats.durationMs, events: stats.events, delayMs };
    if (expired) this.log.info(fields, "watch expired (410 Gone); relisting");
    else if (short) this.log.warn(fields, "watch closed immediately; delaying reconnect");
    else this.log.debug(fields, "watch ended; re-watching from the last resourceVersion");
  }

  // ----------------------------------------------------------------------------------------------
  // Failures

  private onError(gen: number, err: unknown): void {
    if (this.retired(gen)) return;
    if ((this.health.notServed || (this.spec.optional && this.health.forbidden)) && err === this.lastListError) {
      // Not installed (normal), or not readable (reported once): look again later, quietly.
      this.inListDiff = false;
      this.watching = false;
      if (this.restart) return;
      const timer = setTimeout(() => {
        this.restart = undefined;
        if (!this.stopped) this.createInformer();
      }, this.settings.absentRetryMs);
      this.restart = { timer, mode: "recreate" };
      return;
    }
    this.inListDiff = false;
    this.watching = false;
    const operation = err === this.lastListError ? "list" : "watch";
    const failure = classifyFailure(err, operation);
    this.health.consecutiveFailures++;
    if (failure.status === 401 || failure.status === 403) {
      // A required kind: retried (RBAC gets fixed, tokens rotate); `sync --once` fails on it (see KubeClusterSource.permissionProblem).
      const forbidden = { verb: operation, resource: this.spec.resource, group: this.spec.group };
      this.health.forbidden = forbidden;
      this.health.unhealthySince ??= new Date();
      this.scheduleRestart("recreate", { ...failure, message: `${failure.status === 401 ? "unauthorized (credentials rejected)" : "forbidden"}: kubereach needs ${describePermission(forbidden)}; ${failure.message}` });
      this.transition({ type: "refused" });
      return;
    }
    const mode: RestartMode = failure.relist || this.health.consecutiveFailures >= this.settings.recreateAfterFailures ? "recreate" : "restart";
    this.scheduleRestart(mode, failure);
  }

  private onHandlerError(err: unknown, operation: string): void {
    if (this.stopped) return;
    const message = `handler ${operation} failed: ${err instanceof Error ? err.message : String(err)}`;
    this.log.error({ kind: this.spec.kind, err }, "handler failed; the kind will be relisted");
    this.health.consecutiveFailures++;
    this.scheduleRestart("recreate", { class: "client", status: undefined, message, relist: true });
  }

  private scheduleRestart(mode: RestartMode, failure: Failure): void {
    if (this.stopped) return;
    this.health.failed(failure.message);
    // A failure of a watch that had lived: the connection worked until now, so the sequence starts over.
    const openedAt = watchOpenedAt(this.phase);
    const lived = openedAt !== undefined && Date.now() - openedAt >= this.settings.minWatchDurationMs;
    this.transition({ type: "failed" });
    if (lived) this.backoff.reset();
    if (this.restart) {
      if (mode === "recreate") this.restart.mode = "recreate";
      return;
    }
    this.restarts++;
    const delayMs = this.backoff.next();
    const fields = { kind: this.spec.kind, error: failure.message, status: failure.status, failureClass: failure.class, consecutiveFailures: this.health.consecutiveFailures, delayMs, action: mode };
    if (failure.status === 401 || failure.status === 403)
      // Retried (tokens rotate, RBAC gets fixed), but loud: this needs an operator.
      this.log.error({ ...fields, hint: `check the credentials and RBAC: kubereach needs list and watch on ${this.spec.resource}${this.spec.group ? `.${this.spec.group}` : ""}` }, "informer not authorized; retrying after backoff");
    else this.log.warn(fields, mode === "recreate" ? "informer failed; relisting after backoff" : "informer failed; restarting after backoff");
    const restart = {
      timer: setTimeout(() => {
        this.restart = undefined;
        if (this.stopped) return;
        const informer = this.informer;
        if (restart.mode === "recreate" || !informer) this.createInformer();
        else this.run(this.gen, informer); // resumes from its resourceVersion, or lists if it never got one
      }, delayMs),
      mode,
    };
    this.restart = restart;
  }

  // ----------------------------------------------------------------------------------------------
  // Periodic relist (R8)

  private scheduleResync(): void {
    const period = this.settings.resyncIntervalMs;
    if (period <= 0 || this.stopped) return;
    const delay = Math.round(period * (0.9 + 0.2 * Math.random()));
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (this.stopped) return;
      // Skip while a restart is due (it relists or resumes anyway) or the initial listing is pending.
      if (!this.restart && this.synced) {
        this.log.info({ kind: this.spec.kind, periodMs: period }, "periodic relist");
        this.createInformer();
      }
      this.scheduleResync();
    }, delay);
  }

  // ----------------------------------------------------------------------------------------------

  private map(object: k8s.KubernetesObject): ClusterObject | undefined {
    try {
      return toClusterObject(this.spec.kind, object);
    } catch (err) {
      this.log.warn({ kind: this.spec.kind, err, name: object.metadata?.name, namespace: object.metadata?.namespace }, "ignoring malformed object");
      return undefined;
    }
  }
}

function describeEntry(entry: k8s.KubernetesObject): string {
  const m = entry.metadata;
  return m?.namespace ? `${m.namespace}/${m.name ?? ""}` : (m?.name ?? "an object without a name");
}

/** Calls a handler method, turning a synchronous throw into a rejection. */
function call(fn: () => Promise<void>): Promise<void> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

function abortError(): Error {
  const err = new Error("the informer was retired");
  err.name = "AbortError";
  return err;
}
