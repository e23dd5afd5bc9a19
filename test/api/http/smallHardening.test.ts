/**
 * Smaller hardening, over real HTTP and WebSocket against the real service on PostgreSQL:
 * - routes are case-sensitive: /API/v1/... and /GRAPHQL are 404s, and every answer (routes, 404s,
 *   errors) carries Cache-Control: no-store;
 * - one WebSocket holds at most server.maxSubscriptionsPerConnection subscriptions; one more is
 *   refused with TOO_MANY_SUBSCRIPTIONS and the others keep running;
 * - a chat form with more than 50 fields is a 413 with a clear message, not a 500;
 * - the DateTime scalar is calendar-exact like the REST parameters: 2026-02-31 is refused by both.
 */
import { describe, expect, it } from "vitest";
import type { Client } from "graphql-ws";
import { POSTGRES } from "../helpers/backends.js";
import { gql, httpClient, listeners, Subscription, wsClient, type GqlError } from "../helpers/graphql.js";
import { initialFiles } from "../helpers/scenario.js";
import { useTestService } from "../helpers/service.js";

const ADMIN = "small-admin-token-1";
const MAX_SUBS = 3;

describe("small hardening", () => {
  const svc = useTestService(() => ({ backend: POSTGRES, name: "harden_small", files: initialFiles(), tokens: [{ name: "admin", token: ADMIN }], server: { maxSubscriptionsPerConnection: MAX_SUBS } }));
  const auth = { authorization: `Bearer ${ADMIN}` };

  it("routes are case-sensitive, and every answer says no-store", async () => {
    const query = JSON.stringify({ query: "{ syncStatus { cluster } }" });
    for (const [path, init, status] of [
      ["/graphql", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: query }, 200],
      ["/GRAPHQL", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: query }, 404],
      ["/GraphQL", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: query }, 404],
      ["/api/v1/exports/matrix", { headers: auth }, 200],
      ["/API/v1/exports/matrix", { headers: auth }, 404],
      ["/api/V1/exports/audit", { headers: auth }, 404],
      ["/api/v1/exports/matrix", {}, 401],
      ["/api/v1/no-such-route", { headers: auth }, 404],
      ["/METRICS", {}, 404],
      ["/metrics", {}, 200],
      ["/healthz", {}, 200],
      ["/READYZ", {}, 404],
    ] as const) {
      const res = await fetch(`${svc().baseUrl}${path}`, init as RequestInit);
      await res.arrayBuffer();
      expect(res.status, path).toBe(status);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });

  it(`one connection holds at most ${MAX_SUBS} subscriptions; one more is refused, the others keep running`, async () => {
    const client: Client = wsClient(svc().wsUrl, ADMIN);
    const subs: Subscription<unknown>[] = [];
    try {
      const events = svc().service.events;
      const before = listeners(events, "revisions");
      for (let i = 0; i < MAX_SUBS; i++) subs.push(new Subscription(client, `subscription { policyChanged { namespace name } }`));
      await subs[0]!.waitFor(() => listeners(events, "revisions") >= before + MAX_SUBS, "the subscriptions to listen");
      const extra = new Subscription(client, `subscription { policyChanged { namespace name } }`);
      await extra.waitFor((s) => s.ended, "the extra subscription to be refused");
      expect(extra.error).toEqual([
        { message: `too many subscriptions on this connection: at most ${MAX_SUBS} (server.maxSubscriptionsPerConnection); complete some, or open another connection`, extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } },
      ] satisfies GqlError[]);
      for (const s of subs) expect(s.ended).toBe(false);
      // Completing one makes room for another on the same connection.
      subs.shift()!.close();
      await extra.waitFor(() => listeners(events, "revisions") === before + MAX_SUBS - 1, "the closed subscription to stop listening");
      const again = new Subscription(client, `subscription { policyChanged { namespace name } }`);
      subs.push(again);
      await again.waitFor(() => listeners(events, "revisions") === before + MAX_SUBS, "the new subscription to listen");
      expect(again.ended).toBe(false);
      // The HTTP side is unaffected.
      expect((await fetch(`${svc().baseUrl}/healthz`)).status).toBe(200);
    } finally {
      for (const s of subs) s.close();
      await client.dispose();
    }
  });

  it("a chat form with more than 50 fields is a 413 naming the problem; 50 fields are answered", async () => {
    const form = (n: number) => ["text=help", ...Array.from({ length: n - 1 }, (_, i) => `f${i}=x`)].join("&");
    const post = (body: string) => fetch(`${svc().baseUrl}/api/v1/chat`, { method: "POST", headers: { ...auth, "content-type": "application/x-www-form-urlencoded" }, body });
    const tooMany = await post(form(51));
    expect(tooMany.status).toBe(413);
    expect(await tooMany.json()).toMatchObject({ error: { code: "BAD_INPUT", message: "the form has too many fields (the chat form takes at most 50)" } });
    const fine = await post(form(50));
    expect(fine.status).toBe(200);
    const badCharset = await fetch(`${svc().baseUrl}/api/v1/chat`, { method: "POST", headers: { ...auth, "content-type": "application/x-www-form-urlencoded; charset=koi8-r" }, body: "text=help" });
    expect(badCharset.status).toBe(415);
  });

  it("DateTime is calendar-exact and agrees with the REST parameters", async () => {
    const client = httpClient(svc().graphqlUrl, ADMIN);
    const AT = `query($at: DateTime) { whoCanReach(target: { namespace: "shop", name: "backend" }, at: $at) { generation } }`;
    for (const bad of ["2026-02-31", "2026-02-29T10:00:00Z", "2025-04-31T00:00:00+02:00", "2026-13-01", "2026-00-10"]) {
      const viaVar = await gql(client, AT, { at: bad });
      expect(viaVar.errors[0]?.extensions?.["code"], bad).toBe("BAD_USER_INPUT");
      expect(viaVar.errors[0]?.message).toContain("DateTime must be an ISO 8601 date or date-time of the calendar");
      const literal = await gql(client, `{ whoCanReach(target: { namespace: "shop", name: "backend" }, at: "${bad}") { generation } }`);
      expect(literal.errors[0]?.extensions?.["code"], `literal ${bad}`).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
      const rest = await fetch(`${svc().baseUrl}/api/v1/exports/audit?since=${encodeURIComponent(bad)}`, { headers: auth });
      await rest.arrayBuffer();
      expect(rest.status, `REST ${bad}`).toBe(400);
    }
    const now = new Date(Date.now() + 60_000).toISOString();
    for (const good of ["2028-02-29", now, now.replace("Z", "+00:00")]) {
      const r = await gql(client, AT, { at: good });
      // A valid time either answers or says there was no generation yet: never a parse error.
      expect(r.errors.filter((e) => e.extensions?.["code"] === "BAD_USER_INPUT" && /DateTime/.test(e.message)), good).toEqual([]);
      const rest = await fetch(`${svc().baseUrl}/api/v1/exports/audit?until=${encodeURIComponent(good)}`, { headers: auth });
      await rest.arrayBuffer();
      expect(rest.status, `REST ${good}`).toBe(200);
    }
  });
});
