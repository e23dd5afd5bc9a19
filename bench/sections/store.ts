/**
 * Store section: what the sync service costs the database, on the real PostgreSQL server.
 * - applyChanges of a whole cluster in one batch (a first list or a relist): pods, policies and
 *   namespaces, with a revision per policy and namespace; then the same batch again (a relist
 *   where nothing changed: every row is compared, nothing is written).
 * - commitGeneration of a matrix the size the engine builds for that cluster (about 0.28 classes
 *   and 4.2 class-to-class connections per pod, measured on bench/generateCluster at 10k), first
 *   in full, then with one connection changed (the common recompute), then the same change with a
 *   `previous` the store does not know (it reads the stored generation back to diff).
 * Each run uses a fresh cluster in a fresh database (created and dropped here). Data is generated
 * with the seeded PRNG, so runs are comparable. KUBEREACH_BENCH_PG_URL overrides the admin URL
 * (default postgresql://postgres@127.0.0.1:5432/postgres).
 */
import { Rng } from "../prng.js";
import { best, fmtInt, fmtMs, median, table } from "../lib/stats.js";
import { openStore } from "../../src/store/openStore.js";
import { classPairKey, storedClassKey, type ClassKey, type ClassPairKey } from "../../src/domain/keys.js";
import type { ClassMember, MatrixClass, MatrixSnapshot, ObjectChange, Store } from "../../src/domain/repositories.js";
import type { JsonValue, NamespaceObject, PodObject, PolicyObject } from "../../src/domain/objects.js";
import { parseSize, type BenchOptions, type BenchSection, type TargetResult } from "./types.js";
import { ADMIN_URL, admin } from "../lib/pgAdmin.js";


interface StoreRun {
  readonly applyMs: number;
  readonly reapplyMs: number;
  readonly loadObjectsMs: number;
  readonly revisions: number;
  readonly commitFullMs: number;
  readonly commitOneMs: number;
  readonly commitOneUnknownPreviousMs: number;
  readonly loadSnapshotMs: number;
}

interface Targets {
  readonly applyMs: number;
  readonly commitOneMs: number;
}

/** Targets for the 10k preset only (the sizes the brief names); other sizes are reported. */
const TARGETS: Readonly<Record<string, Targets>> = { "10k": { applyMs: 5_000, commitOneMs: 500 } };

export const storeSection: BenchSection = {
  name: "store",
  description: "PostgreSQL: bulk applyChanges of a whole cluster, commitGeneration of a one-connection change",
  run: (options) => runStoreBench(options),
};

