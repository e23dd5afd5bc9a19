/**
 * A process that died between applying a batch (objects and revisions committed) and committing
 * the generation computed from it left the database with objects newer than its latest
 * generation. The next process lists the same objects, so the source reports nothing new: it must
 * still commit a generation computed from them, or the matrix stays stale until some later change.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { silentLogger } from "../../../src/app/logger.js";
import { IN_MEMORY, openStore } from "../../../src/store/index.js";
import type { Store } from "../../../src/domain/repositories.js";
import { toClusterObject } from "../../../src/sync/kube/toClusterObject.js";
import { SyncService } from "../../../src/sync/SyncService.js";
import { FakeKubeApi, namespace, networkPolicy, pod } from "../../helpers/fakeKubeApi.js";
import { sourceFor, TempKubeconfig } from "../kube/helpers.js";

let store: Store;
let api: FakeKubeApi;
let kubeconfig: TempKubeconfig;

beforeAll(async () => {
  store = await openStore({ dataDir: IN_MEMORY });
  api = await FakeKubeApi.create();
  kubeconfig = new TempKubeconfig(api.url);
}, 120_000);
afterAll(async () => {
  await store?.close();
  await api?.stop();
  kubeconfig?.remove();
});

const service = () => new SyncService({ clusterId: "crashed", source: sourceFor(kubeconfig), store, logger: silentLogger(), debounceMs: 10, maxWaitMs: 50 });
const policy = (port: number) =>
  networkPolicy({ namespace: "prod", name: "db", spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port }] }] } });

it("a restart after a crash between applyChanges and commitGeneration commits a generation of the stored objects", async () => {
  api.upsert(namespace("prod"));
  api.upsert(pod({ namespace: "prod", name: "db-0", labels: { app: "db" }, ip: "10.0.0.1" }));
  api.upsert(policy(5432));
  const first = service();
  await first.start();
  await first.stop();
  const before = (await store.matrix.latestGeneration("crashed"))!;
  expect(before).toBeGreaterThan(0);

  // The policy changes; a process applies it (for the next generation) and dies before committing that generation.
  const updated = api.upsert(policy(6432));
  const object = toClusterObject("NetworkPolicy", updated);
  await store.objects.applyChanges("crashed", [{ op: "upsert", object }], { generation: before + 1 });

  const second = service();
  await second.start();
  await second.stop();
  const latest = await store.matrix.latestGeneration("crashed");
  expect(latest).toBe(before + 1);
  const world = await store.objects.loadObjectsAt("crashed", latest!);
  expect(world.find((o) => o.kind === "NetworkPolicy")?.meta.resourceVersion).toBe(updated.metadata.resourceVersion);
  expect([...(await store.matrix.snapshotAt("crashed", latest!)).connections.values()].join()).toContain("6432");
}, 60_000);
