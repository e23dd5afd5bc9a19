/**
 * What the reliability tests assert about a database after processes crashed, were stopped or
 * handed over: read with plain SQL (and the store's read API for generations), compared with the
 * ground truth the ClusterDriver kept. Each check returns a list of problems (empty = holds), so a
 * failure names every broken invariant at once.
 */
import { ClusterState } from "../../../src/domain/ClusterState.js";
import { analyze } from "../../../src/sync/analysis.js";
import { toClusterObject } from "../../../src/sync/kube/toClusterObject.js";
import { toMatrixSnapshot } from "../../../src/sync/matrixSnapshot.js";
import type { ClusterObject, JsonValue, ObjectKind } from "../../../src/domain/objects.js";
import type { MatrixSnapshot, Store } from "../../../src/domain/repositories.js";
import { splitClassPairKey } from "../../../src/domain/keys.js";
import { formatConnEndpoint } from "../../../src/engine/index.js";
import type { FakeKubeApi } from "../../helpers/fakeKubeApi.js";
import type { ClusterDriver, Kind } from "./cluster.js";
import type { TestDatabase } from "./database.js";
import { KubereachProcess } from "./process.js";

export const KINDS: readonly Kind[] = ["Namespace", "Pod", "NetworkPolicy"];

export interface RevisionRow {
  readonly seq: string;
  readonly object_kind: Kind;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resource_version: string;
  readonly operation: "CREATE" | "UPDATE" | "DELETE";
  readonly before: JsonValue | null;
  readonly after: JsonValue | null;
  readonly final_state_unknown: boolean;
  readonly observed_via: string;
}

export async function readRevisions(db: TestDatabase, cluster: string): Promise<RevisionRow[]> {
  return db.sql<RevisionRow & Record<string, unknown>>(
    `SELECT seq::text AS seq, object_kind, namespace, name, uid, resource_version, operation, before, after, final_state_unknown, observed_via
     FROM policy_revisions r WHERE cluster_id = $1 ORDER BY r.seq`,
    [cluster],
  );
}

/** uid -> resourceVersion of the current objects the database holds, per kind. */
export async function dbObjects(db: TestDatabase, cluster: string): Promise<Record<Kind, Map<string, string>>> {
  const read = async (table: string) =>
    new Map((await db.sql<{ uid: string; rv: string }>(`SELECT uid, resource_version AS rv FROM ${table} WHERE cluster_id = $1`, [cluster])).map((r) => [r.uid, r.rv]));
  return { Namespace: await read("namespaces"), Pod: await read("pods"), NetworkPolicy: await read("network_policies") };
}

function diffMaps(what: string, actual: ReadonlyMap<string, string>, expected: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [uid, rv] of expected) {
    const got = actual.get(uid);
    if (got === undefined) out.push(`${what} ${uid} (rv ${rv}) is missing`);
    else if (got !== rv) out.push(`${what} ${uid} has rv ${got}, expected ${rv}`);
  }
  for (const uid of actual.keys()) if (!expected.has(uid)) out.push(`${what} ${uid} should not be there`);
  return out;
}

/** (a) The database's current objects are exactly the fake's (uid and resourceVersion per kind). */
export async function checkObjects(db: TestDatabase, cluster: string, driver: ClusterDriver): Promise<string[]> {
  const stored = await dbObjects(db, cluster);
  return KINDS.flatMap((k) => diffMaps(`${k}`, stored[k], driver.current(k)));
}

/** (b) The chain's shape: seq 1..n without gaps, and no two rows with the same (uid, resourceVersion, operation). */
export function checkChainShape(revs: readonly RevisionRow[]): string[] {
  const out: string[] = [];
  revs.forEach((r, i) => {
    if (r.seq !== String(i + 1)) out.push(`row ${i} has seq ${r.seq}, expected ${i + 1} (gap or reorder)`);
  });
  const seen = new Map<string, string>();
  for (const r of revs) {
    const key = `${r.uid} ${r.resource_version} ${r.operation}`;
    const first = seen.get(key);
    if (first) out.push(`duplicate revision ${key} at seq ${first} and ${r.seq}`);
    else seen.set(key, r.seq);
  }
  return out;
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v ?? null);
}

export interface HistoryReport {
  readonly problems: string[];
  /** Policies created and deleted without the service ever recording them (inherent: nobody watched). */
  readonly untraced: string[];
  readonly policiesWithHistory: number;
}

