/**
 * The details' peer lists on a workload with more peers than they show at first: hub/target is wide
 * open, so the 105 workloads of `many` (which deny ingress among themselves) and the external range
 * reach it. The list shows the first 100 with exact counts and a "Show all" button; all of them
 * then equal the API's whoCanReach; another selection starts short again. One backend: this is the
 * view's own behaviour.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PGLITE } from "../api/helpers/backends.js";
import { httpClient, ok } from "../api/helpers/graphql.js";
import { namespace, networkPolicy, workload, type Manifest } from "../api/helpers/manifests.js";
import { useTestService } from "../api/helpers/service.js";
import { collectProblems, launchChromium, openView } from "./browser.js";

vi.setConfig({ testTimeout: 120_000 });
const poll = <T,>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000 });

const MANY = 105;

function files(): Record<string, Manifest[]> {
  const many: Manifest[] = [namespace("many"), networkPolicy("many", "deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] })];
  for (let i = 0; i < MANY; i++) many.push(workload("many", `w${String(i).padStart(3, "0")}`, { labels: { app: `w${i}` } }));
  return { "hub.yaml": [namespace("hub"), workload("hub", "target", { labels: { app: "target" } })], "many.yaml": many };
}

type Peers = { peers: { peer: { display: string }; connections: { text: string } }[] };
const shownPeers = async (page: Page, testid: string) =>
  (await page.getByTestId(testid).locator("li").evaluateAll((lis) => lis.map((li) => `${li.querySelector(".link")!.textContent} ${li.querySelector(".conn")!.textContent}`))).sort();

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe("the details' peer lists", () => {
  const svc = useTestService(() => ({ backend: PGLITE, name: "webpeers", files: files() }));

  it("show the first 100 peers with exact counts, all of them on demand, and start short again on another selection", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    try {
      const page = await context.newPage();
      const problems = collectProblems(page);
      await openView(page, svc().baseUrl, undefined);
      const who = await ok<{ whoCanReach: Peers }>(httpClient(svc().graphqlUrl), `{ whoCanReach(target: { namespace: "hub", name: "target" }) { peers { peer { display } connections { text } } } }`);
      const expected = who.whoCanReach.peers.map((p) => `${p.peer.display} ${p.connections.text}`).sort();
      expect(expected.length).toBeGreaterThan(MANY);

      const select = async (id: string) => {
        await page.getByTestId("search").fill(id.split("[")[0]!);
        await page.getByTestId("search-results").getByRole("button", { name: id, exact: true }).click();
        await poll(() => page.getByTestId("selected-name").textContent()).toBe(id);
      };
      await select("hub/target[Deployment]");
      expect(await page.getByTestId("reached-by").locator("li").count()).toBe(100);
      expect(await page.getByRole("heading", { name: /^Who can reach it/ }).textContent()).toBe(`Who can reach it (${expected.length})`);
      const all = page.getByTestId("reached-by-all");
      expect(await all.textContent()).toBe(`Show all ${expected.length}`);
      await all.click();
      await poll(() => shownPeers(page, "reached-by")).toEqual(expected);
      expect(await all.count()).toBe(0);

      // Another workload with few peers: no button; back to the hub: the short list again.
      await select("many/w000[Deployment]");
      expect(await page.getByTestId("reached-by-all").count()).toBe(0);
      await select("hub/target[Deployment]");
      expect(await page.getByTestId("reached-by").locator("li").count()).toBe(100);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
