/**
 * Answers a parsed chat command through QueryService under the caller's scope, as a ChatMessage.
 * Long answers are capped (the first CHAT_LIMIT entries, then "and N more"). A name outside the
 * caller's namespaces is answered exactly like a name that does not exist.
 */
import { isAppError } from "../../domain/errors.js";
import { formatConnEndpoint, formatWorkload, type EndpointQuery } from "../../engine/index.js";
import type { StoredRevision } from "../../domain/repositories.js";
import type { GenerationRef, QueryService } from "../query/QueryService.js";
import { seesAllNamespaces, type Scope } from "../../domain/scope.js";
import type { ChatCommand } from "./parse.js";
import { code, text, type ChatMessage, type Line } from "./render.js";

export const CHAT_LIMIT = 20;
/** "what changed" counts at most this many revisions (then says "more than"). */
const COUNT_LIMIT = 10_000;

const EXAMPLES: readonly Line[] = [
  [code("who can reach prod/db on 5432"), text(": the sources allowed to connect (also "), code("prod/db:5432/udp"), text(", or without a port)")],
  [code("can shop/frontend reach prod/db:5432"), text(": one connection, explained (an IP address works on either side; "), code("on 443/tcp"), text(")")],
  [
    code("what changed in prod since yesterday"),
    text(": the recorded policy and namespace changes ("),
    code("since 2h"),
    text(", "),
    code("since 7d"),
    text(", "),
    code("since 2026-11-01"),
    text(", "),
    code("in the last 3 days"),
    text(")"),
  ],
  [code("help"), text(": this list")],
];

const CLUSTER_NOTE: Line = [text("Add "), code("in cluster ID"), text(" when several clusters are stored.")];

export function helpMessage(notUnderstood?: string): ChatMessage {
  return {
    title: notUnderstood === undefined ? [text("kubereach answers questions about NetworkPolicy reachability:")] : [text("I did not understand "), code(notUnderstood), text(". I understand:")],
    items: EXAMPLES,
    notes: [CLUSTER_NOTE],
  };
}

export async function answerChat(query: QueryService, scope: Scope, cmd: ChatCommand): Promise<ChatMessage> {
  try {
    switch (cmd.type) {
      case "help":
        return helpMessage();
      case "unknown":
        return helpMessage(cmd.text);
      case "invalid":
        return { title: [text("I could not read that question")], notes: [[text(cmd.message)]], items: [], context: [text("Say "), code("help"), text(" for what I understand.")] };
      case "whoCanReach":
        return await whoCanReach(query, scope, cmd);
      case "canConnect":
        return await canConnect(query, scope, cmd);
      case "whatChanged":
        return await whatChanged(query, scope, cmd);
    }
  } catch (err) {
    if (!isAppError(err)) throw err;
    if (err.code === "NOT_FOUND") return { title: [text("Not found, or not visible to this token")], notes: [[text(err.message)]] };
    if (err.code === "BAD_INPUT" || err.code === "USAGE")
      return { title: [text("I could not answer that")], notes: [[text(err.message)], ...(/several clusters/.test(err.message) ? [CLUSTER_NOTE] : [])] };
    throw err;
  }
}

function generationLine(ref: GenerationRef): Line {
  return [text("cluster "), code(ref.cluster), text(` \u00b7 generation ${ref.generation} \u00b7 computed ${ref.computedAt.toISOString()}`)];
}

function portText(port: number | undefined, protocol: string | undefined): string {
  return port === undefined ? "" : ` on ${protocol ?? "TCP"} ${port}`;
}

function more(total: number, shown: number, where: string): Line[] {
  return total > shown ? [[text(`\u2026and ${total - shown} more (${where})`)]] : [];
}

function scopeNote(scope: Scope): Line[] {
  return seesAllNamespaces(scope) ? [] : [[text("Only namespaces this token may see are shown.")]];
}

async function whoCanReach(query: QueryService, scope: Scope, cmd: Extract<ChatCommand, { type: "whoCanReach" }>): Promise<ChatMessage> {
  const a = await query.whoCanReach(scope, cmd.target, { cluster: cmd.cluster, port: cmd.port, protocol: cmd.protocol });
  const target = formatWorkload(a.workload);
  const on = portText(cmd.port, cmd.protocol);
  const rows = a.rows.map((r) => ({ src: formatConnEndpoint(r.src), conn: r.conn.key })).sort((x, y) => (x.src < y.src ? -1 : x.src > y.src ? 1 : 0));
  const title: Line = rows.length
    ? [code(target), text(` can be reached by ${rows.length} source${rows.length === 1 ? "" : "s"}${on}`)]
    : [text("Nothing can reach "), code(target), text(on)];
  return {
    title,
    items: rows.slice(0, CHAT_LIMIT).map((r) => [code(r.src), text(`: ${r.conn}`)]),
    notes: [...more(rows.length, CHAT_LIMIT, "GraphQL whoCanReach or GET /api/v1/exports/matrix have them all"), ...scopeNote(scope)],
    context: generationLine(a),
  };
}

