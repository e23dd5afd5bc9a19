/**
 * Defences against web pages the user happens to visit, for a server without tokens on localhost
 * (and for any server that names its hosts):
 * - DNS rebinding: a page at http://evil.example:4000 whose name is made to resolve to 127.0.0.1
 *   reads the API as same-origin. Its requests carry `Host: evil.example:4000`, so the Host header
 *   is checked against the names this server answers to. IP literals are always accepted (a page
 *   whose origin is an IP literal IS that address: there is no name to rebind), and so is
 *   `localhost`; `server.allowedHosts` adds names. The check applies when no tokens are configured
 *   (every request is then trusted), and whenever `server.allowedHosts` is set.
 * - Cross-site WebSocket hijacking: browsers let any page open a WebSocket to any address, with
 *   the page's Origin. An upgrade with an Origin is accepted only from the server's own origin
 *   (the explorer) or an origin in `server.corsOrigins`. Clients outside browsers send no Origin.
 * /healthz and /readyz are exempt from the Host check: kubelet probes address the pod by IP anyway.
 */
import { isIP } from "node:net";
import type { IncomingMessage } from "node:http";
import type { Express, NextFunction, Request, Response } from "express";
import { ForbiddenError } from "../../domain/errors.js";

export interface OriginPolicyOptions {
  /** Host names (without port) this server answers to, besides IP literals and localhost. */
  readonly allowedHosts: readonly string[];
  /** Browser origins allowed cross-origin (server.corsOrigins). */
  readonly corsOrigins: readonly string[];
  /** Whether API tokens are configured. */
  readonly tokens: boolean;
}

const EXEMPT = /^\/(healthz|readyz)(\?|$)/;

/** The host name of a Host header value, lower case, without port and brackets; undefined when malformed. */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/@]+))(?::\d{1,5})?$/.exec(host.trim());
  if (!m) return undefined;
  return (m[1] ?? m[2]!).toLowerCase().replace(/\.$/, "");
}

export class OriginPolicy {
  private readonly names: ReadonlySet<string>;
  private readonly cors: ReadonlySet<string>;
  /** Whether Host headers are checked at all. */
  readonly checksHost: boolean;

  constructor(options: OriginPolicyOptions) {
    this.names = new Set(["localhost", ...options.allowedHosts.map((h) => h.toLowerCase().replace(/\.$/, ""))]);
    this.cors = new Set(options.corsOrigins);
    this.checksHost = !options.tokens || options.allowedHosts.length > 0;
  }

  /** Why a request with this Host header must be refused, or undefined when it may proceed. */
  refuseHost(host: string | undefined): string | undefined {
    if (!this.checksHost) return undefined;
    const name = hostName(host);
    if (name !== undefined && (isIP(name) !== 0 || this.names.has(name))) return undefined;
    return `Host ${JSON.stringify(host ?? "")} is not a name this server answers to (DNS rebinding protection): use an IP address or localhost, or add the name to server.allowedHosts`;
  }

  /** Why a WebSocket upgrade with this Origin must be refused, or undefined when it may proceed. */
  refuseOrigin(origin: string | undefined, host: string | undefined): string | undefined {
    if (origin === undefined) return undefined;
    if (this.cors.has(origin)) return undefined;
    let originHost: string | undefined;
    try {
      const u = new URL(origin);
      if (u.protocol === "http:" || u.protocol === "https:") originHost = u.host.toLowerCase();
    } catch {
      originHost = undefined;
    }
    if (originHost !== undefined && host !== undefined && originHost === host.trim().toLowerCase()) return undefined;
    return `WebSocket from origin ${JSON.stringify(origin)} refused: only this server's own pages and server.corsOrigins may open one`;
  }

  /** Express middleware: 403 for a Host that is not allowed. */
  register(app: Express): void {
    app.use((req: Request, _res: Response, next: NextFunction) => {
      const refusal = EXEMPT.test(req.url) ? undefined : this.refuseHost(req.headers.host);
      next(refusal ? new ForbiddenError(refusal) : undefined);
    });
  }

  /** For ws's verifyClient: the same Host check, plus the Origin check. */
  verifyUpgrade(req: IncomingMessage): string | undefined {
    return this.refuseHost(req.headers.host) ?? this.refuseOrigin(req.headers.origin, req.headers.host);
  }
}
