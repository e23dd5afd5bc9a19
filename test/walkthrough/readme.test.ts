/**
 * The README's promise, run for real: in a fresh clone of this repository, the README's first
 * command (`npm install && npm start`) brings up the service on the bundled example with the
 * embedded database, and a GraphQL query answers who can reach the backend (the seed scenario:
 * backend pods accept TCP 80 only from frontend pods). The clone is of the committed HEAD, so this
 * checks what a user gets, not the working tree.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const repo = new URL("../..", import.meta.url).pathname;

function readmeCommands(): { install: string; test: string } {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const block = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const lines = block
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
  return { install: lines[0] ?? "", test: lines[1] ?? "" };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("README walkthrough", () => {
  const dir = mkdtempSync(join(tmpdir(), "kubereach-clone-"));
  let child: ChildProcess | undefined;
  let output = "";
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      // The whole process group (sh, npm, node): a signal to sh alone can leave npm and the server running.
      const group = -child.pid!;
      const exited = new Promise((r) => child!.once("exit", r));
      process.kill(group, "SIGTERM");
      const killer = setTimeout(() => {
        try {
          process.kill(group, "SIGKILL");
        } catch {
          // already gone
        }
      }, 20_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("opens with the install+start command and the test command", () => {
    expect(readmeCommands()).toEqual({ install: "npm install && npm start", test: "npm test" });
  });

  it("`npm install && npm start` in a fresh clone serves the example, and GraphQL answers who can reach the backend", async () => {
    execFileSync("git", ["clone", "--quiet", "--no-hardlinks", repo, join(dir, "kubereach")]);
    const port = await freePort();
    // Exactly the README's command; PORT only avoids colliding with other tests on 4000.
    child = spawn("sh", ["-c", readmeCommands().install], {
      cwd: join(dir, "kubereach"),
      env: { ...process.env, PORT: String(port), npm_config_prefer_offline: "true", npm_config_fund: "false", npm_config_audit: "false", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    try {
      await until("the service to be ready", 280_000, async () => {
        if (child!.exitCode !== null) throw new Error(`npm exited with ${child!.exitCode}:\n${output.slice(-3000)}`);
        const r = await fetch(`${url}/readyz`);
        return r.ok ? true : undefined;
      });
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: '{ whoCanReach(target: {namespace: "default", name: "backend"}) { workload { kind } peers { peer { display } connections { text } } } }' }),
      });
      const body = (await res.json()) as { data?: { whoCanReach: { workload: { kind: string }; peers: { peer: { display: string }; connections: { text: string } }[] } } };
      expect(body.data?.whoCanReach.workload.kind).toBe("Deployment");
      expect(body.data?.whoCanReach.peers.map((p) => `${p.peer.display} : ${p.connections.text}`)).toEqual(["default/frontend[Deployment] : TCP 80"]);
    } finally {
      // The whole process group: npm, and the node process it started.
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
    }
  }, 300_000);
});
