/**
 * Where the CLI writes: injected so `main` runs in-process in tests and captures its output.
 * The CLI never calls process.exit; bin/kubereach.js sets the exit code main returns.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { BadInputError } from "../domain/errors.js";

export interface OutputStream {
  write(chunk: string): unknown;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Progress lines are shown only on a terminal (or with --verbose). */
  readonly stderrIsTty: boolean;
  /** Base of relative paths given to -o. */
  readonly cwd: string;
}

let pipesGuarded = false;

export function processIo(): CliIo {
  if (!pipesGuarded) {
    pipesGuarded = true;
    // `kubereach analyze ... | head`: the reader went away; stop quietly instead of crashing with EPIPE.
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
  }
  return { stdout: process.stdout, stderr: process.stderr, stderrIsTty: process.stderr.isTTY === true, cwd: process.cwd() };
}

/** Writes a command's result to stdout, or to `file` when -o is given. */
export async function writeResult(io: CliIo, text: string, file: string | undefined): Promise<void> {
  if (file === undefined || file === "-") {
    io.stdout.write(text);
    return;
  }
  try {
    await writeFile(resolve(io.cwd, file), text);
  } catch (e) {
    throw new BadInputError(`cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
