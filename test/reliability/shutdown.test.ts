/**
 * Graceful shutdown of `kubereach serve` on SIGTERM, with real processes: a leader A and a standby
 * B on one database, a 30 s lease, and a long recompute debounce (2 s, at most 5 s) so that when
 * SIGTERM arrives in the middle of a burst of changes, A has applied changes whose generation is
 * not committed yet. A must:
 * - exit with code 0 within the grace period (Kubernetes' default 30 s), by itself (a leaked watch
 *   or connection would keep it alive);
 * - stop being ready before it exits (/readyz 503 or connection refused, never 200 again);
 * - finish the write in progress: the latest generation is computed from exactly the objects A
 *   applied (nothing applied is left outside a committed generation), checked while B is paused
 *   so that the database is what A left;
 * - release the lease: B (resumed) takes over at once, long before the 30 s lease would expire.
 * Then B catches up and the database passes every check; B too exits 0 on SIGTERM.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/domain/repositories.js";
import { FakeKubeApi } from "../helpers/fakeKubeApi.js";
import { TempKubeconfig } from "../sync/kube/helpers.js";
import { checkAll, dbObjects, driveChanges, waitCaughtUp, watchPolicies } from "./helpers/checks.js";
import { ClusterDriver } from "./helpers/cluster.js";
import { TestDatabase } from "./helpers/database.js";
import { eventually, killAll, sleep } from "./helpers/process.js";
import { holds, lease, readyz, startReplica, waitReady } from "./helpers/serve.js";

const CLUSTER = "graceful";
const GRACE_MS = 30_000;
const SEED = Number(process.env["KUBEREACH_SHUTDOWN_SEED"] ?? 4_242);

describe("kubereach serve on SIGTERM", () => {
  let api: FakeKubeApi;
  let kube: TempKubeconfig;
  let db: TestDatabase;
  let store: Store;
  let dir: string;

  beforeAll(async () => {
    db = await TestDatabase.create("shutdown"); // fails (not skips) when PostgreSQL is down
    api = await FakeKubeApi.create();
    kube = new TempKubeconfig(api.url);
    dir = mkdtempSync(join(tmpdir(), "kubereach-shutdown-"));
    writeFileSync(join(dir, "kubereach.yaml"), "sync:\n  leaseTtlSeconds: 30\n  debounceMs: 2000\n  maxWaitMs: 5000\n");
    store = await db.store();
  });

  afterAll(async () => {
    await killAll();
    await api?.stop();
    kube?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  it("during a burst: exits 0 in the grace period, readiness drops first, the pending generation is committed, the lease is released", async () => {
    const driver = new ClusterDriver(api, SEED);
    driver.seed();
    const policies = watchPolicies(db, CLUSTER);
    const args = ["--kubeconfig", kube.path, "--database-url", db.url, "--cluster-id", CLUSTER, "--config", join(dir, "kubereach.yaml")];
    const a = await startReplica("A", args);
    await eventually(async () => holds(await lease(db, CLUSTER), a.process), "A to take the lease", 90_000);
    await waitReady(a);
    const b = await startReplica("B", args);
    await waitReady(b);

    const changes = driveChanges(driver, [20, 80]);
    let marker: ReturnType<ClusterDriver["createMarker"]>;
    try {
      await sleep(2500);
      // A change A has applied (it is in the objects table) but, with a 2 s debounce, not committed in a generation yet.
      marker = driver.createMarker();
      await eventually(async () => (await dbObjects(db, CLUSTER)).NetworkPolicy.get(marker.uid) === marker.resourceVersion, "A to apply the marker", 30_000, 10);
    } catch (err) {
      await changes.stop();
      throw err;
    }
    // B must not touch the database while A shuts down: what is checked below is what A left.
    b.process.signal("SIGSTOP");
    await eventually(async () => b.process.state() === "T", "B to be stopped", 10_000, 10);
    const leaseBefore = (await lease(db, CLUSTER))!;
    const [latestAtSigterm] = await db.sql<{ g: number }>("SELECT max(generation) AS g FROM matrix_generations WHERE cluster_id = $1", [CLUSTER]);

    a.process.signal("SIGTERM");
    const sigtermAt = Date.now();
    // Readiness while it shuts down, until it is gone.
    const readiness: { at: number; status: number | "refused" }[] = [];
    const probing = (async () => {
      while (!a.process.hasExited) {
        readiness.push({ at: Date.now(), status: await readyz(a, 2_000) });
        await sleep(20);
      }
    })();
    await sleep(300); // the burst goes on through the shutdown
    await changes.stop();
    const exit = await a.process.waitForExit(GRACE_MS + 10_000);
    const exitedAt = Date.now();
    await probing;

    // What A left (B is paused).
    const leaseAfterExit = (await lease(db, CLUSTER))!;
    const objects = await dbObjects(db, CLUSTER);
    const [latest] = await db.sql<{ g: number }>("SELECT max(generation) AS g FROM matrix_generations WHERE cluster_id = $1", [CLUSTER]);
    const world = await store.objects.loadObjectsAt(CLUSTER, latest!.g);
    const worldVersions = new Set(world.map((o) => `${o.kind} ${o.meta.uid} ${o.meta.resourceVersion}`));
    const applied = (["Namespace", "Pod", "NetworkPolicy"] as const).flatMap((k) => [...objects[k]].map(([uid, rv]) => `${k} ${uid} ${rv}`));
    const outsideGeneration = applied.filter((v) => !worldVersions.has(v));
    const logs = a.process.logs();
    const shutdownLine = logs.findIndex((l) => l.msg === "shutting down");
    const committedWhileStopping = logs.slice(shutdownLine + 1).filter((l) => l.msg === "matrix generation committed");

    // B resumes: the lease was released, so it takes over at its next try, not when the lease would have expired.
    b.process.signal("SIGCONT");
    const resumedAt = Date.now();
    await eventually(async () => holds(await lease(db, CLUSTER), b.process), "B to take the released lease", GRACE_MS, 50);
    const takeoverMs = Date.now() - resumedAt;
    const takenAt = new Date();
    await waitCaughtUp(db, store, CLUSTER, driver, "B");
    await policies.stop();
    const checked = await checkAll(db, store, CLUSTER, driver, policies.observed);

    const firstNotReady = readiness.find((r) => r.status !== 200);
    console.log(
      `shutdown: exit ${JSON.stringify(exit)} ${exitedAt - sigtermAt} ms after SIGTERM; readiness after SIGTERM: ${readiness.map((r) => `${r.at - sigtermAt}ms:${r.status}`).join(" ")}; ` +
        `generation at SIGTERM ${latestAtSigterm?.g}, committed while stopping: ${committedWhileStopping.map((l) => String(l["generation"])).join(",") || "none"}; ` +
        `B took the lease ${takeoverMs} ms after resuming (the lease would have expired ${leaseBefore.expires_at.getTime() - takenAt.getTime()} ms later)`,
    );
    expect(exit, a.process.output()).toEqual({ code: 0, signal: null });
    expect(exitedAt - sigtermAt, "exits within the grace period").toBeLessThan(GRACE_MS);
    expect(shutdownLine, "logs the signal").toBeGreaterThanOrEqual(0);
    expect(logs[shutdownLine]!["signal"]).toBe("SIGTERM");
    // Readiness: drops before the exit and never comes back.
    expect(firstNotReady, "not ready before it exits").toBeDefined();
    expect(readiness.slice(readiness.indexOf(firstNotReady!)).filter((r) => r.status === 200), "never ready again").toEqual([]);
    // The write in progress was finished: every object A applied is in a committed generation.
    expect(objects.NetworkPolicy.get(marker!.uid)).toBe(marker!.resourceVersion);
    expect(outsideGeneration, `generation ${latest!.g} must be computed from every object A applied`).toEqual([]);
    expect(latest!.g, "a generation was committed after SIGTERM for what was pending").toBeGreaterThan(latestAtSigterm!.g);
    expect(committedWhileStopping.length).toBeGreaterThan(0);
    // The lease was released, not left to expire.
    expect(leaseAfterExit.holder).toBe(leaseBefore.holder);
    expect(leaseAfterExit.expired, "released at exit").toBe(true);
    expect(takenAt.getTime(), "B took over before the lease would have expired").toBeLessThan(leaseBefore.expires_at.getTime());
    expect(takeoverMs).toBeLessThan(10_000);
    expect(checked.problems, `seed ${SEED}`).toEqual([]);

    // B shuts down just as cleanly (idle this time).
    b.process.signal("SIGTERM");
    expect(await b.process.waitForExit(GRACE_MS + 10_000), b.process.output()).toEqual({ code: 0, signal: null });
    expect((await lease(db, CLUSTER))!.expired).toBe(true);
  }, 300_000);
});
