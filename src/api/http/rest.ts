/**
 * The REST side of the API, as the server's `middleware` and `routes` hooks:
 *   GET  /metrics                    Prometheus metrics (no token: no namespace data)
 *   GET  /explorer, /explorer/assets/:file   offline GraphiQL (no token: the page holds no data)
 *   GET  /ui, /ui/assets/:file       the web view (no token: the page holds no data; it asks /graphql)
 *   GET  /api/v1/exports/audit       the recorded history, streamed (token scope applies)
 *   GET  /api/v1/exports/matrix      the connectivity list of a generation, streamed
 *   POST /api/v1/chat                chatops questions (JSON or Slack's form post)
 * plus security headers, CORS (server.corsOrigins) and a response deadline on /api.
 */
import type { Express } from "express";
import { registerChat } from "../chat/route.js";
import { registerAuditExport } from "../exports/audit.js";
import { registerMatrixExport } from "../exports/matrix.js";
import type { RouteDeps } from "../server.js";
import { registerExplorer } from "./explorer.js";
import { registerHardening } from "./hardening.js";
import { registerWebView } from "./webview.js";
import type { ServiceMetrics } from "./metrics.js";

export interface RestOptions {
  readonly metrics: ServiceMetrics;
  readonly corsOrigins: readonly string[];
  /** server.introspection: the explorer shows schema docs only when it is on. */
  readonly introspection?: boolean;
  /** Deadline for /api answers other than exports (default 30 s). */
  readonly requestTimeoutMs?: number;
}

export function restApi(options: RestOptions): { middleware: ((app: Express) => void)[]; routes: ((app: Express, deps: RouteDeps) => void)[] } {
  return {
    middleware: [
      (app) => options.metrics.registerHttpTiming(app),
      (app) => registerHardening(app, { corsOrigins: options.corsOrigins, requestTimeoutMs: options.requestTimeoutMs }),
    ],
    routes: [
      (app) => options.metrics.registerRoute(app),
      (app) => registerExplorer(app, { introspection: options.introspection === true }),
      (app, deps) => registerWebView(app, { tokenRequired: deps.auth.enabled }),
      (app, deps) => registerAuditExport(app, deps),
      (app, deps) => registerMatrixExport(app, deps),
      (app, deps) => registerChat(app, deps),
    ],
  };
}
