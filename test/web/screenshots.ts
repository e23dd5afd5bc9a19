/**
 * Screenshots of each screen of the web view for docs/web-view/ (`npm run screenshots`): the real
 * service on embedded PGlite with the example and the API scenario (and one recorded change, so the
 * history has something to show), and the generated 2,000-workload cluster of the benchmark, in
 * Debian's chromium. Run after `npm run build:ui`.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { Page } from "playwright-core";
import { ConfigSchema } from "../../src/app/config.js";
import { startService } from "../../src/app/service.js";
import { writeLargeCluster } from "../../bench/sections/web.js";
import { PGLITE } from "../api/helpers/backends.js";
import { networkPolicy } from "../api/helpers/manifests.js";
import { startTestService } from "../api/helpers/service.js";
import { launchChromium, openView } from "./browser.js";
import { viewFiles } from "./helpers.js";

const OUT = new URL("../../docs/web-view/", import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
const shot = async (page: Page, name: string) => {
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`docs/web-view/${name}.png`);
};

const browser = await launchChromium();
const svc = await startTestService({ backend: PGLITE, name: "shots", files: viewFiles() });
try {
  svc.manifests.write(
    "seed/backend-allow-frontend.yaml",
    networkPolicy("default", "backend-allow-frontend", {
      podSelector: { matchLabels: { app: "backend" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 8080 }] }],
    }),
  );
  await svc.reread();
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await openView(page, svc.baseUrl, undefined);
  await page.getByTestId("search").fill("default/backend");
  await page.getByTestId("search").press("Enter");
  await shot(page, "graph");
  await page.getByTestId("reached-by").getByRole("button", { name: /^Why can/ }).first().click();
  await page.getByTestId("explanation").waitFor();
  await page.getByTestId("admitted-by").getByRole("button").first().click();
  await page.getByTestId("policy-view").locator("pre").waitFor();
  await shot(page, "why");
  await page.getByRole("button", { name: "Close the policy" }).click();
  await page.getByRole("tab", { name: "History" }).click();
  await page.getByTestId("timeline").locator("li").first().getByRole("button").click();
  await page.getByTestId("opened").waitFor();
  await shot(page, "history");
  await page.getByRole("tab", { name: "Findings" }).click();
  await page.getByTestId("findings").waitFor();
  await shot(page, "findings");
  await page.getByRole("tab", { name: "What-if" }).click();
  await page.getByTestId("whatif-text").fill(JSON.stringify(networkPolicy("default", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] }), null, 2));
  await page.getByTestId("whatif-run").click();
  await page.getByTestId("whatif-result").waitFor();
  await shot(page, "whatif");
} finally {
  await svc.stop();
}

// The large cluster: namespaces when zoomed out, workloads and a selection when zoomed in.
const dir = mkdtempSync(join(tmpdir(), "kubereach-shots-"));
writeLargeCluster(dir);
const big = await startService(
  ConfigSchema.parse({ clusterId: "large", source: { type: "manifests", path: dir, watch: false }, database: { dataDir: ":memory:" }, server: { port: 0, host: "127.0.0.1" }, sync: {}, log: { level: "warn" } }),
  { logger: pino({ level: "silent" }) },
);
try {
  await big.initialSync;
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await openView(page, big.api.url, undefined);
  await shot(page, "graph-2k-namespaces");
  await page.getByTestId("search").fill("team-03/svc-01");
  await page.getByTestId("search").press("Enter");
  await shot(page, "graph-2k-selected");
} finally {
  await big.stop();
  rmSync(dir, { recursive: true, force: true });
  await browser.close();
}
