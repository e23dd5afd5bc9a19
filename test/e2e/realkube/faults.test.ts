/**
 * Credentials, RBAC and protocol faults against a REAL kube-apiserver + etcd: `sync --once` with a
 * client certificate, with a token RBAC limits to the required kinds (the tiered CRDs are reported
 * and skipped) and with a token allowed nothing (exit 1 naming the permission); `serve` with the
 * limited token; the server closing watches (--min-request-timeout=5) without duplicates; etcd
 * compaction while kubereach is cut off forcing a 410 and a relist that records what it missed.
 * The watch cache is off, so watches read etcd and a compaction expires their resourceVersion at once.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RealKube } from "../../helpers/realKube.js";
import { auditVerify } from "../../reliability/helpers/checks.js";
import { TestDatabase } from "../../reliability/helpers/database.js";
import { eventually, KubereachProcess, killAll, sleep } from "../../reliability/helpers/process.js";
import { startReplica, waitReady, type Replica } from "../../reliability/helpers/serve.js";
import { ANP_PATH, auditLog, createNamespace, createPod, networkPolicy, npPath, revisionLines, syncStatus, TcpProxy, tiered } from "./helpers.js";

describe("real API server: credentials, RBAC, closed watches, compaction", () => {
  let kube: RealKube;
  let db: TestDatabase;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    [kube, db] = await Promise.all([RealKube.start({ name: "faults", watchCache: false, extraArgs: ["--min-request-timeout=5"], audit: true }), TestDatabase.create("kube_faults")]);
    await kube.installTieredCrds();
    await createNamespace(kube, "shop", { env: "prod" });
    await createPod(kube, "shop", "web", { app: "web" }, "10.2.0.1");
    await kube.must("POST", npPath("shop"), networkPolicy("shop", "keep", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] }));
    await kube.must("POST", ANP_PATH, tiered("AdminNetworkPolicy", "guard", { priority: 1, subject: { namespaces: {} }, ingress: [] }));
    // More pods than one list page (500): the listing takes two.
    await createNamespace(kube, "bulk", {});
    const bulk = Array.from({ length: 520 }, (_, i) => `p${i}`);
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = w; i < bulk.length; i += 16)
          await kube.must("POST", "/api/v1/namespaces/bulk/pods", { apiVersion: "v1", kind: "Pod", metadata: { name: bulk[i], labels: { app: "bulk" } }, spec: { containers: [{ name: "c", image: "registry.invalid/x:1" }] } });
      }),
    );
    dir = mkdtempSync(join(tmpdir(), "kubereach-faults-"));
    config = join(dir, "kubereach.yaml");
    writeFileSync(config, "source:\n  type: kubernetes\n  crdRetrySeconds: 2\nsync:\n  debounceMs: 50\n  maxWaitMs: 300\n");
  }, 180_000);

  afterAll(async () => {
    await killAll();
    await kube?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const once = (cluster: string, kubeconfig: string) => KubereachProcess.run(`sync --once ${cluster}`, ["sync", "--once", "--kubeconfig", kubeconfig, "--database-url", db.url, "--cluster-id", cluster, "--config", config], 90_000);

  it("sync --once with a client-certificate kubeconfig", async () => {
    const r = await once("cert", kube.kubeconfig("admin-cert"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/synced cluster cert from .*: \d+ namespaces, 521 pods, 1 network policies; matrix generation 1/);
  }, 120_000);

  it("lists are chunked (limit=500, then continue) and watches ask for bookmarks, as client-go does", () => {
    const pods = kube.auditEvents().filter((e) => e.user === "admin" && e.requestURI.startsWith("/api/v1/pods?"));
    const lists = pods.filter((e) => e.verb === "list").map((e) => e.requestURI);
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(lists[0]).toMatch(/[?&]limit=500(&|$)/);
    expect(lists[1]).toMatch(/[?&]continue=[^&]+/);
    expect(lists.every((u) => /[?&]limit=500(&|$)/.test(u))).toBe(true);
    const watches = pods.filter((e) => e.verb === "watch").map((e) => e.requestURI);
    expect(watches.length).toBeGreaterThanOrEqual(1);
    for (const u of watches) expect(u).toMatch(/allowWatchBookmarks=true/);
  });

  it("sync --once with a token RBAC limits to the required kinds: the tiered CRDs are reported and skipped", async () => {
    const r = await once("limited", kube.kubeconfig("limited"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\d+ namespaces, 521 pods, 1 network policies/);
    expect(r.stderr).toMatch(/optional kind not readable \(RBAC\); skipped/);
    expect(r.stderr).toMatch(/list adminnetworkpolicies\.policy\.networking\.k8s\.io/);
  }, 120_000);

  it("sync --once with a token allowed nothing: exit 1 naming the missing permission", async () => {
    const r = await once("nobody", kube.kubeconfig("nobody"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: the Kubernetes API server refuses list (namespaces|pods|networkpolicies\.networking\.k8s\.io)/);
    expect(r.stderr).toMatch(/grant list and watch on namespaces, pods and networkpolicies/);
  }, 120_000);

  it("serve with a token allowed nothing keeps retrying and reports the missing permissions (/readyz, syncStatus)", async () => {
    const serve = await startReplica("serve-nobody", ["--kubeconfig", kube.kubeconfig("nobody"), "--database-url", db.url, "--cluster-id", "refused", "--config", config]);
    try {
      await eventually(async () => {
        const s = await syncStatus(serve, "refused");
        return s.kinds.filter((k) => !k.optional).every((k) => k.state === "FORBIDDEN" || (k.state === "BACKOFF" && k.lastError?.startsWith("forbidden")));
      }, "every required kind refused", 60_000);
      const s = await syncStatus(serve, "refused");
      expect(s.ready).toBe(false);
      expect(s.kinds.find((k) => k.kind === "Pod")!.lastError).toMatch(/^forbidden: kubereach needs list pods/);
      const res = await fetch(`${serve.url}/readyz`);
      expect(res.status).toBe(503);
      expect(JSON.stringify(await res.json())).toMatch(/initial sync not finished: .*Pod \((forbidden|backoff): forbidden: kubereach needs list pods/);
    } finally {
      serve.process.signal("SIGTERM");
      expect((await serve.process.waitForExit(30_000)).code).toBe(0);
    }
  }, 120_000);

  describe("serve with the limited token", () => {
    let proxy: TcpProxy;
    let serve: Replica;
    beforeAll(async () => {
      proxy = new TcpProxy(kube.apiPort);
      await proxy.start();
      serve = await startReplica("serve", ["--kubeconfig", proxy.kubeconfig(kube, "limited"), "--database-url", db.url, "--cluster-id", "served", "--config", config]);
      await waitReady(serve);
    }, 120_000);
    afterAll(async () => {
      await killAll();
      await proxy?.cut();
    });

    it("reports each forbidden tiered kind with its permission, and is ready", async () => {
      const s = await syncStatus(serve, "served");
      expect(s.ready).toBe(true);
      const anp = s.kinds.find((k) => k.kind === "AdminNetworkPolicy")!;
      expect(anp).toMatchObject({ state: "FORBIDDEN", optional: true });
      expect(anp.lastError).toMatch(/^forbidden: list adminnetworkpolicies\.policy\.networking\.k8s\.io/);
      expect(s.errors.filter((e) => e.includes("forbidden"))).toHaveLength(3);
      expect(s.kinds.filter((k) => !k.optional).map((k) => k.state)).toEqual(["WATCHING", "WATCHING", "WATCHING"]);
    });

    it("the server closing watches every 5-10 s: reconnects without failures, generations or revisions", async () => {
      const before = await syncStatus(serve, "served");
      const revisions = (await auditLog(serve, "served")).length;
      await sleep(15_000); // every watch was closed by the server at least once
      const after = await syncStatus(serve, "served");
      expect(after.generation).toBe(before.generation);
      expect((await auditLog(serve, "served")).length).toBe(revisions);
      for (const k of after.kinds.filter((k) => !k.optional)) expect(k.restarts, k.kind).toBe(0);
      await kube.must("POST", npPath("shop"), networkPolicy("shop", "late", { podSelector: {}, policyTypes: ["Ingress"] }));
      await eventually(async () => revisionLines(await auditLog(serve, "served")).includes("NetworkPolicy shop/late CREATE"), "a change after the reconnects", 30_000);
    }, 60_000);

    it("compaction while cut off: 410 on the re-watch, a relist at once that records what was missed", async () => {
      const relists = async () => (await syncStatus(serve, "served")).kinds.find((k) => k.kind === "NetworkPolicy")!.relists;
      const before = await relists();
      await proxy.cut();
      await kube.must("DELETE", `${npPath("shop")}/keep`);
      await kube.must("POST", npPath("shop"), networkPolicy("shop", "missed", { podSelector: {}, policyTypes: ["Egress"] }));
      await kube.compact();
      await proxy.start();
      await eventually(async () => (await relists()) > before, "a relist after the 410", 60_000);
      await eventually(async () => {
        const revs = await auditLog(serve, "served");
        return revs.some((r) => r.name === "missed") && revs.some((r) => r.name === "keep" && r.operation === "DELETE");
      }, "the missed changes recorded", 30_000);
      const revs = await auditLog(serve, "served");
      expect(revs.filter((r) => r.name === "keep" && r.operation === "DELETE")).toMatchObject([{ observedVia: "relist", finalStateUnknown: true }]);
      expect(revs.filter((r) => r.name === "missed")).toMatchObject([{ operation: "CREATE", observedVia: "relist" }]);
      await eventually(async () => (await syncStatus(serve, "served")).kinds.filter((k) => !k.optional).every((k) => k.state === "WATCHING" && k.lastError === null), "watching, errors cleared", 30_000);
      const audit = await auditVerify(db.url, "served");
      expect(audit.code, `${audit.stdout}${audit.stderr}`).toBe(0);
      expect(audit.verified).toBe(revs.length);
    }, 150_000);
  });
});
