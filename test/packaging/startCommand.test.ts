/**
 * The image's start command, run for real without a Docker engine: the Dockerfile's ENTRYPOINT +
 * CMD with its ENV (the data directory and port moved to a temporary directory and a free port),
 * as PID 1 of its own PID namespace (container.ts). Once from the repository, once from the
 * image's filesystem as the Dockerfile assembles it (production dependencies only), as the
 * image's user, with the application files not writable. Each time: /healthz and /readyz answer,
 * the image's HEALTHCHECK command passes (and fails once the server is gone), and SIGTERM ends
 * the process gracefully with exit code 0.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, processStatus, runAsContainer, runToExit, signalAndWait, waitForOk, type ContainerProcess } from "./container.js";
import { imageConfig, readDockerfile, REPO } from "./dockerfile.js";
import { stageImage } from "./stageImage.js";

const dockerfile = readDockerfile();
const image = imageConfig(dockerfile);
const START = [...image.entrypoint!, ...image.cmd!];
const PATH = [dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":");

const root = mkdtempSync(join(tmpdir(), "kubereach-image-"));
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A directory only the image's user may write. */
function userDir(path: string): string {
  const [uid, gid] = image.user!.split(":").map(Number);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chownSync(path, uid!, gid!);
  return path;
}

function listing(dir: string, skip: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === skip) continue;
      out.push(relative(dir, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Starts the image's command, checks it end to end, stops it with SIGTERM. */
async function checkStartCommand(proc: ContainerProcess, port: number): Promise<void> {
  try {
    expect(processStatus(proc.pid).pidInNamespace, "node is PID 1").toBe(1);
    const health = await waitForOk(`http://127.0.0.1:${port}/healthz`, proc, 180_000);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await waitForOk(`http://127.0.0.1:${port}/readyz`, proc, 120_000);
    expect(await ready.json()).toEqual({ status: "ready" });

    const healthcheck = await runToExit(image.healthcheck!.cmd!, { PATH, PORT: String(port) }, root);
    expect(healthcheck, "the image's HEALTHCHECK passes").toEqual({ code: 0, output: "" });

    const exit = await signalAndWait(proc, "SIGTERM", 25_000);
    expect(exit, `exits 0 on SIGTERM within the grace period:\n${proc.output()}`).toEqual({ code: 0, signal: null });
    expect(proc.output()).toMatch(/"signal":"SIGTERM","msg":"shutting down"/);

    const after = await runToExit(image.healthcheck!.cmd!, { PATH, PORT: String(port) }, root);
    expect(after.code, "the HEALTHCHECK fails once the server is gone").toBe(1);
  } finally {
    proc.kill();
    await proc.exited;
  }
}

describe("the image's start command", () => {
  it("is node with kubereach's entry point: `node --max-semi-space-size=64 bin/kubereach.js serve`, as `npm start` runs it", () => {
    expect(START).toEqual(["node", "--max-semi-space-size=64", "bin/kubereach.js", "serve"]);
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts["start"]).toBe(START.join(" "));
  });

  it("the harness reproduces a container's PID 1: node without a handler ignores SIGTERM there", async () => {
    const proc = await runAsContainer({ argv: ["node", "-e", "setInterval(() => {}, 1000)"], cwd: root, env: { PATH } });
    try {
      expect(processStatus(proc.pid).pidInNamespace).toBe(1);
      expect(await signalAndWait(proc, "SIGTERM", 1500)).toBeUndefined();
    } finally {
      proc.kill();
      await proc.exited;
    }
  });

  it("from the repository: serves /healthz and /readyz, passes the HEALTHCHECK, exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(root, "repo-"));
    const port = await freePort();
    const env = { PATH, HOME: dir, ...image.env, KUBEREACH_DATA_DIR: join(dir, "data", "db"), PORT: String(port), TMPDIR: dir };
    const proc = await runAsContainer({ argv: START, cwd: REPO, env });
    await checkStartCommand(proc, port);
    expect(existsSync(join(dir, "data", "db")), "the embedded database went to KUBEREACH_DATA_DIR").toBe(true);
  }, 360_000);

  it("as the image is assembled: production dependencies only, the image's user, read-only application", async () => {
    const staged = stageImage(dockerfile, join(root, "image"));
    // No dev dependency (nor a devOptional one: the prisma CLI, typescript) in the image.
    const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([path, p]) => path && (p.dev || p.devOptional));
    expect(devOnly.length).toBeGreaterThan(50);
    expect(devOnly.filter(([path]) => existsSync(join(staged.app, path))).map(([path]) => path)).toEqual([]);
    for (const needed of ["node_modules/tsx", "node_modules/@prisma/client", "src/generated/prisma/client.ts", "prisma/migrations", "examples/seed", "schema.graphql", "web/dist/index.html"])
      expect(existsSync(join(staged.app, needed)), needed).toBe(true);

    const before = listing(staged.app, join(staged.app, "node_modules"));
    const port = await freePort();
    const data = userDir(join(root, "image-data"));
    const tmp = userDir(join(root, "image-tmp"));
    const env = { PATH, HOME: "/nonexistent", ...image.env, KUBEREACH_DATA_DIR: join(data, "db"), PORT: String(port), TMPDIR: tmp };
    const proc = await runAsContainer({ argv: START, cwd: staged.app, env, user: image.user! });
    const [uid, gid] = image.user!.split(":").map(Number);
    expect(processStatus(proc.pid)).toEqual({ uid, gid, pidInNamespace: 1 });
    await checkStartCommand(proc, port);
    expect(listing(staged.app, join(staged.app, "node_modules")), "nothing written into /app").toEqual(before);
    expect(existsSync(join(data, "db"))).toBe(true);
  }, 600_000);
});
