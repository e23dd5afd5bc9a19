/**
 * The Dockerfile, checked statically (no Docker engine runs here): it lints clean, its final
 * image runs node as PID 1 as a non-root user with production dependencies only, and everything
 * it copies exists and is allowed into the build context. startCommand.test.ts runs what it runs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { copies, finalStage, imageConfig, instructions, labels, parseDockerfile, readDockerfile, REPO, runCommand, stageNamed } from "./dockerfile.js";

const dockerfile = readDockerfile();
const image = imageConfig(dockerfile);
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string; engines: { node: string }; bin: Record<string, string> };

/** .dockerignore as a predicate (the patterns used here: plain paths and `*` globs, no negation). */
function ignoredByDockerignore(path: string): boolean {
  const patterns = readFileSync(join(REPO, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  expect(patterns.some((p) => p.startsWith("!")), ".dockerignore negations are not handled by this check").toBe(false);
  return patterns.some((p) => {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/.*)?$`);
    return re.test(path);
  });
}

describe("Dockerfile", () => {
  it("lints clean with dockerfile-utils, which does flag a broken Dockerfile", () => {
    expect(validate(dockerfile.text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    const broken = "FROM node:20\nRUNN echo\nCMD ['node', 'x.js']\nHEALTHCHECK --interval=abc CMD true\n";
    expect(validate(broken).length).toBeGreaterThanOrEqual(3);
  });

  it("builds in stages from one pinned Node 20 base image", () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(["build", "deps", "runtime"]);
    for (const stage of dockerfile.stages) expect(stage.image).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    const [major, minor] = dockerfile.stages[0]!.image.slice("node:".length).split(".").map(Number);
    const [, wantMajor, wantMinor] = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node)!.map(Number);
    expect(major === wantMajor ? minor! >= wantMinor! : major! > wantMajor!, `base image satisfies engines.node ${pkg.engines.node}`).toBe(true);
  });

  it("installs with npm ci in the build stage, install scripts as allowScripts say, generates the Prisma client and compiles dist/", () => {
    const build = stageNamed(dockerfile, "build");
    const runs = instructions(build, "RUN").map(runCommand);
    expect(runs.some((r) => /\bnpm ci\b/.test(r) && !/--ignore-scripts|--omit/.test(r))).toBe(true);
    // Strict in the image's install; not in .npmrc, which would break `npx kubereach` (see .npmrc).
    expect(runs.some((r) => /\bnpm ci --strict-allow-scripts\b/.test(r))).toBe(true);
    expect(readFileSync(join(REPO, ".npmrc"), "utf8")).not.toMatch(/^strict-allow-scripts=true$/m);
    expect(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).scripts.postinstall).toMatch(/prisma generate.*npm run build/);
    expect(runs.join("\n")).toContain("test -f src/generated/prisma/client.ts");
    expect(runs.join("\n")).toContain("test -f dist/cli/main.js");
  });

  it("puts production dependencies only into the final image", () => {
    const deps = stageNamed(dockerfile, "deps");
    const install = instructions(deps, "RUN").map(runCommand).find((r) => /\bnpm ci\b/.test(r));
    expect(install).toMatch(/--omit=dev/);
    expect(install).toMatch(/devOptional/);
    const final = finalStage(dockerfile);
    const finalCopies = copies(final);
    expect(finalCopies.find((c) => c.dest === "./node_modules")).toEqual({ from: "deps", sources: ["/app/node_modules"], dest: "./node_modules" });
    // Nothing else brings node_modules in, and the final stage installs nothing itself.
    expect(finalCopies.filter((c) => c.sources.some((s) => s.includes("node_modules")))).toHaveLength(1);
    expect(finalCopies.every((c) => c.from !== undefined)).toBe(true);
    expect(instructions(final, "RUN").map(runCommand).join("\n")).not.toMatch(/\b(npm|npx|yarn|pnpm)\s+(ci|install|i|add)\b/);
  });

  it("runs node as PID 1 in exec form, as a non-root numeric user", () => {
    // Node's flags, as `npm start` gives them (docs/configuration.md, "Node's heap"), then the bin.
    expect(image.entrypoint).toEqual(["node", "--max-semi-space-size=64", Object.values(pkg.bin)[0]]);
    expect(image.cmd).toEqual(["serve"]);
    expect(image.user).toMatch(/^[1-9]\d{3,}:[1-9]\d{3,}$/);
    expect(finalStage(dockerfile).instructions.some((i) => /\bnpm (start|run)\b/.test(i.getArgumentsContent() ?? ""))).toBe(false);
    expect(image.stopSignal).toBe("SIGTERM");
    // The user exists in the image with that id, and owns only the data directory.
    const [uid, gid] = image.user!.split(":");
    const setup = instructions(finalStage(dockerfile), "RUN").map(runCommand).join("\n");
    expect(setup).toContain(`useradd --system --uid ${uid} --gid ${gid}`);
    expect(setup).toContain(`chown ${uid}:${gid} /data`);
    expect(image.env["KUBEREACH_DATA_DIR"]).toMatch(/^\/data\//);
  });

  it("declares port, environment, healthcheck and OCI labels", () => {
    expect(image.expose).toEqual(["4000"]);
    expect(image.env).toEqual({ NODE_ENV: "production", KUBEREACH_DATA_DIR: "/data/db", PORT: "4000" });
    expect(image.healthcheck?.cmd?.slice(0, 2)).toEqual(["node", "-e"]);
    expect(image.healthcheck?.cmd?.[2]).toContain("/healthz");
    expect(Object.keys(image.healthcheck!.flags).sort()).toEqual(["interval", "retries", "start-period", "timeout"]);
    const l = labels(finalStage(dockerfile));
    expect(l["org.opencontainers.image.version"]).toBe(pkg.version);
    expect(l["org.opencontainers.image.licenses"]).toBe("Apache-2.0");
    expect(l["org.opencontainers.image.title"]).toBe("kubereach");
  });

  it("copies only what exists, and nothing the .dockerignore keeps out of the context", () => {
    for (const c of dockerfile.stages.flatMap(copies)) {
      for (const source of c.sources) {
        // From the context (the build stage's /app is the context plus what npm ci generates).
        const path = c.from === undefined ? source : source.replace(/^\/app\//, "");
        if (c.from === "deps" || path === ".") continue;
        expect(existsSync(join(REPO, path)), `${source} exists`).toBe(true);
        if (c.from === "build" && path === "dist") continue; // compiled by the build stage's npm ci (postinstall)
        expect(ignoredByDockerignore(path), `${source} is in the build context`).toBe(false);
      }
    }
    for (const secretOrLocal of ["node_modules", ".git", ".env", ".kubereach", "src/generated", "test", "deploy"])
      expect(ignoredByDockerignore(secretOrLocal), `${secretOrLocal} is kept out of the build context`).toBe(true);
    // The runtime needs these, so the build context must have them.
    for (const needed of ["package.json", "package-lock.json", ".npmrc", "prisma/schema.prisma", "prisma.config.ts", "tsconfig.json", "codegen.yml", "schema.graphql", "bin/kubereach.js", "src/cli/main.ts", "examples/seed"])
      expect(ignoredByDockerignore(needed), `${needed} is in the build context`).toBe(false);
  });

  it("the parser resolves exec forms, ARG defaults and stage names as Docker does", () => {
    const d = parseDockerfile('ARG V=1.2.3\nFROM node:${V}-slim AS a\nFROM a\nUSER 10:10\nENTRYPOINT node x.js\nCMD ["y"]\n');
    expect(d.stages.map((s) => [s.name, s.image])).toEqual([["a", "node:1.2.3-slim"], [undefined, "a"]]);
    const config = imageConfig(d);
    expect(config.entrypoint).toBeUndefined(); // shell form: /bin/sh would be PID 1
    expect(config.cmd).toEqual(["y"]);
    expect(config.user).toBe("10:10");
  });
});
