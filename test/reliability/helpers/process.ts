/**
 * The real `kubereach` executable as a child process (`node bin/kubereach.js ...`, through tsx as
 * users run it): output captured, pino JSON log lines parsed, signals sent by pid. Every process
 * started here is registered, so a test file can kill whatever is left in afterAll.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BIN = fileURLToPath(new URL("../../../bin/kubereach.js", import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A parsed pino log line. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly time?: string;
  readonly [key: string]: unknown;
}

const running = new Set<KubereachProcess>();

export class KubereachProcess {
  private readonly child: ChildProcess;
  private stdout = "";
  private stderr = "";
  private exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();

  private constructor(
    readonly name: string,
    readonly args: readonly string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => (this.stdout += d));
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.exited = new Promise<Exit>((resolve) =>
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      }),
    );
    running.add(this);
  }

  /** Starts `node bin/kubereach.js <args>`. */
  static start(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): KubereachProcess {
    return new KubereachProcess(name, args, env);
  }

  /** Runs a command to its end (with a deadline, after which it is killed and the call fails). */
  static async run(name: string, args: readonly string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const p = KubereachProcess.start(name, args);
    const exit = await p.waitForExit(timeoutMs);
    return { code: exit.code, stdout: p.stdout, stderr: p.stderr };
  }

  get pid(): number {
    return this.child.pid!;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** stdout and stderr so far (for failure messages). */
  output(): string {
    return `--- ${this.name} (pid ${this.child.pid}) stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** The JSON log lines written so far (stdout for serve, stderr for the CLI commands). */
  logs(): LogLine[] {
    const out: LogLine[] = [];
    for (const line of `${this.stdout}\n${this.stderr}`.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        out.push(JSON.parse(line) as LogLine);
      } catch {
        // a line cut by SIGKILL
      }
    }
    return out;
  }

  /** Waits for a log line matching `predicate`; fails early if the process exits. */
  async waitForLog(predicate: (l: LogLine) => boolean, what: string, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.logs().find(predicate);
      if (hit) return hit;
      if (this.exit) throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before logging ${what}\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${this.name} to log ${what}\n${this.output()}`);
      await sleep(50);
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exit) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Waits for the exit; after the deadline the process is killed and the call fails. */
  async waitForExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === "timeout") {
      await this.kill();
      throw new Error(`${this.name} did not exit within ${timeoutMs} ms\n${this.output()}`);
    }
    return result;
  }

  /** SIGKILL (after SIGCONT, in case it is stopped) and wait for the exit. */
  async kill(): Promise<Exit> {
    if (!this.exit) {
      this.signal("SIGCONT");
      this.signal("SIGKILL");
    }
    return this.exited;
  }

  /** The process state letter from /proc (R, S, T for stopped, Z...). */
  state(): string {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    } catch {
      return "gone";
    }
  }
}

/** Kills every process started through this module that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill()));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls an async predicate until it holds. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
    await sleep(intervalMs);
  }
}
