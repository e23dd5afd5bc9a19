/**
 * One process per embedded database directory, with real processes: `serve --data-dir D` holds D,
 * and `sync --once` or `audit verify` on D are refused at once (exit 1, the directory and the
 * holder's pid named) without touching the data. A lock left by a process that died (or whose pid
 * now belongs to another process) is recovered. In one process, a second open is refused too.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataDirInUseError, LOCK_FILE, openStore } from "../../src/store/index.js";
import { KubereachProcess, killAll } from "../reliability/helpers/process.js";

const root = mkdtempSync(join(tmpdir(), "kubereach-lock-"));
afterAll(async () => {
  await killAll();
  rmSync(root, { recursive: true, force: true });
});

function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("the embedded database directory lock", () => {
  it("a second process is refused at once, naming the directory and the holder's pid; exit 1", async () => {
    const dir = join(root, "served");
    const serve = KubereachProcess.start("serve", ["serve", "--data-dir", dir, "--port", "0", "--log-level", "info"]);
    try {
      await serve.waitForLog((l) => l.msg === "database ready", "database ready", 180_000);
      const lock = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")) as { pid: number; command: string };
      expect(lock.pid).toBe(serve.pid);
      expect(lock.command).toContain("serve");
      for (const args of [["sync", "--once", "--data-dir", dir], ["audit", "verify", "--data-dir", dir]]) {
        const r = await KubereachProcess.run(args[0]!, args, 60_000);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(`the embedded database ${dir} is in use by process ${serve.pid}`);
        expect(r.stderr).toContain("serve");
      }
      expect(serve.hasExited).toBe(false);
    } finally {
      serve.signal("SIGTERM");
      expect((await serve.waitForExit(30_000)).code).toBe(0);
    }
    expect(existsSync(join(dir, LOCK_FILE)), "released at shutdown").toBe(false);
  }, 300_000);

  it("recovers a stale lock: its holder is dead, or its pid now belongs to another process", async () => {
    const dir = join(root, "stale");
    mkdirSync(dir, { recursive: true });
    const stale = [
      { pid: deadPid(), startedAt: "2020-01-01T00:00:00.000Z", command: "kubereach serve", id: "dead" },
      // A live pid (this test runner) that started at another time than the lock says.
      { pid: process.pid, startTicks: 1, startedAt: "2020-01-01T00:00:00.000Z", command: "kubereach serve", id: "reused" },
    ];
    for (const holder of stale) {
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
      const r = await KubereachProcess.run("sync", ["sync", "--once", "--data-dir", dir, "--log-level", "warn"], 180_000);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    }
  }, 400_000);

  it("in one process, a second open of the same directory is refused until the first is closed", async () => {
    const dir = join(root, "inproc");
    const first = await openStore({ dataDir: dir });
    try {
      const second = openStore({ dataDir: dir });
      await expect(second).rejects.toBeInstanceOf(DataDirInUseError);
      await expect(second).rejects.toThrow(`the embedded database ${dir} is in use by process ${process.pid}`);
    } finally {
      await first.close();
    }
    const again = await openStore({ dataDir: dir });
    await again.close();
  }, 180_000);

  it("an unreadable lock file is reported, not overwritten", async () => {
    const dir = join(root, "garbage");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, LOCK_FILE), "not json");
    await expect(openStore({ dataDir: dir })).rejects.toThrow(`the embedded database ${dir} is locked by ${join(dir, LOCK_FILE)}, which cannot be read`);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe("not json");
  });
});
