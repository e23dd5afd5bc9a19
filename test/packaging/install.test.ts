/**
 * Putting kubereach on PATH, as the README says, with real npm: `npx kubereach` in the checkout
 * (which .npmrc's strict-allow-scripts used to refuse), `npm link` and a packed tarball installed
 * into a temporary global prefix. Each installed `kubereach` answers --version and analyzes the
 * bundled example exactly as the checkout does; the tarball's also syncs it into an embedded
 * database (migrations, Prisma client and example shipped in the package).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO } from "./dockerfile.js";

const root = mkdtempSync(join(tmpdir(), "kubereach-install-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const version = (JSON.parse(execFileSync("node", ["-p", "JSON.stringify(require('./package.json'))"], { cwd: REPO, encoding: "utf8" })) as { version: string }).version;
const EXAMPLE = join(REPO, "examples", "seed");

function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? REPO, env: { ...process.env, npm_config_update_notifier: "false", ...opts.env }, encoding: "utf8", timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const expected = run(process.execPath, [join(REPO, "bin", "kubereach.js"), "analyze", "-m", EXAMPLE]);

describe("kubereach on PATH", () => {
  it("the checkout's own analyze is the reference", () => {
    expect(expected.code, expected.stderr).toBe(0);
    expect(expected.stdout).toContain("default/frontend[Deployment] => default/backend[Deployment] : TCP 80");
  });

  it("npx kubereach, in the checkout", () => {
    const v = run("npx", ["kubereach", "--version"]);
    expect(v.stderr).not.toContain("ESTRICTALLOWSCRIPTS");
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const a = run("npx", ["kubereach", "analyze", "-m", EXAMPLE]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(expected.stdout);
  }, 300_000);

  it("npm link: a global kubereach that runs the checkout", () => {
    const prefix = join(root, "link");
    const r = run("npm", ["link", "--ignore-scripts", "--no-audit", "--no-fund"], { env: { npm_config_prefix: prefix } });
    expect(r.code, r.stderr).toBe(0);
    const bin = join(prefix, "bin", "kubereach");
    expect(run(bin, ["--version"]).stdout.trim()).toBe(version);
    expect(run(bin, ["analyze", "-m", EXAMPLE], { cwd: root }).stdout).toBe(expected.stdout);
  }, 300_000);

  it("a packed tarball installed globally into a prefix: --version, analyze, sync into an embedded database", () => {
    const packs = join(root, "packs");
    mkdirSync(packs);
    // The tarball as `npm pack` makes it; --ignore-scripts skips prepack's rebuild of dist/, which
    // postinstall built from these very sources (bin/kubereach.js checks that it is not stale).
    const pack = run("npm", ["pack", "--ignore-scripts", "--pack-destination", packs]);
    expect(pack.code, pack.stderr).toBe(0);
    const [tarball] = readdirSync(packs);
    expect(tarball).toBe(`kubereach-${version}.tgz`);

    const prefix = join(root, "global");
    // From a directory outside the checkout, as on another machine: only the tarball.
    const install = run("npm", ["install", "--global", "--prefix", prefix, join(packs, tarball!), "--no-audit", "--no-fund"], { cwd: root });
    expect(install.code, install.stderr).toBe(0);
    const pkg = join(prefix, "lib", "node_modules", "kubereach");
    expect(existsSync(join(pkg, "dist", "cli", "main.js")), "compiled JavaScript shipped").toBe(true);
    expect(existsSync(join(pkg, "src")), "no TypeScript sources needed").toBe(false);
    const bin = join(prefix, "bin", "kubereach");
    expect(run(bin, ["--version"], { cwd: root }).stdout.trim()).toBe(version);
    expect(run(bin, ["analyze", "-m", EXAMPLE], { cwd: root }).stdout).toBe(expected.stdout);
    const sync = run(bin, ["sync", "--once", "--data-dir", join(root, "db"), "--log-level", "warn"], { cwd: root });
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout + sync.stderr).toMatch(/synced cluster example from manifests .*examples[/]seed: 1 namespaces, 2 pods, 1 network policies; matrix generation 1/);
  }, 600_000);
});
