/**
 * High availability with real processes and real HTTP: two (then three) `kubereach serve`
 * replicas on one PostgreSQL database and one fake Kubernetes API server, with a 5 s sync lease.
 *
 * 1. SIGKILL of the leader while changes flow: the standby takes over within 15 s (it serves a
 *    generation reflecting a change made after the kill); across the handover no revision is lost
 *    or duplicated (chain, uniqueness, history against the fake's ground truth, `audit verify`);
 *    and a reader that keeps querying the surviving replica (whoCanReach and the whole matrix)
 *    never sees a half-written generation: every answer equals the engine's answer for the world
 *    of the generation it names (see helpers/reader.ts for why that is a sound check).
 * 2. A stalled leader (SIGSTOP) loses the lease to a standby; resumed (SIGCONT) with changes
 *    buffered in its watch streams, it steps down (its log says so) and none of its writes lands:
 *    its own counters of revisions appended and generations committed do not move, and the
 *    database passes every check.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/domain/repositories.js";
import { FakeKubeApi } from "../helpers/fakeKubeApi.js";
import { TempKubeconfig } from "../sync/kube/helpers.js";
import { checkAll, driveChanges, waitCaughtUp, watchPolicies } from "./helpers/checks.js";
import { ClusterDriver } from "./helpers/cluster.js";
import { TestDatabase } from "./helpers/database.js";
import { eventually, killAll, sleep } from "./helpers/process.js";
import { Reader, checkReads } from "./helpers/reader.js";
import { WHO_CAN_REACH, gql, holds, lease, metric, startReplica, waitReady, whoCanReachLines, type Replica, type WhoCanReachAnswer } from "./helpers/serve.js";

const CLUSTER = "ha";
const TARGET = { namespace: "alpha", name: "db" };
const TARGET_DISPLAY = "alpha/db[Deployment]";
const SEED = Number(process.env["KUBEREACH_HA_SEED"] ?? 7_001);

/** Distinct whoCanReach answers the reader got. */
const distinctAnswers = (r: Reader) => new Set(r.observations.filter((o) => o.query === "whoCanReach").map((o) => o.lines.join("\n"))).size;

