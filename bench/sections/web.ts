/**
 * Web view section: the view at /ui in Debian's chromium (playwright-core; WebGL on SwiftShader,
 * no GPU) against the real service (sync + API in one process, embedded PGlite, no tokens).
 * - first useful paint: from navigation start to the first frame of the graph with its data
 *   (performance.now() when the renderer drew it), each run in a fresh browser context;
 * - the namespace view is what a large cluster opens on; switching to the workload view (every
 *   workload and edge drawn) is timed from the choice to the second frame after it;
 * - select-to-update: clicking a workload in the table until the frame after the details and the
 *   graph's highlight are drawn (two animation frames after the click), for 30 workloads;
 * - panning: frames per second while the workload view is dragged for a second.
 * Two clusters: the bundled example (examples/seed) and a generated one of about 2,000 workloads
 * and 30,000 allowed workload pairs (40 namespaces x 50 workloads in 5 tiers, default-deny
 * ingress, each tier admits the next tier of its namespace; tier 0 also admits tier 1 of the next
 * namespace; 3 monitoring workloads reach everything).
 * Targets (issue 15): first useful paint < 2 s (example) and < 5 s (2,000 workloads); select < 200 ms (p95).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { Browser, Page } from "playwright-core";
import { ConfigSchema } from "../../src/app/config.js";
import type { RunningService } from "../../src/app/service.js";
import { launchChromium, waitForFirstDrawn } from "../../test/web/browser.js";
import { fmtInt, fmtMs, median, table } from "../lib/stats.js";
import type { BenchOptions, BenchSection, TargetResult } from "./types.js";

const NAMESPACES = 40;
const PER_NAMESPACE = 50;
const TIERS = 5;
const MONITORS = 3;
const SELECTS = 30;

export const webSection: BenchSection = {
  name: "web",
  description: "the web view in chromium: first useful paint (example; 2,000 workloads / ~30,000 edges), select-to-update, panning",
  run: (options) => runWebBench(options),
};

type Doc = Record<string, unknown>;

function deployment(ns: string, name: string, labels: Record<string, string>): Doc {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns, labels },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "img", ports: [{ containerPort: 8080 }] }] } } },
  };
}

function policy(ns: string, name: string, spec: Doc): Doc {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: ns }, spec };
}

/** The generated cluster as manifest files (one per namespace). */
export function writeLargeCluster(dir: string): { workloads: number } {
  const nsName = (i: number) => `team-${String(i).padStart(2, "0")}`;
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = nsName(n);
    const docs: Doc[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { team: ns } } }];
    for (let w = 0; w < PER_NAMESPACE; w++) docs.push(deployment(ns, `svc-${String(w).padStart(2, "0")}`, { app: `svc-${w}`, tier: `t${w % TIERS}` }));
    docs.push(policy(ns, "default-deny", { podSelector: {}, policyTypes: ["Ingress"] }));
    for (let t = 0; t < TIERS; t++) {
      const from: Doc[] = [
        { podSelector: { matchLabels: { tier: `t${(t + 1) % TIERS}` } } },
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
      ];
      if (t === 0) from.push({ namespaceSelector: { matchLabels: { team: nsName((n + 1) % NAMESPACES) } }, podSelector: { matchLabels: { tier: "t1" } } });
      docs.push(policy(ns, `tier-${t}`, { podSelector: { matchLabels: { tier: `t${t}` } }, policyTypes: ["Ingress"], ingress: [{ from, ports: [{ protocol: "TCP", port: 8080 }] }] }));
    }
    writeFileSync(join(dir, `${ns}.json`), docs.map((d) => JSON.stringify(d)).join("\n---\n"));
  }
  const mon: Doc[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "monitoring" } }];
  for (let m = 0; m < MONITORS; m++) mon.push(deployment("monitoring", `scraper-${m}`, { app: `scraper-${m}` }));
  mon.push(policy("monitoring", "default-deny", { podSelector: {}, policyTypes: ["Ingress"] }));
  writeFileSync(join(dir, "monitoring.json"), mon.map((d) => JSON.stringify(d)).join("\n---\n"));
  return { workloads: NAMESPACES * PER_NAMESPACE + MONITORS };
}

function copyExample(dir: string): void {
  const seed = new URL("../../examples/seed/", import.meta.url).pathname;
  for (const f of readdirSync(seed).filter((n) => n.endsWith(".yaml"))) writeFileSync(join(dir, f), readFileSync(join(seed, f)));
}

async function startOn(dir: string): Promise<RunningService> {
  const config = ConfigSchema.parse({
    clusterId: "bench",
    source: { type: "manifests", path: dir, watch: false },
    database: { dataDir: ":memory:" },
    server: { port: 0, host: "127.0.0.1" },
    sync: {},
    log: { level: "warn" },
  });
  process.env["NODE_ENV"] ??= "production";
  const { startService } = await import("../../src/app/service.js");
  const service = await startService(config, { logger: pino({ level: "warn" }, pino.destination({ dest: "/dev/null", sync: false })) });
  await service.initialSync;
  return service;
}

interface Paint {
  readonly ms: number;
  readonly nodes: number;
  readonly edges: number;
}

