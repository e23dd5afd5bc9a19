/** Runs the CLI in-process with captured output (no process is spawned, nothing exits). */
import { main } from "../../src/cli/main.js";
import type { CliIo } from "../../src/cli/io.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(args: readonly string[], options: { stderrIsTty?: boolean; cwd?: string } = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stderrIsTty: options.stderrIsTty ?? false,
    cwd: options.cwd ?? process.cwd(),
  };
  const code = await main(["node", "kubereach", ...args], io);
  return { code, stdout, stderr };
}
