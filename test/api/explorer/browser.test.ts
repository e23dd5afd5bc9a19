/**
 * The explorer in a real browser (Debian's chromium, headless) against a real `kubereach serve`
 * process: it must open clean. Every request the page makes is read back from the server's own
 * request log (debug level logs each one with its status): none may fail (no 400 from a refused
 * introspection query, no favicon 404), and the page must say how to turn the schema docs on in
 * kubereach's terms, never Apollo's. With KUBEREACH_INTROSPECTION=true the page fetches the schema.
 * chromium is required (.ci/run installs it): without it these tests fail.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KubereachProcess, killAll } from "../../reliability/helpers/process.js";

const CHROMIUM = process.env.KUBEREACH_CHROMIUM ?? "/usr/bin/chromium";
const root = mkdtempSync(join(tmpdir(), "kubereach-explorer-"));
afterAll(async () => {
  await killAll();
  rmSync(root, { recursive: true, force: true });
});

interface HttpLine {
  component?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
}

async function openExplorer(name: string, env: Record<string, string>): Promise<{ dom: string; requests: Array<{ method: string; url: string; status: number }> }> {
  expect(existsSync(CHROMIUM), `chromium is needed at ${CHROMIUM} (apt-get install chromium)`).toBe(true);
  const serve = KubereachProcess.start(name, ["serve", "--data-dir", join(root, name), "--port", "0", "--log-level", "debug"], { PORT: "", HOST: "", KUBEREACH_TOKENS: "", ...env });
  try {
    const line = await serve.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("API listening"), "API listening", 180_000);
    await serve.waitForLog((l) => l.msg === "initial sync done", "initial sync done", 60_000);
    const url = `http://127.0.0.1:${String(line["port"])}/explorer`;
    const browser = spawnSync(
      CHROMIUM,
      ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${join(root, `${name}-profile`)}`, "--virtual-time-budget=8000", "--dump-dom", url],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(browser.status, browser.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 300)); // the server's last log lines
    const requests = (serve.logs() as HttpLine[])
      .filter((l) => l.component === "http" && l.req && l.res)
      .map((l) => ({ method: l.req!.method, url: l.req!.url, status: l.res!.statusCode }));
    return { dom: browser.stdout, requests };
  } finally {
    serve.signal("SIGTERM");
    await serve.waitForExit(30_000);
  }
}

describe("the explorer in a browser", () => {
  it("opens clean with introspection off: no failed request, and says how to turn schema docs on", async () => {
    const { dom, requests } = await openExplorer("off", {});
    expect(requests.map((r) => r.url)).toContain("/explorer/assets/explorer.js");
    expect(requests.filter((r) => r.status >= 400), JSON.stringify(requests)).toEqual([]);
    expect(requests.some((r) => r.url.includes("favicon"))).toBe(false);
    expect(requests.filter((r) => r.method === "POST" && r.url === "/graphql"), "no introspection query").toEqual([]);
    expect(dom).toContain("graphiql-container");
    expect(dom).toContain("Turn them on with KUBEREACH_INTROSPECTION=true, or server.introspection: true in the config file");
    expect(dom).not.toMatch(/introspection is not allowed|ApolloServer/i);
  }, 300_000);

  it("with KUBEREACH_INTROSPECTION=true the page loads the schema, still without a failed request", async () => {
    const { dom, requests } = await openExplorer("on", { KUBEREACH_INTROSPECTION: "true" });
    expect(requests.filter((r) => r.status >= 400), JSON.stringify(requests)).toEqual([]);
    expect(requests.filter((r) => r.method === "POST" && r.url === "/graphql" && r.status === 200).length).toBeGreaterThan(0);
    expect(dom).toContain("graphiql-container");
    expect(dom).not.toContain("Schema docs and completion are off");
  }, 300_000);
});
