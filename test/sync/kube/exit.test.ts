/**
 * stop() leaves nothing behind: a child process that started, synced, backed off and stopped
 * sources exits on its own (no leaked timers, sockets or pending requests).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/stopAndExit.ts", import.meta.url));

it("a process whose sources were stopped (synced, in backoff, mid-list) exits by itself", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const timeout = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 25_000).unref());
  const result = await Promise.race([exited, timeout]);
  if (result === "hung") child.kill("SIGKILL");
  expect({ result, stdout, stderr }).toEqual({ result: 0, stdout: "done SourceStoppedError\n", stderr: "" });
}, 40_000);
