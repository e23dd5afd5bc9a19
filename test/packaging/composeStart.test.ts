/**
 * docker-compose.yml, started for real without a Docker engine: the README's token step writes
 * .env in a fresh directory, the compose file is interpolated with it as `docker compose` does,
 * and the kubereach service's own entry point, command and environment run as PID 1 of a new PID
 * namespace, as the service's user. Only what a container network changes is mapped: the
 * database host `postgres` is this machine's PostgreSQL (a fresh database, the compose file's
 * user and password), the kubeconfig mount is its source file (a kubeconfig for a fake API
 * server), and the port is a free one. It must answer /healthz and /readyz, and the API must
 * want the token the README's step printed.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKubeApi, namespace, pod } from "../helpers/fakeKubeApi.js";
import { dropDatabase, pgAdmin, uniqueDbName } from "../store/helpers/backends.js";
import { writeKubeconfig } from "../sync/kube/helpers.js";
import { interpolate } from "./composeSchema.js";
import { freePort, runAsContainer, signalAndWait, waitForOk } from "./container.js";
import { imageConfig, readDockerfile, REPO } from "./dockerfile.js";

interface Service {
  command: string[];
  environment: Record<string, string>;
  volumes: string[];
  user: string;
}

const raw = parse(readFileSync(join(REPO, "docker-compose.yml"), "utf8")) as { services: Record<string, Service> };
const image = imageConfig(readDockerfile());
const PATH = [dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":");

/** The README's (or docs/') bash block that writes KUBEREACH_TOKENS into .env. */
function tokenStep(): string {
  for (const file of ["README.md", "docs/deploying.md"]) {
    let text: string;
    try {
      text = readFileSync(join(REPO, file), "utf8");
    } catch {
      continue;
    }
    const block = [...text.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes(">> .env") && b.includes("KUBEREACH_TOKENS"));
    if (block) return block;
  }
  throw new Error("no documented step writes KUBEREACH_TOKENS into .env");
}

/** KEY=VALUE lines, as compose reads .env. */
function readDotenv(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_]\w*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, "$1");
  }
  return out;
}

describe("docker compose up, without Docker", () => {
  const dir = mkdtempSync(join(tmpdir(), "kubereach-compose-"));
  const dbName = uniqueDbName("first_compose");
  let api: FakeKubeApi;

  beforeAll(async () => {
    chmodSync(dir, 0o777); // the service's user writes its temporary files here
    api = await FakeKubeApi.create();
    api.upsert(namespace("shop"));
    api.upsert(pod({ namespace: "shop", name: "web", labels: { app: "web" }, ip: "10.0.0.5" }));
    const admin = await pgAdmin();
    try {
      // The compose file's database user, as the postgres image creates it.
      await admin.query("DO $$ BEGIN CREATE ROLE kubereach LOGIN PASSWORD 'kubereach'; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
      await admin.query(`CREATE DATABASE "${dbName}" OWNER kubereach`);
      // The runtime role docker/postgres-init creates, with the compose file's default password.
      await admin.query("DO $$ BEGIN CREATE ROLE kubereach_runtime LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
      await admin.query("ALTER ROLE kubereach_runtime LOGIN PASSWORD 'kubereach-runtime'");
    } finally {
      await admin.end();
    }
  });
  afterAll(async () => {
    await api?.stop();
    await dropDatabase(dbName).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to start without KUBEREACH_TOKENS, with a message, as compose's ${VAR:?} does", () => {
    expect(() => interpolate(raw, {})).toThrow(/KUBEREACH_TOKENS.*\.env/);
  });

  it("with the README's .env: serves /healthz and /readyz, and the API wants the token", async () => {
    const printed = execFileSync("bash", ["-euo", "pipefail", "-c", `${tokenStep()}\nprintf 'TOKEN=%s\\n' "$TOKEN"`], { cwd: dir, encoding: "utf8" });
    const token = /TOKEN=([0-9a-f]{64})/.exec(printed)?.[1];
    expect(token, printed).toBeDefined();

    const kubeconfig = join(dir, "kubeconfig");
    writeKubeconfig(kubeconfig, api.url, { context: "compose" });
    chmodSync(kubeconfig, 0o644);
    const app = interpolate(raw, { ...readDotenv(join(dir, ".env")), KUBECONFIG: kubeconfig }).services["kubereach"]!;
    const mount = app.volumes.find((v) => v.endsWith(":/kube/config:ro"))!.split(":");
    const port = await freePort();
    // The compose file's own database URLs (runtime role and owner), pointed at this machine's server.
    const here = (name: string) => {
      const url = new URL(app.environment[name]!);
      expect(url.hostname).toBe("postgres");
      url.hostname = "127.0.0.1";
      url.pathname = `/${dbName}`;
      return url.toString();
    };
    const env = { PATH, HOME: "/nonexistent", TMPDIR: dir, ...image.env, ...app.environment, DATABASE_URL: here("DATABASE_URL"), DATABASE_MIGRATION_URL: here("DATABASE_MIGRATION_URL"), PORT: String(port) };
    expect(app.environment["HOST"]).toBe("0.0.0.0");
    const argv = [...image.entrypoint!, ...app.command.map((a) => (a === mount[1] ? mount[0]! : a))];
    const proc = await runAsContainer({ argv, cwd: REPO, env, user: app.user });
    try {
      await waitForOk(`http://127.0.0.1:${port}/healthz`, proc, 180_000);
      await waitForOk(`http://127.0.0.1:${port}/readyz`, proc, 120_000);
      const query = JSON.stringify({ query: "{ namespaces { name } }" });
      const post = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: query });
      expect((await post({})).status).toBe(401);
      const ok = await post({ authorization: `Bearer ${token}` });
      expect(ok.status, proc.output()).toBe(200);
      expect(JSON.stringify(await ok.json())).toContain('"shop"');
      expect(await signalAndWait(proc, "SIGTERM", 25_000)).toEqual({ code: 0, signal: null });
    } finally {
      proc.kill();
      await proc.exited;
    }
  }, 360_000);
});
