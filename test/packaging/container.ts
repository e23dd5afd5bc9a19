/**
 * Runs a command the way a container runtime would, without one: as PID 1 of a new PID namespace
 * (`unshare --pid --fork`: the kernel then ignores SIGTERM and SIGINT unless the process handles
 * them, exactly as in a container), optionally as another uid/gid (`setpriv`, which execs, so the
 * command keeps PID 1), with only the environment given. Needs root, as CI and the development
 * machines run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface ContainerProcess {
  /** The command's process (PID 1 inside its namespace), as seen from here. */
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** Kills the whole thing (the namespace dies with its PID 1). */
  kill(): void;
}

export interface RunOptions {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** `uid:gid`, numeric, as in a Dockerfile USER. */
  readonly user?: string;
}

export function assertRoot(): void {
  if (process.getuid?.() !== 0) throw new Error("these tests reproduce a container's PID 1 and user with unshare and setpriv: run them as root (CI and the development machines do)");
}

export async function runAsContainer(options: RunOptions): Promise<ContainerProcess> {
  assertRoot();
  const [uid, gid] = options.user ? options.user.split(":") : [];
  const argv = [
    "unshare",
    "--pid",
    "--fork",
    "--kill-child",
    "--",
    ...(options.user ? ["setpriv", `--reuid=${uid}`, `--regid=${gid ?? uid}`, "--clear-groups", "--"] : []),
    ...options.argv,
  ];
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: { ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  // unshare forks the command: find its pid (the only child of unshare).
  const started = Date.now();
  let pid: number | undefined;
  while (pid === undefined) {
    try {
      const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim();
      if (children) pid = Number(children.split(/\s+/)[0]);
    } catch {
      // unshare has not started yet, or has already exited
    }
    if (pid === undefined) {
      if (child.exitCode !== null || Date.now() - started > 10_000) throw new Error(`could not start ${options.argv.join(" ")}:\n${output}`);
      await sleep(20);
    }
  }
  // Wait until setpriv has exec'd the command (its uid changes), so signals reach the command.
  if (options.user) {
    while (!readFileSync(`/proc/${pid}/status`, "utf8").includes(`Uid:\t${uid}\t`)) await sleep(20);
  }
  return {
    pid,
    exited,
    output: () => output,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** The `Uid:` and `NSpid:` lines of a running process (NSpid's last field is its pid inside its namespace). */
export function processStatus(pid: number): { uid: number; gid: number; pidInNamespace: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => status.split("\n").find((l) => l.startsWith(`${name}:`))!.split(/\s+/).slice(1).filter(Boolean).map(Number);
  return { uid: field("Uid")[0]!, gid: field("Gid")[0]!, pidInNamespace: field("NSpid").at(-1)! };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `url` until it answers 200; fails early, with the process output, if the process exits. */
export async function waitForOk(url: string, proc: ContainerProcess, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  let last = "no answer";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the process exited before ${url} answered 200:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return res;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last}):\n${proc.output()}`);
}

/** Sends `signal` and waits for the exit; undefined if it did not exit within `timeoutMs`. */
export async function signalAndWait(proc: ContainerProcess, signal: NodeJS.Signals, timeoutMs: number) {
  process.kill(proc.pid, signal);
  return Promise.race([proc.exited, sleep(timeoutMs).then(() => undefined)]);
}

/** Runs a command to completion (a healthcheck), returning its exit code. */
export function runToExit(argv: readonly string[], env: Readonly<Record<string, string>>, cwd: string, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env: { ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}
