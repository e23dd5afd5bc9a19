/**
 * `serve` fails fast, in plain words, with real processes: configuration (unknown keys included)
 * is checked and the port bound before the database is opened, so a busy port, a refused or bad
 * host, or a misspelt setting ends the process with exit 1 and one line saying what to change,
 * without creating the embedded database. A good start says what it is doing, in order.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubereachProcess, killAll } from "../reliability/helpers/process.js";

const root = mkdtempSync(join(tmpdir(), "kubereach-failfast-"));
const TOKENS = { KUBEREACH_TOKENS: `ci:${"a".repeat(64)}` };
let busy: Server;
let busyPort = 0;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await killAll();
  await new Promise<void>((r) => busy.close(() => r()));
  rmSync(root, { recursive: true, force: true });
});

async function serve(name: string, args: string[], env: Record<string, string> = {}) {
  const dataDir = join(root, name);
  const p = KubereachProcess.start(name, ["serve", "--data-dir", dataDir, ...args], { PORT: "", HOST: "", KUBEREACH_TOKENS: "", ...env });
  const exit = await p.waitForExit(60_000);
  const stderr = p.output().split("--- stderr ---\n")[1] ?? "";
  return { code: exit.code, stderr, output: p.output(), dbCreated: existsSync(dataDir) };
}

describe("serve fails fast", () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ["busy-port", ["--port", "BUSY"], {}, /^error: cannot listen on 127\.0\.0\.1:\d+: the port is already in use \(another kubereach\?\)\. Stop that process, or choose another port \(--port, PORT or server\.port\)\.\n$/],
    ["no-tokens", ["--host", "0.0.0.0"], {}, /^error: refusing to listen on 0\.0\.0\.0 without API tokens: .*KUBEREACH_TOKENS/],
    ["not-here", ["--host", "192.0.2.1", "--port", "0"], TOKENS, /^error: cannot listen on 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this machine/],
    ["no-such-host", ["--host", "no-such-host.invalid", "--port", "0"], TOKENS, /^error: cannot listen on no-such-host\.invalid:0: no such host name "no-such-host\.invalid"/],
  ];
  for (const [name, args, env, message] of cases)
    it(`${name}: exit 1, one plain line, no database opened`, async () => {
      const r = await serve(name, args.map((a) => (a === "BUSY" ? String(busyPort) : a)), env);
      expect(r.code, r.output).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.dbCreated, "the embedded database was not touched").toBe(false);
    }, 90_000);

  it("a misspelt or misplaced configuration key is an error naming it and the likely intended one", async () => {
    const file = join(root, "kubereach.yaml");
    writeFileSync(file, ["srever:", "  port: 4001", "server:", "  token:", `    - name: ci`, `      sha256: "${"a".repeat(64)}"`, "  tokens:", "    - nmae: x", "port: 4002", "source:", "  type: manifests", "  path: .", "  wacth: true", ""].join("\n"));
    const r = await serve("typo", ["--config", file]);
    expect(r.code, r.output).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe("error: invalid configuration:");
    expect(lines.slice(1)).toEqual([
      `  - config file ${file}: unknown setting srever (did you mean server?)`,
      `  - config file ${file}: unknown setting server.token (did you mean server.tokens?)`,
      `  - config file ${file}: unknown setting server.tokens[0].nmae (did you mean server.tokens[0].name?)`,
      `  - config file ${file}: unknown setting port (did you mean server.port?)`,
      `  - config file ${file}: unknown setting source.wacth (did you mean source.watch?)`,
    ]);
    expect(r.dbCreated).toBe(false);
  }, 90_000);

  it("says what it is doing while it starts: port bound, database opening, database ready, API listening", async () => {
    const p = KubereachProcess.start("progress", ["serve", "--data-dir", join(root, "progress"), "--port", "0", "--log-level", "info"], { PORT: "", HOST: "" });
    try {
      await p.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("API listening"), "API listening", 180_000);
      const msgs = p.logs().map((l) => String(l.msg));
      const at = (re: RegExp) => msgs.findIndex((m) => re.test(m));
      const order = [at(/^port \d+ bound on 127\.0\.0\.1/), at(/^opening the database: embedded, in .*progress/), at(/^database ready$/), at(/^API listening/)];
      expect(order.every((i) => i >= 0), msgs.join("\n")).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      await p.waitForLog((l) => l.msg === "initial sync done", "initial sync done", 60_000);
    } finally {
      p.signal("SIGTERM");
      await p.waitForExit(30_000);
    }
  }, 240_000);

  it("SIGTERM while it starts (database opening, initial sync) ends it promptly with exit 0", async () => {
    for (const [name, at] of [["term-db", "opening the database"], ["term-sync", "database ready"]] as const) {
      const p = KubereachProcess.start(name, ["serve", "--data-dir", join(root, name), "--port", "0", "--log-level", "info"], { PORT: "", HOST: "" });
      await p.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith(at), at, 180_000);
      p.signal("SIGTERM");
      expect((await p.waitForExit(60_000)).code, p.output()).toBe(0);
    }
  }, 400_000);
});
