/**
 * The client's Watch with hooks for the supervisor. The informer (ListWatch) calls `watch()` for
 * every (re)connect; this subclass lets the supervisor
 * - delay a reconnect (the informer reconnects at once after a normal end or a 410: T-K5),
 * - refuse to connect for a retired informer (returns an idle controller, never calls `done`), and
 *   abort a watch whose informer was retired while the request was on its way (stop() cannot
 *   reach it: the informer only learns the controller when the server has answered),
 * - see every raw event (BOOKMARK and ERROR included) and how each watch ended,
 * - hand the informer something else than each object event's object (`cacheEntry`: what it keeps).
 */
import * as k8s from "@kubernetes/client-node";

export interface WatchStats {
  readonly durationMs: number;
  /** ADDED/MODIFIED/DELETED/BOOKMARK events received (ERROR events do not count). */
  readonly events: number;
}

export interface WatchHooks {
  /** Awaited before each watch request; false: do not connect (the informer was retired). */
  beforeWatch(): Promise<boolean>;
  /** True once the informer was retired (stopped or replaced): a watch that opens then is aborted at once. */
  retired(): boolean;
  /** The server answered 200 and the stream is open. */
  onOpen(): void;
  onEvent(type: string, object: unknown): void;
  /** The watch ended: `err` null for a normal end, else the error the informer will see. */
  onEnd(err: unknown, stats: WatchStats): void;
  /**
   * What the informer is handed, and keeps in its cache, instead of an ADDED/MODIFIED/DELETED
   * event's object; its add/update/delete callbacks then receive that, within this call (the
   * informer's event handler runs to its end synchronously). Default: the object itself.
   */
  cacheEntry?(object: k8s.KubernetesObject): k8s.KubernetesObject;
  /** The collection to watch, read at each watch (a CRD's path follows the version its last list was answered from); default: the informer's. */
  path?(): string;
}

export class SupervisedWatch extends k8s.Watch {
  constructor(
    config: k8s.KubeConfig,
    private readonly hooks: WatchHooks,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (!(await this.hooks.beforeWatch())) return new AbortController();
    const started = Date.now();
    let events = 0;
    let ended = false;
    // As client-go's reflector asks: bookmarks (the resourceVersion advances on quiet collections, so a
    // reconnect rarely needs a relist). No timeoutSeconds: the server then ends watches after its
    // --min-request-timeout (30-60 min by default, jittered), and the periodic relist covers a
    // half-open connection the client cannot detect (T-K6).
    const params = { ...queryParams, allowWatchBookmarks: true };
    const controller = await super.watch(
      this.hooks.path?.() ?? path,
      params,
      (phase, apiObj, watchObj) => {
        if (phase !== "ERROR") events++;
        this.hooks.onEvent(phase, apiObj);
        const isObjectEvent = phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED";
        callback(phase, isObjectEvent && this.hooks.cacheEntry && isObject(apiObj) ? this.hooks.cacheEntry(apiObj) : apiObj, watchObj);
      },
      (err) => {
        ended = true;
        this.hooks.onEnd(err, { durationMs: Date.now() - started, events });
        done(err);
      },
    );
    if (this.hooks.retired()) {
      // Retired while the request was in flight: nobody would ever abort this watch (its socket
      // would keep the process alive after stop()).
      controller.abort();
      return controller;
    }
    if (!ended) this.hooks.onOpen();
    return controller;
  }
}

function isObject(o: unknown): o is k8s.KubernetesObject {
  return typeof o === "object" && o !== null;
}