function endpointText(e: EndpointQuery): string {
  return e.type === "ip" ? e.ip : `${e.namespace}/${e.name}${e.kind ? `[${e.kind}]` : ""}`;
}

async function canConnect(query: QueryService, scope: Scope, cmd: Extract<ChatCommand, { type: "canConnect" }>): Promise<ChatMessage> {
  if (cmd.port !== undefined) {
    const a = await query.canConnect(scope, cmd.from, cmd.to, cmd.port, cmd.protocol ?? "TCP", { cluster: cmd.cluster });
    const e = a.explanation;
    const verdict = e.verdict === "ALLOWED" ? "Yes, allowed" : e.verdict === "DENIED" ? "No, denied" : "Unknown";
    return {
      title: [text(`${verdict}: `), code(e.from), text(" \u2192 "), code(e.to), text(` on ${e.protocol} ${e.port}`)],
      items: e.summary.slice(0, CHAT_LIMIT).map((s) => [text(s)]),
      notes: more(e.summary.length, CHAT_LIMIT, "GraphQL canConnect has the full explanation"),
      context: generationLine(a),
    };
  }
  const { from, to } = cmd;
  if (from.type !== "workload" || to.type !== "workload")
    return {
      title: [text("Which port?")],
      notes: [[text("With an IP address, say the port: "), code(`can ${endpointText(from)} reach ${endpointText(to)} on 443`)]],
    };
  // Without a port: what the source may open to the destination, from the stored matrix.
  const dst = await query.resolveWorkload(scope, to, { cluster: cmd.cluster });
  const a = await query.reachableFrom(scope, from, { cluster: cmd.cluster });
  const dstText = formatWorkload(dst);
  const row = a.rows.find((r) => r.dst.kind === "workload" && formatWorkload(r.dst.ref) === dstText);
  const src = formatWorkload(a.workload);
  return {
    title: row
      ? [text("Yes: "), code(src), text(" can reach "), code(dstText), text(` on ${row.conn.key}`)]
      : [text("No: "), code(src), text(" cannot reach "), code(dstText), text(" on any port")],
    notes: [[text("Ask with a port ("), code(`can ${src} reach ${dstText} on 443`), text(") for the policies that decide it.")]],
    context: generationLine(a),
  };
}

function revisionLine(r: StoredRevision): Line {
  const name = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  const ops = Array.isArray(r.diff) ? r.diff.length : 0;
  return [
    code(r.observedAt.toISOString().replace(/:\d{2}\.\d{3}Z$/, "Z")),
    text(` ${r.operation} ${r.objectKind} `),
    code(name),
    text(` (seq ${r.seq}${r.operation === "UPDATE" ? `, ${ops} change${ops === 1 ? "" : "s"}` : ""}${r.finalStateUnknown ? ", final state unknown" : ""})`),
  ];
}

async function whatChanged(query: QueryService, scope: Scope, cmd: Extract<ChatCommand, { type: "whatChanged" }>): Promise<ChatMessage> {
  const shown: StoredRevision[] = [];
  let total = 0;
  let capped = false;
  let cluster = "";
  let after: string | undefined;
  for (;;) {
    const page = await query.revisions(scope, { cluster: cmd.cluster, namespace: cmd.namespace, since: cmd.since, first: 500, after });
    cluster = page.cluster;
    for (const r of page.revisions) if (shown.length < CHAT_LIMIT) shown.push(r);
    total += page.revisions.length;
    if (!page.hasNextPage || page.revisions.length === 0) break;
    if (total >= COUNT_LIMIT) {
      capped = true;
      break;
    }
    after = query.seqCursor(page.revisions[page.revisions.length - 1]!.seq);
  }
  const where: Line = cmd.namespace ? [text(" in "), code(cmd.namespace)] : [];
  const title: Line = total
    ? [text(`${capped ? "More than " : ""}${total} change${total === 1 ? "" : "s"}`), ...where, text(sincePhrase(cmd.sinceText))]
    : [text("No changes"), ...where, text(sincePhrase(cmd.sinceText))];
  return {
    title,
    items: shown.map(revisionLine),
    notes: [...(capped ? [[text(`\u2026and more (GET /api/v1/exports/audit has them all)`)]] : more(total, shown.length, "GET /api/v1/exports/audit has them all")), ...scopeNote(scope)],
    context: [text("cluster "), code(cluster), text(` \u00b7 since ${cmd.since.toISOString()}`)],
  };
}

/** "since yesterday (00:00 UTC)", but "in the last 3 days" (not "since the last 3 days"). */
function sincePhrase(text: string): string {
  return /^the last /.test(text) ? ` in ${text}` : ` since ${text}`;
}
