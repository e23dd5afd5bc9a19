/**
 * Argument parsers and options shared by the commands. Parsers throw commander's
 * InvalidArgumentError, which main turns into exit code 2 (usage) with commander's message.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
// The engine's small modules, not its index: parsing options must not load the whole engine (--help).
import { isProtocol, MAX_PORT, MIN_PORT, type Protocol } from "../engine/model/protocol.js";
import { parseEndpointQuery, type EndpointQuery, type WorkloadQuery } from "../engine/query/resolve.js";

export function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(port >= MIN_PORT && port <= MAX_PORT)) throw new InvalidArgumentError(`a port must be a number from ${MIN_PORT} to ${MAX_PORT}.`);
  return port;
}

export function parseProtocol(text: string): Protocol {
  const p = text.trim().toUpperCase();
  if (!isProtocol(p)) throw new InvalidArgumentError("the protocol must be TCP, UDP or SCTP.");
  return p;
}

/** `NS/NAME` or `NS/NAME[Kind]`. */
export function parseWorkload(text: string): WorkloadQuery {
  const q = parseEndpointQuery(text);
  if (!q || q.type !== "workload") throw new InvalidArgumentError("expected a workload as NS/NAME or NS/NAME[Kind], e.g. default/backend.");
  return q;
}

/** `NS/NAME`, `NS/NAME[Kind]` or an IP address. */
export function parseEndpoint(text: string): EndpointQuery {
  const q = parseEndpointQuery(text);
  if (!q) throw new InvalidArgumentError("expected a workload as NS/NAME (or NS/NAME[Kind]) or an IP address, e.g. default/frontend or 203.0.113.7.");
  return q;
}

export interface InputOptions {
  readonly manifests: string;
  readonly skipInvalid?: boolean;
  readonly verbose?: boolean;
}

/** --manifests, --skip-invalid and --verbose: every command reads the same input the same way. */
export function addInputOptions(cmd: Command): Command {
  return cmd
    .requiredOption("-m, --manifests <path>", "a manifest file or a directory of them (.yaml, .yml, .json; read recursively)")
    .option("--skip-invalid", "leave out objects with errors (listed on stderr) instead of failing")
    .option("-v, --verbose", "report what was read on stderr (shown anyway on a terminal for large inputs: 100 files or 1,000 objects)");
}

/**
 * Output options, as kubectl and netpol-analyzer spell them: `-o, --output FORMAT` and
 * `--output-file FILE`. `-f, --format` is the deprecated spelling of -o (it still works, with a
 * warning); `-o` given a file name (its old meaning) says where the file option went.
 */
export function addOutputOptions<T extends string>(cmd: Command, choices: readonly T[], fallback: T, what = "the result"): Command {
  const parse = () => (value: string) => {
    if ((choices as readonly string[]).includes(value)) return value;
    const hint = /[./\\]/.test(value) ? ` (-o is the output format, as in kubectl; write ${what} to a file with --output-file ${value})` : "";
    throw new InvalidArgumentError(`expected one of ${choices.join(", ")}${hint}.`);
  };
  return cmd
    .addOption(new Option("-o, --output <format>", `output format: ${choices.join(", ")} (default: ${fallback})`).argParser(parse()))
    .option("--output-file <file>", `write ${what} to this file instead of stdout`)
    .addOption(new Option("-f, --format <format>", "deprecated: use -o, --output").argParser(parse()).hideHelp());
}

export interface OutputFlags {
  readonly output?: string;
  readonly outputFile?: string;
  /** Deprecated spelling of --output. */
  readonly format?: string;
}

/** The chosen format and file (undefined: stdout), warning once about a deprecated spelling. */
export function outputOf<T extends string>(flags: OutputFlags, fallback: T, warn: (message: string) => void): { format: T; file: string | undefined } {
  if (flags.format !== undefined) warn(flags.output !== undefined ? "-f/--format is deprecated and ignored: -o/--output is given" : "-f/--format is deprecated: use -o/--output");
  return { format: (flags.output ?? flags.format ?? fallback) as T, file: flags.outputFile };
}

/** Warns on stderr about a deprecated option: the command still runs. */
export function deprecation(io: { stderr: { write(s: string): unknown } }): (message: string) => void {
  return (message) => void io.stderr.write(`warning: ${message}\n`);
}
