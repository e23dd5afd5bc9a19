/**
 * Current state and history: applyChanges round-trips and idempotency, derived workloads, the
 * append-only history and its hash chain, including tampering done behind the store's back.
 * Run on every backend by store.test.ts.
 */
import { beforeAll, expect, it } from "vitest";
import { verifyChain } from "../../../src/domain/audit/hashChain.js";
import type { ClusterObject } from "../../../src/domain/objects.js";
import type { Store } from "../../../src/domain/repositories.js";
import { EMPTY_IMPACT_SIDE, impactRow, type ImpactRow, type ImpactSide } from "../../../src/domain/impacts.js";
import type { ConnEndpoint } from "../../../src/engine/index.js";
import { at, ns, pod, policy, remove, revisionFor, upsert } from "../helpers/fixtures.js";
import type { SuiteContext } from "../helpers/context.js";

const byUid = (objects: readonly ClusterObject[]) => [...objects].sort((a, b) => (a.meta.uid < b.meta.uid ? -1 : 1));

export function objectsSuite(ctx: SuiteContext): void {
  const { backend } = ctx;
  const newCluster = () => ctx.newCluster();
  const workload = (namespace: string, name: string): ConnEndpoint => ({ kind: "workload", ref: { namespace, kind: "Deployment", name } });
  const [x, y, z] = [workload("a", "x"), workload("a", "y"), workload("a", "z")];
  const side = (...rows: ImpactRow[]): ImpactSide => ({ total: rows.length, truncated: false, rows });
  let store: Store;
  beforeAll(() => {
    store = ctx.store;
  });

  it("registers clusters idempotently", async () => {
    const id = await newCluster();
    const again = await store.clusters.ensureCluster(id, "kubeconfig prod");
    expect(again.source).toBe("kubeconfig prod");
    expect((await store.clusters.listClusters()).filter((c) => c.id === id)).toHaveLength(1);
  });

  it("round-trips objects through applyChanges and loadObjects", async () => {
    const c = await newCluster();
    const objects: ClusterObject[] = [
      ns("shop"),
      ns("db", "7", { team: "data" }),
      pod("shop", "web-1", { ip: "10.0.0.1", labels: { app: "web", hash: "a" }, workload: { kind: "Deployment", name: "web" } }),
      pod("shop", "web-2", { labels: { app: "web", hash: "b" }, workload: { kind: "Deployment", name: "web" }, hostNetwork: true }),
      pod("db", "pg-0", { ip: "10.0.1.1", labels: { app: "pg" }, workload: { kind: "StatefulSet", name: "pg" } }),
      policy("shop", "allow-web"),
      policy("db", "deny-all", "3", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    ];
    const revisions = await store.objects.applyChanges(c, objects.map((o) => upsert(o)));
    expect(revisions.map((r) => [r.seq, r.objectKind, r.name])).toEqual([
      [1n, "Namespace", "shop"],
      [2n, "Namespace", "db"],
      [3n, "NetworkPolicy", "allow-web"],
      [4n, "NetworkPolicy", "deny-all"],
    ]);
    expect(byUid(await store.objects.loadObjects(c))).toEqual(byUid(objects));
    expect(await store.objects.listWorkloads(c)).toEqual([
      { namespace: "db", kind: "StatefulSet", name: "pg", podCount: 1, labels: { app: "pg" } },
      { namespace: "shop", kind: "Deployment", name: "web", podCount: 2, labels: { app: "web" } },
    ]);
  });

  it("writes an upsert only when the resourceVersion differs, and re-derives workloads", async () => {
    const c = await newCluster();
    const web = (name: string, rv: string, labels: Record<string, string>, workload = "web") =>
      pod("shop", name, { rv, labels, workload: { kind: "Deployment", name: workload } });
    await store.objects.applyChanges(c, [upsert(web("w1", "1", { app: "web", v: "1" })), upsert(web("w2", "1", { app: "web", v: "1" }))]);
    expect((await store.objects.listWorkloads(c))[0]).toMatchObject({ podCount: 2, labels: { app: "web", v: "1" } });

    // Same resourceVersion, different content: ignored (the stored row is already that version).
    await store.objects.applyChanges(c, [upsert(web("w1", "1", { app: "other" }))]);
    expect((await store.objects.loadObjects(c)).find((o) => o.meta.name === "w1")?.meta.labels).toEqual({ app: "web", v: "1" });

    // A new resourceVersion is written; the shared labels shrink to what both pods still carry.
    await store.objects.applyChanges(c, [upsert(web("w1", "2", { app: "web", v: "2" }))]);
    expect((await store.objects.listWorkloads(c))[0]).toMatchObject({ podCount: 2, labels: { app: "web" } });

    // A pod moving to another workload refreshes both; a workload without pods disappears.
    await store.objects.applyChanges(c, [upsert(web("w2", "2", { app: "api" }, "api"))]);
    expect((await store.objects.listWorkloads(c)).map((w) => [w.name, w.podCount])).toEqual([
      ["api", 1],
      ["web", 1],
    ]);
    await store.objects.applyChanges(c, [remove(web("w1", "2", {}))]);
    expect((await store.objects.listWorkloads(c)).map((w) => w.name)).toEqual(["api"]);
    expect(await store.objects.listWorkloads(c, { namespace: "elsewhere" })).toEqual([]);
  });

  it("writes a batch larger than one statement carries (a relist) as one transaction: objects, workloads, versions, chain", async () => {
    const c = await newCluster();
    // 1,201 pods of one workload (their shared labels span every statement), 1,001 policies, a JSON null spec.
    const web = (i: number, rv: string, extra: Record<string, string> = {}) =>
      pod("big", `web-${i}`, { rv, ip: `10.1.${i >> 8}.${i & 255}`, labels: { app: "web", n: String(i), ...extra }, workload: { kind: "Deployment", name: "web" } });
    const pods = Array.from({ length: 1201 }, (_, i) => web(i, "1"));
    const policies = Array.from({ length: 1001 }, (_, i) => (i === 7 ? { ...policy("big", `p-${i}`), spec: null } : policy("big", `p-${i}`)));
    const objects: ClusterObject[] = [ns("big"), ...pods, ...policies];
    const revisions = await store.objects.applyChanges(c, objects.map((o) => upsert(o)));
    expect(revisions).toHaveLength(1002);
    expect(revisions.map((r) => r.seq)).toEqual(Array.from({ length: 1002 }, (_, i) => BigInt(i + 1)));
    expect(await verifyChain(store.revisions.iterate(c))).toMatchObject({ ok: true, count: 1002 });
    expect(byUid(await store.objects.loadObjects(c))).toEqual(byUid(objects));
    expect(await store.objects.listWorkloads(c)).toEqual([{ namespace: "big", kind: "Deployment", name: "web", podCount: 1201, labels: { app: "web" } }]);
    expect(byUid(await store.objects.loadObjectsAt(c, 1))).toEqual(byUid(objects));

    // The same relist again writes nothing; then every pod changes: one label now shared by all, the last pod deleted.
    expect(await store.objects.applyChanges(c, objects.map((o) => upsert(o)))).toEqual([]);
    const relabelled = pods.slice(0, 1200).map((_, i) => web(i, "2", { tier: "front" }));
    await store.objects.applyChanges(c, [...relabelled.map((p) => upsert(p)), remove(pods[1200]!)], { generation: 2 });
    expect(await store.objects.listWorkloads(c)).toEqual([{ namespace: "big", kind: "Deployment", name: "web", podCount: 1200, labels: { app: "web", tier: "front" } }]);
    // Generation 1's versions are still those of the first relist; generation 2's are the new ones.
    expect(byUid(await store.objects.loadObjectsAt(c, 1))).toEqual(byUid(objects));
    expect(byUid(await store.objects.loadObjectsAt(c, 2))).toEqual(byUid([ns("big"), ...relabelled, ...policies]));

    // A large batch that moves every pod to another workload refreshes both: the one left without pods disappears.
    const moved = relabelled.map((p) => ({ ...p, meta: { ...p.meta, resourceVersion: "3", labels: { app: "web2" } }, workload: { ...p.workload, name: "web2" } }));
    await store.objects.applyChanges(c, moved.map((p) => upsert(p)), { generation: 3 });
    expect(await store.objects.listWorkloads(c)).toEqual([{ namespace: "big", kind: "Deployment", name: "web2", podCount: 1200, labels: { app: "web2" } }]);
  });

  it("re-derives more workloads than one statement carries, in one batch", async () => {
    const c = await newCluster();
    const member = (i: number, w: number, rv: string) => pod("wl", `p-${i}`, { rv, labels: { app: `w${w}`, i: String(i) }, workload: { kind: "Deployment", name: `w${w}` } });
    const byName = (ws: readonly { name: string }[]) => [...ws].sort((a, b) => (a.name < b.name ? -1 : 1));
    // 1,100 pods in 550 workloads of two.
    const first = Array.from({ length: 1100 }, (_, i) => member(i, i >> 1, "1"));
    await store.objects.applyChanges(c, [upsert(ns("wl")), ...first.map((p) => upsert(p))]);
    expect(byName(await store.objects.listWorkloads(c))).toEqual(
      byName(Array.from({ length: 550 }, (_, w) => ({ namespace: "wl", kind: "Deployment", name: `w${w}`, podCount: 2, labels: { app: `w${w}` } }))),
    );
    // Every pod moves to one of 600 other workloads (1,150 workloads refreshed at once): the old ones disappear.
    const moved = Array.from({ length: 1100 }, (_, i) => member(i, 1000 + (i % 600), "2"));
    await store.objects.applyChanges(c, moved.map((p) => upsert(p)), { generation: 2 });
    expect(byName(await store.objects.listWorkloads(c))).toEqual(
      byName(Array.from({ length: 600 }, (_, k) => ({ namespace: "wl", kind: "Deployment", name: `w${1000 + k}`, podCount: k < 500 ? 2 : 1, labels: { app: `w${1000 + k}`, ...(k < 500 ? {} : { i: String(k) }) } }))),
    );
  });

  it("writes nothing of a large batch when a later statement of it fails", async () => {
    const c = await newCluster();
    const pods = Array.from({ length: 1100 }, (_, i) => pod("big", `p-${i}`, { labels: { app: i === 1099 ? "bad\u0000" : "ok" } }));
    // PostgreSQL refuses the NUL in the last pod's labels, after the namespace and the policy were written.
    await expect(store.objects.applyChanges(c, [upsert(ns("big")), upsert(policy("big", "p")), ...pods.map((p) => upsert(p))])).rejects.toThrow();
    expect(await store.objects.loadObjects(c)).toEqual([]);
    expect(await store.objects.listWorkloads(c)).toEqual([]);
    expect((await store.revisions.head(c)).seq).toBe(0n);
  });

  it("is idempotent: the same batch twice appends nothing and keeps the chain intact", async () => {
    const c = await newCluster();
    const batch = [upsert(ns("a")), upsert(policy("a", "p1")), upsert(policy("a", "p2")), upsert(pod("a", "x"))];
    const first = await store.objects.applyChanges(c, batch);
    const second = await store.objects.applyChanges(c, batch);
    expect(first).toHaveLength(3);
    expect(second).toEqual([]);
    // A batch mixing stored and new revisions: the stored ones consume no seq.
    const p3 = policy("a", "p3");
    const mixed = await store.objects.applyChanges(c, [batch[1]!, upsert(p3), batch[2]!, upsert(p3)]);
    expect(mixed.map((r) => [r.seq, r.name])).toEqual([[4n, "p3"]]);
    expect(await verifyChain(store.revisions.iterate(c))).toMatchObject({ ok: true, count: 4, head: { seq: 4n } });
    expect((await store.revisions.head(c)).seq).toBe(4n);
    expect(await store.objects.loadObjects(c)).toHaveLength(5);
  });

  it("records deletes, including inferred ones, and a last-wins batch", async () => {
    const c = await newCluster();
    const p = policy("a", "p");
    await store.objects.applyChanges(c, [upsert(ns("a")), upsert(p)]);
    const p2 = policy("a", "p", "2", { podSelector: {} });
    const revs = await store.objects.applyChanges(c, [
      { op: "upsert", object: p2, revision: revisionFor(p2, "UPDATE", { before: p.spec }) },
      { op: "delete", object: p2, revision: revisionFor(p2, "DELETE", { via: "relist", finalStateUnknown: true, before: p2.spec }) },
    ]);
    expect(revs.map((r) => [r.operation, r.observedVia, r.finalStateUnknown])).toEqual([
      ["UPDATE", "watch", false],
      ["DELETE", "relist", true],
    ]);
    expect((await store.objects.loadObjects(c)).map((o) => o.kind)).toEqual(["Namespace"]);
  });

  it("lists revisions by object and time, pages by seq and iterates in order", async () => {
    const c = await newCluster();
    const changes = [];
    for (let i = 0; i < 7; i++) changes.push(upsert(policy(i % 2 ? "odd" : "even", `p${i}`), "CREATE", at(i)));
    await store.objects.applyChanges(c, changes);
    expect((await store.revisions.list(c, { namespace: "odd", limit: 10 })).map((r) => r.name)).toEqual(["p1", "p3", "p5"]);
    expect((await store.revisions.list(c, { namespace: "even", name: "p4", limit: 10 })).map((r) => r.seq)).toEqual([5n]);
    expect((await store.revisions.list(c, { since: at(2), until: at(5), limit: 10 })).map((r) => r.name)).toEqual(["p2", "p3", "p4"]);
    const page1 = await store.revisions.list(c, { limit: 3 });
    const page2 = await store.revisions.list(c, { limit: 3, afterSeq: page1[2]!.seq });
    expect([...page1, ...page2].map((r) => r.seq)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    const all = [];
    for await (const r of store.revisions.iterate(c, { pageSize: 2 })) all.push(r.seq);
    expect(all).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    const stored = (await store.revisions.list(c, { limit: 1 }))[0]!;
    expect(stored.observedAt).toEqual(at(0));
    expect(stored.after).toEqual(policy("even", "p0").spec);
    expect(stored.prevHash).toBe("0".repeat(64));
  });

  it("refuses writes for an unregistered cluster with a typed error", async () => {
    await expect(store.objects.applyChanges("nobody", [upsert(ns("a"))])).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("keeps the history immutable: UPDATE, DELETE and TRUNCATE raise, even as superuser in replica mode", async () => {
    const c = await newCluster();
    const [rev] = await store.objects.applyChanges(c, [upsert(ns("a"))]);
    await store.impacts.save(c, [{ revisionIds: [rev!.id], generation: 1, gained: EMPTY_IMPACT_SIDE, lost: EMPTY_IMPACT_SIDE, exact: true }]);
    for (const table of ["policy_revisions", "reachability_impacts"]) {
      await expect(backend.sql(`UPDATE ${table} SET cluster_id = cluster_id WHERE cluster_id = '${c}'`)).rejects.toThrow(/append-only/);
      await expect(backend.sql(`DELETE FROM ${table} WHERE cluster_id = '${c}'`)).rejects.toThrow(/append-only/);
      await expect(backend.sql(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/append-only/);
      // ENABLE ALWAYS: session_replication_role = replica does not switch the triggers off.
      await expect(backend.sql(`SET session_replication_role = replica; DELETE FROM ${table} WHERE cluster_id = '${c}'`)).rejects.toThrow(
        /append-only/,
      );
      await backend.sql("SET session_replication_role = origin");
    }
    expect(await store.revisions.list(c, { limit: 10 })).toHaveLength(1);
  });

  it("detects tampering done with the triggers disabled: an edited spec, a rewritten hash, a removed row", async () => {
    const tamper = async (statement: string) =>
      backend.sql(
        `ALTER TABLE policy_revisions DISABLE TRIGGER policy_revisions_append_only; ${statement}; ` +
          `ALTER TABLE policy_revisions ENABLE ALWAYS TRIGGER policy_revisions_append_only`,
      );
    const seed = async () => {
      const c = await newCluster();
      await store.objects.applyChanges(c, [1, 2, 3, 4].map((i) => upsert(policy("a", `p${i}`))));
      expect(await verifyChain(store.revisions.iterate(c))).toMatchObject({ ok: true, count: 4 });
      return c;
    };

    const edited = await seed();
    await tamper(`UPDATE policy_revisions SET after = jsonb_set(after, '{podSelector}', '{}') WHERE cluster_id = '${edited}' AND seq = 2`);
    expect(await verifyChain(store.revisions.iterate(edited))).toMatchObject({ ok: false, count: 1, broken: { seq: 2n, reason: "canonical-mismatch" } });

    const rehashed = await seed();
    await tamper(`UPDATE policy_revisions SET hash = repeat('a', 64) WHERE cluster_id = '${rehashed}' AND seq = 3`);
    expect(await verifyChain(store.revisions.iterate(rehashed))).toMatchObject({ ok: false, broken: { seq: 3n, reason: "hash-mismatch" } });

    const removed = await seed();
    await tamper(`DELETE FROM policy_revisions WHERE cluster_id = '${removed}' AND seq = 2`);
    expect(await verifyChain(store.revisions.iterate(removed))).toMatchObject({ ok: false, broken: { seq: 3n, reason: "seq-gap" } });

    // A rewritten canonical text with a recomputed hash still breaks the link to the next row.
    const forged = await seed();
    const [row] = await backend.sql<{ canonical: string; prev_hash: string }>(
      `SELECT canonical, prev_hash FROM policy_revisions WHERE cluster_id = '${forged}' AND seq = 1`,
    );
    const { chainHash } = await import("../../../src/domain/audit/hashChain.js");
    const canonical = row!.canonical.replace('"port":80', '"port":81');
    await tamper(
      `UPDATE policy_revisions SET after = jsonb_set(after, '{ingress,0,ports,0,port}', '81'), canonical = '${canonical}', ` +
        `hash = '${chainHash(row!.prev_hash, canonical)}' WHERE cluster_id = '${forged}' AND seq = 1`,
    );
    expect(await verifyChain(store.revisions.iterate(forged))).toMatchObject({ ok: false, broken: { seq: 2n, reason: "prev-link-broken" } });
  });

  it("saves impacts insert-only and finds them by revision", async () => {
    const c = await newCluster();
    const revs = await store.objects.applyChanges(c, [upsert(policy("a", "p1")), upsert(policy("a", "p2")), upsert(policy("a", "p3"))]);
    const [r1, r2, r3] = revs.map((r) => r.id);
    const saved = await store.impacts.save(c, [
      { revisionIds: [r1!], generation: 1, gained: side(impactRow(x, y, "TCP 80", "No Connections", "TCP 80")), lost: EMPTY_IMPACT_SIDE, exact: true },
      { revisionIds: [r2!, r3!], generation: 2, gained: EMPTY_IMPACT_SIDE, lost: side(impactRow(x, z, "All Connections", "All Connections", "No Connections")), exact: false },
    ]);
    expect(saved.map((s) => s.revisionIds)).toEqual([[r1], [r2, r3]]);
    expect((await store.impacts.forRevisions([r3!])).map((i) => i.generation)).toEqual([2]);
    expect((await store.impacts.forRevisions([r1!, r2!])).map((i) => [i.generation, i.exact])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(await store.impacts.forRevisions([123456789n])).toEqual([]);
    // Rows read back as written: display strings and structured endpoint refs.
    expect((await store.impacts.forRevisions([r1!]))[0]!.gained).toEqual(side(impactRow(x, y, "TCP 80", "No Connections", "TCP 80")));
  });

  it("reads impacts written before rows carried endpoint refs, deriving the refs from the display strings", async () => {
    const c = await newCluster();
    const [rev] = await store.objects.applyChanges(c, [upsert(policy("a", "p"))]);
    // The JSON of a row written by an earlier kubereach: display strings only (the table is
    // append-only, so such rows are read as they are, never rewritten).
    const old = {
      total: 3,
      truncated: true,
      rows: [
        { src: "shop/frontend[Deployment]", dst: "payments/api[StatefulSet]", conn: "TCP 443", connBefore: "No Connections", connAfter: "TCP 443" },
        { src: "shop/frontend[Deployment]", dst: "0.0.0.0-9.255.255.255[External]", conn: "UDP 53", connBefore: "No Connections", connAfter: "UDP 53" },
        { src: "2001:db8::-2001:db8::ffff[External]", dst: "shop/cache-0[Pod]", conn: "TCP 6379", connBefore: "No Connections", connAfter: "TCP 6379" },
      ],
    };
    await backend.sql(
      `INSERT INTO reachability_impacts (cluster_id, revision_ids, generation, gained, lost, exact) VALUES ($1, ARRAY[${rev!.id}]::int8[], 1, $2::jsonb, $3::jsonb, true)`,
      [c, JSON.stringify(old), JSON.stringify({ total: 0, truncated: false, rows: [] })],
    );
    const [impact] = await store.impacts.forRevisions([rev!.id]);
    expect(impact!.gained).toEqual({
      total: 3,
      truncated: true,
      rows: [
        { ...old.rows[0], srcRef: { type: "workload", namespace: "shop", kind: "Deployment", name: "frontend" }, dstRef: { type: "workload", namespace: "payments", kind: "StatefulSet", name: "api" } },
        { ...old.rows[1], srcRef: { type: "workload", namespace: "shop", kind: "Deployment", name: "frontend" }, dstRef: { type: "external", family: 4, start: "0.0.0.0", end: "9.255.255.255" } },
        { ...old.rows[2], srcRef: { type: "external", family: 6, start: "2001:db8::", end: "2001:db8::ffff" }, dstRef: { type: "workload", namespace: "shop", kind: "Pod", name: "cache-0" } },
      ],
    });
    expect(impact!.lost).toEqual(EMPTY_IMPACT_SIDE);
  });

  it("tracks sync runs", async () => {
    const c = await newCluster();
    expect(await store.syncRuns.latest(c)).toBeUndefined();
    const first = await store.syncRuns.start(c, "manifests ./x");
    await store.syncRuns.finish(first, "succeeded", { pods: 3 }, []);
    const second = await store.syncRuns.start(c, "manifests ./x");
    expect(await store.syncRuns.latest(c)).toMatchObject({ id: second, outcome: "running" });
    await store.syncRuns.finish(second, "partial", { pods: 2 }, [{ kind: "Pod", message: "403" }]);
    const latest = await store.syncRuns.latest(c);
    expect(latest).toMatchObject({ id: second, outcome: "partial", counts: { pods: 2 }, errors: [{ kind: "Pod", message: "403" }] });
    expect(latest?.finishedAt).toBeInstanceOf(Date);
    await expect(store.syncRuns.finish(999999n, "failed", {}, [])).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
}
