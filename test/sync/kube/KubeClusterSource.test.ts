/**
 * KubeClusterSource with the REAL @kubernetes/client-node 1.4.0 informers against the fake API
 * server (never a mocked client): initial sync, live events, bookmarks, reconnects, relists after
 * 410 and 5xx, network resets, an API server that is down, stop() and a restarted service.
 * Timings are test-sized (backoff 50 ms -> 400 ms) and every wait polls with a generous timeout.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/app/logger.js";
import { SourceStoppedError } from "../../../src/sync/kube/errors.js";
import { requiredPermissionProblem } from "../../../src/sync/source.js";
import type { KubeClusterSource } from "../../../src/sync/kube/KubeClusterSource.js";
import type { ObjectKind } from "../../../src/domain/objects.js";
import { FakeKubeApi, deploymentPod, namespace, networkPolicy, pod, type KubeObject } from "../../helpers/fakeKubeApi.js";
import { MemoryLogger, RecordingHandler, TempKubeconfig, sleep, sourceFor, waitFor, waitForWatches } from "./helpers.js";

const PODS = "/api/v1/pods";
const POLICIES = "/apis/networking.k8s.io/v1/networkpolicies";

let api: FakeKubeApi;
let kubeconfig: TempKubeconfig;
let sources: KubeClusterSource[];

beforeEach(async () => {
  api = await FakeKubeApi.create();
  kubeconfig = new TempKubeconfig(api.url);
  sources = [];
});

afterEach(async () => {
  for (const s of sources) await s.stop();
  await api.stop();
  kubeconfig.remove();
});

function newSource(options: Parameters<typeof sourceFor>[1] = {}): KubeClusterSource {
  const s = sourceFor(kubeconfig, options);
  sources.push(s);
  return s;
}

function seed(): { web: KubeObject; db: KubeObject; policy: KubeObject } {
  api.upsert(namespace("prod", { team: "a" }));
  api.upsert(namespace("dev"));
  const web = api.upsert(pod({ namespace: "prod", name: "web-1", ip: "10.0.0.1", ports: [{ containerPort: 80, name: "http" }], ...deploymentPod("web") }));
  const db = api.upsert(pod({ namespace: "prod", name: "db-0", ip: "10.0.0.2", labels: { app: "db" } }));
  const policy = api.upsert(networkPolicy({ namespace: "prod", name: "db", spec: { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: {} }] }] } }));
  return { web, db, policy };
}

/** Starts a source and waits until its three watches are open. */
async function started(options: Parameters<typeof sourceFor>[1] = {}): Promise<{ source: KubeClusterSource; handler: RecordingHandler }> {
  const source = newSource(options);
  const handler = new RecordingHandler();
  await source.start(handler);
  await waitForWatches(api);
  await waitFor(() => source.status().kinds.every((k) => k.watching), "every kind watching");
  return { source, handler };
}

const kindStatus = (source: KubeClusterSource, kind: ObjectKind) => source.status().kinds.find((k) => k.kind === kind)!;

