/**
 * The repository's Dockerfile, parsed with dockerfile-ast (the parser behind the VS Code Docker
 * language server) into what the tests need: stages, their instructions, and the final image's
 * configuration (user, environment, entrypoint, healthcheck), resolved as Docker would resolve it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DockerfileParser, type Instruction, type ModifiableInstruction, type PropertyInstruction } from "dockerfile-ast";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));

export interface Stage {
  readonly index: number;
  readonly name: string | undefined;
  /** The base image with ARG defaults substituted. */
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

export interface Copy {
  /** `--from` stage name, or undefined for the build context. */
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly dest: string;
}

export interface ParsedDockerfile {
  readonly text: string;
  readonly stages: readonly Stage[];
  /** Global ARG defaults (before the first FROM). */
  readonly args: ReadonlyMap<string, string>;
}

export function readDockerfile(path = join(REPO, "Dockerfile")): ParsedDockerfile {
  return parseDockerfile(readFileSync(path, "utf8"));
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(text);
  const args = new Map<string, string>();
  const stages: Array<{ index: number; name: string | undefined; image: string; instructions: Instruction[] }> = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === "FROM") {
      const [image = "", as, name] = (instruction.getArgumentsContent() ?? "").split(/\s+/);
      stages.push({ index: stages.length, name: as?.toUpperCase() === "AS" ? name : undefined, image: substitute(image, args), instructions: [] });
    } else if (stages.length === 0) {
      if (keyword === "ARG") for (const p of (instruction as PropertyInstruction).getProperties()) args.set(p.getName(), unquote(p.getUnescapedValue()));
    } else stages[stages.length - 1]!.instructions.push(instruction);
  }
  return { text, stages, args };
}

/** A property value as Docker reads it: quotes removed, backslash escapes resolved. */
function unquote(value: string | null): string {
  const v = value ?? "";
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, "$1");
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v;
}

function substitute(value: string, vars: ReadonlyMap<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? "");
}

export function finalStage(d: ParsedDockerfile): Stage {
  return d.stages[d.stages.length - 1]!;
}

export function stageNamed(d: ParsedDockerfile, name: string): Stage {
  const stage = d.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`the Dockerfile has no stage ${name}`);
  return stage;
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.getKeyword() === keyword);
}

/** Exec form (`["node", "x"]`) as its strings; undefined for the shell form. */
export function execForm(text: string | null): string[] | undefined {
  const t = (text ?? "").trim();
  if (!t.startsWith("[")) return undefined;
  const parsed = JSON.parse(t) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) throw new Error(`not an exec form: ${t}`);
  return parsed as string[];
}

/** The shell command of a RUN (continuation lines joined), without its flags. */
export function runCommand(run: Instruction): string {
  const flags = (run as ModifiableInstruction).getFlags().map((f) => f.toString());
  let text = run.getArgumentsContent() ?? "";
  for (const f of flags) text = text.replace(f, "");
  return text.trim();
}

export function copies(stage: Stage): Copy[] {
  return instructions(stage, "COPY").map((c) => {
    const from = (c as ModifiableInstruction).getFlags().find((f) => f.getName() === "from")?.getValue() ?? undefined;
    const parts = (c as ModifiableInstruction).getArguments().map((a) => a.getValue());
    return { from, sources: parts.slice(0, -1), dest: parts[parts.length - 1]! };
  });
}

/** ENV of a stage, later instructions winning. */
export function environment(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of instructions(stage, "ENV")) for (const p of (i as PropertyInstruction).getProperties()) env[p.getName()] = unquote(p.getUnescapedValue());
  return env;
}

export function labels(stage: Stage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of instructions(stage, "LABEL")) for (const p of (i as PropertyInstruction).getProperties()) out[p.getName()] = unquote(p.getUnescapedValue());
  return out;
}

/** The effective value of a single-valued instruction (the last one wins), or undefined. */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return instructions(stage, keyword).at(-1);
}

export interface ImageConfig {
  readonly user: string | undefined;
  readonly workdir: string | undefined;
  readonly env: Record<string, string>;
  readonly entrypoint: string[] | undefined;
  readonly cmd: string[] | undefined;
  readonly healthcheck: { readonly flags: Record<string, string>; readonly cmd: string[] | undefined } | undefined;
  readonly expose: string[];
  readonly stopSignal: string | undefined;
}

/** What `docker inspect` would show for the final image (for the parts this Dockerfile sets). */
export function imageConfig(d: ParsedDockerfile): ImageConfig {
  const stage = finalStage(d);
  const hc = last(stage, "HEALTHCHECK") as ModifiableInstruction | undefined;
  let healthcheck: ImageConfig["healthcheck"];
  if (hc) {
    const flags = Object.fromEntries(hc.getFlags().map((f) => [f.getName(), f.getValue() ?? ""]));
    const rest = runCommand(hc);
    healthcheck = { flags, cmd: rest.startsWith("CMD") ? execForm(rest.slice(3)) : undefined };
  }
  return {
    user: last(stage, "USER")?.getArgumentsContent()?.trim(),
    workdir: last(stage, "WORKDIR")?.getArgumentsContent()?.trim(),
    env: environment(stage),
    entrypoint: execForm(last(stage, "ENTRYPOINT")?.getArgumentsContent() ?? null),
    cmd: execForm(last(stage, "CMD")?.getArgumentsContent() ?? null),
    healthcheck,
    expose: instructions(stage, "EXPOSE").flatMap((i) => i.getArguments().map((a) => a.getValue())),
    stopSignal: last(stage, "STOPSIGNAL")?.getArgumentsContent()?.trim(),
  };
}
