/**
 * The web view at /ui in a real browser (Debian's chromium through playwright-core), against the
 * real service over HTTP and graphql-ws on PGlite and PostgreSQL. What the view shows is compared
 * with the API's own answers (it must show exactly what GraphQL says) and with the example worked
 * out by hand (only default/frontend reaches default/backend, on TCP 80). The history test changes
 * the cluster, so it runs last.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { WEB_VIEW_CSP, WEB_VIEW_DIR } from "../../src/api/http/webview.js";
import { API_BACKENDS } from "../api/helpers/backends.js";
import { httpClient, ok } from "../api/helpers/graphql.js";
import { networkPolicy } from "../api/helpers/manifests.js";
import { useTestService } from "../api/helpers/service.js";
import { collectProblems, launchChromium, openView, waitForDrawn } from "./browser.js";
import { ADMIN_TOKEN, SHOP_TOKEN, VIEW_TOKENS, viewFiles } from "./helpers.js";

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(`${WEB_VIEW_DIR}index.html`)) throw new Error(`the web view is not built (${WEB_VIEW_DIR}): run npm run build:ui`);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

type Peers = { peers: { peer: { display: string }; connections: { text: string } }[] };
const PEERS = `peers { peer { display } connections { text } }`;
const lines = (r: Peers) => r.peers.map((p) => `${p.peer.display} ${p.connections.text}`).sort();
/** The peers a details list shows, as `id connections`. */
const shownPeers = async (page: Page, testid: string) =>
  (await page.getByTestId(testid).locator("li").evaluateAll((lis) => lis.map((li) => `${li.querySelector(".link")!.textContent} ${li.querySelector(".conn")!.textContent}`))).sort();

