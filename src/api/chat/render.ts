/**
 * Chat answers, written once as segments and rendered twice: Markdown (for dashboards and other
 * chat tools) and Slack mrkdwn in Block Kit blocks. Everything that comes from a request or from
 * the cluster (object names, addresses, the question itself) is a `code` or `text` segment, and
 * each renderer escapes it for its markup: Slack's control characters (&, <, >) always, Markdown's
 * specials in text, backticks in code. No name can inject a link, a mention or formatting.
 */
import { appendAll } from "../../engine/util/appendAll.js";

export type Segment = { readonly t: "text"; readonly v: string } | { readonly t: "code"; readonly v: string } | { readonly t: "bold"; readonly v: string };
export type Line = readonly Segment[];

export const text = (v: string): Segment => ({ t: "text", v });
export const code = (v: string): Segment => ({ t: "code", v });
export const bold = (v: string): Segment => ({ t: "bold", v });

export interface ChatMessage {
  /** The first line, in bold. */
  readonly title: Line;
  /** Bullet lines. */
  readonly items?: readonly Line[];
  /** Lines of prose after the items. */
  readonly notes?: readonly Line[];
  /** Small print: cluster, generation, time. */
  readonly context?: Line;
}

export interface SlackBlock {
  readonly type: "section" | "context";
  readonly text?: { readonly type: "mrkdwn"; readonly text: string };
  readonly elements?: readonly { readonly type: "mrkdwn"; readonly text: string }[];
}

export interface ChatAnswer {
  readonly markdown: string;
  readonly blocks: readonly SlackBlock[];
  readonly response_type: "ephemeral";
}

/** Slack's mrkdwn control characters. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Markdown (CommonMark/GFM) characters that could start formatting, links, HTML or tables. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]<>&|~]/g, "\\$&");
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ");
/** Code spans cannot hold a backtick (it would end them): shown as a prime instead. */
const codeText = (s: string) => oneLine(s).replace(/`/g, "\u2032");

function toMarkdown(line: Line): string {
  return line
    .map((s) => {
      switch (s.t) {
        case "text":
          return escapeMarkdown(oneLine(s.v));
        case "code":
          return `\`${codeText(s.v)}\``;
        case "bold":
          return `**${escapeMarkdown(oneLine(s.v))}**`;
      }
    })
    .join("");
}

function toSlack(line: Line): string {
  return line
    .map((s) => {
      switch (s.t) {
        case "text":
          return escapeSlack(oneLine(s.v));
        case "code":
          return `\`${escapeSlack(codeText(s.v))}\``;
        case "bold":
          return `*${escapeSlack(oneLine(s.v).replace(/\*/g, "\u2217"))}*`;
      }
    })
    .join("");
}

/** Slack's limit for a section's text is 3000 characters; a message holds at most 50 blocks. */
const SECTION_LIMIT = 2900;
const MAX_BLOCKS = 50;

export function render(m: ChatMessage): ChatAnswer {
  const md: string[] = [`**${toMarkdown(m.title)}**`];
  if (m.items?.length) appendAll(md, ["", ...m.items.map((l) => `- ${toMarkdown(l)}`)]);
  if (m.notes?.length) appendAll(md, ["", ...m.notes.map(toMarkdown)]);
  if (m.context) md.push("", `_${toMarkdown(m.context)}_`);

  const blocks: SlackBlock[] = [{ type: "section", text: { type: "mrkdwn", text: `*${toSlack(m.title)}*` } }];
  const sections = chunk([...(m.items ?? []).map((l) => `\u2022 ${toSlack(l)}`), ...(m.notes ?? []).map(toSlack)]);
  for (const s of sections) blocks.push({ type: "section", text: { type: "mrkdwn", text: s } });
  if (m.context) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: toSlack(m.context) }] });
  return { markdown: md.join("\n"), blocks: blocks.slice(0, MAX_BLOCKS), response_type: "ephemeral" };
}

function chunk(lines: readonly string[]): string[] {
  const out: string[] = [];
  let cur = "";
  for (const l of lines) {
    const line = l.length > SECTION_LIMIT ? `${l.slice(0, SECTION_LIMIT - 1)}\u2026` : l;
    if (cur && cur.length + 1 + line.length > SECTION_LIMIT) {
      out.push(cur);
      cur = "";
    }
    cur = cur ? `${cur}\n${line}` : line;
  }
  if (cur) out.push(cur);
  return out;
}
