/**
 * A real Kubernetes API server for tests: etcd + kube-apiserver on 127.0.0.1, the way envtest runs
 * them (no kubelet, scheduler or controllers). One per test file: its own data directory, free
 * ports, a CA and serving/client certificates made with openssl, static tokens, RBAC on.
 *
 * Binaries:
 * - kube-apiserver: $KUBEREACH_KUBE_APISERVER (a binary, or an .xz of one); otherwise the
 *   kube-apiserver-v1.20.2-linux-amd64.xz of a `shared/real-kube` folder next to the checkout (CI),
 *   unpacked once into ~/.cache/kubereach. Nothing is read from there once unpacked.
 * - etcd: $KUBEREACH_ETCD, else `etcd` on PATH (Debian's etcd-server; .ci/run installs it).
 * A missing piece throws (tests FAIL, never skip).
 *
 * What tests use: kubeconfigs (admin token, admin client certificate, a token RBAC limits to the
 * core kinds, a token with no permissions), `request()` for the API (plain https, so what the test
 * writes does not go through the client under test), `stopApiServer()`/`startApiServer()` for an
 * outage with the same data, `compact()` to compact etcd (a 410 for watches when the watch cache is off).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const XZ_NAME = "kube-apiserver-v1.20.2-linux-amd64.xz";

export interface RealKubeOptions {
  /** Label in the data directory name and error messages. */
  readonly name?: string;
  /** kube-apiserver --watch-cache (default true). Off: watches read etcd, so `compact()` gives 410 at once. */
  readonly watchCache?: boolean;
  /** Extra kube-apiserver flags, e.g. ["--min-request-timeout=5"] (the server closes watches after 5-10 s). */
  readonly extraArgs?: readonly string[];
}

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** The users in the static token file. */
export type KubeUser = "admin" | "limited" | "nobody";

const running = new Set<RealKube>();

export class RealKube {
  readonly dir: string;
  private readonly pki: string;
  private etcd: ChildProcess | undefined;
  private apiserver: ChildProcess | undefined;
  private apiserverExit: Promise<void> | undefined;
  private etcdPort = 0;
  private etcdPeerPort = 0;
  apiPort = 0;
  private readonly tokens: Record<KubeUser, string>;
  private ca = "";

