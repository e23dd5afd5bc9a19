/**
 * Start-up: each command loads only what it needs, from the compiled JavaScript in dist/. Checked
 * by recording every module a real `node bin/kubereach.js ...` process resolves (no timing in
 * tests: `npm run bench:startup` measures). --help must not load the engine's heavy parts, Apollo,
 * Express, Prisma, PGlite, the Kubernetes client, zod or tsx; analyze not the service's parts.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "kubereach-startup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loaded(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; modules: string[] } {
  const log = join(dir, `imports-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(process.execPath, ["--import", join(REPO, "test/helpers/recordImports.mjs"), join(REPO, "bin/kubereach.js"), ...args], {
    cwd: REPO,
    env: { ...process.env, KUBEREACH_IMPORT_LOG: log, ...env },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, modules: readFileSync(log, "utf8").split("\n") };
}

const SERVICE = /node_modules\/(@apollo|express|@prisma|@electric-sql|pglite-prisma-adapter|pg|@kubernetes|graphql|ws|pino)\//;

describe("start-up loads only what the command needs", () => {
  it("--help: commander and the command definitions, from dist/", () => {
    const r = loaded(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: kubereach");
    expect(r.modules.some((m) => m.includes("/dist/cli/main.js")), "runs the compiled JavaScript").toBe(true);
    expect(r.modules.filter((m) => m.includes("/src/") || /node_modules\/(tsx|esbuild)\//.test(m))).toEqual([]);
    expect(r.modules.filter((m) => SERVICE.test(m) || /node_modules\/(zod|yaml)\//.test(m))).toEqual([]);
    expect(r.modules.filter((m) => /\/dist\/(engine\/(compile|matrix|eval|whatif\/proposal)|sync\/(?!objects\.js)|store|api|app\/config)/.test(m))).toEqual([]);
  });

  it("analyze: the engine and the manifest reader, none of the service", () => {
    const r = loaded(["analyze", "-m", "examples/seed"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("default/frontend[Deployment] => default/backend[Deployment] : TCP 80");
    expect(r.modules.some((m) => m.includes("/dist/engine/matrix/"))).toBe(true);
    expect(r.modules.filter((m) => SERVICE.test(m) || m.includes("/dist/store/") || m.includes("/dist/api/"))).toEqual([]);
  });

  it("KUBEREACH_FROM_SOURCE=1 runs the TypeScript sources through tsx, with the same answer", () => {
    const built = loaded(["analyze", "-m", "examples/seed"]);
    const source = loaded(["analyze", "-m", "examples/seed"], { KUBEREACH_FROM_SOURCE: "1" });
    expect(source.modules.some((m) => m.includes("/src/cli/main.ts"))).toBe(true);
    expect(source.modules.some((m) => m.includes(`${REPO}dist/`))).toBe(false);
    expect(source.stdout).toBe(built.stdout);
  });

  it("bin/kubereach.js runs dist/ only when it was built after every source file changed", () => {
    const pkg = join(dir, "pkg");
    mkdirSync(join(pkg, "bin"), { recursive: true });
    mkdirSync(join(pkg, "dist", "cli"), { recursive: true });
    mkdirSync(join(pkg, "src", "cli"), { recursive: true });
    copyFileSync(join(REPO, "bin", "kubereach.js"), join(pkg, "bin", "kubereach.js"));
    symlinkSync(join(REPO, "node_modules"), join(pkg, "node_modules"));
    writeFileSync(join(pkg, "package.json"), '{ "type": "module" }\n');
    writeFileSync(join(pkg, "dist", "cli", "main.js"), 'export async function main() { process.stdout.write("dist"); return 0; }\n');
    writeFileSync(join(pkg, "src", "cli", "main.ts"), 'export async function main(): Promise<number> { process.stdout.write("src"); return 0; }\n');
    writeFileSync(join(pkg, "dist", ".build-stamp"), "");
    const which = () => spawnSync(process.execPath, [join(pkg, "bin", "kubereach.js")], { encoding: "utf8" }).stdout;
    const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
    at(join(pkg, "src", "cli", "main.ts"), 1_000);
    at(join(pkg, "dist", ".build-stamp"), 2_000);
    expect(which(), "built after the sources").toBe("dist");
    at(join(pkg, "src", "cli", "main.ts"), 3_000);
    expect(which(), "a source edited since the build").toBe("src");
    rmSync(join(pkg, "src"), { recursive: true });
    expect(which(), "no sources (an installed package)").toBe("dist");
    rmSync(join(pkg, "dist", ".build-stamp"));
    mkdirSync(join(pkg, "src", "cli"), { recursive: true });
    writeFileSync(join(pkg, "src", "cli", "main.ts"), 'export async function main(): Promise<number> { process.stdout.write("src"); return 0; }\n');
    expect(which(), "never built").toBe("src");
  });
});
