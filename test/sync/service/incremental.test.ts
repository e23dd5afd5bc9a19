/**
 * Incremental recompute through the whole sync path: the real Kubernetes client against the fake
 * API server, SyncService, the store (in-memory PGlite). After every kind of change, the generation
 * read back from the database must equal a matrix computed from scratch over the objects stored for
 * that generation, and the generation must have been computed incrementally (not by the fallback).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/app/logger.js";
import { IN_MEMORY, openStore } from "../../../src/store/index.js";
import { memberKey } from "../../../src/domain/keys.js";
import type { MatrixSnapshot, Store } from "../../../src/domain/repositories.js";
import { analyze } from "../../../src/sync/analysis.js";
import { ClusterState } from "../../../src/domain/ClusterState.js";
import { toMatrixSnapshot } from "../../../src/sync/matrixSnapshot.js";
import { SyncService, type GenerationEvent } from "../../../src/sync/SyncService.js";
import { FakeKubeApi, namespace, networkPolicy, pod, type KubeObject } from "../../helpers/fakeKubeApi.js";
import { sourceFor, TempKubeconfig } from "../kube/helpers.js";
import { ALL_KINDS, TIER_RESOURCES, tiered } from "../../helpers/tierResources.js";
import { QueryService } from "../../../src/api/query/QueryService.js";
import { FULL_SCOPE } from "../../../src/domain/scope.js";
import { formatConnEndpoint } from "../../../src/engine/index.js";

let store: Store;
let api: FakeKubeApi;
let kubeconfig: TempKubeconfig;

beforeAll(async () => {
  store = await openStore({ dataDir: IN_MEMORY });
  api = await FakeKubeApi.create();
  for (const r of TIER_RESOURCES) api.registerResource(r);
  kubeconfig = new TempKubeconfig(api.url);
}, 120_000);
afterAll(async () => {
  await store?.close();
  await api?.stop();
  kubeconfig?.remove();
});

const CLUSTER = "incremental";

/** Classes (members in a stable order) and connections: what two equal generations share. */
function canonical(s: MatrixSnapshot) {
  const classes = [...s.classes.values()].map((c) => ({ key: c.key, kind: c.kind, members: [...c.members].sort((a, b) => (memberKey(a) < memberKey(b) ? -1 : 1)) })).sort((a, b) => (a.key < b.key ? -1 : 1));
  return { classes, connections: [...s.connections.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)) };
}

const web = (i: number, labels: Record<string, string> = { app: "web", tier: "front" }) =>
  pod({ namespace: "shop", name: `web-${i}`, labels, ip: `10.0.1.${i + 1}`, ports: [{ containerPort: 8080, name: "http" }] });
const db = pod({ namespace: "shop", name: "db-0", labels: { app: "db" }, ip: "10.0.2.1", ports: [{ containerPort: 5432, name: "pg" }] });
const client = pod({ namespace: "ops", name: "cli-0", labels: { app: "cli" }, ip: "10.0.3.1" });
const dbPolicy = (port: number | string, from: unknown[] = [{ podSelector: { matchLabels: { app: "web" } } }]) =>
  networkPolicy({ namespace: "shop", name: "db", spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from, ports: [{ protocol: "TCP", port }] }] } });
/** Cluster-scoped: the ops namespace toward shop's db, with `action` at `priority`. */
const guardDb = (action: string, priority: number) =>
  tiered("AdminNetworkPolicy", "guard-db", { priority, subject: { pods: { namespaceSelector: { matchLabels: { team: "shop" } }, podSelector: { matchLabels: { app: "db" } } } }, ingress: [{ name: "ops", action, from: [{ namespaces: { matchLabels: { team: "ops" } } }] }] });
const denyAll = networkPolicy({ namespace: "shop", name: "deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [{ ports: [{ protocol: "UDP", port: 53 }] }] } });
const opsAccess = networkPolicy({
  namespace: "shop",
  name: "ops-access",
  spec: { podSelector: { matchLabels: { tier: "front" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "ops" } } }] }] },
});

