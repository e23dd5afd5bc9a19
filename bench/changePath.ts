/**
 * The per-generation change path at any size, without the API server and the database: generate a
 * cluster, compute its first generation (MatrixMaintainer), then change policies one at a time and
 * time what each generation costs the sync: the incremental compute, the store's delta, and the
 * generation chain's content digest (derive + hash). What the sync bench cannot isolate at 150k.
 *
 *   node --max-old-space-size=16384 --import tsx bench/changePath.ts [pods] [policies]
 *   CHANGES=5 (default) policy changes; CPU_PROFILE=file.cpuprofile profiles the changes only.
 */
import { pino } from "pino";
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
import { generateCluster } from "./generateCluster.js";
import { toClusterObjects } from "../src/sync/manifests/ManifestSource.js";
import { ClusterState } from "../src/domain/ClusterState.js";
import { MatrixMaintainer } from "../src/sync/recompute.js";
import { MatrixDigestTree } from "../src/domain/audit/matrixDigestTree.js";
import { computeMatrixDelta } from "../src/store/matrixDelta.js";
import type { PolicyObject } from "../src/domain/objects.js";
import { changedPolicyIndex, withExtraPortSpec } from "./lib/policyChange.js";

const pods = Number(process.argv[2] ?? 150000), policies = Number(process.argv[3] ?? 15000);
const t = (label: string, t0: number) => console.log(`${label}: ${(performance.now() - t0).toFixed(0)} ms (heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB)`);
let t0 = performance.now();
const { input } = generateCluster({ pods, policies, seed: 1 });
t("generate", t0);
t0 = performance.now();
const state = ClusterState.from(toClusterObjects(input));
t("state", t0);
const m = new MatrixMaintainer(pino({ level: "warn" }));
t0 = performance.now();
const g0 = await m.compute({ state: new ClusterState(), snapshot: undefined }, state, []);
t(`full compute (${g0.snapshot.classes.size} classes, ${g0.snapshot.connections.size} connections)`, t0);
t0 = performance.now();
let digest = MatrixDigestTree.of(g0.snapshot);
digest.digest();
t("digest of", t0);
let prev = { state, snapshot: g0.snapshot };
const profileTo = process.env.CPU_PROFILE;
const session = new Session();
if (profileTo) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}
// The policies the sync bench changes, changed the same way (bench/lib/policyChange.ts).
const byName = new Map(([...state.all("NetworkPolicy")] as PolicyObject[]).map((p) => [`${p.meta.namespace}/${p.meta.name}`, p]));
const nps = input.networkPolicies.map((np) => byName.get(`${np.namespace}/${np.name}`)!);
for (let i = 0; i < Number(process.env.CHANGES ?? 5); i++) {
  const target = nps[changedPolicyIndex(i, nps.length)]!;
  const spec = withExtraPortSpec(target.spec as Record<string, unknown>, 20000 + i);
  const next = state.clone();
  const changed = { ...target, spec, meta: { ...target.meta, resourceVersion: String(Number(target.meta.resourceVersion ?? 0) + 1) } } as PolicyObject;
  next.put(changed);
  t0 = performance.now();
  const g = await m.compute(prev, next, [{ changes: [{ op: "update", object: changed }] as never, revisions: [] }]);
  t(`change ${i} ${target.meta.namespace}/${target.meta.name} compute ${g.method} ${g.reason ?? ""} pairs ${g.evaluatedPairs} changedConn ${g.snapshot.changedSince?.connections.size}`, t0);
  t0 = performance.now();
  const rows = g.analysis.estimatedRows();
  t(`  estimatedRows (${rows}; read by the impacts after the commit)`, t0);
  t0 = performance.now();
  const d = computeMatrixDelta(prev.snapshot, g.snapshot);
  t(`  delta (${d.openConnections.length} opened, ${d.closeConnections.length} closed)`, t0);
  t0 = performance.now();
  const h = g.snapshot.changedSince!;
  digest = digest.derive(g.snapshot, h.classes.keys(), h.connections.keys());
  t("  digest derive", t0);
  t0 = performance.now();
  digest.digest();
  t("  digest hash", t0);
  prev = { state: next, snapshot: g.snapshot };
}

if (profileTo) {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(profileTo, JSON.stringify(profile));
}