/**
 * (b)+(c) Every revision is a real version of a real object, no change is recorded twice, and
 * nothing an observer can require is missing:
 * - each revision's uid, kind, namespace and name are the fake's; its resourceVersion is one the
 *   fake issued for that uid, and its `after` (CREATE, UPDATE) or `before` (DELETE) is exactly what
 *   the object was at that resourceVersion;
 * - per policy, in seq order: CREATE, UPDATE..., at most one DELETE and nothing after it;
 *   resourceVersions never go back; each UPDATE/DELETE's `before` is the previous revision's
 *   `after` (no change in between was lost) and an UPDATE changes something;
 * - every policy that exists at the end has a CREATE, and its newest revision's `after` is its
 *   final spec; every policy the database ever held (`observed`) or that has any revision and is
 *   gone at the end has a DELETE as its newest revision.
 * A policy created and deleted entirely while no process was syncing leaves no trace: those are
 * reported in `untraced`, not as problems (a list shows final state only).
 */
export function checkHistory(revs: readonly RevisionRow[], driver: ClusterDriver, observed: ReadonlySet<string>): HistoryReport {
  const problems: string[] = [];
  const byUid = new Map<string, RevisionRow[]>();
  for (const r of revs) {
    const h = driver.history.get(r.uid);
    const label = `seq ${r.seq} ${r.operation} ${r.object_kind} ${r.namespace}/${r.name} rv ${r.resource_version}`;
    if (!h) {
      problems.push(`${label}: uid ${r.uid} was never an object on the API server`);
      continue;
    }
    if (h.kind !== r.object_kind || h.namespace !== r.namespace || h.name !== r.name) problems.push(`${label}: uid ${r.uid} is ${h.kind} ${h.namespace}/${h.name}`);
    const v = h.versions.get(r.resource_version);
    if (!v) problems.push(`${label}: resourceVersion ${r.resource_version} was never a version of this object`);
    else {
      const recorded = r.operation === "DELETE" ? r.before : r.after;
      if (!same(recorded, v.content)) problems.push(`${label}: records ${canonical(recorded)} but at that rv the object was ${canonical(v.content)}`);
      if (r.operation !== "DELETE" && v.deleted) problems.push(`${label}: rv ${r.resource_version} is the object's deletion`);
    }
    (byUid.get(r.uid) ?? byUid.set(r.uid, []).get(r.uid)!).push(r);
  }
  for (const [uid, rs] of byUid) {
    const h = driver.history.get(uid);
    if (h?.kind !== "NetworkPolicy") continue;
    const ops = rs.map((r) => r.operation[0]).join("");
    if (!/^CU*D?$/.test(ops)) problems.push(`policy ${h.namespace}/${h.name} (uid ${uid}) has operations ${ops} (seq ${rs.map((r) => r.seq).join(",")}): expected CREATE, UPDATE..., DELETE?`);
    for (let i = 1; i < rs.length; i++) {
      const [prev, cur] = [rs[i - 1]!, rs[i]!];
      if (Number(cur.resource_version) < Number(prev.resource_version)) problems.push(`policy ${h.namespace}/${h.name}: seq ${cur.seq} has rv ${cur.resource_version} < ${prev.resource_version} of seq ${prev.seq}`);
      if (!same(cur.before, prev.after)) problems.push(`policy ${h.namespace}/${h.name}: seq ${cur.seq}'s before is not seq ${prev.seq}'s after: a change in between is missing`);
      if (cur.operation === "UPDATE" && same(cur.before, cur.after)) problems.push(`policy ${h.namespace}/${h.name}: seq ${cur.seq} is an UPDATE that changes nothing`);
    }
  }
  const untraced: string[] = [];
  let policiesWithHistory = 0;
  for (const h of driver.history.values()) {
    if (h.kind !== "NetworkPolicy") continue;
    const rs = byUid.get(h.uid) ?? [];
    const newest = rs.at(-1);
    if (rs.length) policiesWithHistory++;
    if (h.deletedAt === undefined) {
      const current = driver.api.get("NetworkPolicy", h.name, h.namespace);
      const finalSpec = current && h.versions.get(current.metadata.resourceVersion!)?.content;
      if (!rs.some((r) => r.operation === "CREATE")) problems.push(`policy ${h.namespace}/${h.name} (uid ${h.uid}) exists but has no CREATE revision`);
      if (!newest || newest.operation === "DELETE") problems.push(`policy ${h.namespace}/${h.name} (uid ${h.uid}) exists but its newest revision is ${newest?.operation ?? "missing"}`);
      else if (!same(newest.after, finalSpec)) problems.push(`policy ${h.namespace}/${h.name}: newest revision (seq ${newest.seq}) records ${canonical(newest.after)}, final spec is ${canonical(finalSpec)}`);
    } else if (rs.length > 0 || observed.has(h.uid)) {
      if (newest?.operation !== "DELETE") problems.push(`policy ${h.namespace}/${h.name} (uid ${h.uid}) was deleted${observed.has(h.uid) ? " after the database held it" : ""} but its newest revision is ${newest?.operation ?? "missing"}`);
    } else untraced.push(`${h.namespace}/${h.name} (uid ${h.uid})`);
  }
  return { problems, untraced, policiesWithHistory };
}

