/**
 * Crash recovery, with real processes: `kubereach sync` runs as a child process against a fake
 * Kubernetes API server (in this test process) and a fresh PostgreSQL database, and is SIGKILLed
 * at seeded-random moments (starting up, listing, applying a batch, committing a generation...)
 * while the cluster changes; a new process is started after each kill, and some changes happen
 * while none runs. At the end `kubereach sync --once` syncs, and the database must hold:
 * (a) exactly the fake's current objects (uid + resourceVersion per kind);
 * (b) a gapless chain with no revision recorded twice;
 * (c) no revision an observer can require lost: every live policy has a CREATE and its newest
 *     revision records its final spec; every policy the database ever held that is gone has a
 *     DELETE as newest revision; every revision is a real version of a real object (no invention);
 * (d) a history `kubereach audit verify` (the real CLI) accepts;
 * (e) a latest generation that reads back whole, numbered 1..G, computed from the final state,
 *     equal to what the engine computes from it.
 * Policies created and deleted entirely while no process ran leave no trace: that is inherent to a
 * list+watch observer (a list shows final state only) and reported, not failed.
 *
 * KUBEREACH_CRASH_SEED=<n> replays one schedule (the seed is printed).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKubeApi } from "../helpers/fakeKubeApi.js";
import { TempKubeconfig } from "../sync/kube/helpers.js";
import { auditVerify, checkChainShape, checkEveryGeneration, checkHistory, checkLatestGeneration, checkObjects, dbObjects, fakeClusterObjects, readRevisions } from "./helpers/checks.js";
import { ClusterDriver } from "./helpers/cluster.js";
import { TestDatabase } from "./helpers/database.js";
import { KubereachProcess, eventually, killAll, sleep } from "./helpers/process.js";

const SEED = Number(process.env["KUBEREACH_CRASH_SEED"] ?? 20_240_501);
const CLUSTER = "crash";

describe("kubereach sync survives SIGKILL at any point", () => {
  let api: FakeKubeApi;
  let kube: TempKubeconfig;
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await TestDatabase.create("crash"); // fails (not skips) when PostgreSQL is down
    api = await FakeKubeApi.create();
    kube = new TempKubeconfig(api.url);
    dir = mkdtempSync(join(tmpdir(), "kubereach-crash-"));
    // A 2 s lease: a restarted process waits at most that long for the killed one's lease.
    writeFileSync(join(dir, "kubereach.yaml"), "sync:\n  leaseTtlSeconds: 2\n  debounceMs: 50\n  maxWaitMs: 300\n");
  });

  afterAll(async () => {
    await killAll();
    await api?.stop();
    kube?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  it("relists and reconciles after every kill: objects, history, chain and matrix are exact", async () => {
    const driver = new ClusterDriver(api, SEED);
    const rng = driver.rng;
    driver.seed();
    const args = ["sync", "--kubeconfig", kube.path, "--database-url", db.url, "--cluster-id", CLUSTER, "--log-level", "warn", "--config", join(dir, "kubereach.yaml")];

    // Policies the database held at some moment (seen by polling it): their deletion must be recorded.
    const observed = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        try {
          for (const uid of (await dbObjects(db, CLUSTER)).NetworkPolicy.keys()) observed.add(uid);
        } catch {
          // tables not created yet
        }
        await sleep(100);
      }
    })();

    const burst = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        driver.randomOp();
        await sleep(rng.int(5, 120));
      }
    };

    const leaseHolder = async () => (await db.sql<{ holder: string }>("SELECT holder FROM sync_leases WHERE cluster_id = $1", [CLUSTER]).catch(() => []))[0]?.holder;
    const kills = rng.int(3, 5);
    const schedule: string[] = [];
    try {
      for (let i = 1; i <= kills; i++) {
        const child = KubereachProcess.start(`sync #${i}`, args);
        if (rng.chance(0.25)) {
          // Killed while starting (loading, migrating, waiting for the dead process's lease, listing).
          await burst(rng.int(300, 2500));
        } else {
          // Killed once it syncs: right after it took the lease (initial list and reconcile), or in steady state.
          await eventually(async () => (await leaseHolder())?.includes(`/${child.pid}/`) || child.hasExited, `sync #${i} to take the lease`, 90_000, 25);
          if (rng.chance(0.3)) await sleep(rng.int(0, 400));
          else {
            await burst(rng.int(200, 2000));
            // Sometimes let it catch up first, so what it recorded can be deleted behind its back later.
            if (rng.chance(0.5)) {
              await eventually(async () => (await checkObjects(db, CLUSTER, driver)).length === 0, `sync #${i} to catch up`, 90_000, 50);
              schedule.push(`#${i} caught up`);
            }
            await burst(rng.int(100, 3000));
          }
        }
        if (child.hasExited) throw new Error(`sync #${i} exited on its own\n${child.output()}`);
        child.signal("SIGKILL");
        const exit = await child.exited;
        expect(exit, child.output()).toEqual({ code: null, signal: "SIGKILL" });
        schedule.push(`#${i} killed ${Date.now() - child.startedAt} ms after start`);
        // Changes while nobody syncs.
        for (let n = rng.int(0, 6); n > 0; n--) {
          driver.randomOp();
          await sleep(rng.int(5, 60));
        }
      }

      const once = await KubereachProcess.run("sync --once", [...args, "--once"], 120_000);
      expect(once.code, `${once.stdout}\n${once.stderr}`).toBe(0);
      expect(once.stdout).toMatch(/^synced cluster crash from .*; matrix generation \d+\n$/);
    } finally {
      watching = false;
      await watcher;
    }

    const revisions = await readRevisions(db, CLUSTER);
    const history = checkHistory(revisions, driver, observed);
    const store = await db.store();
    const latest = await checkLatestGeneration(db, store, CLUSTER, fakeClusterObjects(api));
    const audit = await auditVerify(db.url, CLUSTER);
    console.log(
      `crash test seed ${SEED}: ${kills} kills (${schedule.join(", ")}); ${driver.journal.length} changes; ${revisions.length} revisions ` +
        `(${history.policiesWithHistory} policies with history); ${latest.generation} generations; ` +
        `${history.untraced.length} policies created and deleted while no process ran, with no trace (inherent)`,
    );
    const context = `seed ${SEED}; changes:\n${driver.journal.join("\n")}`;
    expect(await checkObjects(db, CLUSTER, driver), `(a) objects\n${context}`).toEqual([]);
    expect(checkChainShape(revisions), "(b) chain shape").toEqual([]);
    expect(history.problems, `(b, c) history\n${context}`).toEqual([]);
    expect(audit.code, `(d) audit verify\n${audit.stdout}${audit.stderr}`).toBe(0);
    expect(audit.verified, "(d) audit verify covers every revision").toBe(revisions.length);
    expect(latest.problems, `(e) latest generation\n${context}`).toEqual([]);
    // A process killed while computing a generation leaves versions stamped for the next one; the
    // generation its successor commits under that number must still hold exactly its objects.
    expect(await checkEveryGeneration(store, CLUSTER, latest.generation), `(f) every generation\n${context}`).toEqual([]);
    // The run exercised what it claims to: policies were recorded, then deleted behind a dead process's back.
    expect(history.policiesWithHistory).toBeGreaterThan(10);
    expect(revisions.some((r) => r.operation === "DELETE" && r.final_state_unknown), "a deletion inferred from a relist").toBe(true);
  }, 300_000);
});
