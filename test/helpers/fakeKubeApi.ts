/**
 * A fake Kubernetes API server for tests: node:http on 127.0.0.1 (port 0 by default) speaking the
 * list/watch protocol exactly as @kubernetes/client-node 1.4.0 uses it (docs: STACK.md section 5).
 *
 * - One global resourceVersion counter shared by every resource, like etcd.
 * - Per resource: the current objects and the full event history (ADDED/MODIFIED/DELETED).
 * - `GET <path>` lists: `{kind: "<Kind>List", apiVersion, metadata: {resourceVersion}, items}`;
 *   items carry no kind/apiVersion, as a real API server sends them.
 * - `GET <path>?watch=true&resourceVersion=N` replays the events with rv > N, then streams live ones
 *   as chunked JSON lines and keeps the connection open until the test ends it.
 * - Namespaced paths (`/api/v1/namespaces/<ns>/pods`) and equality/existence `labelSelector`s work
 *   for list and watch. Unknown paths answer 404 with a Status body.
 * - Fault injection: silent removal, compaction (410 as an ERROR event or as HTTP status), normal
 *   end of watches, abrupt socket destruction, failing the next N requests, frozen watches, watches
 *   that close at once (T-K5), bookmarks, and stop()/start() on the same port.
 * - Every request is logged for assertions.
 *
 * Test code only: nothing in src/ may import this.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

// ------------------------------------------------------------------------------------------------
// Wire types (plain JSON, the shape Kubernetes serialises)

export interface KubeOwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: KubeOwnerReference[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMeta;
  [key: string]: unknown;
}

/** A resource the fake serves. */
export interface ResourceDef {
  /** Cluster-wide collection path, e.g. `/api/v1/pods` or `/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies`. */
  readonly path: string;
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespaced: boolean;
}

export const CORE_RESOURCES: readonly ResourceDef[] = [
  { path: "/api/v1/namespaces", kind: "Namespace", apiVersion: "v1", namespaced: false },
  { path: "/api/v1/pods", kind: "Pod", apiVersion: "v1", namespaced: true },
  { path: "/apis/networking.k8s.io/v1/networkpolicies", kind: "NetworkPolicy", apiVersion: "networking.k8s.io/v1", namespaced: true },
];

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface RequestLogEntry {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: string;
  readonly type: "list" | "watch" | "other";
  /** The `resourceVersion` query parameter of a watch. */
  readonly resourceVersion: string | undefined;
  /** HTTP status; 0 for a connection reset or stalled by fault injection. */
  readonly status: number;
  readonly at: number;
  readonly authorization: string | undefined;
}

export type CompactMode = "event" | "status";

export interface FailSpec {
  /** Which requests to the path fail: lists, watches or both (default). */
  readonly on?: "list" | "watch" | "any";
  readonly message?: string;
  readonly reason?: string;
}

// ------------------------------------------------------------------------------------------------

interface HistoryEvent {
  readonly rv: number;
  readonly type: EventType;
  readonly object: KubeObject;
}

interface Resource {
  readonly def: ResourceDef;
  readonly objects: Map<string, KubeObject>;
  readonly history: HistoryEvent[];
  /** Watches from a resourceVersion below this get 410 Gone. */
  compactedBelow: number;
  compactMode: CompactMode;
}

interface Watcher {
  readonly resource: Resource;
  readonly res: ServerResponse;
  readonly namespace: string | undefined;
  readonly selector: Selector;
  frozen: boolean;
}

type FailureAction = { readonly type: "status"; readonly status: number } | { readonly type: "reset" } | { readonly type: "stall" } | { readonly type: "delay"; readonly ms: number };

interface PendingFailure {
  readonly path: string;
  readonly action: FailureAction;
  remaining: number;
  readonly spec: FailSpec;
}

type Selector = (labels: Record<string, string>) => boolean;

const clone = <T>(v: T): T => structuredClone(v);
const objectKey = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

export class FakeKubeApi {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly resources = new Map<string, Resource>();
  private readonly watchers = new Set<Watcher>();
  private failures: PendingFailure[] = [];
  private rv = 100;
  private portNumber = 0;
  private running = false;
  private closeWatchesImmediately = false;
  private held = 0;
  /** Every request received, in order. */
  readonly requests: RequestLogEntry[] = [];

  private constructor() {
    this.server = createServer((req, res) => this.handle(req, res, false));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    for (const def of CORE_RESOURCES) this.registerResource(def);
  }

