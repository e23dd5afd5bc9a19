/**
 * The final image's filesystem, assembled in a directory by following the Dockerfile: the `deps`
 * stage is replayed for real (its COPYs from the context, then its RUN commands through `sh -c`,
 * as Docker runs a shell-form RUN), and the final stage's COPYs are applied in order, with the
 * repository standing for the `build` stage (a checkout after `npm ci`: the same sources plus the
 * generated client). The final stage's own RUN (user, /data, package manager removal) is not
 * replayed: the caller provides a data directory owned by the image's user.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { copies, finalStage, instructions, runCommand, stageNamed, REPO, type ParsedDockerfile, type Stage } from "./dockerfile.js";

export interface StagedImage {
  /** The image's WORKDIR (/app). */
  readonly app: string;
}

/** Paths are under /app in every stage (WORKDIR); map one to where that stage lives here. */
function inStage(path: string, stageRoot: string): string {
  if (!path.startsWith("/app/")) throw new Error(`only paths under /app are staged, not ${path}`);
  return join(stageRoot, path.slice("/app/".length));
}

function applyCopies(stage: Stage, target: string, roots: Readonly<Record<string, string>>): void {
  for (const c of copies(stage)) {
    const root = c.from === undefined ? undefined : roots[c.from];
    if (c.from !== undefined && root === undefined) throw new Error(`COPY --from=${c.from}: stage not staged`);
    const sources = c.sources.map((s) => (root === undefined ? join(REPO, s) : inStage(s, root)));
    const dest = join(target, c.dest);
    const intoDirectory = c.dest.endsWith("/") || sources.length > 1;
    for (const source of sources) {
      const to = intoDirectory ? join(dest, basename(source)) : dest;
      mkdirSync(dirname(to), { recursive: true });
      if (c.from === "deps" && basename(source) === "node_modules") renameSync(source, to);
      else cpSync(source, to, { recursive: true });
    }
  }
}

/** Builds the deps stage in `root/deps` and the final image's /app in `root/app`. */
export function stageImage(dockerfile: ParsedDockerfile, root: string): StagedImage {
  const deps = stageNamed(dockerfile, "deps");
  const depsRoot = join(root, "deps");
  mkdirSync(depsRoot, { recursive: true });
  applyCopies(deps, depsRoot, {});
  for (const run of instructions(deps, "RUN")) {
    const command = runCommand(run);
    const env: Record<string, string> = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/root", npm_config_prefer_offline: "true" };
    if (process.env["npm_config_cache"]) env["npm_config_cache"] = process.env["npm_config_cache"];
    const result = spawnSync("sh", ["-c", command], { cwd: depsRoot, env, encoding: "utf8", timeout: 600_000 });
    if (result.status !== 0) throw new Error(`deps stage: RUN ${command}\nexit ${result.status}: ${result.stdout}\n${result.stderr}`);
  }
  const app = join(root, "app");
  mkdirSync(app, { recursive: true });
  applyCopies(finalStage(dockerfile), app, { deps: depsRoot, build: REPO });
  return { app };
}
