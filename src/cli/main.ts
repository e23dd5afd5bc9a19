/**
 * The kubereach command line. `main` parses argv (process.argv shape: node, script, args...),
 * runs one command and returns the exit code; it never calls process.exit and writes only to the
 * injected io, so tests run it in-process. Exit codes: 0 success (whatever a verdict says),
 * 1 bad input (input errors, unreadable path, unknown workload), 2 usage errors.
 */
import { readFile } from "node:fs/promises";
import { Command, CommanderError } from "commander";
import { isAppError } from "../domain/errors.js";
import { registerAnalyze } from "./commands/analyze.js";
import { registerExplain } from "./commands/explain.js";
import { registerReachableFrom, registerWhoCanReach } from "./commands/whoCanReach.js";
import { registerAudit } from "./commands/audit.js";
import { registerConfig } from "./commands/config.js";
import { registerServe } from "./commands/serve.js";
import { registerSync } from "./commands/sync.js";
import { registerDiff } from "./commands/diff.js";
import { registerFindings } from "./commands/findings.js";
import { registerHistory } from "./commands/history.js";
import { processIo, type CliIo } from "./io.js";

export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;

const PROGRAM_HELP = `
Exit codes: 0 success, 1 bad input (errors in the manifests, unreadable path, unknown workload),
2 usage error (unknown option, missing or invalid argument).

Examples:
  $ kubereach analyze --manifests examples/seed
  $ kubereach explain --manifests examples/seed --from default/frontend --to default/backend --port 80
  $ kubereach who-can-reach default/backend --manifests examples/seed`;

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command("kubereach")
    .description("Kubernetes NetworkPolicy reachability: who can talk to what, and since when")
    .version(await readVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError("(run the command with --help for usage)")
    .addHelpText("after", PROGRAM_HELP);
  registerAnalyze(program, io);
  registerExplain(program, io);
  registerWhoCanReach(program, io);
  registerReachableFrom(program, io);
  registerDiff(program, io);
  registerFindings(program, io);
  registerServe(program, io);
  registerSync(program, io);
  registerHistory(program, io);
  registerAudit(program, io);
  registerConfig(program, io);

  try {
    await program.parseAsync([...argv], { from: "node" });
    return EXIT_OK;
  } catch (e) {
    return exitCodeFor(e, io);
  }
}

function exitCodeFor(e: unknown, io: CliIo): number {
  if (e instanceof CommanderError) {
    // Commander has already printed its message, or the help or version (its exit code 0).
    return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (isAppError(e)) {
    io.stderr.write(`error: ${e.message}\n`);
    return e.code === "USAGE" ? EXIT_USAGE : EXIT_BAD_INPUT;
  }
  // A bug, not an input problem: the stack trace helps whoever reports it.
  io.stderr.write(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT_BAD_INPUT;
}

async function readVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "0.0.0";
}
