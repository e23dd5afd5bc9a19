/**
 * The sync pipeline end to end on the real store (in-memory PGlite): a source (manifests, or the
 * real Kubernetes client against the fake API server) -> SyncService -> objects, revisions, matrix
 * generations and impacts in the database.
 */
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, silentLogger } from "../../../src/app/logger.js";
import { IN_MEMORY, openStore } from "../../../src/store/index.js";
import type { Store } from "../../../src/domain/repositories.js";
import { ManifestSource } from "../../../src/sync/manifests/ManifestSource.js";
import { SyncService, type GenerationEvent } from "../../../src/sync/SyncService.js";
import type { SyncStore } from "../../../src/sync/ports.js";
import { FakeKubeApi, namespace, networkPolicy, pod } from "../../helpers/fakeKubeApi.js";
import { sourceFor, TempKubeconfig, waitFor } from "../kube/helpers.js";
import { toClusterObject } from "../../../src/sync/kube/toClusterObject.js";
import type { ClusterSource, SourceHandler } from "../../../src/sync/source.js";

let store: Store;
let n = 0;
const clusterId = () => `sync-${++n}`;

beforeAll(async () => {
  store = await openStore({ dataDir: IN_MEMORY });
}, 120_000);
afterAll(async () => {
  await store?.close();
});

const yaml = (...docs: string[]) => docs.join("\n---\n");
const deployment = (name: string, labels: string, port = 80) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: shop }
spec:
  selector: { matchLabels: { ${labels} } }
  template:
    metadata: { labels: { ${labels} } }
    spec: { containers: [{ name: c, image: x, ports: [{ containerPort: ${port}, name: http }] }] }`;
const allowFrontend = (port: number) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: backend, namespace: shop }
spec:
  podSelector: { matchLabels: { app: backend } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: frontend } } }], ports: [{ port: ${port} }] }]`;

function service(id: string, source: ClusterSource, events: GenerationEvent[] = [], s: SyncStore = store) {
  return new SyncService({
    clusterId: id,
    source,
    store: s,
    logger: process.env.DEBUG_SYNC ? createLogger({ level: "debug" }) : silentLogger(),
    debounceMs: 50,
    maxWaitMs: 300,
    sourceRef: source instanceof ManifestSource ? () => source.sourceRef() : undefined,
    onGeneration: (e) => events.push(e),
  });
}

