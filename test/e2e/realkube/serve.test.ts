/**
 * `kubereach serve` against a REAL kube-apiserver + etcd (test/helpers/realKube.ts), as a user runs
 * it, with PostgreSQL. One API server for the file; the steps build on each other:
 * create / update in place / delete of a policy of each kind, a pod relabel, a namespace relabel, a
 * status-only pod update (no generation), kubereach cut off from the API server for 30 s while the
 * cluster changes, an API server restart (watch cache gone: 410, relist), the tiered CRDs removed
 * and installed again while serve runs, and SIGTERM while the API server is unreachable.
 * Each step asserts GraphQL answers, the recorded history (one revision per real change, none
 * duplicated), syncStatus and metrics; `audit verify` at the end.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RealKube } from "../../helpers/realKube.js";
import { auditVerify } from "../../reliability/helpers/checks.js";
import { TestDatabase } from "../../reliability/helpers/database.js";
import { eventually, killAll, sleep } from "../../reliability/helpers/process.js";
import { metric, readyz, startReplica, waitReady, type Replica } from "../../reliability/helpers/serve.js";
import {
  ANP_PATH,
  auditLog,
  BANP_PATH,
  CNP_PATH,
  createNamespace,
  createPod,
  mergePatch,
  networkPolicy,
  npPath,
  revisionLines,
  setPodStatus,
  syncStatus,
  TcpProxy,
  tiered,
  whoCanReach,
} from "./helpers.js";

const CLUSTER = "realkube";
const TOOL = "ops/tool";

describe("serve against a real API server", () => {
  let kube: RealKube;
  let db: TestDatabase;
  let proxy: TcpProxy;
  let dir: string;
  let serve: Replica;
  let args: string[];
  /** The revisions expected so far, in order (`Kind ns/name OP`). */
  const expected: string[] = [];

  const who = async (name: string) => (await whoCanReach(serve, "shop", name)).lines;
  const peersOf = async (name: string) => (await who(name)).map((l) => l.split(" : ")[0]!);
  /** Waits until the history holds exactly the expected revisions (none missing, none duplicated). */
  const historyIs = async () => {
    await eventually(async () => revisionLines(await auditLog(serve)).length >= expected.length, `${expected.length} revisions`, 30_000);
    await sleep(300); // a duplicate would arrive with the same batch
    // Sorted: changes made while kubereach was cut off arrive in listing order, not in the order they were made.
    expect(revisionLines(await auditLog(serve)).sort()).toEqual([...expected].sort());
  };

  beforeAll(async () => {
    [kube, db] = await Promise.all([RealKube.start({ name: "serve" }), TestDatabase.create("kube_e2e")]);
    await kube.installTieredCrds();
    await createNamespace(kube, "shop", { env: "prod" });
    await createNamespace(kube, "ops", { team: "ops" });
    await createPod(kube, "shop", "web", { app: "web" }, "10.1.0.1");
    await createPod(kube, "shop", "db", { app: "db" }, "10.1.0.2", 5432);
    await createPod(kube, "ops", "tool", { app: "tool" }, "10.1.0.3");
    proxy = new TcpProxy(kube.apiPort);
    await proxy.start();
    dir = mkdtempSync(join(tmpdir(), "kubereach-e2e-"));
    writeFileSync(join(dir, "kubereach.yaml"), "source:\n  type: kubernetes\n  crdRetrySeconds: 2\nsync:\n  debounceMs: 50\n  maxWaitMs: 300\n");
    args = ["--kubeconfig", proxy.kubeconfig(kube), "--database-url", db.url, "--cluster-id", CLUSTER, "--config", join(dir, "kubereach.yaml")];
    serve = await startReplica("serve", args);
  }, 180_000);

  afterAll(async () => {
    await killAll();
    await proxy?.cut();
    await kube?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("initial sync: ready, every kind watching, answers from the cluster (the namespace name label derived on a 1.20 server)", async () => {
    await waitReady(serve);
    const s = await syncStatus(serve);
    expect(s).toMatchObject({ cluster: CLUSTER, ready: true, lagSeconds: 0, errors: [] });
    expect(s.kinds.map((k) => [k.kind, k.state])).toEqual(
      ["Namespace", "Pod", "NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"].map((k) => [k, "WATCHING"]),
    );
    expect(await peersOf("db")).toEqual(expect.arrayContaining(["shop/web", TOOL]));
    expect(await metric(serve, "kubereach_ready")).toBe(1);
    expect(await metric(serve, "kubereach_sync_lag_seconds", `cluster="${CLUSTER}"`)).toBe(0);
    // The 1.20 server sets no kubernetes.io/metadata.name label: a policy selecting by it still works.
    await kube.must("POST", npPath("shop"), networkPolicy("shop", "db-from-ops", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ops" } } }] }] }));
    expected.push("NetworkPolicy shop/db-from-ops CREATE");
    await eventually(async () => JSON.stringify(await peersOf("db")) === JSON.stringify([TOOL]), "db reachable from ops only", 15_000);
    await historyIs();
  }, 120_000);

  it("NetworkPolicy: create, update in place, delete", async () => {
    await kube.must("POST", npPath("shop"), networkPolicy("shop", "web", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "db" } } }] }] }));
    expected.push("NetworkPolicy shop/web CREATE");
    await eventually(async () => JSON.stringify(await peersOf("web")) === JSON.stringify(["shop/db"]), "web reachable from db only", 15_000);
    await mergePatch(kube, `${npPath("shop")}/web`, { spec: { ingress: [{ from: [{ podSelector: { matchLabels: { app: "db" } } }], ports: [{ port: 80, protocol: "TCP" }] }] } });
    expected.push("NetworkPolicy shop/web UPDATE");
    await eventually(async () => {
      const lines = await who("web");
      return lines.length === 1 && lines[0]!.startsWith("shop/db : ") && /\b80\b/.test(lines[0]!) && !/all/i.test(lines[0]!);
    }, "db to web on port 80 only", 15_000);
    await kube.must("DELETE", `${npPath("shop")}/web`);
    expected.push("NetworkPolicy shop/web DELETE");
    await eventually(async () => (await peersOf("web")).includes(TOOL), "web open again", 15_000);
    await historyIs();
  }, 120_000);

  const denyOps = { name: "deny-ops", action: "Deny", from: [{ namespaces: { matchLabels: { team: "ops" } } }] };
  const cases = [
    { kind: "AdminNetworkPolicy" as const, path: ANP_PATH, name: "guard", spec: { priority: 10, subject: { namespaces: { matchLabels: { env: "prod" } } }, ingress: [denyOps] }, edit: { spec: { priority: 11 } } },
    { kind: "BaselineAdminNetworkPolicy" as const, path: BANP_PATH, name: "default", spec: { subject: { namespaces: { matchLabels: { env: "prod" } } }, ingress: [denyOps] }, edit: { spec: { ingress: [{ ...denyOps, name: "deny-ops-renamed" }] } } },
    { kind: "ClusterNetworkPolicy" as const, path: CNP_PATH, name: "cnp", spec: { tier: "Admin", priority: 5, subject: { namespaces: { matchLabels: { env: "prod" } } }, ingress: [denyOps] }, edit: { spec: { priority: 6 } } },
  ];
  for (const c of cases) {
    it(`${c.kind}: create, update in place, delete`, async () => {
      // web (no NetworkPolicy selects it) is reachable from ops/tool until the tiered policy denies it.
      await kube.must("POST", c.path, tiered(c.kind, c.name, c.spec));
      expected.push(`${c.kind} ${c.name} CREATE`);
      await eventually(async () => !(await peersOf("web")).includes(TOOL), `${c.kind} denies ops`, 15_000);
      const before = (await whoCanReach(serve, "shop", "web")).generation;
      await mergePatch(kube, `${c.path}/${c.name}`, c.edit);
      expected.push(`${c.kind} ${c.name} UPDATE`);
      await historyIs();
      expect(await peersOf("web")).not.toContain(TOOL);
      await kube.must("DELETE", `${c.path}/${c.name}`);
      expected.push(`${c.kind} ${c.name} DELETE`);
      await eventually(async () => (await peersOf("web")).includes(TOOL), `${c.kind} gone`, 15_000);
      expect((await whoCanReach(serve, "shop", "web")).generation).toBeGreaterThan(before);
      await historyIs();
    }, 120_000);
  }

  it("a pod relabel changes the answers (no revision: pods are not policies); a status-only pod update commits no generation", async () => {
    await kube.must("POST", npPath("shop"), networkPolicy("shop", "web", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "db" } } }] }] }));
    expected.push("NetworkPolicy shop/web CREATE");
    await eventually(async () => JSON.stringify(await peersOf("web")) === JSON.stringify(["shop/db"]), "web from db only", 15_000);
    const g0 = (await syncStatus(serve)).generation;
    // Ready condition only: nothing the engine reads.
    await setPodStatus(kube, "shop", "db", { conditions: [{ type: "Ready", status: "True" }] });
    await mergePatch(kube, "/api/v1/namespaces/shop/pods/db", { metadata: { labels: { app: "db2" } } });
    await eventually(async () => (await peersOf("web")).length === 0, "db relabelled: web reachable from nobody", 15_000);
    // Exactly one generation for the relabel: the status update before it made none.
    expect((await syncStatus(serve)).generation).toBe(g0 + 1);
    await historyIs();
  }, 120_000);

  it("a namespace relabel that changes what a selector matches is recorded and changes the answers", async () => {
    await kube.must("POST", npPath("shop"), networkPolicy("shop", "db2", { podSelector: { matchLabels: { app: "db2" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "ops" } } }] }] }));
    expected.push("NetworkPolicy shop/db2 CREATE");
    await eventually(async () => JSON.stringify(await peersOf("db")) === JSON.stringify([TOOL]), "db from ops", 15_000);
    await mergePatch(kube, "/api/v1/namespaces/ops", { metadata: { labels: { team: "dev" } } });
    expected.push("Namespace ops UPDATE");
    await eventually(async () => (await peersOf("db")).length === 0, "ops no longer team=ops", 15_000);
    await historyIs();
  }, 120_000);

  it("cut off from the API server for 30 s while the cluster changes: the outage shows (not ready, lag, kinds in backoff), then everything is caught up and the errors clear", async () => {
    const g0 = (await syncStatus(serve)).generation;
    await proxy.cut();
    const cutAt = Date.now();
    // Changes kubereach cannot see now.
    await kube.must("POST", npPath("shop"), networkPolicy("shop", "during-outage", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] }));
    await kube.must("DELETE", `${npPath("shop")}/db2`);
    await createPod(kube, "ops", "tool-2", { app: "tool" }, "10.1.0.4");
    expected.push("NetworkPolicy shop/during-outage CREATE", "NetworkPolicy shop/db2 DELETE");
    // The outage is visible everywhere, and the same everywhere.
    await eventually(async () => (await readyz(serve)) === 503, "/readyz 503 during the outage", 30_000);
    const down = await syncStatus(serve);
    expect(down.ready).toBe(false);
    expect(down.lagSeconds).toBeGreaterThanOrEqual(10);
    expect(down.errors.length).toBeGreaterThan(0);
    for (const k of down.kinds) expect(k.state, `${k.kind} during the outage`).toMatch(/^(BACKOFF|LISTING|RECONNECTING)$/);
    expect(down.kinds.find((k) => k.kind === "Pod")!.lastError).toMatch(/ECONNREFUSED|ECONNRESET|socket|premature/i);
    expect(await metric(serve, "kubereach_ready")).toBe(0);
    expect(await metric(serve, "kubereach_sync_lag_seconds", `cluster="${CLUSTER}"`)).toBeGreaterThanOrEqual(10);
    await sleep(Math.max(0, 30_000 - (Date.now() - cutAt)));

    await proxy.start();
    await eventually(async () => (await readyz(serve)) === 200, "ready again", 30_000);
    await eventually(async () => {
      const s = await syncStatus(serve);
      const clean = s.ready && s.errors.length === 0 && s.lagSeconds === 0 && s.kinds.every((k) => k.state === "WATCHING" && k.lastError === null);
      // The metrics must say the same once caught up. Read together with syncStatus, not after it:
      // the relist's last events can still be landing (lag of a few ms) between two reads.
      return clean && (await metric(serve, "kubereach_sync_lag_seconds", `cluster="${CLUSTER}"`)) === 0 && (await metric(serve, "kubereach_ready")) === 1;
    }, "syncStatus and the metrics clean again", 30_000);
    const up = await syncStatus(serve);
    expect(up.kinds.find((k) => k.kind === "Pod")!.lastFailure).toMatch(/ECONNREFUSED|ECONNRESET|socket|premature/i);
    expect(up.generation).toBeGreaterThan(g0);
    expect(await peersOf("web")).toEqual([]);
    await historyIs();
  }, 150_000);

  it("an API server restart (watch cache gone: 410 on re-watch) is followed by a relist at once; nothing duplicated", async () => {
    const relists = (s: Awaited<ReturnType<typeof syncStatus>>) => s.kinds.reduce((n, k) => n + k.relists, 0);
    const before = relists(await syncStatus(serve));
    await kube.stopApiServer();
    await kube.startApiServer();
    await kube.must("POST", npPath("ops"), networkPolicy("ops", "after-restart", { podSelector: {}, policyTypes: ["Ingress"] }));
    expected.push("NetworkPolicy ops/after-restart CREATE");
    await eventually(async () => (await peersOf("web")).length === 0 && (await syncStatus(serve)).kinds.every((k) => k.state === "WATCHING"), "watching again", 30_000);
    await historyIs();
    expect(relists(await syncStatus(serve))).toBeGreaterThan(before);
    await eventually(async () => (await syncStatus(serve)).errors.length === 0, "errors cleared", 30_000);
  }, 150_000);

  it("the tiered CRDs removed and installed again while serve runs", async () => {
    await kube.must("POST", ANP_PATH, tiered("AdminNetworkPolicy", "temp", cases[0]!.spec));
    expected.push("AdminNetworkPolicy temp CREATE");
    await historyIs();
    await kube.removeTieredCrds();
    // The ANP went with its CRD: its deletion is recorded (final state unknown: seen by the listing).
    expected.push("AdminNetworkPolicy temp DELETE");
    await eventually(async () => (await syncStatus(serve)).kinds.filter((k) => k.optional).every((k) => k.state === "NOT_SERVED"), "CRDs not served", 60_000);
    await historyIs();
    const s = await syncStatus(serve);
    expect(s).toMatchObject({ ready: true, errors: [] });
    await kube.installTieredCrds();
    await kube.must("POST", ANP_PATH, tiered("AdminNetworkPolicy", "back", cases[0]!.spec));
    expected.push("AdminNetworkPolicy back CREATE");
    await eventually(async () => (await syncStatus(serve)).kinds.filter((k) => k.optional).every((k) => k.state === "WATCHING"), "CRDs watched again", 60_000);
    await historyIs();
  }, 180_000);

  it("the history verifies (`audit verify`) and holds one revision per change", async () => {
    const audit = await auditVerify(db.url, CLUSTER);
    expect(audit.code, `${audit.stdout}${audit.stderr}`).toBe(0);
    expect(audit.verified).toBe(expected.length);
  }, 60_000);

  it("SIGTERM during the initial sync while the API server is unreachable: exit 0 within 30 s", async () => {
    serve.process.signal("SIGTERM");
    expect((await serve.process.waitForExit(30_000)).code).toBe(0);
    await proxy.cut();
    const again = await startReplica("serve-2", args);
    // It keeps retrying the unreachable server: not ready.
    await eventually(async () => (await readyz(again)) === 503, "not ready", 30_000);
    await sleep(3000);
    again.process.signal("SIGTERM");
    const exit = await again.process.waitForExit(30_000);
    expect(exit.code, again.process.output()).toBe(0);
  }, 120_000);
});
