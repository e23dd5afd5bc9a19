/**
 * POST /api/v1/chat: a question in plain words, as JSON `{"text": "..."}` or as a Slack slash
 * command posts it (`application/x-www-form-urlencoded`, field `text`). The answer is JSON
 * `{ markdown, blocks, response_type: "ephemeral" }`: Markdown for anything, Block Kit blocks for
 * Slack. Every answer, including "not found" and the help for unknown phrasing, is HTTP 200 (a
 * chat client shows the text); only a malformed request is 400.
 */
import express, { type Express, type Request, type Response } from "express";
import { BadInputError } from "../../domain/errors.js";
import type { RouteDeps } from "../server.js";
import { answerChat } from "./answer.js";
import { parseChat } from "./parse.js";
import { render } from "./render.js";

/** A question longer than this is not one. */
export const MAX_QUESTION_CHARS = 1000;

export function registerChat(app: Express, deps: RouteDeps): void {
  const form = express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 50 });
  app.post("/api/v1/chat", form, async (req: Request, res: Response) => {
    const scope = deps.scopeOf(req);
    const body: unknown = req.body;
    if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
      throw new BadInputError('send JSON {"text": "..."} (content-type application/json) or a form with a text field (application/x-www-form-urlencoded)');
    const given = (body as Record<string, unknown>)["text"];
    if (given !== undefined && typeof given !== "string") throw new BadInputError("text must be a string");
    const question = given ?? "";
    if (question.length > MAX_QUESTION_CHARS) throw new BadInputError(`text is longer than ${MAX_QUESTION_CHARS} characters`);
    const command = parseChat(question, new Date(), { slack: Boolean(req.is("application/x-www-form-urlencoded")) });
    const message = await answerChat(deps.query, scope, command);
    req.log.info({ chat: command.type, principal: scope.principal }, "chat question answered");
    if (!res.headersSent) res.json(render(message));
  });
}
