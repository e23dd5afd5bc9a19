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
    .option("-v, --verbose", "report what was read on stderr (shown anyway when stderr is a terminal)");
}

export function formatOption<T extends string>(choices: readonly T[], fallback: T): Option {
  return new Option("-f, --format <format>", "output format").choices(choices).default(fallback);
}
