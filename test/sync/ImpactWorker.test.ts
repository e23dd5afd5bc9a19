/**
 * Impacts computed in the worker thread equal those computed in process (impact.ts), whether the
 * worker kept the base of the previous generation, was just started (needs-base), or was asked on
 * another base than the one it kept.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ClusterState } from "../../src/domain/ClusterState.js";
import type { ClusterObject } from "../../src/domain/objects.js";
import type { ImpactInput, ObjectChange, RevisionInput, StoredRevision } from "../../src/domain/repositories.js";
import { analyze } from "../../src/sync/analysis.js";
import { applyChange, computeImpacts, type LoggedBatch } from "../../src/sync/impact.js";
import { ImpactWorker } from "../../src/sync/ImpactWorker.js";
import { toClusterObject } from "../../src/sync/kube/toClusterObject.js";
import { namespace, networkPolicy, pod, type KubeObject } from "../helpers/fakeKubeApi.js";

const withIds = (o: KubeObject, uid: string, rv: number): KubeObject => ({ ...o, metadata: { ...o.metadata, uid, resourceVersion: String(rv) } });
const objects: ClusterObject[] = [
  toClusterObject("Namespace", withIds(namespace("shop", { team: "shop" }), "ns-shop", 1)),
  toClusterObject("Namespace", withIds(namespace("ops", { team: "ops" }), "ns-ops", 2)),
  toClusterObject("Pod", withIds(pod({ namespace: "shop", name: "db-0", labels: { app: "db" }, ip: "10.0.0.1", ports: [{ containerPort: 5432 }] }), "db", 3)),
  toClusterObject("Pod", withIds(pod({ namespace: "shop", name: "web-0", labels: { app: "web" }, ip: "10.0.0.2" }), "web", 4)),
  toClusterObject("Pod", withIds(pod({ namespace: "ops", name: "cli-0", labels: { app: "cli" }, ip: "10.0.1.1" }), "cli", 5)),
];
const dbPolicy = (rv: number, from: unknown[]) =>
  toClusterObject("NetworkPolicy", withIds(networkPolicy({ namespace: "shop", name: "db", spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from, ports: [{ port: 5432 }] }] } }), "np-db", rv));

let nextId = 1n;
/** One logged batch: a policy change with its revision, as the store returns it. */
function batch(op: "upsert" | "delete", object: ClusterObject, operation: "CREATE" | "UPDATE" | "DELETE"): LoggedBatch {
  const revision = { objectKind: object.kind, namespace: object.meta.namespace, name: object.meta.name, uid: object.meta.uid, resourceVersion: object.meta.resourceVersion, operation } as RevisionInput;
  const change: ObjectChange = { op, object, revision };
  return { changes: [change], revisions: [{ ...revision, id: nextId++ } as StoredRevision] };
}

/** The impacts impact.ts computes in process, from `base` plus `log`. */
function inProcess(base: ClusterState, log: readonly LoggedBatch[], generation: number): ImpactInput[] {
  const final = base.clone();
  for (const b of log) for (const c of b.changes) applyChange(final, c);
  const before = analyze(base);
  const after = analyze(final);
  return computeImpacts({ state: base, connectivity: () => before.connectivity(), estimatedRows: () => before.estimatedRows() }, after, log, generation);
}

/** What the sync passes along: the estimated connectivity rows of both ends. */
function rows(base: ClusterState, log: readonly LoggedBatch[]): { base: number; final: number } {
  const final = base.clone();
  for (const b of log) for (const c of b.changes) applyChange(final, c);
  return { base: analyze(base).estimatedRows(), final: analyze(final).estimatedRows() };
}

const workers: ImpactWorker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
});

describe("ImpactWorker", () => {
  it("gives the impacts impact.ts gives, generation after generation, from the base it kept", async () => {
    const worker = new ImpactWorker();
    workers.push(worker);
    const g0 = ClusterState.from(objects);
    const log1 = [batch("upsert", dbPolicy(10, [{ podSelector: { matchLabels: { app: "web" } } }]), "CREATE")];
    const expected1 = inProcess(g0, log1, 1);
    expect(expected1[0]!.gained.total + expected1[0]!.lost.total).toBeGreaterThan(0); // not vacuous
    expect(await worker.compute(g0, 0, log1, 1, rows(g0, log1))).toEqual(expected1);

    const g1 = g0.clone();
    for (const c of log1[0]!.changes) applyChange(g1, c);
    const log2 = [batch("upsert", dbPolicy(11, [{ namespaceSelector: { matchLabels: { team: "ops" } } }]), "UPDATE"), batch("delete", objects[3]!, "DELETE")];
    const expected2 = inProcess(g1, log2, 2);
    // The worker answers from the base it kept: the state passed here is not even read.
    expect(await worker.compute(new ClusterState(), 1, log2, 2, rows(g1, log2))).toEqual(expected2);
  });

  it("asks for the base when it has none, or another one, and then answers as in process", async () => {
    const worker = new ImpactWorker();
    workers.push(worker);
    const g0 = ClusterState.from([...objects, dbPolicy(10, [{ podSelector: { matchLabels: { app: "web" } } }])]);
    const log = [batch("upsert", dbPolicy(12, [{ podSelector: {} }]), "UPDATE")];
    expect(await worker.compute(g0, 7, log, 8, rows(g0, log))).toEqual(inProcess(g0, log, 8));
    // Base 3 is not the generation it kept (8): it asks again and uses the one sent.
    expect(await worker.compute(g0, 3, log, 4, rows(g0, log))).toEqual(inProcess(g0, log, 4));
  });

  it("skips the diff as impact.ts does when an estimate is beyond the limit, without analysing", async () => {
    const worker = new ImpactWorker();
    workers.push(worker);
    const g0 = ClusterState.from(objects);
    const log = [batch("upsert", dbPolicy(13, [{ podSelector: { matchLabels: { app: "web" } } }]), "CREATE")];
    const [impact] = await worker.compute(g0, 0, log, 1, { base: 10, final: 5_000_000 });
    expect(impact!.exact).toBe(false);
    expect(impact!.gained.skipped).toMatch(/about 5000000 rows/);
  });
});
