/** POST /api/v1/chat over real HTTP: JSON and Slack's form post, answers through QueryService under the token's scope. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatAnswer } from "../../../src/api/chat/render.js";
import { client, deployment, namespace, networkPolicy, sleep, startRestService, type RestService } from "./helpers.js";

const ADMIN = { name: "admin", token: "chat-admin-token-0123" };
const SHOP = { name: "shop-team", token: "chat-shop-token-0123", namespaces: ["shop"] };
const MANY = 25;

const dbAllow = (port: number) =>
  networkPolicy("prod", "db-allow", {
    podSelector: { matchLabels: { app: "db" } },
    policyTypes: ["Ingress"],
    ingress: [
      { from: [{ namespaceSelector: { matchLabels: { team: "shop" } }, podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ port, protocol: "TCP" }] },
      { from: [{ podSelector: { matchLabels: { app: "api" } } }], ports: [{ port, protocol: "TCP" }] },
    ],
  });

let svc: RestService;
let admin: ReturnType<typeof client>;
let shop: ReturnType<typeof client>;

beforeAll(async () => {
  svc = await startRestService({
    tokens: [ADMIN, SHOP],
    files: {
      "namespaces.yaml": [namespace("prod"), namespace("shop", { team: "shop" }), namespace("many")],
      "workloads.yaml": [
        deployment("prod", "db", { app: "db" }, [5432], "StatefulSet"),
        deployment("prod", "api", { app: "api" }),
        deployment("shop", "frontend", { app: "frontend" }),
        ...Array.from({ length: MANY }, (_, i) => deployment("many", `w${String(i).padStart(2, "0")}`, { app: `w${i}` })),
      ],
      "policies.yaml": [dbAllow(5432)],
    },
  });
  admin = client(svc.url, ADMIN.token);
  shop = client(svc.url, SHOP.token);
}, 180_000);

afterAll(async () => {
  await svc?.stop();
}, 60_000);

async function ask(text: string, c = admin): Promise<ChatAnswer> {
  const res = await c("/api/v1/chat", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as ChatAnswer;
}

const slackText = (a: ChatAnswer) => a.blocks.map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join("") ?? "").join("\n");

describe("who can reach", () => {
  it("lists the sources on a port, as Markdown and as Block Kit", async () => {
    const a = await ask("who can reach prod/db on 5432");
    expect(a.response_type).toBe("ephemeral");
    expect(a.markdown.split("\n")).toEqual([
      "**`prod/db[StatefulSet]` can be reached by 2 sources on TCP 5432**",
      "",
      "- `prod/api[Deployment]`: TCP 5432",
      "- `shop/frontend[Deployment]`: TCP 5432",
      "",
      expect.stringMatching(/^_cluster `rest` · generation 1 · computed \d{4}-\d\d-\d\dT[\d:.]+Z_$/),
    ]);
    expect(a.blocks.map((b) => b.type)).toEqual(["section", "section", "context"]);
    expect(a.blocks[1]!.text).toEqual({ type: "mrkdwn", text: "\u2022 `prod/api[Deployment]`: TCP 5432\n\u2022 `shop/frontend[Deployment]`: TCP 5432" });
    const other = await ask("who can reach prod/db:80");
    expect(other.markdown).toMatch(/^\*\*Nothing can reach `prod\/db\[StatefulSet\]` on TCP 80\*\*/);
  });

  it("accepts Slack's slash-command form post", async () => {
    const res = await admin("/api/v1/chat", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: "slack-verification", command: "/kubereach", text: "who can reach prod/db:5432/tcp", user_id: "U1" }).toString(),
    });
    expect(res.status).toBe(200);
    const a = (await res.json()) as ChatAnswer;
    expect(a.markdown).toContain("can be reached by 2 sources on TCP 5432");
  });

  it("caps long answers: the first 20, then how many more", async () => {
    const a = await ask("who can reach many/w00");
    const items = a.markdown.split("\n").filter((l) => l.startsWith("- "));
    expect(items).toHaveLength(20);
    // 24 other workloads in "many", prod/api, prod/db, shop/frontend and the outside world.
    expect(a.markdown).toContain("**`many/w00[Deployment]` can be reached by 28 sources**");
    expect(a.markdown).toContain("\u2026and 8 more (GraphQL whoCanReach or GET /api/v1/exports/matrix have them all)");
  });
});

