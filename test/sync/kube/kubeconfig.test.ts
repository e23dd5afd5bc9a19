/**
 * Kubeconfig loading: default locations, explicit path and context, merging, in-cluster, and the
 * typed configuration errors KubeClusterSource.start() rejects with.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAppError } from "../../../src/domain/errors.js";
import { InClusterConfigError, KubeconfigInvalidError, KubeconfigNotFoundError, UnknownContextError } from "../../../src/sync/kube/errors.js";
import { KubeClusterSource } from "../../../src/sync/kube/KubeClusterSource.js";
import { describeConnection, loadKubeConfig } from "../../../src/sync/kube/kubeconfig.js";
import { RecordingHandler, writeKubeconfig } from "./helpers.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kubereach-kc-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string) => join(dir, name);

describe("loadKubeConfig", () => {
  it("reads an explicit path at its current-context", () => {
    writeKubeconfig(file("a"), "http://127.0.0.1:1", { context: "ctx-a" });
    const loaded = loadKubeConfig({ type: "kubeconfig", path: file("a") });
    expect(loaded.server).toBe("http://127.0.0.1:1");
    expect(loaded.description).toBe(`kubeconfig ${file("a")} context ctx-a (http://127.0.0.1:1)`);
  });

  it("defaults to KUBECONFIG (merged, first file wins), then ~/.kube/config", () => {
    writeKubeconfig(file("a"), "http://127.0.0.1:1", { context: "ctx-a" });
    writeKubeconfig(file("b"), "http://127.0.0.1:2", { context: "ctx-b" });
    const env = { KUBECONFIG: [file("missing"), file("a"), file("b")].join(delimiter) };
    const merged = loadKubeConfig({ type: "kubeconfig" }, { env });
    expect(merged.server).toBe("http://127.0.0.1:1"); // ctx-a is the current context and fake-cluster is a's
    expect(merged.kubeConfig.getContexts().map((c) => c.name)).toEqual(["ctx-a", "ctx-b"]);

    mkdirSync(join(dir, ".kube"));
    writeKubeconfig(join(dir, ".kube", "config"), "http://127.0.0.1:3");
    expect(loadKubeConfig({ type: "kubeconfig" }, { env: {}, homeDir: dir }).server).toBe("http://127.0.0.1:3");
  });

  it("selects a context by name", () => {
    writeFileSync(
      file("two"),
      `apiVersion: v1
clusters:
- {name: c1, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}
- {name: c2, cluster: {server: "https://10.0.0.2:6443"}}
users:
- {name: u, user: {token: t}}
contexts:
- {name: one, context: {cluster: c1, user: u}}
- {name: two, context: {cluster: c2, user: u}}
current-context: one
`,
    );
    expect(loadKubeConfig({ type: "kubeconfig", path: file("two"), context: "two" }).server).toBe("https://10.0.0.2:6443");
  });

  it.each<{ name: string; setup: () => Parameters<typeof loadKubeConfig>; error: new (...a: never[]) => Error; match: RegExp }>([
    { name: "missing explicit file", setup: () => [{ type: "kubeconfig", path: file("nope") }], error: KubeconfigNotFoundError, match: /not found/ },
    { name: "no default file at all", setup: () => [{ type: "kubeconfig" }, { env: {}, homeDir: dir }], error: KubeconfigNotFoundError, match: /\.kube/ },
    {
      name: "unknown context",
      setup: () => {
        writeKubeconfig(file("a"), "http://127.0.0.1:1", { context: "ctx-a" });
        return [{ type: "kubeconfig", path: file("a"), context: "prod" }];
      },
      error: UnknownContextError,
      match: /context "prod" not found .*available: ctx-a/,
    },
    {
      name: "not YAML",
      setup: () => {
        writeFileSync(file("bad"), "clusters: [unclosed");
        return [{ type: "kubeconfig", path: file("bad") }];
      },
      error: KubeconfigInvalidError,
      match: /cannot parse/,
    },
    {
      name: "empty file",
      setup: () => {
        writeFileSync(file("empty"), "");
        return [{ type: "kubeconfig", path: file("empty") }];
      },
      error: KubeconfigInvalidError,
      match: /cannot parse/,
    },
    {
      name: "no current-context",
      setup: () => {
        writeFileSync(file("nocur"), "apiVersion: v1\nclusters: []\ncontexts: []\nusers: []\n");
        return [{ type: "kubeconfig", path: file("nocur") }];
      },
      error: KubeconfigInvalidError,
      match: /no current-context/,
    },
    {
      name: "plain http without insecure-skip-tls-verify (T-K2)",
      setup: () => {
        writeKubeconfig(file("http"), "http://127.0.0.1:1", { skipTls: false });
        return [{ type: "kubeconfig", path: file("http") }];
      },
      error: KubeconfigInvalidError,
      match: /plain http/,
    },
    { name: "in-cluster outside a pod", setup: () => [{ type: "in-cluster" }, { env: {} }], error: InClusterConfigError, match: /KUBERNETES_SERVICE_HOST/ },
    {
      name: "in-cluster without token",
      setup: () => [{ type: "in-cluster", pathPrefix: dir }, { env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" } }],
      error: InClusterConfigError,
      match: /token/,
    },
  ])("$name: typed error", ({ setup, error, match }) => {
    const args = setup();
    let caught: unknown;
    try {
      loadKubeConfig(...args);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(error);
    expect(isAppError(caught)).toBe(true);
    expect(String((caught as Error).message)).toMatch(match);
  });

  it("loads the in-cluster configuration from the service-account files", () => {
    const sa = join(dir, "var/run/secrets/kubernetes.io/serviceaccount");
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "token"), "sa-token");
    writeFileSync(join(sa, "ca.crt"), "");
    const before = process.env["KUBERNETES_SERVICE_HOST"];
    const loaded = loadKubeConfig({ type: "in-cluster", pathPrefix: dir }, { env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" } });
    expect(loaded.server).toBe("https://10.96.0.1:443");
    expect(loaded.description).toBe("in-cluster (https://10.96.0.1:443)");
    expect(process.env["KUBERNETES_SERVICE_HOST"]).toBe(before);
  });
});

describe("KubeClusterSource configuration errors", () => {
  it("start() rejects with the typed error; status and description say what was configured", async () => {
    const source = new KubeClusterSource({ connection: { type: "kubeconfig", path: file("nope"), context: "prod" } });
    expect(source.description).toBe(`kubeconfig ${file("nope")} context prod`);
    await expect(source.start(new RecordingHandler())).rejects.toBeInstanceOf(KubeconfigNotFoundError);
    expect(source.status().kinds.map((k) => [k.kind, k.synced, k.lastError])).toEqual([
      ["Namespace", false, `kubeconfig ${file("nope")} not found`],
      ["Pod", false, `kubeconfig ${file("nope")} not found`],
      ["NetworkPolicy", false, `kubeconfig ${file("nope")} not found`],
      ["AdminNetworkPolicy", false, `kubeconfig ${file("nope")} not found`],
      ["BaselineAdminNetworkPolicy", false, `kubeconfig ${file("nope")} not found`],
      ["ClusterNetworkPolicy", false, `kubeconfig ${file("nope")} not found`],
    ]);
    await source.stop();
  });

  it("describes connections without I/O", () => {
    expect(describeConnection({ type: "in-cluster" })).toBe("in-cluster");
    expect(describeConnection({ type: "kubeconfig" }, { env: { KUBECONFIG: "/a" } })).toBe("kubeconfig /a");
  });
});