  /** Starts a fake on 127.0.0.1 (an ephemeral port unless one is given). */
  static async create(options: { port?: number } = {}): Promise<FakeKubeApi> {
    const api = new FakeKubeApi();
    api.portNumber = options.port ?? 0;
    await api.start();
    return api;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The current global resourceVersion (the rv a list would return now). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Adds a resource path (e.g. a CRD collection). Kinds must be unique. */
  registerResource(def: ResourceDef): void {
    if (this.resources.has(def.path)) throw new Error(`resource ${def.path} is already registered`);
    for (const r of this.resources.values()) if (r.def.kind === def.kind) throw new Error(`kind ${def.kind} is already registered`);
    this.resources.set(def.path, { def, objects: new Map(), history: [], compactedBelow: 0, compactMode: "event" });
  }

  // ----------------------------------------------------------------------------------------------
  // Lifecycle

  /** Listens again (on the same port after a stop(): the API server coming back). */
  async start(): Promise<void> {
    if (this.running) return;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen(this.portNumber, "127.0.0.1", () => {
        this.server.off("error", onError);
        resolve();
      });
    });
    this.portNumber = (this.server.address() as AddressInfo).port;
    this.running = true;
  }

  /** The API server goes down: stops listening and destroys every open connection. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.destroySockets();
    await closed;
  }

  // ----------------------------------------------------------------------------------------------
  // Objects

  /** Creates or updates an object (ADDED or MODIFIED); returns the stored copy with uid and rv. */
  upsert(object: KubeObject): KubeObject {
    const r = this.resourceOfKind(object.kind);
    const key = objectKey(object);
    const existing = r.objects.get(key);
    const stored = clone(object);
    stored.metadata.uid = object.metadata.uid ?? existing?.metadata.uid ?? randomUUID();
    stored.metadata.creationTimestamp = object.metadata.creationTimestamp ?? existing?.metadata.creationTimestamp ?? "2024-05-01T10:00:00Z";
    stored.metadata.resourceVersion = String(++this.rv);
    r.objects.set(key, stored);
    this.record(r, existing ? "MODIFIED" : "ADDED", stored);
    return clone(stored);
  }

  /** Deletes an object with a DELETED event (the object's last state at a new resourceVersion). */
  delete(object: Pick<KubeObject, "kind" | "metadata">): KubeObject {
    const r = this.resourceOfKind(object.kind);
    const key = objectKey(object);
    const existing = r.objects.get(key);
    if (!existing) throw new Error(`${object.kind} ${key} does not exist`);
    r.objects.delete(key);
    const last = clone(existing);
    last.metadata.resourceVersion = String(++this.rv);
    this.record(r, "DELETED", last);
    return clone(last);
  }

  /** Removes an object without any event, as if the watch had missed its deletion (the rv still advances). */
  silentlyRemove(object: Pick<KubeObject, "kind" | "metadata">): void {
    const r = this.resourceOfKind(object.kind);
    if (!r.objects.delete(objectKey(object))) throw new Error(`${object.kind} ${objectKey(object)} does not exist`);
    ++this.rv;
  }

  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    const o = this.resourceOfKind(kind).objects.get(`${namespace ?? ""}/${name}`);
    return o && clone(o);
  }

  list(kind: string): KubeObject[] {
    return [...this.resourceOfKind(kind).objects.values()].map(clone);
  }

  // ----------------------------------------------------------------------------------------------
  // Fault injection

  /**
   * History before now becomes unavailable for one resource (by kind or path; all when omitted):
   * watches from an older resourceVersion get 410 Gone, as an ERROR event in a 200 stream that is
   * then closed (mode "event", what kube-apiserver does) or as an HTTP 410 status (mode "status").
   * Advances the global rv, so every client's last rv is now too old. Open watches are not touched:
   * end them (endWatches) to make the clients re-watch.
   */
  compact(resource?: string, mode: CompactMode = "event"): void {
    ++this.rv;
    for (const r of this.selectResources(resource)) {
      r.compactedBelow = this.rv;
      r.compactMode = mode;
    }
  }

  /** Ends open watch responses normally (the server-side watch timeout). */
  endWatches(resource?: string): void {
    for (const w of [...this.watchers]) if (this.matches(w.resource, resource)) this.closeWatcher(w);
  }

  /** Destroys every open socket abruptly (a network reset); the server keeps listening. */
  dropConnections(): void {
    this.destroySockets();
  }

  /** Open watches stop receiving events but stay connected (a silently dead watch); new watches are unaffected. */
  freezeWatches(resource?: string): void {
    for (const w of this.watchers) if (this.matches(w.resource, resource)) w.frozen = true;
  }

  /** While on, watches are answered 200 with the replay and closed at once (the T-K5 tight-loop trap). */
  setCloseWatchesImmediately(on: boolean): void {
    this.closeWatchesImmediately = on;
  }

  /** The next `count` requests to `path` (exact, without query) answer `status` with a Status body. */
  failNext(path: string, status: number, count = 1, spec: FailSpec = {}): void {
    this.failures.push({ path, action: { type: "status", status }, remaining: count, spec });
  }

  /** The next `count` requests to `path` get their connection destroyed before any response (a network reset). */
  resetNext(path: string, count = 1, spec: FailSpec = {}): void {
    this.failures.push({ path, action: { type: "reset" }, remaining: count, spec });
  }

  /** The next `count` requests to `path` are never answered (until dropConnections() or stop()). */
  stallNext(path: string, count = 1, spec: FailSpec = {}): void {
    this.failures.push({ path, action: { type: "stall" }, remaining: count, spec });
  }

  /** The next `count` requests to `path` are answered normally, but only after `ms` (a slow API server). */
  delayNext(path: string, ms: number, count = 1, spec: FailSpec = {}): void {
    this.failures.push({ path, action: { type: "delay", ms }, remaining: count, spec });
  }

  /** Requests received and held back by delayNext, not answered yet. */
  get delayedRequests(): number {
    return this.held;
  }

  /** Forgets every pending failNext/resetNext/stallNext/delayNext. */
  clearFailures(): void {
    this.failures = [];
  }

  /** Sends a BOOKMARK with the current rv to the open (unfrozen) watches of a resource (all when omitted). */
  bookmark(resource?: string): void {
    for (const w of this.watchers) {
      if (!this.matches(w.resource, resource) || w.frozen) continue;
      const { kind, apiVersion } = w.resource.def;
      w.res.write(JSON.stringify({ type: "BOOKMARK", object: { kind, apiVersion, metadata: { resourceVersion: String(this.rv) } } }) + "\n");
    }
  }

  /** Number of open watch connections (of one resource when given). */
  openWatches(resource?: string): number {
    let n = 0;
    for (const w of this.watchers) if (this.matches(w.resource, resource)) n++;
    return n;
  }

  /** Logged requests, optionally filtered. */
  requestsTo(filter: { path?: string; type?: RequestLogEntry["type"]; since?: number } = {}): RequestLogEntry[] {
    return this.requests.filter(
      (r) => (filter.path === undefined || r.path === filter.path) && (filter.type === undefined || r.type === filter.type) && (filter.since === undefined || r.at >= filter.since),
    );
  }

  clearRequestLog(): void {
    this.requests.length = 0;
  }

  // ----------------------------------------------------------------------------------------------
  // HTTP

  private handle(req: IncomingMessage, res: ServerResponse, delayed: boolean): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const watch = url.searchParams.get("watch") === "true";
    const route = this.route(url.pathname);
    const type: RequestLogEntry["type"] = route && req.method === "GET" ? (watch ? "watch" : "list") : "other";
    const log = (status: number) =>
      this.requests.push({
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.search,
        type,
        resourceVersion: url.searchParams.get("resourceVersion") ?? undefined,
        status,
        at: Date.now(),
        authorization: req.headers.authorization,
      });

    const failure = delayed ? undefined : this.takeFailure(url.pathname, watch);
    if (failure) {
      const a = failure.action;
      if (a.type === "delay") {
        this.held++;
        setTimeout(() => {
          this.held--;
          if (!req.socket.destroyed) this.handle(req, res, true);
        }, a.ms);
        return;
      }
      if (a.type === "reset") {
        log(0);
        req.socket.destroy();
        return;
      }
      if (a.type === "stall") {
        log(0);
        return;
      }
      log(a.status);
      return this.sendStatus(res, a.status, failure.spec.reason ?? reasonFor(a.status), failure.spec.message ?? `injected failure ${a.status}`);
    }
    if (!route || req.method !== "GET") {
      log(404);
      return this.sendStatus(res, 404, "NotFound", `the server could not find the requested resource (${req.method} ${url.pathname})`);
    }
    let selector: Selector;
    try {
      selector = parseSelector(url.searchParams.get("labelSelector") ?? "");
    } catch (err) {
      log(400);
      return this.sendStatus(res, 400, "BadRequest", String(err));
    }
    if (watch) return this.serveWatch(res, route.resource, route.namespace, selector, url.searchParams.get("resourceVersion"), log);
    log(200);
    const items = [...route.resource.objects.values()]
      .filter((o) => (route.namespace === undefined || o.metadata.namespace === route.namespace) && selector(o.metadata.labels ?? {}))
      .map(({ kind: _kind, apiVersion: _apiVersion, ...item }) => item);
    const { kind, apiVersion } = route.resource.def;
    this.sendJson(res, 200, { kind: `${kind}List`, apiVersion, metadata: { resourceVersion: String(this.rv) }, items });
  }

  private serveWatch(res: ServerResponse, resource: Resource, namespace: string | undefined, selector: Selector, rvParam: string | null, log: (status: number) => void): void {
    const from = rvParam === null || rvParam === "" || rvParam === "0" ? undefined : Number(rvParam);
    if (from !== undefined && !Number.isInteger(from)) {
      log(400);
      return this.sendStatus(res, 400, "BadRequest", `invalid resourceVersion ${rvParam}`);
    }
    if (from !== undefined && from > this.rv) {
      log(504);
      return this.sendStatus(res, 504, "Timeout", `Too large resource version: ${from}, current: ${this.rv}`);
    }
    const expired = from !== undefined && from < resource.compactedBelow;
    if (expired && resource.compactMode === "status") {
      log(410);
      return this.sendStatus(res, 410, "Expired", `too old resource version: ${from} (${resource.compactedBelow})`);
    }
    log(200);
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    if (expired) {
      const status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `too old resource version: ${from} (${resource.compactedBelow})`, reason: "Expired", code: 410 };
      res.end(JSON.stringify({ type: "ERROR", object: status }) + "\n");
      return;
    }
    const visible = (o: KubeObject) => (namespace === undefined || o.metadata.namespace === namespace) && selector(o.metadata.labels ?? {});
    const replay =
      from === undefined
        ? [...resource.objects.values()].map((object) => ({ type: "ADDED" as const, object }))
        : resource.history.filter((e) => e.rv > from);
    for (const e of replay) if (visible(e.object)) res.write(JSON.stringify({ type: e.type, object: e.object }) + "\n");
    if (this.closeWatchesImmediately) {
      res.end();
      return;
    }
    const watcher: Watcher = { resource, res, namespace, selector, frozen: false };
    this.watchers.add(watcher);
    res.on("close", () => this.watchers.delete(watcher));
  }

  private record(r: Resource, type: EventType, object: KubeObject): void {
    const event: HistoryEvent = { rv: Number(object.metadata.resourceVersion), type, object: clone(object) };
    r.history.push(event);
    const line = JSON.stringify({ type, object: event.object }) + "\n";
    for (const w of this.watchers) {
      if (w.resource !== r || w.frozen) continue;
      if (w.namespace !== undefined && object.metadata.namespace !== w.namespace) continue;
      if (!w.selector(object.metadata.labels ?? {})) continue;
      w.res.write(line);
    }
  }

  private route(pathname: string): { resource: Resource; namespace: string | undefined } | undefined {
    const exact = this.resources.get(pathname);
    if (exact) return { resource: exact, namespace: undefined };
    // <prefix>/namespaces/<ns>/<plural>
    const m = /^(.*)\/namespaces\/([^/]+)\/([^/]+)$/.exec(pathname);
    if (!m) return undefined;
    const resource = this.resources.get(`${m[1]}/${m[3]}`);
    return resource?.def.namespaced ? { resource, namespace: decodeURIComponent(m[2]!) } : undefined;
  }

  private takeFailure(pathname: string, watch: boolean): PendingFailure | undefined {
    const f = this.failures.find((x) => {
      if (x.path !== pathname || x.remaining <= 0) return false;
      const on = x.spec.on ?? "any";
      return on === "any" || (on === "watch") === watch;
    });
    if (!f) return undefined;
    f.remaining--;
    this.failures = this.failures.filter((x) => x.remaining > 0);
    return f;
  }

  private sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  private sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
    this.sendJson(res, code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });
  }

  private closeWatcher(w: Watcher): void {
    this.watchers.delete(w);
    w.res.end();
  }

  private destroySockets(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.watchers.clear();
  }

  private resourceOfKind(kind: string): Resource {
    for (const r of this.resources.values()) if (r.def.kind === kind) return r;
    throw new Error(`no resource registered for kind ${kind}`);
  }

  private selectResources(resource: string | undefined): Resource[] {
    return [...this.resources.values()].filter((r) => this.matches(r, resource));
  }

  private matches(r: Resource, resource: string | undefined): boolean {
    return resource === undefined || r.def.path === resource || r.def.kind === resource;
  }
}