async function firstPaint(browser: Browser, url: string): Promise<Paint> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${url}/ui/`);
    await waitForFirstDrawn(page);
    if (errors.length) throw new Error(`the page failed: ${errors.join("; ")}`);
    const ms = Number(await page.evaluate("document.body.dataset.firstDrawnMs"));
    const canvas = page.getByTestId("graph-canvas");
    return { ms, nodes: Number(await canvas.getAttribute("data-nodes")), edges: Number(await canvas.getAttribute("data-edges")) };
  } finally {
    await context.close();
  }
}

/**
 * Clicks each workload's table row; `drawn`: until the next animation frame (React has rendered the
 * details and the renderer has issued its draw calls in its own frame callback, registered first),
 * `presented`: until the frame after that (the compositor has shown it). Checks the details show it.
 */
async function selectTimes(page: Page, count: number): Promise<{ drawn: number[]; presented: number[] }> {
  const ids = (await page.getByTestId("workload-table").locator("tbody th button").allTextContents()).filter((id) => !id.endsWith("[External]"));
  const step = Math.max(1, Math.floor(ids.length / count));
  const chosen = ids.filter((_, i) => i % step === 0).slice(0, count);
  const drawn: number[] = [];
  const presented: number[] = [];
  for (const id of chosen) {
    const [d, p] = (await page.evaluate(`(async (id) => {
      const button = [...document.querySelectorAll('[data-testid=workload-table] tbody th button')].find((b) => b.textContent === id);
      const t0 = performance.now();
      button.click();
      await new Promise((r) => requestAnimationFrame(r));
      const t1 = performance.now();
      await new Promise((r) => requestAnimationFrame(r));
      const shown = document.querySelector('[data-testid=selected-name]')?.textContent;
      if (shown !== id) throw new Error('the details show ' + shown + ', not ' + id);
      return [t1 - t0, performance.now() - t0];
    })(${JSON.stringify(id)})`)) as [number, number];
    drawn.push(d);
    presented.push(p);
    // Let the camera's move to the selection finish, as a user would.
    await page.waitForTimeout(300);
  }
  return { drawn, presented };
}

/** Frames per second while the graph is dragged for about a second. */
async function panFps(page: Page): Promise<number> {
  const box = (await page.getByTestId("graph-canvas").boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.evaluate(`window.__frames = 0; (function tick() { window.__frames++; window.__raf = requestAnimationFrame(tick); })()`);
  const t0 = Date.now();
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 0; i < 60; i++) await page.mouse.move(cx + Math.sin(i / 6) * 200, cy + Math.cos(i / 6) * 120, { steps: 1 });
  await page.mouse.up();
  const seconds = (Date.now() - t0) / 1000;
  const frames = Number(await page.evaluate(`(cancelAnimationFrame(window.__raf), window.__frames)`));
  return frames / seconds;
}

async function runWebBench(options: BenchOptions): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  const browser = await launchChromium();
  try {
    for (const cluster of ["example", "2k"] as const) {
      const dir = mkdtempSync(join(tmpdir(), "kubereach-bench-web-"));
      let service: RunningService | undefined;
      try {
        const syncStart = performance.now();
        if (cluster === "example") copyExample(dir);
        else writeLargeCluster(dir);
        service = await startOn(dir);
        const syncMs = performance.now() - syncStart;
        const url = service.api.url;
        // One untimed load: the server's first answers (world and matrix caches) are not the view's doing.
        await firstPaint(browser, url);
        const paints: Paint[] = [];
        for (let r = 0; r < Math.max(1, options.runs); r++) paints.push(await firstPaint(browser, url));
        const paint = median(paints.map((p) => p.ms));
        const { nodes, edges } = paints[0]!;

        const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
        const page = await context.newPage();
        await page.goto(`${url}/ui/`);
        await waitForFirstDrawn(page);
        // Every workload and edge drawn: from choosing the workload view to the second frame after.
        const workloadView = (await page.evaluate(`(async () => {
          const select = document.querySelector('[data-testid=grouping]');
          const t0 = performance.now();
          const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
          set.call(select, 'workloads');
          select.dispatchEvent(new Event('change', { bubbles: true }));
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          return performance.now() - t0;
        })()`)) as number;
        const selects = await selectTimes(page, cluster === "example" ? 2 : SELECTS);
        const fps = await panFps(page);
        await context.close();

        const p95of = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
        const p95 = p95of(selects.presented);
        console.log(`web ${cluster}: ${fmtInt(nodes)} nodes, ${fmtInt(edges)} edges; sync ${fmtMs(syncMs)}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} cores`);
        console.log(
          table([
            ["measure", "median", "all runs"],
            ["first useful paint", fmtMs(paint), paints.map((p) => fmtMs(p.ms)).join(", ")],
            ["select: drawn (next frame)", fmtMs(median(selects.drawn)), `p95 ${fmtMs(p95of(selects.drawn))}, max ${fmtMs(Math.max(...selects.drawn))} (${selects.drawn.length} selections)`],
            ["select: presented (frame after)", fmtMs(median(selects.presented)), `p95 ${fmtMs(p95)}, max ${fmtMs(Math.max(...selects.presented))}`],
            ["switch to the workload view (all edges)", fmtMs(workloadView), ""],
            ["panning (workload view)", `${fps.toFixed(0)} frames/s`, ""],
          ]),
        );
        const paintLimit = cluster === "example" ? 2000 : 5000;
        results.push({ section: "web", size: cluster, target: `first useful paint < ${paintLimit / 1000} s`, measured: `median ${fmtMs(paint)}`, pass: paint < paintLimit });
        results.push({ section: "web", size: cluster, target: "select-to-update p95 < 200 ms (presented)", measured: `p95 ${fmtMs(p95)}`, pass: p95 < 200 });
      } finally {
        await service?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
  return results;
}
