/**
 * Request hardening shared by every route, registered before authentication:
 * - security headers: `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` on
 *   everything; `Cache-Control: no-store` on every answer (API, health, metrics, errors and 404s;
 *   only the explorer's static assets replace it), so no proxy or browser keeps reachability data
 *   or audit history, whatever the spelling of the path (routes are case-sensitive: server.ts);
 * - CORS: off unless `server.corsOrigins` lists origins; then exactly those origins may call
 *   /graphql and /api (preflight answered before authentication; no cookies are involved, the
 *   token travels in the Authorization header);
 * - a response deadline on /api requests (503 TIMEOUT when no answer started in time). Exports are
 *   exempt: they stream for as long as the client reads, and stop when it disconnects.
 */
import cors from "cors";
import type { Express, NextFunction, Request, Response } from "express";

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Streaming routes, exempt from the response deadline. */
const EXPORTS = /^\/api\/v1\/exports(\/|$|\?)/;

export interface HardeningOptions {
  /** Exact origins allowed cross-origin; empty = CORS off. */
  readonly corsOrigins: readonly string[];
  /** Deadline for /api answers (exports exempt). */
  readonly requestTimeoutMs?: number;
}

export function registerHardening(app: Express, options: HardeningOptions): void {
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "no-referrer");
    res.setHeader("cache-control", "no-store");
    next();
  });

  if (options.corsOrigins.length > 0) {
    const allowed = new Set(options.corsOrigins);
    const corsMiddleware = cors({
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
      methods: ["GET", "POST"],
      allowedHeaders: ["authorization", "content-type", "apollo-require-preflight", "x-apollo-operation-name", "x-request-id"],
      exposedHeaders: ["x-request-id", "content-disposition"],
      credentials: false,
      maxAge: 600,
    });
    app.use("/graphql", corsMiddleware);
    app.use("/api", corsMiddleware);
  }

  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  app.use("/api", (req: Request, res: Response, next: NextFunction) => {
    if (EXPORTS.test(req.originalUrl)) return next();
    const timer = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      req.log?.warn({ timeoutMs }, "request timed out");
      res.status(503).setHeader("retry-after", "5");
      res.json({ error: { code: "TIMEOUT", message: `no answer within ${timeoutMs / 1000} s; try a narrower question`, requestId: String(req.id) } });
    }, timeoutMs);
    timer.unref();
    res.once("close", () => clearTimeout(timer));
    next();
  });
}