function reasonFor(status: number): string {
  switch (status) {
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 410:
      return "Expired";
    case 429:
      return "TooManyRequests";
    case 504:
      return "Timeout";
    default:
      return status >= 500 ? "InternalError" : "BadRequest";
  }
}

/** Equality (`a=b`, `a==b`, `a!=b`) and existence (`a`, `!a`) requirements, comma-separated. */
function parseSelector(text: string): Selector {
  const reqs: Selector[] = [];
  for (const raw of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(raw);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      reqs.push(op === "!=" ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if (/^![^=!\s]+$/.test(raw)) {
      const key = raw.slice(1);
      reqs.push((l) => !(key in l));
    } else if (/^[^=!\s]+$/.test(raw)) {
      reqs.push((l) => raw in l);
    } else {
      throw new Error(`unsupported label selector ${JSON.stringify(raw)}`);
    }
  }
  return (labels) => reqs.every((r) => r(labels));
}

// ------------------------------------------------------------------------------------------------
// Builders (plain JSON, as kubectl would send them; the fake assigns uid and resourceVersion)

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  // The API server adds kubernetes.io/metadata.name to every namespace (since 1.21).
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } }, spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } };
}

export interface ContainerPortSpec {
  containerPort: number;
  name?: string;
  protocol?: string;
}