/** The fake's objects as kubereach maps them. */
export function fakeClusterObjects(api: FakeKubeApi): ClusterObject[] {
  return KINDS.flatMap((k) => api.list(k).map((o) => toClusterObject(k as ObjectKind, o)));
}

function snapshotText(s: MatrixSnapshot): { classes: string[]; connections: string[] } {
  const classes = [...s.classes.values()].map((c) => `${c.key} ${c.kind} ${c.members.map((m) => canonical(m)).sort().join(" ")}`).sort();
  const connections = [...s.connections.entries()].map(([k, v]) => `${k.replace("\u0000", " -> ")} : ${v}`).sort();
  return { classes, connections };
}

/**
 * (e) The generations: 1..G all present (the latest equals the count); the latest reads back
 * whole (every class a connection names has members; the stored class and connection counts are
 * what reads back); its world is `expected` (uid and rv); and its matrix is what the engine
 * computes from `expected`.
 */
export async function checkLatestGeneration(db: TestDatabase, store: Store, cluster: string, expected: readonly ClusterObject[]): Promise<{ problems: string[]; generation: number }> {
  const problems: string[] = [];
  const [row] = await db.sql<{ n: number; max: number | null; min: number | null }>(
    "SELECT count(*)::int AS n, max(generation) AS max, min(generation) AS min FROM matrix_generations WHERE cluster_id = $1",
    [cluster],
  );
  const g = row?.max ?? 0;
  if (!row || g === 0) return { problems: ["no matrix generation"], generation: 0 };
  if (row.n !== g || row.min !== 1) problems.push(`generations: count ${row.n}, min ${row.min}, max ${g} (expected 1..${g} without gaps)`);
  const snapshot = await store.matrix.snapshotAt(cluster, g);
  for (const key of snapshot.connections.keys()) {
    for (const c of Object.values(splitClassPairKey(key))) if (!(snapshot.classes.get(c)?.members.length ?? 0)) problems.push(`generation ${g}: connection ${key.replace("\u0000", " -> ")} names class ${c}, which has no members`);
  }
  const stored = await store.matrix.getGeneration(cluster, g);
  if (stored?.classCount !== snapshot.classes.size || stored?.connectionCount !== snapshot.connections.size)
    problems.push(`generation ${g}: stored counts ${stored?.classCount} classes / ${stored?.connectionCount} connections, read back ${snapshot.classes.size} / ${snapshot.connections.size}`);
  const world = await store.objects.loadObjectsAt(cluster, g);
  const key = (o: ClusterObject) => `${o.kind} ${o.meta.uid} ${o.meta.resourceVersion}`;
  const worldKeys = new Set(world.map(key));
  const expectedKeys = new Set(expected.map(key));
  for (const k of expectedKeys) if (!worldKeys.has(k)) problems.push(`generation ${g} was not computed from ${k} (the latest generation is behind the objects)`);
  for (const k of worldKeys) if (!expectedKeys.has(k)) problems.push(`generation ${g} was computed from ${k}, which is not the final state`);
  const want = snapshotText(toMatrixSnapshot(analyze(ClusterState.from(expected)).matrix));
  const got = snapshotText(snapshot);
  if (canonical(want) !== canonical(got)) {
    const missing = [...want.connections.filter((c) => !got.connections.includes(c)), ...want.classes.filter((c) => !got.classes.includes(c))];
    const extra = [...got.connections.filter((c) => !want.connections.includes(c)), ...got.classes.filter((c) => !want.classes.includes(c))];
    problems.push(`generation ${g}'s matrix is not the engine's for the final state: missing ${missing.slice(0, 5).join("; ")}; unexpected ${extra.slice(0, 5).join("; ")}`);
  }
  return { problems, generation: g };
}

/**
 * (f) Every generation, not only the latest: its stored matrix is the engine's for the objects it
 * was committed with. Generations are immutable, so a wrong one stays wrong for whoever reads it
 * later (a standby, an auditor), even when the next generation is right again; and a reader that
 * got a wrong answer is told here whether the generation itself is wrong or only what it was served.
 */
