/**
 * A cluster that never synced: `kubereach serve` (a real process) against a fake API server that
 * never answers the initial list. GraphQL syncStatus.lagSeconds and /metrics
 * kubereach_sync_lag_seconds must tell the same story (both come from clusterHealth in
 * src/api/runtime.ts): the lag counts from the start of the initial sync, it is not 0 on one side
 * and growing on the other (issue 13 item 8). Read metrics, GraphQL, metrics: the GraphQL value
 * lies between the two metric samples (the clock moves between requests, so no equality).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKubeApi } from "../../helpers/fakeKubeApi.js";
import { TempKubeconfig } from "../../sync/kube/helpers.js";
import { TestDatabase } from "../../reliability/helpers/database.js";
import { eventually, killAll } from "../../reliability/helpers/process.js";
import { gql, metric, readyz, startReplica } from "../../reliability/helpers/serve.js";

const CLUSTER = "never-synced";
const LISTS = ["/api/v1/namespaces", "/api/v1/pods", "/apis/networking.k8s.io/v1/networkpolicies"];

describe("a cluster whose initial list never answers", () => {
  let api: FakeKubeApi;
  let kube: TempKubeconfig;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await TestDatabase.create("neversynced"); // fails (not skips) when PostgreSQL is down
    api = await FakeKubeApi.create();
    for (const path of LISTS) api.stallNext(path, 1_000, { on: "list" });
    kube = new TempKubeconfig(api.url);
  }, 120_000);

  afterAll(async () => {
    await killAll();
    await api?.stop();
    kube?.remove();
    await db?.drop();
  });

  it("syncStatus.lagSeconds agrees with kubereach_sync_lag_seconds, and both grow from the start", async () => {
    const r = await startReplica("never", ["--kubeconfig", kube.path, "--database-url", db.url, "--cluster-id", CLUSTER]);
    const series = `cluster="${CLUSTER}"`;
    // Wait until some lag is visible on /metrics (the sync has started and holds no generation).
    await eventually(async () => (await metric(r, "kubereach_sync_lag_seconds", series)) > 0.5, "a lag on /metrics", 60_000, 200);
    type S = { cluster: string; ready: boolean; generation: number | null; lagSeconds: number | null };
    const before = await metric(r, "kubereach_sync_lag_seconds", series);
    const [status] = (await gql<{ syncStatus: S[] }>(r, "{ syncStatus { cluster ready generation lagSeconds } }")).syncStatus.filter((s) => s.cluster === CLUSTER);
    const after = await metric(r, "kubereach_sync_lag_seconds", series);
    expect(status).toMatchObject({ cluster: CLUSTER, ready: false, generation: null });
    expect(status!.lagSeconds).not.toBeNull();
    expect(status!.lagSeconds!).toBeGreaterThanOrEqual(before);
    expect(status!.lagSeconds!).toBeLessThanOrEqual(after);
    expect(await metric(r, "kubereach_ready")).toBe(0);
    expect(await readyz(r)).toBe(503);
    expect(api.requests.some((q) => q.type === "list")).toBe(true);
  }, 180_000);
});
