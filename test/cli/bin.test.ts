/** The real executable, in a child process: what `npx kubereach` and `npm start` run. */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/kubereach.js", import.meta.url));
const SEED_EXPECTED = await readFile(new URL("../fixtures/scenarios/seed/expected.txt", import.meta.url), "utf8");

function run(file: string, args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd, env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("bin/kubereach.js", () => {
  it("`node bin/kubereach.js analyze --manifests examples/seed` (npm start) prints the seed connectivity", async () => {
    expect(await run(process.execPath, [BIN, "analyze", "--manifests", "examples/seed"], ROOT)).toEqual({ code: 0, stdout: SEED_EXPECTED, stderr: "" });
  });

  it("runs as an executable from any directory, as npx does", async () => {
    const r = await run(BIN, ["who-can-reach", "default/backend", "--manifests", `${ROOT}examples/seed`], tmpdir());
    expect(r).toEqual({ code: 0, stdout: "default/frontend[Deployment] : TCP 80\n", stderr: "" });
  });

  it("sets the process exit code: 2 for a usage error, 1 for a missing path, without a stack trace", async () => {
    const usage = await run(process.execPath, [BIN, "analyze"], ROOT);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("required option '-m, --manifests <path>' not specified");
    const missing = await run(process.execPath, [BIN, "analyze", "--manifests", "does/not/exist"], ROOT);
    expect(missing).toEqual({ code: 1, stdout: "", stderr: "error: does/not/exist: no such file or directory\n" });
  });
});
