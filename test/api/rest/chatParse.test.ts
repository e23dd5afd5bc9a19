/** The chat grammar, table-driven: what each phrasing becomes. */
import { describe, expect, it } from "vitest";
import { normalize, parseChat, type ChatCommand } from "../../../src/api/chat/parse.js";

const NOW = new Date("2026-11-15T10:30:00.000Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000);
const db = { namespace: "prod", name: "db" };

describe("who can reach", () => {
  it.each<[string, Partial<ChatCommand>]>([
    ["who can reach prod/db on 5432", { type: "whoCanReach", target: db, port: 5432, protocol: "TCP" }],
    ["who can reach prod/db:5432", { type: "whoCanReach", target: db, port: 5432, protocol: "TCP" }],
    ["who can reach prod/db:53/udp", { type: "whoCanReach", target: db, port: 53, protocol: "UDP" }],
    ["who can reach prod/db on 53/udp", { type: "whoCanReach", target: db, port: 53, protocol: "UDP" }],
    ["who can reach prod/db on udp 53", { type: "whoCanReach", target: db, port: 53, protocol: "UDP" }],
    ["who can reach prod/db on port 443", { type: "whoCanReach", target: db, port: 443, protocol: "TCP" }],
    ["who can reach prod/db port 443 sctp", { type: "whoCanReach", target: db, port: 443, protocol: "SCTP" }],
    ["who can reach prod/db", { type: "whoCanReach", target: db }],
    ["Who CAN reach prod/db?", { type: "whoCanReach", target: db }],
    ["who can access prod/db[StatefulSet] on 5432", { type: "whoCanReach", target: { ...db, kind: "StatefulSet" }, port: 5432, protocol: "TCP" }],
    ["who can talk to prod/db:5432 in cluster eu-1", { type: "whoCanReach", target: db, port: 5432, protocol: "TCP", cluster: "eu-1" }],
    ["  who   can reach   prod/db   on 5432  ", { type: "whoCanReach", target: db, port: 5432, protocol: "TCP" }],
  ])("%j", (text, expected) => expect(parseChat(text, NOW)).toEqual(expected));
});

describe("can X reach Y", () => {
  const frontend = { type: "workload", namespace: "shop", name: "frontend" } as const;
  const dbEp = { type: "workload", namespace: "prod", name: "db" } as const;
  it.each<[string, Partial<ChatCommand>]>([
    ["can shop/frontend reach prod/db:5432", { type: "canConnect", from: frontend, to: dbEp, port: 5432, protocol: "TCP" }],
    ["can shop/frontend reach prod/db on 443/tcp", { type: "canConnect", from: frontend, to: dbEp, port: 443, protocol: "TCP" }],
    ["can shop/frontend reach prod/db", { type: "canConnect", from: frontend, to: dbEp }],
    ["can 203.0.113.7 reach prod/db on 443", { type: "canConnect", from: { type: "ip", ip: "203.0.113.7" }, to: dbEp, port: 443, protocol: "TCP" }],
    ["can shop/frontend reach 10.0.0.1:8443/tcp", { type: "canConnect", from: frontend, to: { type: "ip", ip: "10.0.0.1" }, port: 8443, protocol: "TCP" }],
    ["can shop/frontend reach [2001:db8::1]:443", { type: "canConnect", from: frontend, to: { type: "ip", ip: "2001:db8::1" }, port: 443, protocol: "TCP" }],
    ["can shop/frontend reach 2001:db8::1 on 53/udp", { type: "canConnect", from: frontend, to: { type: "ip", ip: "2001:db8::1" }, port: 53, protocol: "UDP" }],
    ["could shop/frontend[Deployment] connect to prod/db:5432?", { type: "canConnect", from: { ...frontend, kind: "Deployment" }, to: dbEp, port: 5432, protocol: "TCP" }],
    ["can shop/frontend reach prod/db:5432 in cluster prod-eu", { type: "canConnect", from: frontend, to: dbEp, port: 5432, protocol: "TCP", cluster: "prod-eu" }],
  ])("%j", (text, expected) => expect(parseChat(text, NOW)).toEqual(expected));
});

describe("what changed", () => {
  it.each<[string, string | undefined, Date, string]>([
    ["what changed in prod since yesterday", "prod", new Date("2026-11-14T00:00:00.000Z"), "yesterday (00:00 UTC)"],
    ["what changed in prod since 2h", "prod", hoursAgo(2), "2h ago"],
    ["what changed in prod since 7d", "prod", hoursAgo(7 * 24), "7d ago"],
    ["what changed in prod since 30m", "prod", hoursAgo(0.5), "30m ago"],
    ["what changed in prod since 2w", "prod", hoursAgo(14 * 24), "2w ago"],
    ["what changed in prod since 3 days ago", "prod", hoursAgo(72), "3 days ago"],
    ["what changed in prod since 2026-11-01", "prod", new Date("2026-11-01T00:00:00.000Z"), "2026-11-01T00:00:00.000Z"],
    ["what changed in prod since 2026-11-14T08:00:00Z", "prod", new Date("2026-11-14T08:00:00.000Z"), "2026-11-14T08:00:00.000Z"],
    ["what changed in prod in the last 3 days", "prod", hoursAgo(72), "the last 3 days"],
    ["what changed in prod in the past hour", "prod", hoursAgo(1), "the last hour"],
    ["what changed in the last 3 days", undefined, hoursAgo(72), "the last 3 days"],
    ["what changed in prod today", "prod", new Date("2026-11-15T00:00:00.000Z"), "today (00:00 UTC)"],
    ["what has changed since yesterday?", undefined, new Date("2026-11-14T00:00:00.000Z"), "yesterday (00:00 UTC)"],
    ["what's changed in namespace prod since 2h", "prod", hoursAgo(2), "2h ago"],
    ["what changed in prod", "prod", hoursAgo(24), "the last 24 hours"],
    ["what changed", undefined, hoursAgo(24), "the last 24 hours"],
  ])("%j", (text, namespace, since, sinceText) => {
    expect(parseChat(text, NOW)).toEqual({ type: "whatChanged", ...(namespace ? { namespace } : {}), since, sinceText });
  });

  it("takes a cluster", () => {
    expect(parseChat("what changed in prod since 2h in cluster eu-1", NOW)).toMatchObject({ type: "whatChanged", namespace: "prod", cluster: "eu-1" });
  });
});

describe("help, unknown and invalid questions", () => {
  it.each(["help", "HELP", "?", "", "   ", "usage"])("%j is help", (text) => expect(parseChat(text, NOW)).toEqual({ type: "help" }));

  it.each(["hello there", "who is on call", "can you reach me", "delete prod/db", "who can reach"])("%j is not understood", (text) =>
    expect(parseChat(text, NOW)).toMatchObject({ type: "unknown" }),
  );

  it.each<[string, RegExp]>([
    ["who can reach prod/db on 70000", /port 70000 is out of range/],
    ["who can reach prod/db:0", /port 0 is out of range/],
    ["who can reach prod/db on udp", /give a port with the protocol, e\.g\. "on 53\/udp"/],
    ["who can reach prod/db:53/icmp", /"icmp" is not a protocol/],
    ["who can reach prod/db:53 on 54", /two ports given/],
    ["who can reach prod/db on the weekend", /"on the weekend" is not a port/],
    ["who can reach db", /"db" is not a workload/],
    ["who can reach 10.0.0.1 on 80", /needs a workload/],
    ["can shop/frontend:80 reach prod/db", /a port belongs to the destination/],
    ["what changed in prod since the dawn of time", /is not a time/],
    ["what changed in prod since 3 fortnights", /"fortnights" is not a unit/],
    ["what changed in prod since 2027-01-01", /is in the future/],
    ["what changed in prod since 2026-02-30", /is not a time/],
    ["what changed in Prod_Ns since 2h", /is not a namespace name/],
    ["who can reach prod/db in cluster Not_Valid", /is not a cluster id/],
  ])("%j is invalid", (text, message) => {
    const c = parseChat(text, NOW);
    expect(c.type).toBe("invalid");
    expect((c as { message: string }).message).toMatch(message);
  });
});

describe("Slack's markup in the text", () => {
  it.each([
    ["who can reach prod/db on <tel:5432|5432>", "who can reach prod/db on 5432"],
    ["can <http://10.0.0.1|10.0.0.1> reach prod/db", "can 10.0.0.1 reach prod/db"],
    ["<@U024BE7LH> who can reach prod/db", "who can reach prod/db"],
    ["what changed in prod &amp; since 2h", "what changed in prod & since 2h"],
    ["who can reach prod/&lt;db&gt;", "who can reach prod/<db>"],
    ["who\u00a0can reach prod/db?", "who can reach prod/db"],
  ])("%j", (text, normalized) => expect(normalize(text)).toBe(normalized));

  it("from Slack, mentions vanish and links become their labels; other clients' text is taken as it is", () => {
    const text = "<@U1> can <http://10.0.0.1|10.0.0.1> reach prod/db:443";
    expect(parseChat(text, NOW, { slack: true })).toMatchObject({ type: "canConnect", from: { type: "ip", ip: "10.0.0.1" }, port: 443 });
    expect(parseChat(text, NOW)).toMatchObject({ type: "unknown" });
    expect(parseChat("who can reach prod/&lt;db&gt;", NOW, { slack: true })).toMatchObject({ target: { name: "<db>" } });
    expect(parseChat("who can reach prod/&lt;db&gt;", NOW)).toMatchObject({ target: { name: "&lt;db&gt;" } });
  });
});