/** Runs the store benchmark for each size (default 10k, 3 runs) and returns the checked targets. */
export async function runStoreBench(options: Partial<Pick<BenchOptions, "sizes" | "runs" | "seed">> = {}): Promise<TargetResult[]> {
  const sizes = options.sizes ?? ["10k"];
  const runs = options.runs ?? 3;
  const database = `kubereach_bench_${process.pid}`;
  await admin(`DROP DATABASE IF EXISTS "${database}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const store = await openStore({ databaseUrl: url.toString() });
  const results: TargetResult[] = [];
  try {
    for (const size of sizes) {
      const { pods, policies } = parseSize(size);
      const namespaces = Math.max(10, Math.round(pods / 100));
      const measured: StoreRun[] = [];
      for (let i = 0; i < runs; i++) {
        measured.push(await runOnce(store, `bench-${size}-${i}`, { pods, policies, namespaces, seed: (options.seed ?? 1) + i }));
      }
      const m = measured[0]!;
      console.log(
        `store ${size}: ${fmtInt(pods)} pods, ${fmtInt(policies)} policies, ${fmtInt(namespaces)} namespaces in one applyChanges ` +
          `(${fmtInt(m.revisions)} revisions); matrix ${fmtInt(Math.round(pods * 0.28))} classes, ${fmtInt(Math.round(pods * 4.2))} connections; ` +
          `PostgreSQL ${url.host}, ${runs} run(s)`,
      );
      const row = (name: string, pick: (r: StoreRun) => number) => [name, fmtMs(best(measured.map(pick))), fmtMs(median(measured.map(pick)))];
      console.log(
        table([
          ["step", "best", "median"],
          row("applyChanges (first list)", (r) => r.applyMs),
          row("applyChanges (same batch again)", (r) => r.reapplyMs),
          row("loadObjects", (r) => r.loadObjectsMs),
          row("commitGeneration (full)", (r) => r.commitFullMs),
          row("commitGeneration (1 connection)", (r) => r.commitOneMs),
          row("  same, unknown previous", (r) => r.commitOneUnknownPreviousMs),
          row("loadLatestSnapshot", (r) => r.loadSnapshotMs),
        ]),
      );
      const t = TARGETS[size];
      if (t) {
        const check = (target: string, values: number[], limit: number) => {
          const med = median(values);
          results.push({ section: "store", size, target, measured: `median ${fmtMs(med)}`, pass: med < limit });
          console.log(`  target ${target}: median ${fmtMs(med)} -> ${med < limit ? "PASS" : "FAIL"}`);
        };
        check(`applyChanges < ${fmtMs(t.applyMs)}`, measured.map((r) => r.applyMs), t.applyMs);
        check(`1-connection commit < ${fmtMs(t.commitOneMs)}`, measured.map((r) => r.commitOneMs), t.commitOneMs);
      }
      console.log("");
    }
  } finally {
    await store.close();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
  return results;
}

async function runOnce(store: Store, cluster: string, size: { pods: number; policies: number; namespaces: number; seed: number }): Promise<StoreRun> {
  await store.clusters.ensureCluster(cluster, "bench");
  const changes = generateChanges(new Rng(size.seed), size);
  const applyMs = await time(() => store.objects.applyChanges(cluster, changes));
  const revisions = (await store.revisions.head(cluster)).seq;
  const reapplyMs = await time(() => store.objects.applyChanges(cluster, changes));
  const loadObjectsMs = await time(() => store.objects.loadObjects(cluster));

  const s1 = generateSnapshot(new Rng(size.seed), size.pods, size.namespaces);
  const meta = { stats: {}, sourceVersions: {}, computedAt: new Date() };
  const commitFullMs = await time(() => store.matrix.commitGeneration(cluster, undefined, s1, meta));
  const s2 = withOneChange(s1, "TCP 9999");
  const commitOneMs = await time(() => store.matrix.commitGeneration(cluster, s1, s2, meta));
  const s3 = withOneChange(s2, "TCP 9998");
  const commitOneUnknownPreviousMs = await time(() => store.matrix.commitGeneration(cluster, withOneChange(s2, "TCP 9999"), s3, meta));
  const loadSnapshotMs = await time(() => store.matrix.loadLatestSnapshot(cluster));
  return { applyMs, reapplyMs, loadObjectsMs, revisions: Number(revisions), commitFullMs, commitOneMs, commitOneUnknownPreviousMs, loadSnapshotMs };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

// ---------------------------------------------------------------------------------------------
// Data

const ROLES = ["frontend", "api", "worker", "postgres", "redis", "kafka"] as const;

function generateChanges(rng: Rng, size: { pods: number; policies: number; namespaces: number }): ObjectChange[] {
  const observedAt = new Date();
  const changes: ObjectChange[] = [];
  const nsNames = Array.from({ length: size.namespaces }, (_, i) => `team-${i}-${rng.suffix(4)}`);
  for (const [i, name] of nsNames.entries()) {
    const o: NamespaceObject = {
      kind: "Namespace",
      meta: { uid: `ns-${i}`, name, namespace: "", resourceVersion: `${1000 + i}`, labels: { "kubernetes.io/metadata.name": name, team: `t${i % 24}`, env: rng.pick(["prod", "staging", "dev"]) } },
    };
    changes.push({ op: "upsert", object: o, revision: revision(o, { labels: o.meta.labels }, observedAt) });
  }
  const perWorkload = 10;
  for (let p = 0; p < size.pods; p++) {
    const w = Math.floor(p / perWorkload);
    const ns = nsNames[w % nsNames.length]!;
    const role = ROLES[w % ROLES.length]!;
    const workload = `${role}-${w}`;
    const o: PodObject = {
      kind: "Pod",
      meta: { uid: `pod-${p}`, name: `${workload}-${rng.suffix(9)}-${rng.suffix(5)}`, namespace: ns, resourceVersion: `${20_000 + p}`, labels: { app: workload, role, "pod-template-hash": rng.suffix(9) } },
      ip: `10.${(p >> 16) & 255}.${(p >> 8) & 255}.${p & 255}`,
      hostNetwork: false,
      containerPorts: [
        { name: "http", containerPort: 8080, protocol: "TCP" },
        { name: "metrics", containerPort: 9090, protocol: "TCP" },
      ],
      workload: { namespace: ns, kind: role === "postgres" || role === "kafka" ? "StatefulSet" : "Deployment", name: workload },
    };
    changes.push({ op: "upsert", object: o });
  }
  for (let i = 0; i < size.policies; i++) {
    const ns = nsNames[i % nsNames.length]!;
    const spec: JsonValue = {
      podSelector: { matchLabels: { app: `${ROLES[i % ROLES.length]}-${i}` } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { team: `t${i % 24}` } }, podSelector: { matchLabels: { role: rng.pick(ROLES) } } }, { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }],
          ports: [{ protocol: "TCP", port: "http" }, { protocol: "TCP", port: 9090 }],
        },
      ],
      egress: [{ to: [{ namespaceSelector: {} }], ports: [{ protocol: "UDP", port: 53 }] }],
    };
    const o: PolicyObject = { kind: "NetworkPolicy", meta: { uid: `np-${i}`, name: `allow-${i}`, namespace: ns, resourceVersion: `${50_000 + i}`, labels: {} }, spec };
    changes.push({ op: "upsert", object: o, revision: revision(o, spec, observedAt) });
  }
  return changes;
}

function revision(o: NamespaceObject | PolicyObject, after: JsonValue, observedAt: Date): NonNullable<ObjectChange["revision"]> {
  return {
    objectKind: o.kind,
    namespace: o.meta.namespace,
    name: o.meta.name,
    uid: o.meta.uid,
    resourceVersion: o.meta.resourceVersion,
    operation: "CREATE",
    before: null,
    after,
    diff: [{ op: "add", path: "", value: after }],
    observedAt,
    observedVia: "list",
    finalStateUnknown: false,
    sourceRef: null,
  };
}

/** A matrix of the size the engine builds for `pods` pods: ~0.28 classes and ~4.2 connections per pod. */
function generateSnapshot(rng: Rng, pods: number, namespaces: number): MatrixSnapshot {
  const classCount = Math.round(pods * 0.28);
  const connectionCount = Math.round(pods * 4.2);
  const classes = new Map<ClassKey, MatrixClass>();
  const keys: ClassKey[] = [];
  for (let i = 0; i < classCount; i++) {
    const external = i < 8;
    const key = storedClassKey(external ? `external|ip:block-${i}` : `pod|in:np-${i}|eg:np-${i}|peers:g${i % 97}|ip:|np:`);
    const members: ClassMember[] = external
      ? [{ type: "external", family: 4, start: `${100 + i}.0.0.0`, end: `${100 + i}.255.255.255` }]
      : [{ type: "workload", namespace: `team-${i % namespaces}`, kind: "Deployment", name: `app-${i}`, pods: 1 + (i % 10) }];
    classes.set(key, { key, kind: external ? "external" : "pod", members });
    keys.push(key);
  }
  const connections = new Map<ClassPairKey, string>();
  const conns = ["TCP 8080", "TCP 8080,9090", "TCP 1-65535,UDP 1-65535,SCTP 1-65535", "UDP 53", "TCP 5432"];
  while (connections.size < connectionCount) connections.set(classPairKey(rng.pick(keys), rng.pick(keys)), rng.pick(conns));
  return { classes, connections };
}

function withOneChange(s: MatrixSnapshot, conn: string): MatrixSnapshot {
  const connections = new Map(s.connections);
  const first = connections.keys().next().value as ClassPairKey;
  connections.set(first, conn);
  return { classes: s.classes, connections };
}
