/**
 * The fake API server itself, spoken to with plain HTTP: list and watch shapes, replay, live
 * events, 410 in both modes, too-large rv, 404 Status, fault injection, stop/start on one port.
 */
import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeKubeApi, namespace, networkPolicy, pod } from "../../helpers/fakeKubeApi.js";
import { waitFor } from "./helpers.js";

let api: FakeKubeApi;
beforeEach(async () => {
  api = await FakeKubeApi.create();
});
afterEach(async () => {
  await api.stop();
});

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(api.url + path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Opens a watch and collects its lines until it ends or close() is called. */
function openWatch(path: string): { lines: Record<string, unknown>[]; status: Promise<number>; ended: Promise<void>; close: () => void } {
  const lines: Record<string, unknown>[] = [];
  let close = () => {};
  let resolveStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = new Promise<void>((resolve) => {
    const req = request(api.url + path, (res) => {
      resolveStatus(res.statusCode ?? 0);
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
          buf = buf.slice(nl + 1);
        }
      });
      res.on("end", () => resolve());
      res.on("close", () => resolve());
    });
    req.on("error", () => resolve());
    req.end();
    close = () => req.destroy();
  });
  return { lines, status, ended, close };
}

describe("FakeKubeApi", () => {
  it("lists with a list kind, the global resourceVersion and items without kind/apiVersion", async () => {
    api.upsert(namespace("a"));
    api.upsert(pod({ namespace: "a", name: "p", ip: "10.0.0.1" }));
    const { status, body } = await getJson("/api/v1/pods");
    expect(status).toBe(200);
    expect(body["kind"]).toBe("PodList");
    expect(body["metadata"]).toEqual({ resourceVersion: api.resourceVersion });
    const items = body["items"] as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    expect(items[0]).not.toHaveProperty("kind");
    expect(items[0]!["metadata"]).toMatchObject({ name: "p", namespace: "a", resourceVersion: "102" });
    expect(typeof (items[0]!["metadata"] as { uid: unknown }).uid).toBe("string");
  });

  it("serves namespaced paths and label selectors", async () => {
    api.upsert(pod({ namespace: "a", name: "p1", labels: { app: "web" } }));
    api.upsert(pod({ namespace: "a", name: "p2", labels: { app: "db" } }));
    api.upsert(pod({ namespace: "b", name: "p3", labels: { app: "web" } }));
    const names = (b: Record<string, unknown>) => (b["items"] as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort();
    expect(names((await getJson("/api/v1/namespaces/a/pods")).body)).toEqual(["p1", "p2"]);
    expect(names((await getJson("/api/v1/pods?labelSelector=app%3Dweb")).body)).toEqual(["p1", "p3"]);
    expect(names((await getJson("/api/v1/namespaces/a/pods?labelSelector=app!%3Dweb")).body)).toEqual(["p2"]);
  });

  it("answers unknown paths with 404 and a Status body, and serves registered resources", async () => {
    const missing = await getJson("/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies");
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: "Status", status: "Failure", reason: "NotFound", code: 404 });

    api.registerResource({ path: "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies", kind: "AdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", namespaced: false });
    api.upsert({ apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "AdminNetworkPolicy", metadata: { name: "anp" }, spec: { priority: 10 } });
    const found = await getJson("/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies");
    expect(found.status).toBe(200);
    expect(found.body["kind"]).toBe("AdminNetworkPolicyList");
  });

  it("replays events after the requested rv, streams live ones and keeps the watch open", async () => {
    const p = api.upsert(pod({ namespace: "a", name: "p" }));
    const rv = Number(p.metadata.resourceVersion);
    api.upsert({ ...p, metadata: { ...p.metadata, labels: { v: "2" } } });
    const w = openWatch(`/api/v1/pods?watch=true&resourceVersion=${rv}`);
    expect(await w.status).toBe(200);
    await waitFor(() => w.lines.length === 1, "replayed MODIFIED");
    expect(w.lines[0]).toMatchObject({ type: "MODIFIED", object: { kind: "Pod", metadata: { name: "p", labels: { v: "2" } } } });

    api.delete(p);
    api.upsert(networkPolicy({ namespace: "a", name: "np", spec: { podSelector: {} } })); // another resource: not on this watch
    api.bookmark("Pod");
    await waitFor(() => w.lines.length === 3, "DELETED and BOOKMARK");
    expect(w.lines[1]).toMatchObject({ type: "DELETED", object: { metadata: { name: "p", resourceVersion: String(rv + 2) } } });
    expect(w.lines[2]).toEqual({ type: "BOOKMARK", object: { kind: "Pod", apiVersion: "v1", metadata: { resourceVersion: api.resourceVersion } } });
    expect(api.openWatches("Pod")).toBe(1);

    api.endWatches();
    await w.ended;
    expect(api.openWatches()).toBe(0);
  });

  it.each(["event", "status"] as const)("answers watches from a compacted rv with 410 (%s)", async (mode) => {
    const p = api.upsert(pod({ namespace: "a", name: "p" }));
    api.compact("Pod", mode);
    const w = openWatch(`/api/v1/pods?watch=true&resourceVersion=${p.metadata.resourceVersion}`);
    const status = await w.status;
    await w.ended;
    if (mode === "event") {
      expect(status).toBe(200);
      expect(w.lines).toEqual([{ type: "ERROR", object: expect.objectContaining({ kind: "Status", reason: "Expired", code: 410 }) }]);
    } else {
      expect(status).toBe(410);
    }
    // From the current rv the watch works.
    const ok = openWatch(`/api/v1/pods?watch=true&resourceVersion=${api.resourceVersion}`);
    expect(await ok.status).toBe(200);
    ok.close();
  });

  it("answers a watch from a future rv with 504 Too large resource version", async () => {
    const res = await getJson(`/api/v1/pods?watch=true&resourceVersion=${Number(api.resourceVersion) + 10}`);
    expect(res.status).toBe(504);
    expect(String(res.body["message"])).toMatch(/Too large resource version/);
  });

  it("fails, resets and logs injected requests", async () => {
    api.failNext("/api/v1/pods", 500, 2, { on: "list" });
    expect((await getJson("/api/v1/pods")).status).toBe(500);
    expect((await getJson("/api/v1/pods")).body).toMatchObject({ kind: "Status", code: 500 });
    expect((await getJson("/api/v1/pods")).status).toBe(200);
    api.resetNext("/api/v1/namespaces");
    await expect(fetch(api.url + "/api/v1/namespaces")).rejects.toThrow();
    expect(api.requestsTo({ path: "/api/v1/pods" }).map((r) => r.status)).toEqual([500, 500, 200]);
    expect(api.requestsTo({ path: "/api/v1/namespaces" }).map((r) => r.status)).toEqual([0]);
  });

  it("goes down and comes back on the same port, dropping open watches", async () => {
    const port = api.port;
    const w = openWatch(`/api/v1/pods?watch=true&resourceVersion=${api.resourceVersion}`);
    expect(await w.status).toBe(200);
    await api.stop();
    await w.ended;
    await expect(fetch(api.url + "/api/v1/pods")).rejects.toThrow();
    await api.start();
    expect(api.port).toBe(port);
    expect((await getJson("/api/v1/pods")).status).toBe(200);
  });
});