export interface PodBuilderOptions {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  ip?: string;
  hostNetwork?: boolean;
  /** Ports of one container (`app`); use `containers` for several. */
  ports?: ContainerPortSpec[];
  containers?: { name: string; ports?: ContainerPortSpec[] }[];
  ownerReferences?: KubeOwnerReference[];
  phase?: string;
  nodeName?: string;
  uid?: string;
}

export function pod(o: PodBuilderOptions): KubeObject {
  const containers = o.containers ?? [{ name: "app", ...(o.ports && { ports: o.ports }) }];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: o.name,
      namespace: o.namespace,
      ...(o.uid && { uid: o.uid }),
      labels: o.labels ?? {},
      ...(o.ownerReferences && { ownerReferences: o.ownerReferences }),
    },
    spec: {
      containers: containers.map((c) => ({ image: "registry.example/app:1", ...c })),
      ...(o.hostNetwork !== undefined && { hostNetwork: o.hostNetwork }),
      nodeName: o.nodeName ?? "node-1",
      // A field that carries secrets in real pods: the mapping must not keep it.
      serviceAccountName: "default",
    },
    status: {
      phase: o.phase ?? "Running",
      ...(o.ip && { podIP: o.ip, podIPs: [{ ip: o.ip }] }),
      startTime: "2024-05-01T10:00:05Z",
    },
  };
}

/** Owner reference of a controller. */
export function controllerRef(kind: string, name: string, apiVersion = defaultApiVersion(kind)): KubeOwnerReference {
  return { apiVersion, kind, name, uid: randomUUID(), controller: true, blockOwnerDeletion: true };
}

/** Labels and owner of a pod created by Deployment `deployment` through ReplicaSet `<deployment>-<hash>`. */
export function deploymentPod(deployment: string, hash = "5d9c7b8f4"): Pick<PodBuilderOptions, "labels" | "ownerReferences"> {
  return { labels: { "pod-template-hash": hash }, ownerReferences: [controllerRef("ReplicaSet", `${deployment}-${hash}`)] };
}

function defaultApiVersion(kind: string): string {
  switch (kind) {
    case "ReplicaSet":
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
      return "apps/v1";
    case "Job":
    case "CronJob":
      return "batch/v1";
    default:
      return "v1";
  }
}

export function networkPolicy(o: { namespace: string; name: string; spec: Record<string, unknown>; labels?: Record<string, string> }): KubeObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: o.name, namespace: o.namespace, ...(o.labels && { labels: o.labels }), generation: 1 },
    spec: o.spec,
  };
}