describe("KubeClusterSource: sync and watch", () => {
  it("delivers one complete listing per kind (via 'list') before start() resolves", async () => {
    const { web } = seed();
    const source = newSource();
    const handler = new RecordingHandler();
    await source.start(handler);

    expect(handler.calls.map((c) => `${c.op} ${c.kind}${c.op === "list" ? ` ${c.via}` : ""}`).sort()).toEqual(["list Namespace list", "list NetworkPolicy list", "list Pod list"]);
    expect(handler.lastListing("Namespace")).toEqual(["dev", "prod"]);
    expect(handler.lastListing("Pod")).toEqual(["prod/db-0", "prod/web-1"]);
    expect(handler.lastListing("NetworkPolicy")).toEqual(["prod/db"]);
    expect(handler.lists("Pod")[0]!.objects.find((o) => o.meta.name === "web-1")).toEqual({
      kind: "Pod",
      meta: { uid: web.metadata.uid, name: "web-1", namespace: "prod", resourceVersion: web.metadata.resourceVersion, labels: { "pod-template-hash": "5d9c7b8f4" } },
      ip: "10.0.0.1",
      hostNetwork: false,
      containerPorts: [{ name: "http", containerPort: 80 }],
      workload: { namespace: "prod", kind: "Deployment", name: "web" },
    });
    for (const k of source.status().kinds) expect(k).toMatchObject({ synced: true, restarts: 0, relists: 0 });
    expect(source.status().description).toContain(api.url);
    expect(api.requestsTo({ type: "list" }).map((r) => r.authorization)).toEqual(["Bearer test-token", "Bearer test-token", "Bearer test-token"]);
  });

  it("forwards live ADDED / MODIFIED / DELETED in order, as upsert / upsert / remove", async () => {
    const { db } = seed();
    const { source, handler } = await started();
    const before = handler.calls.length;

    const cache = api.upsert(pod({ namespace: "prod", name: "cache-0", ip: "10.0.0.3" }));
    api.upsert({ ...cache, metadata: { ...cache.metadata, labels: { app: "cache" } } });
    api.delete(db);
    api.upsert(namespace("staging"));
    await waitFor(() => handler.calls.length >= before + 4, "4 events");

    expect(handler.eventLines()).toEqual(["upsert Pod prod/cache-0", "upsert Pod prod/cache-0", "remove Pod prod/db-0", "upsert Namespace staging"]);
    const [, modified, removed] = handler.events();
    expect(modified!.object.meta.labels).toEqual({ app: "cache" });
    expect(removed!.object.meta.uid).toBe(db.metadata.uid);
    expect(handler.lists()).toHaveLength(3); // no relist
    expect(kindStatus(source, "Pod").lastEventAt).toBeInstanceOf(Date);
  });

  it("the informers cache a name, namespace and resourceVersion per object, never the object (memory); events still carry it whole", async () => {
    const { db } = seed();
    const { source, handler } = await started();
    const before = handler.calls.length;
    const cache = api.upsert(pod({ namespace: "prod", name: "cache-0", ip: "10.0.0.3", labels: { app: "cache" } }));
    api.delete(db);
    await waitFor(() => handler.calls.length >= before + 2, "2 events");
    const [added, removed] = handler.events();
    expect(added!.object).toMatchObject({ ip: "10.0.0.3", meta: { uid: cache.metadata.uid, labels: { app: "cache" } } });
    expect(removed!.object.meta).toMatchObject({ uid: db.metadata.uid, labels: { app: "db" } });

    // What each informer holds (client-node's ListWatch.list(): its cache), listed and watched objects alike.
    const informers = (source as unknown as { supervisors: { informer: { list(): KubeObject[] } }[] }).supervisors.map((s) => s.informer);
    const cached = informers.flatMap((i) => i.list());
    expect(cached.map((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`).sort()).toEqual(["/dev", "/prod", "prod/cache-0", "prod/db", "prod/web-1"]);
    for (const o of cached) {
      expect(Object.keys(o)).toEqual(["metadata"]);
      expect(Object.keys(o.metadata).sort()).toEqual(["name", "namespace", "resourceVersion"]);
    }
    expect(cached.find((o) => o.metadata.name === "cache-0")!.metadata.resourceVersion).toBe(cache.metadata.resourceVersion);
  });

  it("keeps the arrival order with a slow asynchronous handler", async () => {
    seed();
    const source = newSource();
    const handler = new RecordingHandler(() => Math.floor(Math.random() * 15));
    await source.start(handler);
    await waitForWatches(api);
    let p = api.upsert(pod({ namespace: "prod", name: "churn" }));
    for (let i = 1; i <= 30; i++) p = api.upsert({ ...p, metadata: { ...p.metadata, labels: { n: String(i) } } });
    await waitFor(() => handler.events("Pod").length === 31, "31 pod events");
    expect(handler.events("Pod").map((c) => Number(c.object.meta.resourceVersion))).toEqual([...handler.events("Pod").map((c) => Number(c.object.meta.resourceVersion))].sort((a, b) => a - b));
    expect(handler.events("Pod").at(-1)!.object.meta.labels).toEqual({ n: "30" });
  });

  it("a BOOKMARK only moves the resourceVersion: no handler call, and the next watch resumes from it", async () => {
    seed();
    const { handler } = await started();
    const calls = handler.calls.length;
    api.upsert(namespace("elsewhere")); // advances the global rv without touching pods
    api.bookmark("Pod");
    const bookmarkRv = api.resourceVersion;
    await waitFor(() => handler.calls.length === calls + 1, "the namespace event");
    await sleep(100);
    expect(handler.eventLines()).toEqual(["upsert Namespace elsewhere"]); // nothing for the bookmark
    const since = Date.now();
    api.endWatches("Pod");
    await waitFor(() => api.requestsTo({ path: PODS, type: "watch", since }).length >= 1, "pod re-watch");
    expect(api.requestsTo({ path: PODS, type: "watch", since })[0]!.resourceVersion).toBe(bookmarkRv);
    expect(api.requestsTo({ path: PODS, type: "list", since })).toHaveLength(0);
    expect(handler.lists()).toHaveLength(3);
  });

  it("a watch that ends normally reconnects from its resourceVersion without relisting", async () => {
    seed();
    const { source, handler } = await started();
    const since = Date.now();
    api.endWatches();
    await waitFor(() => api.openWatches() === 3 && api.requestsTo({ type: "watch", since }).length >= 3, "3 re-watches");
    expect(api.requestsTo({ type: "list", since })).toHaveLength(0);
    expect(api.requestsTo({ type: "watch", since }).every((r) => r.status === 200)).toBe(true);

    api.upsert(pod({ namespace: "dev", name: "after" }));
    await waitFor(() => handler.eventLines().includes("upsert Pod dev/after"), "event after reconnect");
    expect(handler.lists()).toHaveLength(3);
    for (const k of source.status().kinds) expect(k).toMatchObject({ restarts: 0, relists: 0 });
  });

  it("does not tight-loop when the server closes every watch at once (T-K5)", async () => {
    seed();
    const { handler } = await started();
    api.setCloseWatchesImmediately(true);
    const since = Date.now();
    api.endWatches();
    await sleep(1500);
    const watches = api.requestsTo({ path: PODS, type: "watch", since }).length;
    api.setCloseWatchesImmediately(false);
    // Unpaced, the informer re-watches hundreds of times in this window; paced (50 ms doubling to 400 ms) about 6.
    expect(watches).toBeGreaterThanOrEqual(2);
    expect(watches).toBeLessThanOrEqual(12);
    await waitFor(() => api.openWatches() === 3, "watches open again", 15_000);
    api.upsert(pod({ namespace: "dev", name: "late" }));
    await waitFor(() => handler.eventLines().includes("upsert Pod dev/late"), "event after the storm");
  });
});

describe("KubeClusterSource: failures and recovery", () => {
  it("survives an abrupt disconnect: restarts with backoff, resumes from its rv and replays what it missed", async () => {
    seed();
    const logger = new MemoryLogger();
    const { source, handler } = await started({ logger });
    api.dropConnections();
    api.upsert(pod({ namespace: "dev", name: "during-outage" }));
    await waitFor(() => handler.eventLines().includes("upsert Pod dev/during-outage"), "missed event replayed");
    await waitFor(() => source.status().kinds.every((k) => k.watching), "watching again");

    const pods = kindStatus(source, "Pod");
    expect(pods.restarts).toBeGreaterThanOrEqual(1);
    expect(pods.lastFailure).toMatch(/premature close|ECONNRESET|socket hang up/i);
    expect(pods.lastError).toBeUndefined(); // recovered: no current error
    expect(handler.lists()).toHaveLength(3); // resumed from the resourceVersion: no relist
    const warn = logger.records.find((r) => r.level === "warn" && r.fields["kind"] === "Pod");
    expect(warn?.fields).toMatchObject({ kind: "Pod", action: "restart", delayMs: expect.any(Number) });
  });

  it("repeated connection resets back off exponentially: no request storm, then recovery with a relist", async () => {
    seed();
    const { source, handler } = await started();
    api.resetNext(PODS, 1000, { on: "watch" });
    const since = Date.now();
    api.endWatches("Pod");
    await sleep(2000);
    const watches = api.requestsTo({ path: PODS, type: "watch", since });
    api.clearFailures();
    // 50, 100, 200, 400, 400... ms between attempts: about 7 in 2 s (a tight loop would make thousands).
    expect(watches.length).toBeGreaterThanOrEqual(3);
    expect(watches.length).toBeLessThanOrEqual(12);
    const gaps = watches.slice(1).map((r, i) => r.at - watches[i]!.at);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(250);
    // After `recreateAfterFailures` (3) failures the informer is replaced and relists.
    await waitFor(() => kindStatus(source, "Pod").watching, "pods watching again");
    expect(handler.lists("Pod", "relist").length).toBeGreaterThanOrEqual(1);
    expect(kindStatus(source, "Pod").restarts).toBeGreaterThanOrEqual(3);
    expect(kindStatus(source, "Namespace").restarts).toBe(0);
  });

  it("deletions while disconnected appear in the relist listing (via 'relist'), not as remove events", async () => {
    const { web, db } = seed();
    const { source, handler } = await started();
    await api.stop();
    api.delete(db);
    api.upsert({ ...web, metadata: { ...web.metadata, labels: { ...web.metadata.labels, v: "2" } } });
    api.upsert(pod({ namespace: "dev", name: "new" }));
    api.compact(); // the outage outlasted the watch history
    await api.start();

    await waitFor(() => handler.lists("Pod", "relist").length >= 1, "pod relist");
    expect(handler.lastListing("Pod")).toEqual(["dev/new", "prod/web-1"]);
    expect(handler.lists("Pod", "relist").at(-1)!.objects.find((o) => o.meta.name === "web-1")!.meta.labels).toMatchObject({ v: "2" });
    expect(handler.events("Pod")).toEqual([]); // the relist diff is not replayed as events
    await waitFor(() => source.status().kinds.every((k) => k.watching), "watching again");
    expect(kindStatus(source, "Pod").relists).toBe(handler.lists("Pod", "relist").length);
  });

  it.each(["event", "status"] as const)("410 Gone (%s) relists and the listing drops what was silently removed", async (mode) => {
    const { db } = seed();
    const { source, handler } = await started();
    api.silentlyRemove(db);
    api.compact("Pod", mode);
    const since = Date.now();
    api.endWatches("Pod");
    await waitFor(() => handler.lists("Pod", "relist").length === 1, "pod relist");

    expect(handler.lastListing("Pod")).toEqual(["prod/web-1"]);
    expect(handler.events()).toEqual([]);
    await waitFor(() => kindStatus(source, "Pod").watching, "pods watching");
    const podRequests = api.requestsTo({ path: PODS, since }).map((r) => `${r.type} ${r.status}`);
    expect(podRequests).toEqual([`watch ${mode === "event" ? 200 : 410}`, "list 200", "watch 200"]);
    expect(kindStatus(source, "Pod")).toMatchObject({ relists: 1, restarts: 0 });
    expect(handler.lists("Namespace")).toHaveLength(1);
  });

  it("retries a failing initial list (500) with backoff; start() resolves once it succeeds", async () => {
    seed();
    api.failNext(PODS, 500, 3, { on: "list", message: "etcdserver: leader changed" });
    const source = newSource();
    const handler = new RecordingHandler();
    await source.start(handler);

    const lists = api.requestsTo({ path: PODS, type: "list" });
    expect(lists.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    // Backoff 50 -> 100 -> 200 ms nominal, each at least 80 % of it.
    expect(lists.at(-1)!.at - lists[0]!.at).toBeGreaterThanOrEqual(0.8 * (50 + 100 + 200));
    expect(handler.lists("Pod").map((l) => l.via)).toEqual(["list"]);
    expect(kindStatus(source, "Pod")).toMatchObject({ synced: true, restarts: 3, lastFailure: "list failed: HTTP 500 InternalError: etcdserver: leader changed" });
    expect(kindStatus(source, "Pod").lastError).toBeUndefined();
  });

  it.each([
    { status: 500, message: "internal error" },
    { status: 504, message: "Too large resource version: 999, current: 120" },
  ])("a watch answered $status is replaced by a fresh informer that relists", async ({ status, message }) => {
    seed();
    const { source, handler } = await started();
    api.failNext(POLICIES, status, 1, { on: "watch", message });
    api.endWatches("NetworkPolicy");
    await waitFor(() => handler.lists("NetworkPolicy", "relist").length === 1, "policy relist");
    await waitFor(() => kindStatus(source, "NetworkPolicy").watching, "policies watching");
    expect(kindStatus(source, "NetworkPolicy")).toMatchObject({ restarts: 1, relists: 1, lastFailure: expect.stringContaining(`HTTP ${status}`) });
    expect(handler.lastListing("NetworkPolicy")).toEqual(["prod/db"]);
  });

  it("403 (RBAC) is retried but logged as an error with a hint", async () => {
    seed();
    api.failNext(PODS, 403, 2, { on: "list", message: 'pods is forbidden: User "system:serviceaccount:x:kubereach" cannot list resource "pods"' });
    const logger = new MemoryLogger();
    const source = newSource({ logger });
    await source.start(new RecordingHandler());
    const errors = logger.records.filter((r) => r.level === "error");
    expect(errors).toHaveLength(2);
    expect(errors[0]!.fields).toMatchObject({ kind: "Pod", status: 403, failureClass: "client", hint: expect.stringContaining("list and watch on pods") });
    await waitFor(() => kindStatus(source, "Pod").state === "watching", "pods watching");
    expect(kindStatus(source, "Pod")).toMatchObject({ synced: true, restarts: 2 });
    expect(kindStatus(source, "Pod").forbidden).toBeUndefined(); // granted since: no current problem
  });

  it("a required kind RBAC keeps refusing is reported with the permission it needs (what `sync --once` fails with)", async () => {
    seed();
    api.failNext(PODS, 403, 1000, { on: "list", message: 'pods is forbidden: User "limited" cannot list resource "pods"' });
    const source = newSource({ logger: silentLogger() });
    void source.start(new RecordingHandler()).catch(() => undefined);
    await waitFor(() => kindStatus(source, "Pod").restarts >= 2, "a few refused lists");
    expect(kindStatus(source, "Pod")).toMatchObject({ state: "forbidden", synced: false, forbidden: { verb: "list", resource: "pods", group: "" } });
    expect(requiredPermissionProblem(source.status())).toMatch(/refuses list pods .*cannot list resource "pods"/);
    expect(requiredPermissionProblem({ description: "x", kinds: source.status().kinds.filter((k) => k.kind !== "Pod") })).toBeUndefined();
    await source.stop();
  });

  it("a list that hangs is aborted after listTimeoutMs and retried", async () => {
    seed();
    api.stallNext(PODS, 1, { on: "list" });
    const source = newSource({ listTimeoutMs: 300 });
    await source.start(new RecordingHandler());
    expect(api.requestsTo({ path: PODS, type: "list" }).map((r) => r.status)).toEqual([0, 200]);
    expect(kindStatus(source, "Pod")).toMatchObject({ synced: true, restarts: 1, lastFailure: expect.stringContaining("aborted") });
  });

  it("API server down at start: start() keeps retrying and resolves after it comes up", async () => {
    seed();
    await api.stop();
    const source = newSource({ logger: silentLogger() });
    const handler = new RecordingHandler();
    let resolved = false;
    const starting = source.start(handler).then(() => (resolved = true));
    await waitFor(() => source.status().kinds.every((k) => k.restarts >= 2), "a few failed attempts");
    expect(resolved).toBe(false);
    expect(kindStatus(source, "Pod").lastError).toMatch(/ECONNREFUSED/);
    await api.start();
    await starting;
    expect(handler.lastListing("Pod")).toEqual(["prod/db-0", "prod/web-1"]);
    expect(handler.lists().map((l) => l.via)).toEqual(["list", "list", "list"]);
  });

  it("periodically relists: a silently dead watch is caught up by the forced relist (R8)", async () => {
    seed();
    const { handler } = await started({ resyncIntervalMs: 600 });
    api.freezeWatches(); // connected, but no events anymore
    api.upsert(pod({ namespace: "dev", name: "unseen" }));
    await waitFor(() => handler.lastListing("Pod").includes("dev/unseen"), "relist with the missed pod");
    expect(handler.lists("Pod", "relist").length).toBeGreaterThanOrEqual(1);
    expect(handler.events("Pod")).toEqual([]);
  });

  it("a failing handler makes the kind relist after backoff", async () => {
    seed();
    const source = newSource();
    const handler = new RecordingHandler();
    let failures = 1;
    const failing = {
      list: handler.list.bind(handler),
      remove: handler.remove.bind(handler),
      upsert: (o: Parameters<RecordingHandler["upsert"]>[0]) => (failures-- > 0 ? Promise.reject(new Error("database down")) : handler.upsert(o)),
    };
    await source.start(failing);
    await waitForWatches(api);
    api.upsert(pod({ namespace: "dev", name: "x" }));
    await waitFor(() => handler.lists("Pod", "relist").length === 1, "relist after handler failure");
    expect(handler.lastListing("Pod")).toContain("dev/x");
    expect(kindStatus(source, "Pod").lastFailure).toMatch(/handler upsert failed: database down/);
  });
});

describe("KubeClusterSource: stop and restart", () => {
  it("stop() during backoff resolves promptly, rejects the pending start() and sends nothing afterwards", async () => {
    seed();
    await api.stop();
    const source = newSource({ backoff: { initialMs: 200, maxMs: 5_000 } });
    const handler = new RecordingHandler();
    const starting = source.start(handler);
    const outcome = starting.then(
      () => "resolved",
      (err: unknown) => err,
    );
    await waitFor(() => source.status().kinds.every((k) => k.restarts >= 2), "in backoff");
    const t0 = Date.now();
    await source.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await outcome).toBeInstanceOf(SourceStoppedError);

    await api.start();
    await sleep(1500);
    expect(api.requests).toHaveLength(0);
    expect(handler.calls).toHaveLength(0);
    expect(source.status().kinds.every((k) => !k.watching)).toBe(true);
  });

  it("stop() closes the open watches", async () => {
    seed();
    const { source, handler } = await started();
    await source.stop();
    await waitFor(() => api.openWatches() === 0, "watches closed");
    api.upsert(pod({ namespace: "dev", name: "after-stop" }));
    await sleep(100);
    expect(handler.events()).toEqual([]);
  });

  it("a restarted service (new source) lists what changed while it was down", async () => {
    const { web, db } = seed();
    const first = await started();
    api.upsert(pod({ namespace: "dev", name: "seen-live" }));
    await waitFor(() => first.handler.events().length === 1, "live event");
    await first.source.stop();

    api.delete(db);
    api.silentlyRemove(web);
    api.upsert(pod({ namespace: "dev", name: "while-down" }));
    api.upsert(networkPolicy({ namespace: "dev", name: "deny", spec: { podSelector: {}, policyTypes: ["Ingress"] } }));

    const second = await started();
    expect(second.handler.lists().map((l) => l.via)).toEqual(["list", "list", "list"]);
    expect(second.handler.lastListing("Pod")).toEqual(["dev/seen-live", "dev/while-down"]);
    expect(second.handler.lastListing("NetworkPolicy")).toEqual(["dev/deny", "prod/db"]);
    expect(second.handler.events()).toEqual([]);
  });

  it("a relisted policy equals its watched twin (T-K8)", async () => {
    seed();
    const { handler } = await started();
    const spec = {
      podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["legacy"] }] },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { role: "fe" } } }, { ipBlock: { cidr: "10.0.0.0/8", except: ["10.9.0.0/16"] } }], ports: [{ port: "http" }, { protocol: "TCP", port: 8000, endPort: 8100 }] }],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "UDP", port: 53 }] }],
    };
    api.upsert(networkPolicy({ namespace: "prod", name: "twin", spec }));
    await waitFor(() => handler.events("NetworkPolicy").length === 1, "watched policy");
    const watched = handler.events("NetworkPolicy")[0]!.object;

    api.compact("NetworkPolicy");
    api.endWatches("NetworkPolicy");
    await waitFor(() => handler.lists("NetworkPolicy", "relist").length === 1, "relisted policy");
    const relisted = handler.lists("NetworkPolicy", "relist")[0]!.objects.find((o) => o.meta.name === "twin")!;

    expect(relisted).toEqual(watched);
    expect(JSON.stringify(relisted)).toBe(JSON.stringify(watched));
    expect(watched).toMatchObject({ kind: "NetworkPolicy", spec });
    expect(JSON.stringify(relisted)).not.toContain("_from");
  });
});