describe("SyncService recomputes incrementally", () => {
  const generations: GenerationEvent[] = [];
  let svc: SyncService;
  let live: QueryService;

  beforeAll(async () => {
    live = new QueryService(store, Date.now, { generationIndexMaxConnections: 100_000 });
    api.upsert(namespace("shop", { team: "shop" }));
    api.upsert(namespace("ops", { team: "ops" }));
    for (let i = 0; i < 3; i++) api.upsert(web(i));
    api.upsert(db);
    api.upsert(client);
    api.upsert(dbPolicy(5432));
    api.upsert(denyAll);
    svc = new SyncService({
      clusterId: CLUSTER,
      source: sourceFor(kubeconfig, { kinds: ALL_KINDS }),
      store,
      logger: silentLogger(),
      debounceMs: 20,
      maxWaitMs: 100,
      onGeneration: ({ snapshot, ...e }) => {
        generations.push(e);
        // As the service announces its commits to the API: indexes derived in memory, answers carried over.
        live.noteCommit(e.clusterId, e.generation, e.createdAt);
        if (snapshot) live.noteSnapshot(e.clusterId, e.generation, snapshot);
      },
    });
    await svc.start();
  }, 60_000);
  afterAll(async () => {
    await svc?.stop();
  });

  /** Makes a change, waits for its generation, and checks it against a recomputation from scratch. */
  async function change(make: () => void, expectedMethod: "incremental" | "full" = "incremental"): Promise<void> {
    const before = generations.length;
    make();
    for (let i = 0; i < 500 && generations.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    await svc.flush();
    expect(generations.length).toBeGreaterThan(before);
    expect(generations.slice(before).map((g) => g.method)).toContain(expectedMethod);
    const latest = (await store.matrix.latestGeneration(CLUSTER))!;
    const stored = await store.matrix.snapshotAt(CLUSTER, latest);
    const fromScratch = toMatrixSnapshot(analyze(ClusterState.from(await store.objects.loadObjectsAt(CLUSTER, latest))).matrix);
    expect(canonical(stored)).toEqual(canonical(fromScratch));
    // whoCanReach / reachableFrom of every workload: from the in-memory index (carried over where
    // nothing it depends on changed) equal to a service that reads the generation from the database,
    // commit time included (the live service knows it from the commit, without a read).
    const fresh = new QueryService(store, Date.now, { generationIndexMaxConnections: 100_000 });
    const workloads = new Set<string>();
    for (const c of stored.classes.values()) for (const m of c.members) if (m.type === "workload") workloads.add(JSON.stringify([m.namespace, m.name, m.kind]));
    for (const w of workloads) {
      const [namespace, name, kind] = JSON.parse(w) as [string, string, string];
      for (const ask of ["whoCanReach", "reachableFrom"] as const) {
        const answer = (q: QueryService) => q[ask](FULL_SCOPE, { namespace, name, kind }, { cluster: CLUSTER }).then((a) => ({ generation: a.generation, computedAt: a.computedAt.toISOString(), rows: a.rows.map((r) => `${formatConnEndpoint(r.src)} -> ${formatConnEndpoint(r.dst)}: ${r.conn.key}`).sort() }));
        expect(await answer(live), `${ask} ${w}`).toEqual(await answer(fresh));
      }
    }
  }

  const cases: [string, () => void][] = [
    ["a NetworkPolicy's ports change", () => api.upsert(dbPolicy(6432))],
    ["a NetworkPolicy's peers change", () => api.upsert(dbPolicy(6432, [{ namespaceSelector: { matchLabels: { team: "ops" } } }]))],
    ["a NetworkPolicy is created", () => api.upsert(opsAccess)],
    ["a rule starts mentioning a named port (db's container port `pg`)", () => api.upsert(dbPolicy("pg"))],
    ["no rule mentions the named port any more", () => api.upsert(dbPolicy(6432))],
    ["a namespace is relabelled (peers by namespace labels)", () => api.upsert(namespace("ops", { team: "none" }))],
    ["a pod is relabelled into another class", () => api.upsert(web(1, { app: "web", tier: "back" }))],
    ["a pod is created", () => api.upsert(web(7))],
    ["a pod is deleted", () => api.delete(web(0) as KubeObject)],
    [
      "a rolling update replaces every pod of a workload",
      () => {
        for (let i = 1; i < 8; i++) {
          api.upsert(pod({ namespace: "shop", name: `web-new-${i}`, labels: { app: "web", tier: "front", version: "2" }, ip: `10.0.4.${i}` }));
          if (i === 1 || i === 2 || i === 7) api.delete(api.get("Pod", `web-${i}`, "shop")!);
        }
      },
    ],
    ["a NetworkPolicy is deleted", () => api.delete(denyAll as KubeObject)],
    ["an AdminNetworkPolicy is created", () => api.upsert(guardDb("Deny", 10))],
    ["an AdminNetworkPolicy's action changes (same subject and peers)", () => api.upsert(guardDb("Pass", 10))],
    ["an AdminNetworkPolicy's priority changes", () => api.upsert(guardDb("Allow", 20))],
    ["a ClusterNetworkPolicy (Baseline tier) is created", () => api.upsert(tiered("ClusterNetworkPolicy", "base", { tier: "Baseline", priority: 5, subject: { namespaces: {} }, ingress: [{ action: "Deny", from: [{ namespaces: { matchLabels: { team: "ops" } } }] }] }))],
    ["a BaselineAdminNetworkPolicy is created", () => api.upsert(tiered("BaselineAdminNetworkPolicy", "default", { subject: { namespaces: {} }, egress: [{ action: "Deny", to: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: "db" } } } }] }] }))],
    ["an AdminNetworkPolicy is deleted", () => api.delete(guardDb("Allow", 20))],
    [
      "a namespace is created with a pod in it",
      () => {
        api.upsert(namespace("batch", { team: "batch" }));
        api.upsert(pod({ namespace: "batch", name: "job-0", labels: { app: "job" }, ip: "10.0.5.1" }));
      },
    ],
    [
      "a namespace is deleted with its pods",
      () => {
        api.delete(api.get("Pod", "job-0", "batch")!);
        api.delete(namespace("batch") as KubeObject);
      },
    ],
  ];
  for (const [name, make] of cases) it(`equals a recomputation from scratch after: ${name}`, () => change(make), 30_000);

  it("equals a recomputation from scratch after: a NetworkPolicy gains an ipBlock peer (external classes cut anew)", () => change(() => api.upsert(dbPolicy(6432, [{ ipBlock: { cidr: "192.168.0.0/16", except: ["192.168.1.0/24"] } }]))), 30_000);

  it("equals a recomputation from scratch after: the ipBlock is dropped again", () => change(() => api.upsert(dbPolicy(6432))), 30_000);

  it("falls back to a full recompute where it must (an IPv6 pod in an IPv4-only world), and still equals it", () => change(() => api.upsert(pod({ namespace: "ops", name: "v6-0", labels: { app: "cli" }, ip: "fd00::1" })), "full"), 30_000);

  it("goes on incrementally after a fallback", () => change(() => api.upsert(web(9))), 30_000);
});
