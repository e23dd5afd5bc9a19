/**
 * installProcessGuards in a real child process: an unhandled rejection is logged through the
 * logger and the process keeps running (Node's default would exit with a bare stack trace).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("installProcessGuards", () => {
  it("logs an unhandled rejection and keeps the process running", () => {
    const script = `
      import { createLogger } from "./src/app/logger.ts";
      import { installProcessGuards } from "./src/cli/processGuards.ts";
      const guards = installProcessGuards(createLogger({ level: "info" }));
      void Promise.reject(new RangeError("Invalid string length"));
      setTimeout(() => { console.log(JSON.stringify({ alive: true, seen: guards.unhandledRejections() })); guards.dispose(); }, 200);
    `;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: expect.stringMatching(/unhandled promise rejection/), err: expect.objectContaining({ message: "Invalid string length" }) }));
    expect(lines).toContainEqual({ alive: true, seen: 1 });
  });

  it("without the guards the same rejection ends the process (the test above can fail)", () => {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", `void Promise.reject(new RangeError("x")); setTimeout(() => console.log("alive"), 200);`], { encoding: "utf8", timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain("alive");
  });
});