describe("SyncService with manifests", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kubereach-sync-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("syncs a tree, records revisions with impacts, and commits generations whose world reads back", async () => {
    const id = clusterId();
    writeFileSync(join(dir, "apps.yaml"), yaml(deployment("frontend", "app: frontend"), deployment("backend", "app: backend")));
    writeFileSync(join(dir, "policy.yaml"), allowFrontend(80));
    const source = new ManifestSource({ path: dir });
    const events: GenerationEvent[] = [];
    const svc = service(id, source, events);
    await svc.start();

    expect(svc.status()).toMatchObject({ initialSyncDone: true, generation: 1, counts: { Pod: 2, NetworkPolicy: 1, Namespace: 0 } });
    const revs = await store.revisions.list(id, { limit: 10 });
    expect(revs.map((r) => [r.objectKind, r.name, r.operation, r.observedVia])).toEqual([["NetworkPolicy", "backend", "CREATE", "manifest"]]);

    // The stored matrix says what the engine says: frontend reaches backend on TCP 80 only.
    const [backendClass] = await store.matrix.classesOfWorkload(id, 1, "shop", "backend");
    const incoming = await store.matrix.incoming(id, 1, [backendClass!.classKey]);
    const members = await store.matrix.members(id, 1, incoming.map((r) => r.srcClass));
    const sources = incoming.flatMap((r) => (members.get(r.srcClass) ?? []).map((m) => [m.type === "workload" ? m.name : "external", r.conn]));
    expect(sources).toEqual([["frontend", "TCP 80"]]);

    // Change the port: an UPDATE revision, a new generation, and an exact impact.
    writeFileSync(join(dir, "policy.yaml"), allowFrontend(8080));
    await (source as unknown as { readOnce(o: { initial: boolean }): Promise<void> }).readOnce({ initial: false });
    await svc.flush();
    const update = (await store.revisions.list(id, { limit: 10 })).at(-1)!;
    expect(update).toMatchObject({ operation: "UPDATE", seq: 2n, diff: [{ op: "replace", path: "/ingress/0/ports/0/port", value: 8080 }] });
    expect(svc.status().generation).toBe(2);
    const [impact] = await store.impacts.forRevisions([update.id]);
    expect(impact).toMatchObject({ exact: true, generation: 2 });
    expect(impact!.gained).toMatchObject({ total: 1, rows: [{ src: "shop/frontend[Deployment]", dst: "shop/backend[Deployment]", conn: "TCP 8080" }] });
    expect(impact!.lost).toMatchObject({ total: 1, rows: [{ src: "shop/frontend[Deployment]", dst: "shop/backend[Deployment]", conn: "TCP 80" }] });

    // Each generation's world reads back as it was.
    const policyAt = async (g: number) => (await store.objects.loadObjectsAt(id, g)).find((o) => o.kind === "NetworkPolicy");
    expect(JSON.stringify(await policyAt(1))).toContain('"port":80}');
    expect(JSON.stringify(await policyAt(2))).toContain('"port":8080}');

    // Deleting the file deletes the policy: a DELETE whose final state is known.
    unlinkSync(join(dir, "policy.yaml"));
    await (source as unknown as { readOnce(o: { initial: boolean }): Promise<void> }).readOnce({ initial: false });
    await svc.flush();
    expect((await store.revisions.list(id, { limit: 10 })).at(-1)).toMatchObject({ operation: "DELETE", finalStateUnknown: false, seq: 3n });
    await svc.stop();
    expect(events.map((e) => e.generation)).toEqual([1, 2, 3]);
  });

  it("keeps the last good state when a re-read has errors, and fails the first read", async () => {
    const id = clusterId();
    const d = mkdtempSync(join(tmpdir(), "kubereach-bad-"));
    try {
      writeFileSync(join(d, "policy.yaml"), allowFrontend(80));
      const source = new ManifestSource({ path: d });
      const svc = service(id, source);
      await svc.start();
      writeFileSync(join(d, "policy.yaml"), "kind: NetworkPolicy\nmetadata: {name: [oops\n");
      await (source as unknown as { readOnce(o: { initial: boolean }): Promise<void> }).readOnce({ initial: false });
      await svc.flush();
      expect((await store.revisions.list(id, { limit: 10 })).map((r) => r.operation)).toEqual(["CREATE"]);
      expect(source.status().lastError).toMatch(/error/); // once for the source, not once per kind
      expect(source.status().kinds.every((k) => k.lastError === undefined)).toBe(true);
      await svc.stop();

      const broken = new ManifestSource({ path: d });
      await expect(service(clusterId(), broken).start()).rejects.toMatchObject({ code: "BAD_INPUT" });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("retries a failing database write without losing or reordering changes", async () => {
    const id = clusterId();
    const d = mkdtempSync(join(tmpdir(), "kubereach-flaky-"));
    try {
      writeFileSync(join(d, "policy.yaml"), allowFrontend(80));
      let failures = 2;
      const flaky: SyncStore = {
        ...store,
        objects: {
          ...store.objects,
          loadObjects: (c) => store.objects.loadObjects(c),
          loadObjectsAt: (c, g) => store.objects.loadObjectsAt(c, g),
          settleOpenGeneration: (c, o) => store.objects.settleOpenGeneration(c, o),
          listWorkloads: (c, o) => store.objects.listWorkloads(c, o),
          applyChanges: (c, changes, o) => (failures-- > 0 ? Promise.reject(new Error("connection refused")) : store.objects.applyChanges(c, changes, o)),
        },
      };
      const svc = service(id, new ManifestSource({ path: d }), [], flaky);
      await svc.start();
      expect(failures).toBe(-1);
      expect((await store.revisions.list(id, { limit: 10 })).map((r) => r.operation)).toEqual(["CREATE"]);
      await svc.stop();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("SyncService initial listing", () => {
  it("commits the first generation once, over the complete listing, however slowly the kinds arrive", async () => {
    const id = clusterId();
    const withIds = (o: ReturnType<typeof pod>, i: number) => ({ ...o, metadata: { ...o.metadata, uid: `u-${o.kind}-${i}`, resourceVersion: String(i + 1) } });
    const pods = [pod({ namespace: "shop", name: "frontend", labels: { app: "frontend" } }), pod({ namespace: "shop", name: "backend", labels: { app: "backend" } })].map(withIds);
    const policy = withIds(networkPolicy({ namespace: "shop", name: "deny", spec: { podSelector: {}, policyTypes: ["Ingress"] } }), 9);
    // Pods are listed, then the policies take far longer than debounce + maxWait to arrive.
    const slow: ClusterSource = {
      description: "scripted",
      async start(h: SourceHandler) {
        await h.list("Namespace", [toClusterObject("Namespace", withIds(namespace("shop"), 5))], "list");
        await h.list("Pod", pods.map((p) => toClusterObject("Pod", p)), "list");
        await new Promise((r) => setTimeout(r, 800));
        await h.list("NetworkPolicy", [toClusterObject("NetworkPolicy", policy)], "list");
      },
      stop: async () => undefined,
      status: () => ({ description: "scripted", kinds: [] }),
    };
    const events: GenerationEvent[] = [];
    const svc = service(id, slow, events);
    await svc.start();
    await svc.stop();
    // One generation, and it holds the policy: no window in which the pods were served unisolated.
    expect(events.map((e) => [e.generation, e.stats.pods, e.stats.policies])).toEqual([[1, 2, 1]]);
  });
});

describe("SyncService recompute timing", () => {
  it("recomputes a lone change after a quiet period at once (leading edge) and debounces what follows", async () => {
    const id = clusterId();
    const withIds = (o: ReturnType<typeof pod>, uid: string, rv: number) => ({ ...o, metadata: { ...o.metadata, uid, resourceVersion: String(rv) } });
    const policy = (port: number, rv: number) =>
      toClusterObject("NetworkPolicy", withIds(networkPolicy({ namespace: "shop", name: "p", spec: { podSelector: {}, ingress: [{ ports: [{ port }] }] } }), "np", rv));
    let handler: SourceHandler | undefined;
    const scripted: ClusterSource = {
      description: "scripted",
      async start(h: SourceHandler) {
        handler = h;
        await h.list("Pod", [toClusterObject("Pod", withIds(pod({ namespace: "shop", name: "a", labels: { app: "a" } }), "pod-a", 1))], "list");
        await h.list("NetworkPolicy", [policy(1, 2)], "list");
      },
      stop: async () => undefined,
      status: () => ({ description: "scripted", kinds: [] }),
    };
    const events: GenerationEvent[] = [];
    // After a debounce period without changes, a lone change is recomputed without waiting for the debounce.
    const debounceMs = 2_000;
    const svc = new SyncService({ clusterId: id, source: scripted, store, logger: silentLogger(), debounceMs, maxWaitMs: 60_000, onGeneration: (e) => events.push(e) });
    await svc.start();
    expect(events.map((e) => e.generation)).toEqual([1]);
    await new Promise((r) => setTimeout(r, debounceMs + 100));
    const changed = Date.now();
    await handler!.upsert(policy(2, 3));
    await waitFor(() => events.length === 2, "generation 2", debounceMs + 5_000);
    expect(Date.now() - changed).toBeLessThan(debounceMs);
    // What follows the leading recompute waits for the debounce (flushed here), in one generation.
    for (let port = 3; port < 13; port++) await handler!.upsert(policy(port, port + 1));
    await new Promise((r) => setTimeout(r, 300));
    expect(events.length).toBeLessThanOrEqual(3);
    await svc.flush();
    const last = events.at(-1)!.generation;
    expect(last).toBeLessThanOrEqual(4);
    const stored = (await store.objects.loadObjectsAt(id, last)).find((o) => o.kind === "NetworkPolicy");
    expect(stored?.meta.resourceVersion).toBe("13");

    // Listings never take the leading edge: a re-read that changes two kinds after a quiet period is one generation.
    await new Promise((r) => setTimeout(r, debounceMs + 100));
    await handler!.list("NetworkPolicy", [policy(99, 20)], "manifest");
    await handler!.list("Pod", [toClusterObject("Pod", withIds(pod({ namespace: "shop", name: "a", labels: { app: "b" } }), "pod-a", 21))], "manifest");
    await svc.flush();
    await svc.stop();
    expect(events.map((e) => e.generation)).toEqual([...Array(last).keys()].map((i) => i + 1).concat(last + 1));
  });
});

describe("SyncService with the Kubernetes API (fake server, real client)", () => {
  let api: FakeKubeApi;
  let kubeconfig: TempKubeconfig;
  beforeAll(async () => {
    api = await FakeKubeApi.create();
    kubeconfig = new TempKubeconfig(api.url);
  });
  afterAll(async () => {
    await api?.stop();
    kubeconfig?.remove();
  });

  const denyAll = networkPolicy({ namespace: "prod", name: "deny-all", spec: { podSelector: {}, policyTypes: ["Ingress"] } });

  it("initial sync, live changes, a burst of pod events with few recomputes, and deletions seen after a restart", async () => {
    const id = clusterId();
    api.upsert(namespace("prod", { team: "a" }));
    api.upsert(pod({ namespace: "prod", name: "db-0", labels: { app: "db" }, ip: "10.0.0.10" }));
    api.upsert(denyAll);
    const events: GenerationEvent[] = [];
    let svc = service(id, sourceFor(kubeconfig), events);
    await svc.start();
    expect(svc.status()).toMatchObject({ generation: 1, counts: { Pod: 1, NetworkPolicy: 1 } });
    expect((await store.revisions.list(id, { limit: 10 })).map((r) => [r.name, r.operation, r.observedVia])).toEqual([["deny-all", "CREATE", "list"]]);

    // A live change arrives through the watch.
    api.upsert(networkPolicy({ namespace: "prod", name: "allow-web", spec: { podSelector: { matchLabels: { app: "db" } }, ingress: [{ ports: [{ port: 5432 }] }] } }));
    await waitFor(() => (svc.status().generation ?? 0) >= 2, "generation 2");
    expect((await store.revisions.list(id, { limit: 10 })).at(-1)).toMatchObject({ name: "allow-web", operation: "CREATE", observedVia: "watch" });

    // 500 pod events in a burst: a handful of recomputes, not 500.
    const before = events.length;
    for (let i = 0; i < 500; i++) api.upsert(pod({ namespace: "prod", name: `web-${i}`, labels: { app: "web", i: String(i % 7) }, ip: `10.1.${i >> 8}.${i & 255}` }));
    await waitFor(() => svc.status().counts.Pod === 501 && svc.status().pendingEvents === 0, "500 pods applied", 60_000);
    await svc.flush();
    const recomputes = events.length - before;
    expect(recomputes).toBeGreaterThanOrEqual(1);
    expect(recomputes).toBeLessThanOrEqual(10);
    expect((await store.objects.loadObjects(id)).filter((o) => o.kind === "Pod")).toHaveLength(501);

    // The service goes down; meanwhile a policy is deleted and a namespace relabelled.
    await svc.stop();
    api.delete(denyAll);
    svc = service(id, sourceFor(kubeconfig), events);
    await svc.start();
    const last = (await store.revisions.list(id, { limit: 10 })).at(-1);
    expect(last).toMatchObject({ name: "deny-all", operation: "DELETE", observedVia: "list", finalStateUnknown: true });
    expect((await store.objects.loadObjects(id)).filter((o) => o.kind === "NetworkPolicy").map((o) => o.meta.name)).toEqual(["allow-web"]);
    await svc.stop();
    for (const p of api.list("Pod")) api.delete(p);
    api.delete(api.get("NetworkPolicy", "allow-web", "prod")!);
  }, 120_000);

  it("records deletions that happened while the watch was disconnected (relist after 410)", async () => {
    const id = clusterId();
    const p = networkPolicy({ namespace: "prod", name: "temp", spec: { podSelector: {} } });
    api.upsert(p);
    const svc = service(id, sourceFor(kubeconfig));
    await svc.start();
    api.silentlyRemove(p);
    api.compact(undefined, "status");
    api.endWatches();
    await waitFor(() => svc.status().counts.NetworkPolicy === 0, "relist to drop the policy", 30_000);
    await svc.flush();
    expect((await store.revisions.list(id, { limit: 10 })).at(-1)).toMatchObject({ name: "temp", operation: "DELETE", observedVia: "relist", finalStateUnknown: true });
    await svc.stop();
  }, 60_000);
});