export async function checkEveryGeneration(store: Store, cluster: string, latest: number): Promise<string[]> {
  const problems: string[] = [];
  for (let g = 1; g <= latest; g++) {
    const want = snapshotText(toMatrixSnapshot(analyze(ClusterState.from(await store.objects.loadObjectsAt(cluster, g))).matrix));
    const got = snapshotText(await store.matrix.snapshotAt(cluster, g));
    if (canonical(want) === canonical(got)) continue;
    const missing = [...want.connections.filter((c) => !got.connections.includes(c)), ...want.classes.filter((c) => !got.classes.includes(c))];
    const extra = [...got.connections.filter((c) => !want.connections.includes(c)), ...got.classes.filter((c) => !want.classes.includes(c))];
    const stats = JSON.stringify((await store.matrix.getGeneration(cluster, g))?.stats ?? null).slice(0, 200);
    problems.push(`generation ${g} (stats ${stats}) is not the engine's for its objects: missing ${missing.slice(0, 5).join("; ")}; unexpected ${extra.slice(0, 5).join("; ")}`);
  }
  return problems;
}

/** (d) `kubereach audit verify` on the database (the real CLI): exit 0 and the whole chain verified. */
export async function auditVerify(url: string, cluster: string): Promise<{ code: number | null; stdout: string; stderr: string; verified: number | undefined }> {
  const r = await KubereachProcess.run("audit verify", ["audit", "verify", "--database-url", url, "--cluster-id", cluster]);
  const m = /OK, (\d+) revisions? verified/.exec(r.stdout);
  return { ...r, verified: m ? Number(m[1]) : undefined };
}

/** `src : conn` lines of who can reach `target` in the world of `objects`, as the engine computes it. */
export function engineWhoCanReach(objects: readonly ClusterObject[], target: string): string[] {
  return analyze(ClusterState.from(objects))
    .connectivity()
    .filter((r) => formatConnEndpoint(r.dst) === target)
    .map((r) => `${formatConnEndpoint(r.src)} : ${r.conn.key}`)
    .sort();
}

/** Every `src => dst : conn` line of the world of `objects`, as the engine computes it. */
export function engineMatrix(objects: readonly ClusterObject[]): string[] {
  return analyze(ClusterState.from(objects))
    .connectivity()
    .map((r) => `${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)} : ${r.conn.key}`)
    .sort();
}

/** Polls the database for the policies it holds: what it held once, its history must account for. */
export function watchPolicies(db: TestDatabase, cluster: string): { readonly observed: Set<string>; stop(): Promise<void> } {
  const observed = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        for (const uid of (await dbObjects(db, cluster)).NetworkPolicy.keys()) observed.add(uid);
      } catch {
        // tables not created yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    observed,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Drives random changes until stopped. */
export function driveChanges(driver: ClusterDriver, pauseMs: readonly [number, number] = [30, 150]): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      driver.randomOp();
      await new Promise((r) => setTimeout(r, driver.rng.int(pauseMs[0], pauseMs[1])));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Everything the database must satisfy once the sync caught up with the fake (checks a-e). */
export async function checkAll(db: TestDatabase, store: Store, cluster: string, driver: ClusterDriver, observed: ReadonlySet<string>): Promise<{ problems: string[]; revisions: number; generation: number; untraced: number }> {
  const revisions = await readRevisions(db, cluster);
  const history = checkHistory(revisions, driver, observed);
  const latest = await checkLatestGeneration(db, store, cluster, fakeClusterObjects(driver.api));
  const audit = await auditVerify(db.url, cluster);
  const problems = [
    ...(await checkObjects(db, cluster, driver)).map((p) => `(a) ${p}`),
    ...checkChainShape(revisions).map((p) => `(b) ${p}`),
    ...history.problems.map((p) => `(c) ${p}`),
    ...(audit.code === 0 && audit.verified === revisions.length ? [] : [`(d) audit verify exited ${audit.code}, verified ${audit.verified} of ${revisions.length}: ${audit.stdout}${audit.stderr}`]),
    ...latest.problems.map((p) => `(e) ${p}`),
    ...(await checkEveryGeneration(store, cluster, latest.generation)).map((p) => `(f) ${p}`),
  ];
  return { problems, revisions: revisions.length, generation: latest.generation, untraced: history.untraced.length };
}

/** Waits until the database holds the fake's objects and a generation computed from exactly them. */
export async function waitCaughtUp(db: TestDatabase, store: Store, cluster: string, driver: ClusterDriver, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  for (;;) {
    last = await checkObjects(db, cluster, driver);
    if (last.length === 0) {
      last = (await checkLatestGeneration(db, store, cluster, fakeClusterObjects(driver.api))).problems;
      if (last.length === 0) return;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} to catch up: ${last.slice(0, 5).join("; ")}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
