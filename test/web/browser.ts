/**
 * Debian's chromium driven by playwright-core, for the web view's tests, screenshots and benchmark.
 * Never downloads a browser: CHROMIUM (default /usr/bin/chromium, `apt-get install chromium`) must
 * exist, or this throws (tests fail, they do not skip). WebGL runs on SwiftShader (no GPU here).
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type ConsoleMessage, type Page } from "playwright-core";

export const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM to its path)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      // WebGL without a GPU: ANGLE on SwiftShader, which Chromium only allows when asked.
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
      "--ignore-gpu-blocklist",
    ],
  });
}

/** Console errors, page errors and failed requests of a page, to assert there are none. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  page.on("response", (r) => {
    if (r.status() < 400) return;
    const line = `HTTP ${r.status()}: ${r.request().method()} ${r.url()}`;
    problems.push(line);
    // What was asked and answered, for the failure message.
    void r.text().then(
      (body) => (problems[problems.indexOf(line)] = `${line} ${r.request().postData() ?? ""} -> ${body}`),
      () => undefined,
    );
  });
  return problems;
}

/** Opens /ui, enters the token and waits until the graph is drawn. */
export async function openView(page: Page, baseUrl: string, token: string | undefined): Promise<void> {
  await page.goto(`${baseUrl}/ui/`);
  if (token) {
    await page.getByTestId("token").fill(token);
    await page.getByRole("button", { name: "Use token" }).click();
  }
  await waitForDrawn(page, 1);
}

/** Waits until the graph has been drawn `times` times since the page loaded (each load of a graph draws once). */
export async function waitForDrawn(page: Page, times: number): Promise<void> {
  await page.waitForFunction(`Number(document.body.dataset.drawn || 0) >= ${times}`, undefined, { timeout: 30_000 });
}