describe("can X reach Y", () => {
  it("explains one connection, with an IP on either side", async () => {
    const yes = await ask("can shop/frontend reach prod/db:5432");
    expect(yes.markdown).toMatch(/^\*\*Yes, allowed: `shop\/frontend\[Deployment\]` \u2192 `prod\/db\[StatefulSet\]` on TCP 5432\*\*/);
    expect(yes.markdown).toContain("NetworkPolicy prod/db-allow");
    const no = await ask("can shop/frontend reach prod/db on 443/tcp");
    expect(no.markdown).toMatch(/^\*\*No, denied: .* on TCP 443\*\*/);
    const ip = await ask("can 203.0.113.7 reach prod/db on 5432");
    expect(ip.markdown).toMatch(/^\*\*No, denied: `203\.0\.113\.7\[External\]` \u2192 `prod\/db\[StatefulSet\]` on TCP 5432\*\*/);
    const out = await ask("can prod/api reach 203.0.113.7:443");
    expect(out.markdown).toMatch(/^\*\*Yes, allowed: `prod\/api\[Deployment\]` \u2192 `203\.0\.113\.7\[External\]` on TCP 443\*\*/);
  });

  it("without a port: what the matrix allows; with an IP it asks for the port", async () => {
    expect((await ask("can shop/frontend reach prod/db")).markdown).toMatch(/^\*\*Yes: `shop\/frontend\[Deployment\]` can reach `prod\/db\[StatefulSet\]` on TCP 5432\*\*/);
    expect((await ask("can many/w01 reach prod/db")).markdown).toMatch(/^\*\*No: `many\/w01\[Deployment\]` cannot reach `prod\/db\[StatefulSet\]` on any port\*\*/);
    expect((await ask("can 10.0.0.1 reach prod/db")).markdown).toMatch(/^\*\*Which port\?\*\*/);
  });
});