describe("two kubereach serve replicas on one database", () => {
  let api: FakeKubeApi;
  let kube: TempKubeconfig;
  let db: TestDatabase;
  let store: Store;
  let dir: string;
  let driver: ClusterDriver;
  let args: string[];
  let policies: ReturnType<typeof watchPolicies>;
  const replicas: Replica[] = [];

  const serves = async (r: Replica, port: number) =>
    whoCanReachLines(await gql<WhoCanReachAnswer>(r, WHO_CAN_REACH, { t: TARGET })).some((l) => l.includes(String(port)));

  /** The leader has applied everything and committed a generation of it. */
  const caughtUp = (what: string) => waitCaughtUp(db, store, CLUSTER, driver, what);

  beforeAll(async () => {
    db = await TestDatabase.create("ha"); // fails (not skips) when PostgreSQL is down
    api = await FakeKubeApi.create();
    kube = new TempKubeconfig(api.url);
    dir = mkdtempSync(join(tmpdir(), "kubereach-ha-"));
    writeFileSync(join(dir, "kubereach.yaml"), "sync:\n  leaseTtlSeconds: 5\n  debounceMs: 50\n  maxWaitMs: 300\n");
    args = ["--kubeconfig", kube.path, "--database-url", db.url, "--cluster-id", CLUSTER, "--config", join(dir, "kubereach.yaml")];
    driver = new ClusterDriver(api, SEED);
    driver.seed();
    policies = watchPolicies(db, CLUSTER);
    store = await db.store();
  });

  afterAll(async () => {
    await policies?.stop();
    await killAll();
    await api?.stop();
    kube?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  it("SIGKILL of the leader: the standby takes over within 15 s, nothing is lost or duplicated, readers never see a half-written generation", async () => {
    const a = await startReplica("A", args);
    replicas.push(a);
    await eventually(async () => holds(await lease(db, CLUSTER), a.process), "A to take the lease", 90_000);
    await waitReady(a);
    const b = await startReplica("B", args);
    replicas.push(b);
    await waitReady(b);
    expect(holds(await lease(db, CLUSTER), b.process), "B stands by").toBe(false);

    const reader = new Reader(b, TARGET);
    const changes = driveChanges(driver);
    let killedAt = 0;
    let takeoverMs = 0;
    try {
      await sleep(3000 + driver.rng.int(0, 3000));
      const before = await lease(db, CLUSTER);
      a.process.signal("SIGKILL");
      killedAt = Date.now();
      await a.process.exited;
      const marker = driver.createMarker();
      await eventually(() => serves(b, marker.port), "B to serve a generation with the change made after the kill", 30_000, 100);
      takeoverMs = Date.now() - killedAt;
      const after = await lease(db, CLUSTER);
      expect(holds(after, b.process), "B holds the lease").toBe(true);
      expect(BigInt(after!.epoch)).toBe(BigInt(before!.epoch) + 1n);
      await sleep(2000);
    } finally {
      await changes.stop();
    }
    await caughtUp("B after the takeover");
    await reader.stop();

    const checked = await checkAll(db, store, CLUSTER, driver, policies.observed);
    const reads = await checkReads(store, CLUSTER, reader.observations, TARGET_DISPLAY);
    const beforeKill = new Set(reader.observations.filter((o) => o.at < killedAt).map((o) => o.generation));
    const afterTakeover = new Set(reader.observations.filter((o) => o.at > killedAt + takeoverMs).map((o) => o.generation));
    console.log(
      `HA kill: takeover (kill -> B serves a change made after it) ${takeoverMs} ms; ${driver.journal.length} changes; ${checked.revisions} revisions; ` +
        `${checked.generation} generations; reader: ${reader.observations.length} answers over ${reader.generations().length} generations (${beforeKill.size} before the kill, ${afterTakeover.size} after the takeover)`,
    );
    expect(takeoverMs).toBeLessThan(15_000);
    expect(checked.problems, `seed ${SEED}\n${driver.journal.join("\n")}`).toEqual([]);
    expect(reader.errors.slice(0, 5), "reads through the surviving replica never fail").toEqual([]);
    expect(reads.slice(0, 5), "every answer is the engine's answer for the generation it names").toEqual([]);
    expect(distinctAnswers(reader), "answers differ between generations, so a mislabelled or partial one would show").toBeGreaterThan(2);
    expect(beforeKill.size, "the reader saw generations committed by A").toBeGreaterThan(1);
    expect(afterTakeover.size, "and generations committed by B").toBeGreaterThan(1);
  }, 300_000);

  it("a stalled leader (SIGSTOP) is replaced; resumed, its writes are refused and it steps down", async () => {
    const b = replicas[1]!;
    expect(holds(await lease(db, CLUSTER), b.process), "B leads after the first test").toBe(true);
    const c = await startReplica("C", args);
    replicas.push(c);
    await waitReady(c);
    // B is idle (caught up): nothing of its own is in flight when it stops.
    await caughtUp("B before the stall");
    await sleep(500);
    const cluster = `cluster="${CLUSTER}"`;
    const revisionsBefore = await metric(b, "kubereach_revisions_recorded_total", cluster);
    const generationsBefore = await metric(b, "kubereach_recompute_duration_seconds_count", cluster);
    expect(generationsBefore, "B committed generations as the leader").toBeGreaterThan(0);
    const before = await lease(db, CLUSTER);

    b.process.signal("SIGSTOP");
    await eventually(async () => b.process.state() === "T", "B to be stopped", 10_000, 10);
    const stoppedAt = Date.now();
    const reader = new Reader(c, TARGET);
    const changes = driveChanges(driver);
    let resumedAt = 0;
    try {
      // Changes while B is stalled: they also pile up in B's watch streams.
      const m1 = driver.createMarker();
      await eventually(() => serves(c, m1.port), "C to take over and serve a change made during the stall", 60_000, 100);
      const takeoverMs = Date.now() - stoppedAt;
      const taken = await lease(db, CLUSTER);
      expect(holds(taken, c.process), "C holds the lease").toBe(true);
      expect(BigInt(taken!.epoch)).toBe(BigInt(before!.epoch) + 1n);
      expect(takeoverMs, "C takes over within the lease TTL + 15 s").toBeLessThan(20_000);

      b.process.signal("SIGCONT");
      resumedAt = Date.now();
      const m2 = driver.createMarker();
      await b.process.waitForLog((l) => l.msg === "no longer the leader: syncing stops here", "B stepping down", 30_000);
      await eventually(() => serves(c, m2.port), "C to serve a change made after B resumed", 30_000, 100);
      await sleep(1500);
    } finally {
      await changes.stop();
    }
    await caughtUp("C after the stall");
    await reader.stop();

    const revisionsAfter = await metric(b, "kubereach_revisions_recorded_total", cluster);
    const generationsAfter = await metric(b, "kubereach_recompute_duration_seconds_count", cluster);
    const bLogs = b.process.logs().filter((l) => Date.parse(String(l.time)) >= resumedAt - 50);
    const fenced = bLogs.filter((l) => l.msg === "this process no longer holds the sync lease; it stops syncing").length;
    const commitsAfterResume = bLogs.filter((l) => l.msg === "matrix generation committed");
    const checked = await checkAll(db, store, CLUSTER, driver, policies.observed);
    const reads = await checkReads(store, CLUSTER, reader.observations, TARGET_DISPLAY);
    console.log(
      `HA stall: B resumed and stepped down (${fenced ? "a write was fenced off" : "its renewal was refused"}); B's revisions ${revisionsBefore} -> ${revisionsAfter}, ` +
        `generations ${generationsBefore} -> ${generationsAfter}; ${checked.revisions} revisions, ${checked.generation} generations; reader on C: ${reader.observations.length} answers over ${reader.generations().length} generations`,
    );
    expect(revisionsAfter, "B appended no revision after it was replaced").toBe(revisionsBefore);
    expect(generationsAfter, "B committed no generation after it was replaced").toBe(generationsBefore);
    expect(commitsAfterResume, "B logged no committed generation after resuming").toEqual([]);
    expect(holds(await lease(db, CLUSTER), c.process), "C still holds the lease").toBe(true);
    expect(checked.problems, `seed ${SEED}\n${driver.journal.join("\n")}`).toEqual([]);
    expect(reader.errors.slice(0, 5)).toEqual([]);
    expect(reads.slice(0, 5)).toEqual([]);
    expect(distinctAnswers(reader)).toBeGreaterThan(2);
  }, 300_000);
});