  private constructor(
    private readonly options: RealKubeOptions,
    private readonly apiserverBin: string,
    private readonly etcdBin: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `kubereach-realkube-${options.name ?? "test"}-`));
    this.pki = join(this.dir, "pki");
    this.tokens = { admin: randomHex(), limited: randomHex(), nobody: randomHex() };
  }

  /** Starts etcd and kube-apiserver and waits until the API server is ready (throws when a piece is missing). */
  static async start(options: RealKubeOptions = {}): Promise<RealKube> {
    const apiserver = await apiServerBinary();
    const etcd = etcdBinary();
    requireTool("openssl");
    const k = new RealKube(options, apiserver, etcd);
    running.add(k);
    try {
      k.makePki();
      [k.etcdPort, k.etcdPeerPort, k.apiPort] = [await freePort(), await freePort(), await freePort()];
      await k.startEtcd();
      await k.startApiServer();
      await k.grantLimitedUser();
    } catch (err) {
      await k.stop();
      throw err;
    }
    return k;
  }

  get url(): string {
    return `https://127.0.0.1:${this.apiPort}`;
  }

  get etcdUrl(): string {
    return `http://127.0.0.1:${this.etcdPort}`;
  }

  /** A kubeconfig file for a user: a static token, or (`admin-cert`) the admin client certificate. */
  kubeconfig(user: KubeUser | "admin-cert" = "admin"): string {
    const path = join(this.dir, `kubeconfig-${user}`);
    if (existsSync(path)) return path;
    const auth =
      user === "admin-cert"
        ? [`    client-certificate: ${join(this.pki, "admin.crt")}`, `    client-key: ${join(this.pki, "admin.key")}`]
        : [`    token: ${this.tokens[user]}`];
    const text = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: real-kube",
      "  cluster:",
      `    server: ${this.url}`,
      `    certificate-authority: ${join(this.pki, "ca.crt")}`,
      "users:",
      `- name: ${user}`,
      "  user:",
      ...auth,
      "contexts:",
      "- name: real-kube",
      "  context:",
      "    cluster: real-kube",
      `    user: ${user}`,
      "current-context: real-kube",
      "",
    ].join("\n");
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  /** One API request as the admin (JSON in and out). `contentType` for patches. */
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<ApiResponse<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolvePromise, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: this.apiPort,
          method,
          path,
          ca: this.ca,
          agent: false,
          headers: {
            authorization: `Bearer ${this.tokens.admin}`,
            accept: "application/json",
            ...(payload && { "content-type": contentType, "content-length": String(payload.length) }),
          },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolvePromise({ status: res.statusCode ?? 0, body: parsed as T });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Like request(), but a status other than 2xx (or `allow`) throws with the server's message. */
  async must<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType?: string, allow: readonly number[] = []): Promise<T> {
    const res = await this.request<T>(method, path, body, contentType);
    if ((res.status < 200 || res.status > 299) && !allow.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
    return res.body;
  }

  /** Stops the API server (etcd keeps the data): an outage. */
  async stopApiServer(): Promise<void> {
    const p = this.apiserver;
    if (!p) return;
    this.apiserver = undefined;
    p.kill("SIGTERM");
    const exited = this.apiserverExit;
    const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Starts the API server (again) on the same port and data, and waits until it is ready. */
  async startApiServer(extraArgs: readonly string[] = this.options.extraArgs ?? []): Promise<void> {
    if (this.apiserver) return;
    const log = createWriteStream(join(this.dir, "kube-apiserver.log"), { flags: "a" });
    const args = [
      `--etcd-servers=${this.etcdUrl}`,
      "--etcd-compaction-interval=0",
      `--watch-cache=${this.options.watchCache ?? true}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${this.apiPort}`,
      "--insecure-port=0",
      `--cert-dir=${join(this.dir, "apiserver-certs")}`,
      `--tls-cert-file=${join(this.pki, "serving.crt")}`,
      `--tls-private-key-file=${join(this.pki, "serving.key")}`,
      `--client-ca-file=${join(this.pki, "ca.crt")}`,
      `--token-auth-file=${join(this.pki, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${join(this.pki, "sa.pub")}`,
      `--service-account-signing-key-file=${join(this.pki, "sa.key")}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      "--disable-admission-plugins=ServiceAccount",
      "--profiling=false",
      "--v=1",
      ...extraArgs,
    ];
    const p = spawn(this.apiserverBin, args, { stdio: ["ignore", "pipe", "pipe"] });
    p.stdout!.pipe(log);
    p.stderr!.pipe(log);
    this.apiserver = p;
    this.apiserverExit = new Promise((r) => p.once("exit", () => r()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`kube-apiserver exited (${p.exitCode ?? p.signalCode}); see ${join(this.dir, "kube-apiserver.log")}:\n${tail(join(this.dir, "kube-apiserver.log"))}`);
      const status = await this.request("GET", "/readyz").then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after 90 s; see ${join(this.dir, "kube-apiserver.log")}`);
      await sleep(100);
    }
  }

  /** Compacts etcd at its current revision (every older resourceVersion is gone). Returns the revision. */
  async compact(): Promise<number> {
    const range = (await this.etcdCall("/v3/kv/range", { key: Buffer.from("/").toString("base64") })) as { header: { revision: string } };
    const revision = Number(range.header.revision);
    await this.etcdCall("/v3/kv/compaction", { revision: String(revision), physical: true });
    return revision;
  }

  /** Stops both processes and deletes the data. */
  async stop(): Promise<void> {
    running.delete(this);
    await this.stopApiServer();
    const e = this.etcd;
    this.etcd = undefined;
    if (e && e.exitCode === null && e.signalCode === null) {
      const exited = new Promise((r) => e.once("exit", r));
      e.kill("SIGTERM");
      const timer = setTimeout(() => e.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (!process.env["KUBEREACH_KEEP_REAL_KUBE"]) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Installs the tiered-policy CRDs of the fixtures (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy) and waits until they are served. */
  async installTieredCrds(): Promise<void> {
    for (const crd of tieredCrds()) await this.must("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd, undefined, [409]);
    for (const crd of tieredCrds()) {
      const { group, names, versions } = crd.spec;
      for (const v of versions) await waitUntil(async () => (await this.request("GET", `/apis/${group}/${v.name}/${names.plural}`)).status === 200, `${names.plural} ${v.name} served`);
    }
  }

  /** Deletes the tiered-policy CRDs and waits until they are no longer served. */
  async removeTieredCrds(): Promise<void> {
    for (const crd of tieredCrds()) await this.must("DELETE", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, undefined, undefined, [404]);
    for (const crd of tieredCrds()) {
      const { group, names, versions } = crd.spec;
      for (const v of versions) await waitUntil(async () => (await this.request("GET", `/apis/${group}/${v.name}/${names.plural}`)).status === 404, `${names.plural} ${v.name} gone`, 60_000);
    }
  }

  // ----------------------------------------------------------------------------------------------

  private makePki(): void {
    mkdirSync(this.pki, { recursive: true });
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: this.pki, stdio: ["ignore", "ignore", "pipe"] });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "365", "-subj", "/CN=kubereach-test-ca");
    writeFileSync(
      join(this.pki, "serving.ext"),
      "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n",
    );
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "serving.key", "-out", "serving.csr", "-subj", "/CN=kube-apiserver");
    ssl("x509", "-req", "-in", "serving.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "serving.crt", "-days", "365", "-extfile", "serving.ext");
    writeFileSync(join(this.pki, "client.ext"), "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "admin.key", "-out", "admin.csr", "-subj", "/O=system:masters/CN=admin");
    ssl("x509", "-req", "-in", "admin.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "admin.crt", "-days", "365", "-extfile", "client.ext");
    ssl("genrsa", "-out", "sa.key", "2048");
    ssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub");
    writeFileSync(
      join(this.pki, "tokens.csv"),
      `${this.tokens.admin},admin,admin-uid,system:masters\n${this.tokens.limited},limited,limited-uid,\n${this.tokens.nobody},nobody,nobody-uid,\n`,
      { mode: 0o600 },
    );
    for (const f of ["ca.key", "serving.key", "admin.key", "sa.key"]) chmodSync(join(this.pki, f), 0o600);
    this.ca = readFileSync(join(this.pki, "ca.crt"), "utf8");
  }

  private async startEtcd(): Promise<void> {
    const log = createWriteStream(join(this.dir, "etcd.log"), { flags: "a" });
    const p = spawn(
      this.etcdBin,
      [
        "--name=default",
        `--data-dir=${join(this.dir, "etcd")}`,
        `--listen-client-urls=${this.etcdUrl}`,
        `--advertise-client-urls=${this.etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${this.etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${this.etcdPeerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${this.etcdPeerPort}`,
        "--initial-cluster-state=new",
        "--quota-backend-bytes=4294967296",
        "--log-level=warn",
        "--logger=zap",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    p.stdout!.pipe(log);
    p.stderr!.pipe(log);
    this.etcd = p;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`etcd exited (${p.exitCode ?? p.signalCode}); see ${join(this.dir, "etcd.log")}:\n${tail(join(this.dir, "etcd.log"))}`);
      const healthy = await fetch(`${this.etcdUrl}/health`).then(
        async (r) => (await r.text()).includes('"health":"true"'),
        () => false,
      );
      if (healthy) return;
      if (Date.now() > deadline) throw new Error(`etcd not healthy after 30 s; see ${join(this.dir, "etcd.log")}`);
      await sleep(100);
    }
  }

  /** User "limited" may list and watch namespaces, pods and networkpolicies (the required kinds) and nothing else; "nobody" has no binding. */
  private async grantLimitedUser(): Promise<void> {
    await this.must("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "kubereach-core-only" },
      rules: [
        { apiGroups: [""], resources: ["namespaces", "pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["get", "list", "watch"] },
      ],
    });
    await this.must("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "kubereach-core-only" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kubereach-core-only" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "limited" }],
    });
  }

  private async etcdCall(path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${this.etcdUrl}${path}`, { method: "POST", body: JSON.stringify(body) });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
}

/** Stops every RealKube of this process still running (afterAll safety net). */
export async function stopAllRealKubes(): Promise<void> {
  await Promise.all([...running].map((k) => k.stop()));
}

// ------------------------------------------------------------------------------------------------
// Binaries

async function apiServerBinary(): Promise<string> {
  const given = process.env["KUBEREACH_KUBE_APISERVER"];
  const candidates = given ? [resolve(given)] : [resolve(ROOT, "..", "shared", "real-kube", XZ_NAME), resolve(ROOT, "..", "..", "shared", "real-kube", XZ_NAME)];
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new Error(
      `no kube-apiserver binary: set KUBEREACH_KUBE_APISERVER to a kube-apiserver binary (or its .xz); looked for ${candidates.join(", ")}`,
    );
  if (!found.endsWith(".xz")) return found;
  // Unpacked once per content (size+mtime) into the user's cache; concurrent test files race harmlessly (rename is atomic).
  const st = statSync(found);
  const cacheDir = join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "kubereach");
  const target = join(cacheDir, `kube-apiserver-${st.size}-${Math.floor(st.mtimeMs)}`);
  if (existsSync(target)) return target;
  requireTool("xz");
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  execFileSync("sh", ["-c", 'xz -dc "$1" > "$2"', "sh", found, tmp]);
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return target;
}

function etcdBinary(): string {
  const given = process.env["KUBEREACH_ETCD"];
  if (given) {
    if (!existsSync(given)) throw new Error(`KUBEREACH_ETCD=${given}: no such file`);
    return given;
  }
  try {
    return execFileSync("sh", ["-c", "command -v etcd"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("no etcd on PATH: apt-get install -y etcd-server etcd-client (or set KUBEREACH_ETCD)");
  }
}

function requireTool(tool: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    throw new Error(`${tool} is needed to run a real API server for the tests`);
  }
}

// ------------------------------------------------------------------------------------------------
// Fixtures

interface Crd {
  readonly metadata: { readonly name: string };
  readonly spec: { readonly group: string; readonly names: { readonly plural: string }; readonly versions: readonly { readonly name: string }[] };
}

/** The tiered-policy CRDs (test/fixtures/realkube/tiered-crds.json): a permissive schema, the kinds and versions kubereach reads. */
export function tieredCrds(): Crd[] {
  return JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "realkube", "tiered-crds.json"), "utf8")) as Crd[];
}

// ------------------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function randomHex(): string {
  return execFileSync("openssl", ["rand", "-hex", "24"], { encoding: "utf8" }).trim();
}

function tail(path: string): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
