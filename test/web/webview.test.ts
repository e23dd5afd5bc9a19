/**
 * The web view at /ui in a real browser (Debian's chromium through playwright-core), against the
 * real service over HTTP and graphql-ws on PGlite and PostgreSQL. Answers shown are compared with
 * the API's own (the view must show exactly what GraphQL says) and with the example worked out by
 * hand (only default/frontend reaches default/backend, on TCP 80).
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_BACKENDS } from "../api/helpers/backends.js";
import { httpClient, ok } from "../api/helpers/graphql.js";
import { useTestService } from "../api/helpers/service.js";
import { collectProblems, launchChromium, openView } from "./browser.js";
import { ADMIN_TOKEN, SHOP_TOKEN, VIEW_TOKENS, viewFiles } from "./helpers.js";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe.each(API_BACKENDS)("the web view on $name", (backend) => {
  const svc = useTestService(() => ({ backend, name: "webview", files: viewFiles(), tokens: VIEW_TOKENS }));
  const open = async (token: string | undefined) => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const problems = collectProblems(page);
    await openView(page, svc().baseUrl, token);
    return { page, problems, close: () => context.close() };
  };
  const tableIds = async (page: Page) => (await page.getByTestId("workload-table").locator("tbody th").allTextContents()).sort();

  it("loads without console errors and draws every workload of the example", async () => {
    const { page, problems, close } = await open(ADMIN_TOKEN);
    try {
      const api = await ok<{ workloads: { namespace: string; kind: string; name: string }[] }>(httpClient(svc().graphqlUrl, ADMIN_TOKEN), `{ workloads { namespace kind name } }`);
      const ids = api.workloads.map((w) => `${w.namespace}/${w.name}[${w.kind}]`);
      expect(ids).toEqual(expect.arrayContaining(["default/frontend[Deployment]", "default/backend[Deployment]"]));
      const shown = await tableIds(page);
      expect(shown.filter((id) => !id.endsWith("[External]"))).toEqual([...ids].sort());
      expect(await page.getByTestId("graph-canvas").getAttribute("data-nodes")).toBe(String(shown.length));
      expect(await page.getByTestId("status").textContent()).toContain(`generation ${svc().generation()}`);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});
