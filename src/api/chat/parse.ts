/**
 * The chat grammar: a question in plain words becomes a command. Pure (the current time is a
 * parameter), so it is tested table-driven. What it understands:
 *
 *   who can reach NS/NAME [on] [port] PORT[/PROTO]      also NS/NAME:PORT[/PROTO], NS/NAME[Kind], no port
 *   can FROM reach TO [on PORT[/PROTO]]                  FROM/TO: NS/NAME, NS/NAME[Kind] or an IP; TO may be TO:PORT
 *   what changed [in NS] [since WHEN | in the last N UNITS]
 *       WHEN: yesterday, today, 2h, 30m, 7d, 2w, "3 days", 2026-11-01, 2026-11-01T12:00Z
 *   help
 * Any of them may end with "in cluster ID" when several clusters are stored. PROTO is tcp, udp or
 * sctp (TCP when not given). Text from Slack has its markup (<http://x|x>, &lt;) undone first.
 */
import { MAX_PORT, MIN_PORT, parseEndpointQuery, parseIp, type EndpointQuery, type Protocol, type WorkloadQuery } from "../../engine/index.js";
import { parseTime } from "../http/params.js";

export type ChatCommand =
  | { readonly type: "help" }
  | { readonly type: "unknown"; readonly text: string }
  /** The words were understood, but a value is wrong: the message says which. */
  | { readonly type: "invalid"; readonly message: string }
  | { readonly type: "whoCanReach"; readonly target: WorkloadQuery; readonly port?: number; readonly protocol?: Protocol; readonly cluster?: string }
  | { readonly type: "canConnect"; readonly from: EndpointQuery; readonly to: EndpointQuery; readonly port?: number; readonly protocol?: Protocol; readonly cluster?: string }
  | { readonly type: "whatChanged"; readonly namespace?: string; readonly since: Date; readonly sinceText: string; readonly cluster?: string };

/** The default window of "what changed" without a time. */
export const DEFAULT_CHANGE_WINDOW_HOURS = 24;

class Invalid extends Error {}

export interface ParseOptions {
  /** The text comes from Slack (a slash command): undo its markup first. */
  readonly slack?: boolean;
}

export function parseChat(input: string, now: Date, options: ParseOptions = {}): ChatCommand {
  const text = options.slack ? normalize(input) : clean(input);
  try {
    if (text === "" || /^(help|\?|usage|commands|what can you do)$/i.test(text)) return { type: "help" };
    const { rest, cluster } = takeCluster(text);
    const withCluster = <T extends object>(c: T): T & { cluster?: string } => (cluster ? { ...c, cluster } : c);

    let m = /^who\s+(?:can|could|may)\s+(?:reach|access|connect\s+to|talk\s+to)\s+(.+)$/i.exec(rest);
    if (m) {
      const { endpoint, port, protocol } = endpointWithPort(m[1]!);
      if (endpoint.type !== "workload") throw new Invalid(`"who can reach" needs a workload (NS/NAME), not an address: try "can ${endpoint.ip} reach NS/NAME on PORT"`);
      const { type: _t, ...target } = endpoint;
      return withCluster({ type: "whoCanReach" as const, target, ...portPart(port, protocol) });
    }

    m = /^(?:can|could|may)\s+(\S+)\s+(?:reach|access|connect\s+to|talk\s+to)\s+(.+)$/i.exec(rest);
    // "can you reach me": words, not endpoints.
    if (m && /[/:.]/.test(m[1]!)) {
      const from = endpoint(m[1]!);
      if (from === undefined) throw new Invalid(`the source ${JSON.stringify(m[1])} is not a workload (NS/NAME) or an IP address; a port belongs to the destination`);
      const { endpoint: to, port, protocol } = endpointWithPort(m[2]!);
      return withCluster({ type: "canConnect" as const, from, to, ...portPart(port, protocol) });
    }

    m = /^what(?:'s|\s+has|\s+have)?\s+changed(?:\s+in\s+(?:the\s+)?(?:namespace\s+)?(?!(?:the\s+)?(?:last|past)\b)([^\s/]+))?(?:\s+(.+))?$/i.exec(rest);
    if (m) {
      const namespace = m[1];
      if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw new Invalid(`${JSON.stringify(namespace)} is not a namespace name`);
      const when = m[2] ? parseWhen(m[2], now) : { since: new Date(now.getTime() - DEFAULT_CHANGE_WINDOW_HOURS * 3600_000), text: `the last ${DEFAULT_CHANGE_WINDOW_HOURS} hours` };
      return withCluster({ type: "whatChanged" as const, ...(namespace ? { namespace } : {}), since: when.since, sinceText: when.text });
    }
    return { type: "unknown", text };
  } catch (e) {
    if (e instanceof Invalid) return { type: "invalid", message: e.message };
    throw e;
  }
}

/**
 * Undoes Slack's markup: <url|label> -> label, <url> -> url, mentions dropped, &amp; &lt; &gt;
 * decoded (Slack sends a typed "<" as "&lt;", so a raw "<" is always markup).
 */
export function normalize(input: string): string {
  return clean(
    input
      .replace(/<[@!#][^>]*>/g, " ")
      .replace(/<([^<>|]*)\|([^<>]*)>/g, "$2")
      .replace(/<([^<>]*)>/g, "$1")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&"),
  );
}

/** Whitespace collapsed, trailing punctuation dropped. */
function clean(input: string): string {
  return input
    .replace(/[\u00a0\s]+/g, " ")
    .trim()
    .replace(/[?!.]+$/, "")
    .trim();
}

function takeCluster(text: string): { rest: string; cluster?: string } {
  const m = /^(.*?)\s+(?:in|on|for)\s+cluster\s+(\S+)$/i.exec(text);
  if (!m) return { rest: text };
  if (!/^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/.test(m[2]!)) throw new Invalid(`${JSON.stringify(m[2])} is not a cluster id`);
  return { rest: m[1]!, cluster: m[2]! };
}

function portPart(port: number | undefined, protocol: Protocol | undefined): { port?: number; protocol?: Protocol } {
  if (port === undefined) return {};
  return { port, protocol: protocol ?? "TCP" };
}

const PROTO = "(tcp|udp|sctp)";

function protocolOf(text: string | undefined): Protocol | undefined {
  return text ? (text.toUpperCase() as Protocol) : undefined;
}

function checkPort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= MIN_PORT && port <= MAX_PORT)) throw new Invalid(`port ${text} is out of range: a port is a number from ${MIN_PORT} to ${MAX_PORT}`);
  return port;
}

