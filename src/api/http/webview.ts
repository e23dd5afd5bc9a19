/**
 * GET /ui: the web view (graph, why, history, findings, what-if), static files built from web/ at
 * install time (`npm run build:ui`, into web/dist). The page holds no data: it asks /graphql and
 * the graphql-ws endpoint with the token pasted into it, like any dashboard, so the token's scope
 * applies to everything it shows. Served with a strict Content-Security-Policy: scripts, styles
 * and connections to this origin only, no inline script or style, no frames; nothing from a CDN,
 * so the view works on an air-gapped network.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Express, NextFunction, Request, Response } from "express";
import express from "express";

/** Where `npm run build:ui` writes the view. */
export const WEB_VIEW_DIR = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

export const WEB_VIEW_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  // 'self' covers ws:/wss: to this host and port (CSP Level 3) for subscriptions.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join("; ");

export interface WebViewOptions {
  /** Whether the API wants a token: the page asks for one before its first query instead of collecting a 401. */
  readonly tokenRequired: boolean;
  readonly dir?: string;
}

export function registerWebView(app: Express, options: WebViewOptions): void {
  const dir = options.dir ?? WEB_VIEW_DIR;
  const headers = (res: Response) => {
    res.setHeader("content-security-policy", WEB_VIEW_CSP);
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("cross-origin-opener-policy", "same-origin");
  };
  const index = `${dir}index.html`;
  app.get(["/ui", "/ui/"], (req: Request, res: Response) => {
    headers(res);
    if (!existsSync(index)) {
      res.status(503).type("text/plain").send("The web view is not built: run `npm run build:ui` (npm install does it). GraphQL itself is served at /graphql.\n");
      return;
    }
    // Relative asset URLs resolve under /ui/.
    if (req.path === "/ui") return res.redirect(301, "/ui/");
    res.setHeader("cache-control", "no-cache");
    res.sendFile(index);
  });
  app.get("/ui/config.json", (_req: Request, res: Response) => {
    headers(res);
    res.setHeader("cache-control", "no-store");
    res.json({ tokenRequired: options.tokenRequired });
  });
  // Hashed file names: cached for good.
  const assets = express.static(`${dir}assets`, { index: false, dotfiles: "deny", immutable: true, maxAge: "365d", fallthrough: false });
  app.use("/ui/assets", (req: Request, res: Response, next: NextFunction) => {
    headers(res);
    assets(req, res, (err?: unknown) => {
      if (err && (err as { status?: number }).status === 404) return void res.status(404).json({ error: { code: "NOT_FOUND", message: `no web view asset ${JSON.stringify(req.path)}` } });
      next(err);
    });
  });
}
