/**
 * Updates the engine does not read (a pod's Ready condition, a new resourceVersion with the same
 * labels, IP and ports) are stored but commit no generation; a relabel does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/app/logger.js";
import { IN_MEMORY, openStore } from "../../../src/store/index.js";
import type { Store } from "../../../src/domain/repositories.js";
import { toClusterObject } from "../../../src/sync/kube/toClusterObject.js";
import { scriptedSource } from "../../helpers/scriptedSource.js";
import { SyncService, type GenerationEvent } from "../../../src/sync/SyncService.js";
import { namespace, networkPolicy, pod, type KubeObject } from "../../helpers/fakeKubeApi.js";
import { waitFor } from "../kube/helpers.js";

let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: IN_MEMORY });
}, 120_000);
afterAll(async () => {
  await store?.close();
});

const withIds = (o: KubeObject, uid: string, rv: number): KubeObject => ({ ...o, metadata: { ...o.metadata, uid, resourceVersion: String(rv) } });

describe("SyncService: changes the engine does not read", () => {
  it("a status-only pod update is stored without a generation; a relabel commits one", async () => {
    const webPod = (rv: number, labels: Record<string, string>, ready: boolean) => {
      const p = withIds(pod({ namespace: "shop", name: "web", labels, ip: "10.0.0.1" }), "pod-web", rv);
      return toClusterObject("Pod", { ...p, status: { ...(p["status"] as object), conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } });
    };
    const { source, handler } = scriptedSource([
      ["Namespace", [toClusterObject("Namespace", withIds(namespace("shop"), "ns", 1))]],
      ["Pod", [webPod(2, { app: "web" }, false)]],
      ["NetworkPolicy", [toClusterObject("NetworkPolicy", withIds(networkPolicy({ namespace: "shop", name: "p", spec: { podSelector: { matchLabels: { app: "web" } }, ingress: [] } }), "np", 3))]],
    ]);
    const events: GenerationEvent[] = [];
    const svc = new SyncService({ clusterId: "status-only", source, store, logger: silentLogger(), debounceMs: 50, maxWaitMs: 300, onGeneration: (e) => events.push(e) });
    await svc.start();
    expect(events.map((e) => e.generation)).toEqual([1]);
    await handler().upsert(webPod(4, { app: "web" }, true));
    await svc.flush();
    expect(events.map((e) => e.generation)).toEqual([1]);
    expect(svc.status().behindSince).toBeUndefined();
    const stored = await store.objects.loadObjects("status-only");
    expect(stored.find((o) => o.meta.uid === "pod-web")?.meta.resourceVersion).toBe("4"); // stored all the same
    await handler().upsert(webPod(5, { app: "web", tier: "front" }, true));
    await waitFor(() => events.length === 2, "a generation for the relabel");
    await svc.stop();
  });
});
