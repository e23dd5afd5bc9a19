/**
 * Runs a bench task in a fresh Node process, so each measurement starts cold and its memory
 * figures (max RSS, heap) belong to that task alone. The task module must export
 * `run(args): Promise<result>`; args and result travel over the IPC channel (structured clone).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD_MAIN = fileURLToPath(new URL("./childMain.ts", import.meta.url));

export interface ChildOptions {
  /** Extra node flags for this child (e.g. --cpu-prof ...), after the parent's own. */
  readonly execArgv?: readonly string[];
}

export function runInChild<A, R>(taskModule: URL, args: A, options: ChildOptions = {}): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const child = fork(CHILD_MAIN, [taskModule.href, JSON.stringify(args)], {
      // Same flags as this process (--expose-gc, --max-old-space-size, --import tsx).
      execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    let settled = false;
    child.on("message", (msg: { ok: true; result: R } | { ok: false; error: string }) => {
      settled = true;
      if (msg.ok) resolve(msg.result);
      else reject(new Error(`bench task failed in child: ${msg.error}`));
    });
    child.on("error", (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    child.on("exit", (code, signal) => {
      if (!settled) reject(new Error(`bench child exited (code ${code}, signal ${signal}) without a result`));
      settled = true;
    });
  });
}