/** `NS/NAME`, `NS/NAME[Kind]` or an IP address (IPv6 also in brackets); undefined when it is none of them. */
function endpoint(token: string): EndpointQuery | undefined {
  const t = token.replace(/^\[(.*)\]$/, "$1");
  if (parseIp(t)) return { type: "ip", ip: t };
  // A name never holds ':' (that is a port: NS/NAME:PORT).
  return t.includes(":") ? undefined : parseEndpointQuery(t);
}

/**
 * A destination with an optional port: `prod/db`, `prod/db:5432`, `prod/db:5432/udp`,
 * `[2001:db8::1]:443`, `10.0.0.1:443`, each optionally followed by `on [port] 5432[/udp]`,
 * `on udp 53`, `port 443` or `on 443 tcp`.
 */
function endpointWithPort(text: string): { endpoint: EndpointQuery; port?: number; protocol?: Protocol } {
  const [token, ...words] = text.trim().split(" ");
  let ep: EndpointQuery | undefined;
  let port: number | undefined;
  let protocol: Protocol | undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)(?:\/([a-z]+))?$/i.exec(token!);
  const attached = /^(.+?):(\d+)(?:\/([a-z]+))?$/i.exec(token!);
  if (parseIp(token!)) ep = { type: "ip", ip: token! };
  else if (v6) {
    ep = parseIp(v6[1]!) ? { type: "ip", ip: v6[1]! } : undefined;
    port = checkPort(v6[2]!);
    protocol = attachedProtocol(v6[3]);
  } else if (attached) {
    ep = endpoint(attached[1]!);
    port = checkPort(attached[2]!);
    protocol = attachedProtocol(attached[3]);
  } else ep = endpoint(token!);
  if (!ep) throw new Invalid(`${JSON.stringify(token)} is not a workload (NS/NAME or NS/NAME[Kind]) or an IP address`);
  const phrase = words.join(" ");
  if (phrase) {
    const m =
      new RegExp(`^(?:on\\s+|over\\s+|at\\s+)?(?:port\\s+)?(\\d+)(?:\\s*/\\s*${PROTO}|\\s+${PROTO})?$`, "i").exec(phrase) ??
      new RegExp(`^(?:on\\s+|over\\s+)?${PROTO}(?:\\s+port)?(?:\\s+|/)(\\d+)$`, "i").exec(phrase);
    if (!m) {
      if (new RegExp(`^(?:on\\s+|over\\s+)?${PROTO}$`, "i").test(phrase)) throw new Invalid(`give a port with the protocol, e.g. "on 53/${phrase.replace(/^(on|over)\s+/i, "").toLowerCase()}"`);
      throw new Invalid(`"${phrase}" is not a port: say e.g. "on 5432", "on 53/udp" or "on port 443"`);
    }
    if (port !== undefined) throw new Invalid("two ports given: say the port once");
    const digitsFirst = /^\d/.test(m[1]!);
    port = checkPort(digitsFirst ? m[1]! : m[2]!);
    protocol = protocolOf(digitsFirst ? (m[2] ?? m[3]) : m[1]);
  }
  return { endpoint: ep, ...(port !== undefined ? { port } : {}), ...(protocol ? { protocol } : {}) };
}