describe("what changed", () => {
  it("lists the recorded changes of a namespace in a time window", async () => {
    await sleep(20);
    svc.write("policies.yaml", [dbAllow(5433)]);
    await svc.reread();
    const a = await ask("what changed in prod since 1h");
    const lines = a.markdown.split("\n");
    expect(lines[0]).toBe("**2 changes in `prod` since 1h ago**");
    expect(lines[2]).toMatch(/^- `\d{4}-\d\d-\d\dT\d\d:\d\dZ` CREATE NetworkPolicy `prod\/db-allow` \(seq 1\)$/);
    expect(lines[3]).toMatch(/^- `[^`]+` UPDATE NetworkPolicy `prod\/db-allow` \(seq 2, 2 changes\)$/);
    expect((await ask("what changed in prod in the last 3 days")).markdown).toContain("**2 changes in `prod`");
    expect((await ask("what changed in prod in the last 3 days")).markdown).toMatch(/ in the last 3 days/);
    expect((await ask("what changed in prod in the last 3 days")).markdown).not.toContain("since the last");
    expect((await ask("what changed in many since yesterday")).markdown).toMatch(/^\*\*No changes in `many` since yesterday \(00:00 UTC\)\*\*/);
    expect((await ask("what changed since 2026-01-01")).markdown).toMatch(/^\*\*2 changes since 2026-01-01T00:00:00\.000Z\*\*/);
  });
});

describe("scope: a token sees its namespaces only, and other names look like names that do not exist", () => {
  it("another namespace's workload is not found, and nothing about it is shown", async () => {
    for (const q of ["who can reach prod/db on 5432", "can shop/frontend reach prod/db:5432", "can prod/api reach 203.0.113.7:443", "what changed in prod since 7d", "can shop/frontend reach prod/db"]) {
      const a = await ask(q, shop);
      expect(a.markdown.split("\n")[0], q).toBe("**Not found, or not visible to this token**");
      // The answer may repeat what was asked, never what exists: no resolved kinds, policies, ports or history.
      expect(a.markdown, q).not.toMatch(/\[(Deployment|StatefulSet)\]|db-allow|5433|seq/);
    }
    const missing = await ask("who can reach prod/nonexistent", shop);
    expect(missing.markdown).toContain("no prod/nonexistent visible to this token");
  });

  it("its own workloads: sources outside its namespaces are left out", async () => {
    const a = await ask("who can reach shop/frontend", shop);
    const items = a.markdown.split("\n").filter((l) => l.startsWith("- "));
    expect(items).toEqual(["- `0.0.0.0-255.255.255.255[External]`: All Connections"]);
    expect(a.markdown).toContain("Only namespaces this token may see are shown.");
    const all = await ask("who can reach shop/frontend");
    expect(all.markdown).toContain("can be reached by 28 sources");
    expect(all.markdown).not.toContain("Only namespaces this token may see are shown.");
    expect((await ask("what changed since 7d", shop)).markdown).toMatch(/^\*\*No changes since 7d ago\*\*/);
  });
});

describe("escaping and help", () => {
  it("names from the question are escaped for Slack and Markdown", async () => {
    const a = await ask("who can reach prod/a<b>&c*d*_e_~f~`g`|h");
    expect(a.markdown.split("\n")[0]).toBe("**Not found, or not visible to this token**");
    expect(a.markdown).toContain("no workload prod/a\\<b\\>\\&c\\*d\\*\\_e\\_\\~f\\~\\`g\\`\\|h in cluster rest");
    const slack = slackText(a);
    expect(slack).toContain("no workload prod/a&lt;b&gt;&amp;c*d*_e_~f~`g`|h in cluster rest");
    expect(slack).not.toContain("<b>");
    const unknown = await ask("tell me <b>everything</b> `now`");
    expect(unknown.blocks[0]!.text!.text).toBe("*I did not understand `tell me &lt;b&gt;everything&lt;/b&gt; \u2032now\u2032`. I understand:*");
    // From Slack, "<" arrives as "&lt;" and <!channel> is markup: decoded, then escaped again on the way out.
    const res = await admin("/api/v1/chat", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ text: "<!channel> who can reach prod/&lt;x&gt;&amp;y" }).toString(),
    });
    const fromSlack = slackText((await res.json()) as ChatAnswer);
    expect(fromSlack).toContain("no workload prod/&lt;x&gt;&amp;y in cluster rest");
    expect(fromSlack).not.toMatch(/<[!@#a-z]/);
  });

  it("help, unknown phrasing and an empty question answer 200 with the help", async () => {
    for (const q of ["help", "what is the meaning of life", ""]) {
      const a = await ask(q);
      expect(a.markdown, q).toContain("`who can reach prod/db on 5432`");
      expect(a.markdown, q).toContain("`what changed in prod since yesterday`");
    }
    const invalid = await ask("who can reach prod/db on 99999");
    expect(invalid.markdown).toContain("**I could not read that question**");
    expect(invalid.markdown).toContain("port 99999 is out of range");
  });

  it("CORS is off without server.corsOrigins: no CORS headers, preflights are not answered", async () => {
    const origin = "https://dash.example.com";
    const preflight = await fetch(`${svc.url}/api/v1/chat`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.status).toBe(401);
    const post = await admin("/api/v1/chat", { method: "POST", headers: { origin, "content-type": "application/json" }, body: JSON.stringify({ text: "help" }) });
    expect(post.status).toBe(200);
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a malformed request is 400, an unauthenticated one 401", async () => {
    const post = (body: string, type: string, c = admin) => c("/api/v1/chat", { method: "POST", headers: { "content-type": type }, body });
    expect((await post("who can reach prod/db", "text/plain")).status).toBe(400);
    expect((await post(JSON.stringify({ text: 5 }), "application/json")).status).toBe(400);
    expect((await post(JSON.stringify([1]), "application/json")).status).toBe(400);
    expect((await post("{not json", "application/json")).status).toBe(400);
    expect((await post(JSON.stringify({ text: "x".repeat(1001) }), "application/json")).status).toBe(400);
    const anonymous = await fetch(`${svc.url}/api/v1/chat`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "help" }) });
    expect(anonymous.status).toBe(401);
  });
});
