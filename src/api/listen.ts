/**
 * Binding the HTTP port, before anything slow happens: `serve` checks the address it may listen
 * on and takes the port first, so a busy port or a bad host is reported in a second, in plain
 * words, instead of after the database has been opened (20-40 s on a new embedded database).
 * Until the API is attached, every request gets 503 `{"status":"starting"}`.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "../domain/config.js";
import { BadInputError } from "../domain/errors.js";

const LOCALHOST = new Set(["127.0.0.1", "localhost", "::1"]);

/** The configured address, else 127.0.0.1 without tokens and 0.0.0.0 with (not checked). */
export function effectiveHost(config: Config["server"]): string {
  return config.host ?? (config.tokens.length > 0 ? "0.0.0.0" : "127.0.0.1");
}

/** The address to bind: effectiveHost, refused when it is not loopback and there are no tokens. */
export function listenHost(config: Config["server"]): string {
  const authenticated = config.tokens.length > 0;
  const host = effectiveHost(config);
  if (!authenticated && !LOCALHOST.has(host))
    throw new BadInputError(
      `refusing to listen on ${host} without API tokens: anyone who can reach the port could read the cluster's reachability. Configure API tokens (KUBEREACH_TOKENS or KUBEREACH_TOKENS_FILE in the environment, or server.tokens in the config file: the sha256 of each token) or listen on 127.0.0.1`,
    );
  return host;
}

export interface BoundServer {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** Replaces the "starting" answer with the real request handler. */
  attach(handler: RequestListener): void;
}

function starting(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { "content-type": "application/json", "retry-after": "1" }).end('{"status":"starting"}');
}

/** Listens on the configured host and port, or throws a BadInputError that says what to do. */
export async function bindHttpServer(config: Config["server"]): Promise<BoundServer> {
  const host = listenHost(config);
  const server = createServer(starting);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(listenError(err, host, config.port)));
    server.listen(config.port, host, () => resolve());
  });
  return {
    server,
    host,
    port: (server.address() as AddressInfo).port,
    attach(handler) {
      server.removeListener("request", starting);
      server.on("request", handler);
    },
  };
}

/** What a failed listen means for the user, naming the setting to change. */
export function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case "EADDRINUSE":
      return new BadInputError(`cannot listen on ${where}: the port is already in use (another kubereach?). Stop that process, or choose another port (--port, PORT or server.port).`, { cause: err });
    case "EADDRNOTAVAIL":
      return new BadInputError(`cannot listen on ${where}: ${host} is not an address of this machine. Choose one it has (--host, HOST or server.host), e.g. 127.0.0.1 or 0.0.0.0.`, { cause: err });
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
      return new BadInputError(`cannot listen on ${where}: no such host name ${JSON.stringify(host)}. Give an address of this machine (--host, HOST or server.host), e.g. 127.0.0.1 or 0.0.0.0.`, { cause: err });
    case "EACCES":
      return new BadInputError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges). Choose a port from 1024 up (--port, PORT or server.port).`, { cause: err });
    default:
      return new BadInputError(`cannot listen on ${where}: ${err.message}`, { cause: err });
  }
}