function attachedProtocol(text: string | undefined): Protocol | undefined {
  if (text === undefined) return undefined;
  if (!/^(tcp|udp|sctp)$/i.test(text)) throw new Invalid(`${JSON.stringify(text)} is not a protocol: tcp, udp or sctp`);
  return protocolOf(text);
}

const UNITS: Record<string, number> = { m: 60_000, h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 };

function unitOf(word: string): number | undefined {
  const w = word.toLowerCase();
  if (/^(m|min|mins|minute|minutes)$/.test(w)) return UNITS["m"];
  if (/^(h|hr|hrs|hour|hours)$/.test(w)) return UNITS["h"];
  if (/^(d|day|days)$/.test(w)) return UNITS["d"];
  if (/^(w|wk|wks|week|weeks)$/.test(w)) return UNITS["w"];
  return undefined;
}

function startOfUtcDay(d: Date, daysBack: number): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - daysBack));
}

/** `since yesterday`, `since 2h`, `since 7 days`, `since 2026-11-01`, `in the last 3 days`, `today`... */
function parseWhen(phrase: string, now: Date): { since: Date; text: string } {
  const p = phrase.trim();
  let m = /^since\s+(.+)$/i.exec(p);
  if (m) {
    const what = m[1]!.trim();
    if (/^yesterday$/i.test(what)) return { since: startOfUtcDay(now, 1), text: "yesterday (00:00 UTC)" };
    if (/^today$/i.test(what)) return { since: startOfUtcDay(now, 0), text: "today (00:00 UTC)" };
    if (/^last\s+week$/i.test(what)) return ago(1, UNITS["w"]!, now, "1 week");
    const rel = /^(\d{1,6})\s*([a-z]+)(?:\s+ago)?$/i.exec(what);
    if (rel) {
      const unit = unitOf(rel[2]!);
      if (unit === undefined) throw new Invalid(`"${rel[2]}" is not a unit: use m, h, d or w (minutes, hours, days, weeks)`);
      return ago(Number(rel[1]), unit, now, `${rel[1]}${rel[2]!.length === 1 ? rel[2] : ` ${rel[2]}`}`);
    }
    const at = parseTime(what);
    if (!at) throw new Invalid(`"${what}" is not a time: say e.g. "since yesterday", "since 2h", "since 7d" or "since 2026-11-01"`);
    if (at.getTime() > now.getTime()) throw new Invalid(`${at.toISOString()} is in the future`);
    return { since: at, text: at.toISOString() };
  }
  m = /^(?:(?:in|during|over|for)\s+)?(?:the\s+)?(?:last|past)\s+(?:(\d{1,6})\s*)?([a-z]+)$/i.exec(p);
  if (m) {
    const unit = unitOf(m[2]!);
    if (unit === undefined) throw new Invalid(`"${m[2]}" is not a unit: use minutes, hours, days or weeks`);
    const n = m[1] === undefined ? 1 : Number(m[1]);
    return ago(n, unit, now, `the last ${m[1] === undefined ? "" : `${n} `}${m[2]!.toLowerCase()}`);
  }
  if (/^today$/i.test(p)) return { since: startOfUtcDay(now, 0), text: "today (00:00 UTC)" };
  if (/^yesterday$/i.test(p)) return { since: startOfUtcDay(now, 1), text: "yesterday (00:00 UTC)" };
  throw new Invalid(`"${p}" is not a time: say e.g. "since yesterday", "since 2h", "since 2026-11-01" or "in the last 3 days"`);
}

function ago(n: number, unit: number, now: Date, text: string): { since: Date; text: string } {
  if (n < 1) throw new Invalid("the time span must be at least 1");
  return { since: new Date(now.getTime() - n * unit), text: text.startsWith("the last") ? text : `${text} ago` };
}
