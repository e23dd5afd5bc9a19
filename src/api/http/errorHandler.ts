/**
 * The last two handlers of the HTTP app: 404 for a path no route serves, and one error handler for
 * every REST route, which answers with codes users can act on and lets nothing internal leak.
 */
import type { Express, NextFunction, Request, Response } from "express";
import { isAppError } from "../../domain/errors.js";
import { httpStatusOf, publicMessage } from "./errors.js";

/** A body-parser refusal of the request (http-errors with `expose`, 4xx), with a message to show; undefined otherwise. */
function bodyParserClientError(err: unknown): { status: number; message: string } | undefined {
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e.type !== "string" || typeof e.status !== "number" || e.status < 400 || e.status > 499 || e.expose !== true) return undefined;
  if (e.type === "parameters.too.many") return { status: 413, message: "the form has too many fields (the chat form takes at most 50)" };
  return { status: e.status, message: typeof e.message === "string" ? e.message : "the request body cannot be read" };
}

/** Registers the 404 and error handlers: call after every route. */
export function registerErrorHandlers(app: Express, maxBodyBytes: number): void {
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: "NOT_FOUND", message: "no such route" } });
  });
  // One error handler for every REST route: codes users can act on, nothing internal leaks.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const bodyTooLarge = (err as { type?: string }).type === "entity.too.large";
    const badJson = (err as { type?: string }).type === "entity.parse.failed";
    // body-parser's other refusals (too many form fields, an unsupported charset or encoding, an
    // aborted upload) are client errors with safe messages: their own 4xx, never a 500.
    const parserStatus = bodyParserClientError(err);
    if (parserStatus && !bodyTooLarge && !badJson) {
      req.log.warn({ err }, "request body refused");
      if (!res.headersSent) res.status(parserStatus.status).json({ error: { code: "BAD_INPUT", message: parserStatus.message, requestId: String(req.id) } });
      return;
    }
    const status = bodyTooLarge ? 413 : badJson ? 400 : httpStatusOf(err);
    if (status >= 500) req.log.error({ err }, "request failed");
    const message = isAppError(err) ? publicMessage(err) : bodyTooLarge ? `request body larger than ${maxBodyBytes} bytes` : badJson ? "request body is not valid JSON" : "internal server error";
    const code = isAppError(err) ? err.code : bodyTooLarge ? "PAYLOAD_TOO_LARGE" : badJson ? "BAD_INPUT" : "INTERNAL";
    if (status === 401) res.setHeader("www-authenticate", 'Bearer realm="kubereach"');
    if (!res.headersSent) res.status(status).json({ error: { code, message, requestId: String(req.id) } });
  });
}
