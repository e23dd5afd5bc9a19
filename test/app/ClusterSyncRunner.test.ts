/**
 * Leader election over the database: two runners (as two replicas would) on one PostgreSQL
 * database sync the same manifests; exactly one syncs, a graceful stop hands over at once, and a
 * former leader whose lease was taken over is fenced off on its next write.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterSyncRunner } from "../../src/app/ClusterSyncRunner.js";
import { loadConfig } from "../../src/app/config.js";
import { silentLogger } from "../../src/app/logger.js";
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/domain/repositories.js";
import { dropDatabase, pgAdmin, pgUrl, uniqueDbName } from "../store/helpers/backends.js";
import { waitFor } from "../sync/kube/helpers.js";

const policy = (port: number) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db, namespace: prod }
spec:
  podSelector: { matchLabels: { app: db } }
  ingress: [{ ports: [{ port: ${port} }] }]`;

describe("ClusterSyncRunner on PostgreSQL", () => {
  const db = uniqueDbName("runner");
  let dir: string;
  const stores: Store[] = [];
  const open = async () => {
    const s = await openStore({ databaseUrl: pgUrl(db) });
    stores.push(s);
    return s;
  };
  const runner = (store: Store) =>
    new ClusterSyncRunner({
      config: loadConfig({ env: {}, flags: { "source.type": "manifests", "source.path": dir, clusterId: "ha", "sync.debounceMs": 20, "sync.maxWaitMs": 200 } }),
      store,
      logger: silentLogger(),
      leaseTtlMs: 1500,
      leaseRenewMs: 300,
    });

  beforeAll(async () => {
    (await pgAdmin()).end(); // fails (not skips) when PostgreSQL is down
    dir = mkdtempSync(join(tmpdir(), "kubereach-runner-"));
    writeFileSync(join(dir, "np.yaml"), policy(5432));
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await dropDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  });

  it("one leader syncs, the standby takes over at once on a graceful stop, and a fenced former leader stops writing", async () => {
    const [sa, sb] = [await open(), await open()];
    const a = runner(sa);
    const b = runner(sb);
    await a.start();
    await b.start();
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    await a.firstSync;
    expect(b.status()).toMatchObject({ role: "standby", sync: undefined });
    expect(await sa.matrix.latestGeneration("ha")).toBe(1);

    // Graceful stop: the lease is released, the standby is elected on its next try.
    await a.stop();
    await waitFor(() => b.isLeader, "b to be elected", 10_000);
    await b.firstSync;
    expect((await sb.revisions.list("ha", { limit: 10 })).map((r) => r.operation)).toEqual(["CREATE"]);

    // A third replica takes the lease behind b's back (as if b had stalled past its expiry).
    const lease = await sb.leases.current("ha");
    await sb.leases.release(lease!);
    const c = await sb.leases.acquire("ha", "intruder", 60_000);
    expect(c?.epoch).toBe(lease!.epoch + 1n);
    // b's next write is refused: it notices and steps down instead of forking the history.
    writeFileSync(join(dir, "np.yaml"), policy(6432));
    await (b.sync!["options"].source as unknown as { readOnce(o: { initial: boolean }): Promise<void> }).readOnce({ initial: false });
    await waitFor(() => !b.isLeader, "b to step down", 10_000);
    expect((await sb.revisions.list("ha", { limit: 10 })).map((r) => r.operation)).toEqual(["CREATE"]);
    await b.stop();
  }, 60_000);
});