describe.each(API_BACKENDS)("the web view on $name", (backend) => {
  const svc = useTestService(() => ({ backend, name: "webview", files: viewFiles(), tokens: VIEW_TOKENS }));
  const api = (token = ADMIN_TOKEN) => httpClient(svc().graphqlUrl, token);
  const open = async (token: string | undefined) => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const problems = collectProblems(page);
    await openView(page, svc().baseUrl, token);
    return { page, problems, close: () => context.close() };
  };
  const withView = async (token: string | undefined, run: (page: Page, problems: string[]) => Promise<void>) => {
    const v = await open(token);
    try {
      await run(v.page, v.problems);
      expect(v.problems).toEqual([]);
    } finally {
      await v.close();
    }
  };
  const tableIds = async (page: Page) => (await page.getByTestId("workload-table").locator("tbody th").allTextContents()).sort();
  const select = async (page: Page, id: string) => {
    await page.getByTestId("workload-table").getByRole("button", { name: id, exact: true }).click();
    await expect.poll(() => page.getByTestId("selected-name").textContent()).toBe(id);
  };

  it("is served with a strict Content-Security-Policy, and says whether a token is needed", async () => {
    const res = await fetch(`${svc().baseUrl}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(WEB_VIEW_CSP);
    expect(WEB_VIEW_CSP).toContain("script-src 'self'");
    expect(WEB_VIEW_CSP).not.toContain("unsafe");
    const html = await res.text();
    // No inline script, nothing from another origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const redirect = await fetch(`${svc().baseUrl}/ui`, { redirect: "manual" });
    expect([redirect.status, redirect.headers.get("location")]).toEqual([301, "/ui/"]);
    expect(await (await fetch(`${svc().baseUrl}/ui/config.json`)).json()).toEqual({ tokenRequired: true });
    const missing = await fetch(`${svc().baseUrl}/ui/assets/nope.js`);
    expect(missing.status).toBe(404);
  });

  it("loads without console errors and draws every workload of the example", async () => {
    await withView(ADMIN_TOKEN, async (page) => {
      const r = await ok<{ workloads: { namespace: string; kind: string; name: string }[] }>(api(), `{ workloads { namespace kind name } }`);
      const ids = r.workloads.map((w) => `${w.namespace}/${w.name}[${w.kind}]`);
      expect(ids).toEqual(expect.arrayContaining(["default/frontend[Deployment]", "default/backend[Deployment]"]));
      const shown = await tableIds(page);
      expect(shown.filter((id) => !id.endsWith("[External]"))).toEqual([...ids].sort());
      expect(await page.getByTestId("graph-canvas").getAttribute("data-nodes")).toBe(String(shown.length));
      expect(await page.getByTestId("status").textContent()).toContain(`generation ${svc().generation()}`);
      // The canvas is WebGL and has pixels drawn (not a blank element).
      expect(await page.locator("[data-testid=graph-canvas] canvas").count()).toBeGreaterThan(0);
    });
  });

  it("search and selection show who can reach the workload and what it can reach, as the API answers", async () => {
    await withView(ADMIN_TOKEN, async (page) => {
      await page.getByTestId("search").fill("backend");
      const results = await page.getByTestId("search-results").getByRole("button").allTextContents();
      expect(results.sort()).toEqual(["default/backend[Deployment]", "shop/backend[Deployment]"]);
      await page.getByTestId("search-results").getByRole("button", { name: "default/backend[Deployment]" }).click();
      await expect.poll(() => page.getByTestId("selected-name").textContent()).toBe("default/backend[Deployment]");
      // By hand: the example's policy admits the frontend on TCP 80, and nothing else.
      expect(await shownPeers(page, "reached-by")).toEqual(["default/frontend[Deployment] TCP 80"]);
      for (const [ns, name] of [
        ["default", "backend"],
        ["shop", "cache"],
        ["payments", "api"],
      ] as const) {
        await select(page, `${ns}/${name}[Deployment]`);
        const who = await ok<{ whoCanReach: Peers }>(api(), `query($t: WorkloadRef!) { whoCanReach(target: $t) { ${PEERS} } }`, { t: { namespace: ns, name } });
        const from = await ok<{ reachableFrom: Peers }>(api(), `query($t: WorkloadRef!) { reachableFrom(source: $t) { ${PEERS} } }`, { t: { namespace: ns, name } });
        expect(await shownPeers(page, "reached-by"), `${ns}/${name} reached by`).toEqual(lines(who.whoCanReach));
        expect(await shownPeers(page, "reaches"), `${ns}/${name} reaches`).toEqual(lines(from.reachableFrom));
      }
    });
  });

  it("filters by namespace, label selector and port", async () => {
    await withView(ADMIN_TOKEN, async (page) => {
      await page.getByTestId("filter-namespace").selectOption("payments");
      const inPayments = (await tableIds(page)).filter((id) => id.startsWith("payments/"));
      expect(inPayments).toEqual(["payments/api[Deployment]", "payments/ledger[Pod]", "payments/worker[Deployment]"]);
      const edges = await page.getByTestId("edge-table").locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
      expect(edges.length).toBeGreaterThan(0);
      expect(edges.every(([src, dst]) => src!.startsWith("payments/") || dst!.startsWith("payments/"))).toBe(true);
      await page.getByTestId("filter-namespace").selectOption("");

      await page.getByTestId("filter-port").fill("8443");
      const on8443 = await page.getByTestId("edge-table").locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent).join(" ")));
      expect(on8443).toContain("shop/frontend[Deployment] payments/api[Deployment] TCP 8443");
      expect(on8443.some((l) => l.startsWith("shop/frontend[Deployment] shop/backend"))).toBe(false);
      await page.getByTestId("filter-port").fill("80x");
      expect(await page.getByRole("alert").textContent()).toContain("is not a port");
      await page.getByTestId("filter-port").fill("");

      await page.getByTestId("filter-labels").fill("app=frontend");
      await page.getByTestId("filter-labels").press("Enter");
      const frontends = await ok<{ workloads: { namespace: string; kind: string; name: string }[] }>(api(), `{ workloads(labelSelector: "app=frontend") { namespace kind name } }`);
      const ids = frontends.workloads.map((w) => `${w.namespace}/${w.name}[${w.kind}]`);
      expect(ids.length).toBe(2);
      const edgeEnds = () => page.getByTestId("edge-table").locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.children[0]!.textContent!, tr.children[1]!.textContent!]));
      await expect.poll(async () => (await edgeEnds()).every(([src, dst]) => ids.includes(src) || ids.includes(dst))).toBe(true);
      const shown = await tableIds(page);
      for (const id of ids) expect(shown).toContain(id);
      await page.getByTestId("filter-labels").fill("app in (");
      await page.getByTestId("filter-labels").press("Enter");
      await expect.poll(() => page.getByRole("alert").textContent()).toContain("labelSelector");
    });
  });

  it("explains a connection, linked to the policies it names", async () => {
    await withView(ADMIN_TOKEN, async (page) => {
      await select(page, "default/backend[Deployment]");
      await page.getByTestId("reached-by").getByRole("button", { name: /^Why can default\/frontend/ }).click();
      await expect.poll(() => page.getByTestId("verdict").textContent()).toBe("ALLOWED");
      const api1 = await ok<{ canConnect: { allowed: string; explanation: { summary: string[] } } }>(
        api(),
        `{ canConnect(from: { workload: { namespace: "default", name: "frontend" } }, to: { workload: { namespace: "default", name: "backend" } }, port: 80) { allowed explanation { summary } } }`,
      );
      expect(await page.getByTestId("why-summary").locator("li").allTextContents()).toEqual(api1.canConnect.explanation.summary);
      expect(await page.getByTestId("admitted-by").textContent()).toContain("NetworkPolicy default/backend-allow-frontend");
      await page.getByTestId("admitted-by").getByRole("button", { name: "NetworkPolicy default/backend-allow-frontend" }).click();
      await expect.poll(() => page.getByTestId("policy-view").locator("pre").textContent()).toContain('"app": "frontend"');

      // Asked in the form: denied, with the isolating policy named.
      await page.getByTestId("why-from").fill("shop/probe[Pod]");
      await page.getByTestId("why-to").fill("default/backend");
      await page.getByTestId("why-port").fill("80");
      await page.getByRole("button", { name: "Explain" }).click();
      await expect.poll(() => page.getByTestId("verdict").textContent()).toBe("DENIED");
      expect(await page.getByTestId("isolated-by").textContent()).toContain("NetworkPolicy default/backend-allow-frontend");
      await page.getByTestId("why-to").fill("not a workload");
      await page.getByRole("button", { name: "Explain" }).click();
      await expect.poll(() => page.getByRole("alert").textContent()).toContain("write namespace/name");
    });
  });

  it("lists the findings with links to their objects", async () => {
    await withView(ADMIN_TOKEN, async (page) => {
      await page.getByRole("tab", { name: "Findings" }).click();
      const r = await ok<{ findings: { findings: { kind: string; message: string }[] } }>(api(), `{ findings(minSeverity: LOW) { findings { kind message } } }`);
      expect(r.findings.findings.length).toBeGreaterThan(0);
      await expect.poll(() => page.getByTestId("findings").locator(":scope > li").count()).toBe(r.findings.findings.length);
      const texts = await page.getByTestId("findings").locator(":scope > li").allTextContents();
      r.findings.findings.forEach((f, i) => expect(texts[i]).toContain(f.message));
      // A workload named by a finding opens it in the graph.
      const link = page.getByTestId("findings").getByRole("button", { name: /\[(Deployment|Pod|StatefulSet)\]$/ }).first();
      const id = await link.textContent();
      await link.click();
      await expect.poll(() => page.getByTestId("selected-name").textContent()).toBe(id);
    });
  });

  it("what-if shows the difference a pasted policy would make, as simulate computes it", async () => {
    await withView(ADMIN_TOKEN, async (page) => {
      await page.getByRole("tab", { name: "What-if" }).click();
      const manifest = JSON.stringify(networkPolicy("default", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] }));
      await page.getByTestId("whatif-text").fill(manifest);
      await page.getByTestId("whatif-run").click();
      await page.getByTestId("whatif-result").waitFor();
      const sim = await ok<{ simulate: { lostTotal: number; changes: { src: { display: string }; dst: { display: string } }[] } }>(
        api(),
        `mutation($m: String!) { simulate(manifests: $m) { lostTotal changes { src { display } dst { display } } } }`,
        { m: manifest },
      );
      expect(sim.simulate.lostTotal).toBeGreaterThan(0);
      expect(await page.getByTestId("whatif-result").textContent()).toContain(`${sim.simulate.lostTotal} lose`);
      const rows = await page.getByTestId("whatif-changes").locator("tbody tr").evaluateAll((trs) => trs.map((tr) => `${tr.children[1]!.textContent} -> ${tr.children[2]!.textContent}`));
      expect(rows).toEqual(sim.simulate.changes.map((c) => `${c.src.display} -> ${c.dst.display}`));
      // The example's frontend was open to all: the default-deny closes it (its backend keeps its own policy's rule).
      expect(rows).toContain("default/backend[Deployment] -> default/frontend[Deployment]");
      expect(rows).not.toContain("default/frontend[Deployment] -> default/backend[Deployment]");
      // Nothing was applied.
      expect(await page.getByTestId("status").textContent()).toContain(`generation ${svc().generation()}`);
    });
  });

  it("a token scoped to shop sees only shop (and external ranges), on every screen", async () => {
    await withView(SHOP_TOKEN, async (page) => {
      const ids = await tableIds(page);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.every((id) => id.startsWith("shop/") || id.endsWith("[External]"))).toBe(true);
      expect(ids.filter((id) => id.startsWith("shop/"))).toEqual(["shop/backend[Deployment]", "shop/cache[Deployment]", "shop/db[Deployment]", "shop/db[StatefulSet]", "shop/frontend[Deployment]", "shop/probe[Pod]"]);
      for (const tab of ["History", "Findings"]) {
        await page.getByRole("tab", { name: tab }).click();
        await page.waitForLoadState("networkidle");
      }
      for (const tab of ["Graph", "History", "Findings"]) {
        await page.getByRole("tab", { name: tab }).click();
        const text = await page.locator("main").innerText();
        expect(text, tab).not.toContain("payments/");
        expect(text, tab).not.toContain("default/");
      }
    });
  });

  it("asks for a token before sending any query, and says when one is refused", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems = collectProblems(page);
      await page.goto(`${svc().baseUrl}/ui/`);
      await page.getByTestId("need-token").waitFor();
      await page.waitForLoadState("networkidle");
      expect(problems).toEqual([]);
      expect(await page.getByTestId("graph-canvas").count()).toBe(0);
      await page.getByTestId("token").fill("wrong-token");
      await page.getByRole("button", { name: "Use token" }).click();
      await expect.poll(() => page.getByTestId("error").textContent()).toContain("token");
    } finally {
      await context.close();
    }
  });

  it("shows the timeline with impacts, what a change opened and closed, the graph as it was, and live updates", async () => {
    await withView(ADMIN_TOKEN, async (page) => {
      await page.getByRole("tab", { name: "History" }).click();
      await page.getByTestId("timeline").waitFor();
      const before = await page.getByTestId("timeline").locator("li").count();
      expect(before).toBeGreaterThan(0);
      const drawn = Number(await page.evaluate("document.body.dataset.drawn"));

      // A change while the page is open: the subscription brings the new generation, graph and timeline.
      const s = svc();
      s.manifests.write("seed/backend-allow-frontend.yaml", networkPolicy("default", "backend-allow-frontend", {
        podSelector: { matchLabels: { app: "backend" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 8080 }] }],
      }));
      const g = await s.reread();
      await expect.poll(() => page.getByTestId("status").textContent(), { timeout: 15_000 }).toContain(`generation ${g}`);
      await waitForDrawn(page, drawn + 1);
      await expect.poll(() => page.getByTestId("timeline").locator("li").count(), { timeout: 15_000 }).toBe(before + 1);
      const newest = page.getByTestId("timeline").locator("li").first();
      expect(await newest.textContent()).toContain("UPDATE NetworkPolicy default/backend-allow-frontend");
      await expect.poll(() => newest.textContent(), { timeout: 15_000 }).toContain("+1");
      await newest.getByRole("button").click();
      const opened = await page.getByTestId("opened").locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
      expect(opened).toEqual([["default/frontend[Deployment]", "default/backend[Deployment]", "TCP 8080", "TCP 80", "TCP 80,8080"]]);

      // Back in time: the first position of the slider is the cluster after its first change.
      await page.getByTestId("time-slider").fill("0");
      await page.getByTestId("time-travel").waitFor();
      await waitForDrawn(page, drawn + 2);
      await expect.poll(() => page.getByTestId("status").textContent()).toMatch(/generation \d+ \(as of/);
      const past = Number(/generation (\d+)/.exec((await page.getByTestId("status").textContent())!)![1]);
      expect(past).toBeLessThan(g);
      await page.getByRole("tab", { name: "Graph" }).click();
      await select(page, "default/backend[Deployment]");
      // As it was before the change: TCP 80 only.
      expect(await shownPeers(page, "reached-by")).toEqual(["default/frontend[Deployment] TCP 80"]);
      await page.getByTestId("time-travel").getByRole("button", { name: "Back to live" }).click();
      await expect.poll(() => page.getByTestId("status").textContent()).toContain(`generation ${g}`);
      await expect.poll(() => shownPeers(page, "reached-by")).toEqual(["default/frontend[Deployment] TCP 80,8080"]);
    });
  }, 120_000);
});
