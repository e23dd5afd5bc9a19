/**
 * Prometheus metrics at GET /metrics (text exposition format), from a registry of this service's
 * own (never prom-client's global one), with the default process metrics.
 *
 * /metrics is not behind token authentication: Prometheus scrapes it without credentials. It
 * therefore carries no namespace data: the only labels are the cluster id, the HTTP method, the
 * matched route PATTERN (never the raw URL with its query string) and the status code. Restrict
 * who can reach the port (a NetworkPolicy, or the listen address) if even that is too much.
 *
 * kubereach_sync_lag_seconds{cluster}      seconds the served data may be behind the cluster: since the
 *                                          oldest change not yet in a committed generation, or since a
 *                                          required kind lost its watch (an outage); 0 while caught up.
 *                                          GraphQL syncStatus.lagSeconds is the same value (clusterHealth)
 * kubereach_matrix_generation{cluster}     the latest committed matrix generation
 * kubereach_recompute_duration_seconds{cluster}  histogram of matrix recompute times (per generation)
 * kubereach_http_request_duration_seconds{method,route,status}  histogram of HTTP response times
 * kubereach_informer_restarts_total{cluster}     watch restarts of the source (all kinds)
 * kubereach_revisions_recorded_total{cluster}    policy/namespace revisions this process appended
 * kubereach_ready                          1 when /readyz would answer ready, else 0
 */
import type { Express, NextFunction, Request, Response } from "express";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../../domain/repositories.js";
import { clusterHealth, type RuntimeStatus } from "../runtime.js";
import { notReadyReasons } from "./health.js";

export interface MetricsSources {
  readonly runtime: RuntimeStatus;
  readonly store: Store;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources | undefined;
  private readonly recompute: Histogram<"cluster">;
  private readonly revisions: Counter<"cluster">;
  private readonly http: Histogram<"method" | "route" | "status">;

  constructor(private readonly now: () => number = Date.now) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // prom-client calls collect() with the metric as `this`: the service is reached through these.
    const clusters = () => this.sources?.runtime.clusters() ?? [];
    const sampleLag = () => this.sampleLag();
    const sources = () => this.sources;
    const clock = () => this.now();

    new Gauge({
      name: "kubereach_sync_lag_seconds",
      help: "Seconds the served data may be behind the cluster: since the oldest change not yet in a committed generation, or since a required kind lost its watch; 0 while caught up.",
      labelNames: ["cluster"],
      registers,
      collect() {
        this.reset();
        for (const [cluster, lag] of sampleLag()) this.set({ cluster }, lag);
      },
    });
    new Gauge({
      name: "kubereach_matrix_generation",
      help: "The latest committed matrix generation of the cluster.",
      labelNames: ["cluster"],
      registers,
      collect() {
        this.reset();
        for (const c of clusters()) if (c.generation !== undefined) this.set({ cluster: c.clusterId }, c.generation);
      },
    });
    this.recompute = new Histogram({
      name: "kubereach_recompute_duration_seconds",
      help: "Time to recompute and commit one matrix generation.",
      labelNames: ["cluster"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.http = new Histogram({
      name: "kubereach_http_request_duration_seconds",
      help: "HTTP response time by method, matched route pattern and status code.",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Counter({
      name: "kubereach_informer_restarts_total",
      help: "Watch (informer) restarts of the cluster's source, all kinds together.",
      labelNames: ["cluster"],
      registers,
      collect() {
        this.reset();
        for (const c of clusters()) this.inc({ cluster: c.clusterId }, c.informerRestarts);
      },
    });
    this.revisions = new Counter({
      name: "kubereach_revisions_recorded_total",
      help: "Revisions (policy and namespace changes) this process appended to the cluster's history.",
      labelNames: ["cluster"],
      registers,
    });
    new Gauge({
      name: "kubereach_ready",
      help: "1 when the process is ready (what /readyz reports), else 0.",
      registers,
      async collect() {
        const s = sources();
        this.set(s && (await notReadyReasons(s, clock())).length === 0 ? 1 : 0);
      },
    });
  }

  /** Connects the metrics read at scrape time to the running service. */
  attach(sources: MetricsSources): void {
    this.sources = sources;
    for (const c of sources.runtime.clusters()) this.revisions.inc({ cluster: c.clusterId }, 0);
  }

  /** The sync committed a generation (SyncService's onGeneration). */
  generationCommitted(e: { readonly clusterId: string; readonly durationMs: number }): void {
    this.recompute.observe({ cluster: e.clusterId }, e.durationMs / 1000);
    this.sampleLag();
  }

  /** The sync appended revisions (SyncService's onRevisions). */
  revisionsRecorded(cluster: string, count: number): void {
    this.revisions.inc({ cluster }, count);
    this.sampleLag();
  }

  /** Times every request: registered before any route, labelled when the response is done. */
  registerHttpTiming(app: Express): void {
    app.use((req: Request, res: Response, next: NextFunction) => {
      const end = this.http.startTimer();
      res.once("close", () => end({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }));
      next();
    });
  }

  registerRoute(app: Express): void {
    app.get("/metrics", async (_req, res) => {
      const text = await this.registry.metrics();
      res.setHeader("content-type", this.registry.contentType);
      res.send(text);
    });
  }

  private sampleLag(): Map<string, number> {
    const out = new Map<string, number>();
    const now = this.now();
    for (const c of this.sources?.runtime.clusters() ?? []) out.set(c.clusterId, clusterHealth(c, now).lagSeconds);
    return out;
  }
}

/**
 * The route a request matched, as its pattern (`/explorer/assets/:file`), so labels stay few and
 * carry no names from URLs. GraphQL is one route; anything no route matched is "(unmatched)".
 */
export function routeLabel(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route && typeof route.path === "string") return `${req.baseUrl ?? ""}${route.path}`;
  const path = req.originalUrl.split("?")[0] ?? "";
  if (path === "/graphql" || path.startsWith("/graphql/")) return "/graphql";
  return "(unmatched)";
}
