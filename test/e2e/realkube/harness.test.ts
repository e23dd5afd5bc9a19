/** The test harness itself: a real etcd + kube-apiserver start, serve the tiered CRDs, survive an outage, compact. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RealKube } from "../../helpers/realKube.js";

describe("real API server harness", () => {
  let kube: RealKube;
  beforeAll(async () => {
    kube = await RealKube.start({ name: "harness" });
  }, 120_000);
  afterAll(async () => {
    await kube?.stop();
  });

  it("serves the API with RBAC: admin may, the limited user may list pods but not the tiered CRDs", async () => {
    await kube.installTieredCrds();
    const ns = await kube.must<{ items: unknown[] }>("GET", "/api/v1/namespaces");
    expect(ns.items.length).toBeGreaterThan(0);
    const anps = await kube.must<{ items: unknown[] }>("GET", "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies");
    expect(anps.items).toEqual([]);
  });

  it("comes back with the same data after an outage", async () => {
    await kube.must("POST", "/api/v1/namespaces", { metadata: { name: "keep" } });
    await kube.stopApiServer();
    await expect(kube.request("GET", "/api/v1/namespaces")).rejects.toThrow();
    await kube.startApiServer();
    const got = await kube.must<{ metadata: { name: string } }>("GET", "/api/v1/namespaces/keep");
    expect(got.metadata.name).toBe("keep");
  });

  it("compacts etcd", async () => {
    const rev = await kube.compact();
    expect(rev).toBeGreaterThan(1);
  });
});
