/**
 * The sync's generations, end to end in memory: random streams of watch events (pods created,
 * relabelled, moved to another workload and deleted; namespaces relabelled; policies created,
 * changed and deleted), batched as the sync batches them (changesForBatch), fed to one
 * MatrixMaintainer that builds each generation on the last one it produced. Every generation's
 * snapshot (its classes with their members, and its connections) must equal the snapshot computed
 * from scratch for the same objects, and so must the API's index derived from the previous
 * generation's (GenerationIndex.deriveSliced, with the snapshot's changedSince hint), as a replica
 * that committed the generation serves it.
 *
 * The engine's own property tests (test/engine/incrementalMatrixProperty.test.ts,
 * test/sync/recomputeSteps.test.ts) compare the engine state; this one covers what is built on it:
 * the snapshot's persistent maps over the previous generation's (SnapshotBuilder), class members
 * counted per workload, and the index readers are answered from. A commit that fails is simulated
 * too: the next generation is then computed on the last committed one (the maintainer must not
 * build on what it produced for the failed one).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/app/logger.js";
import { ClusterState } from "../../src/domain/ClusterState.js";
import type { MatrixSnapshot } from "../../src/domain/repositories.js";
import { analyze } from "../../src/sync/analysis.js";
import { changesForBatch, type SyncEvent } from "../../src/sync/batchChanges.js";
import { toMatrixSnapshot } from "../../src/sync/matrixSnapshot.js";
import { MatrixMaintainer } from "../../src/sync/recompute.js";
import { toClusterObject } from "../../src/sync/kube/toClusterObject.js";
import { GenerationIndex } from "../../src/api/query/GenerationIndex.js";
import { drain } from "../../src/domain/TimeSlicer.js";
import { namespace, networkPolicy, pod, type KubeObject } from "../helpers/fakeKubeApi.js";

const NAMESPACES = ["alpha", "beta"] as const;
const APPS = ["web", "db", "cli"] as const;
const WORKLOADS = ["w0", "w1", "w2"] as const;

const podArb = fc.record({
  slot: fc.integer({ min: 0, max: 7 }),
  namespace: fc.constantFrom(...NAMESPACES),
  app: fc.constantFrom(...APPS),
  tier: fc.constantFrom("front", "back", undefined),
  workload: fc.constantFrom(...WORKLOADS),
  port: fc.constantFrom(80, 5432),
});
const peerArb = fc.oneof(
  fc.record({ podSelector: fc.record({ matchLabels: fc.record({ app: fc.constantFrom(...APPS) }) }) }),
  fc.record({ namespaceSelector: fc.record({ matchLabels: fc.record({ team: fc.constantFrom("red", "blue") }) }) }),
  fc.record({ ipBlock: fc.constantFrom({ cidr: "10.9.0.0/16" }, { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }) }),
);
const ruleArb = fc.record(
  { peers: fc.option(fc.array(peerArb, { minLength: 0, maxLength: 2 }), { nil: undefined }), port: fc.option(fc.constantFrom(80, 5432, "http"), { nil: undefined }) },
  { requiredKeys: [] },
);
const policyArb = fc.record({
  slot: fc.integer({ min: 0, max: 3 }),
  namespace: fc.constantFrom(...NAMESPACES),
  subject: fc.option(fc.constantFrom(...APPS), { nil: undefined }),
  ingress: fc.option(fc.array(ruleArb, { maxLength: 2 }), { nil: undefined }),
  egress: fc.option(fc.array(ruleArb, { maxLength: 2 }), { nil: undefined }),
});
const eventArb = fc.oneof(
  { weight: 4, arbitrary: podArb.map((p) => ({ op: "pod" as const, p })) },
  { weight: 2, arbitrary: fc.record({ slot: fc.integer({ min: 0, max: 7 }), namespace: fc.constantFrom(...NAMESPACES) }).map((p) => ({ op: "delete pod" as const, p })) },
  { weight: 2, arbitrary: policyArb.map((p) => ({ op: "policy" as const, p })) },
  { weight: 1, arbitrary: fc.record({ slot: fc.integer({ min: 0, max: 3 }), namespace: fc.constantFrom(...NAMESPACES) }).map((p) => ({ op: "delete policy" as const, p })) },
  { weight: 1, arbitrary: fc.record({ name: fc.constantFrom(...NAMESPACES), team: fc.constantFrom("red", "blue", undefined) }).map((p) => ({ op: "namespace" as const, p })) },
);
/** A generation: its events, and whether its commit fails (then the next is computed on the last committed one). */
const generationArb = fc.record({ events: fc.array(eventArb, { minLength: 1, maxLength: 6 }), commitFails: fc.integer({ min: 0, max: 9 }).map((n) => n < 2) });

type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;
type PodSpec = Of<typeof podArb>;
type PolicySpec = Of<typeof policyArb>;
type RuleSpec = Of<typeof ruleArb>;
type Event = Of<typeof eventArb>;

/** Builds the objects the fake API server would send, with uids and resource versions as it would. */
class World {
  private rv = 0;
  private uids = 0;
  /** The live object per name (kind/namespace/name): a deleted object's re-creation has a new uid. */
  private readonly live = new Map<string, ReturnType<typeof toClusterObject>>();

  private stamp(kind: "Namespace" | "Pod" | "NetworkPolicy", key: string, o: KubeObject): ReturnType<typeof toClusterObject> {
    const uid = this.live.get(key)?.meta.uid ?? `uid-${++this.uids}`;
    const object = toClusterObject(kind, { ...o, metadata: { ...o.metadata, uid, resourceVersion: String(++this.rv) } });
    this.live.set(key, object);
    return object;
  }

  namespace(name: string, team: string | undefined): SyncEvent {
    return { type: "upsert", object: this.namespaceObject(name, team), at: new Date() };
  }

  namespaceObject(name: string, team: string | undefined): ReturnType<typeof toClusterObject> {
    return this.stamp("Namespace", `ns/${name}`, namespace(name, team ? { team } : {}));
  }

  pod(p: PodSpec): SyncEvent {
    const name = `p${p.slot}`;
    const labels: Record<string, string> = { app: p.app, ...(p.tier && { tier: p.tier }) };
    // The IP is the pod's slot: a pod keeps it across relabels, as a running pod does.
    const ip = `10.${NAMESPACES.indexOf(p.namespace as never) + 1}.0.${p.slot + 1}`;
    const ownerReferences = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: p.workload, uid: `rs-${p.namespace}-${p.workload}`, controller: true }];
    const o = pod({ namespace: p.namespace, name, labels, ip, ownerReferences, ports: [{ containerPort: p.port, name: p.port === 80 ? "http" : "pg" }] });
    return { type: "upsert", object: this.stamp("Pod", `pod/${p.namespace}/${name}`, o), at: new Date() };
  }

  policy(p: PolicySpec): SyncEvent {
    const rule = (r: RuleSpec, side: "from" | "to") => ({ ...(r.peers && { [side]: r.peers }), ...(r.port !== undefined && { ports: [{ port: r.port }] }) });
    const spec: Record<string, unknown> = { podSelector: p.subject ? { matchLabels: { app: p.subject } } : {} };
    const types: string[] = [];
    if (p.ingress) {
      spec["ingress"] = p.ingress.map((r) => rule(r, "from"));
      types.push("Ingress");
    }
    if (p.egress) {
      spec["egress"] = p.egress.map((r) => rule(r, "to"));
      types.push("Egress");
    }
    if (types.length > 0) spec["policyTypes"] = types;
    return { type: "upsert", object: this.stamp("NetworkPolicy", `np/${p.namespace}/np${p.slot}`, networkPolicy({ namespace: p.namespace, name: `np${p.slot}`, spec })), at: new Date() };
  }

  /** The delete event of a live object, if there is one under that name. */
  remove(key: string): SyncEvent | undefined {
    const object = this.live.get(key);
    if (!object) return undefined;
    this.live.delete(key);
    return { type: "remove", object, at: new Date() };
  }
}

/** A snapshot as sorted text lines: classes with their members, and connections. */
function snapshotText(s: MatrixSnapshot): string[] {
  const classes = [...s.classes.values()].map((c) => `class ${c.key} ${c.kind} ${c.members.map((m) => JSON.stringify(m, Object.keys(m).sort())).sort().join(" ")}`);
  const connections = [...s.connections.entries()].map(([k, v]) => `conn ${k.replace("\u0000", " -> ")} : ${v}`);
  return [...classes, ...connections].sort();
}

/** What an index answers, for every class and workload of `s`, as sorted text lines. */
function indexText(index: GenerationIndex, s: MatrixSnapshot): string[] {
  const keys = [...s.classes.keys()];
  const lines = index.allConnections().map((r) => `all ${r.srcClass} -> ${r.dstClass} : ${r.conn}`);
  for (const dir of ["incoming", "outgoing"] as const) for (const r of index.connections(dir, keys)) lines.push(`${dir} ${r.srcClass} -> ${r.dstClass} : ${r.conn}`);
  for (const [k, members] of index.members(keys)) lines.push(`members ${k} ${members.map((m) => JSON.stringify(m, Object.keys(m).sort())).sort().join(" ")}`);
  for (const c of s.classes.values())
    for (const m of c.members)
      if (m.type === "workload") for (const r of index.classesOfWorkload(m.namespace, m.name)) lines.push(`workload ${m.namespace}/${m.name} ${r.classKey} ${r.workloadKind} ${r.pods}`);
  return [...new Set(lines)].sort();
}

const counts = { generations: 0, incremental: 0, failedCommits: 0 };

describe("MatrixMaintainer's generations equal a computation from scratch", () => {
  it("after every batch of a random event stream, snapshot and derived index alike, with failed commits in between", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(generationArb, { minLength: 2, maxLength: 10 }), async (generations) => {
        const world = new World();
        const maintainer = new MatrixMaintainer(silentLogger());
        let state = new ClusterState();
        let snapshot: MatrixSnapshot | undefined;
        let index: GenerationIndex | undefined;
        const at = new Date();
        const first: SyncEvent[] = [
          { type: "list", kind: "Namespace", objects: NAMESPACES.map((n) => world.namespaceObject(n, n === "alpha" ? "red" : "blue")), via: "list", at },
          { type: "list", kind: "Pod", objects: [], via: "list", at },
          { type: "list", kind: "NetworkPolicy", objects: [], via: "list", at },
        ];
        // The events of a generation whose commit failed: the sync applies them again with the next ones.
        let pending: SyncEvent[] = first;
        for (const [g, { events, commitFails }] of [{ events: [] as Event[], commitFails: false }, ...generations].entries()) {
          const batch: SyncEvent[] = [...pending];
          for (const e of events) {
            const event =
              e.op === "pod" ? world.pod(e.p)
              : e.op === "delete pod" ? world.remove(`pod/${e.p.namespace}/p${e.p.slot}`)
              : e.op === "policy" ? world.policy(e.p)
              : e.op === "delete policy" ? world.remove(`np/${e.p.namespace}/np${e.p.slot}`)
              : world.namespace(e.p.name, e.p.team);
            if (event) batch.push(event);
          }
          const { changes, working } = changesForBatch(state, batch, { sourceRef: () => null, namespaceSelectors: () => [] });
          const computed = await maintainer.compute({ state, snapshot }, working, [{ changes, revisions: [] }]);
          counts.generations++;
          if (computed.method === "incremental") counts.incremental++;
          const want = snapshotText(toMatrixSnapshot(analyze(working).matrix));
          expect(snapshotText(computed.snapshot), `generation ${g} (${computed.method})`).toEqual(want);
          // The API's index as the committing replica builds it: derived from the last one when hinted.
          const hint = computed.snapshot.changedSince;
          const derived = index && hint?.base === snapshot ? drain(GenerationIndex.deriveSliced(index, computed.snapshot, hint)) : GenerationIndex.build(computed.snapshot);
          expect(indexText(derived, computed.snapshot), `generation ${g}'s index (${hint ? "derived" : "built"})`).toEqual(indexText(GenerationIndex.build(computed.snapshot), computed.snapshot));
          if (commitFails && g > 0) {
            // Not committed: the sync keeps the committed state and snapshot, and applies these events again with the next.
            counts.failedCommits++;
            pending = batch;
            continue;
          }
          pending = [];
          state = working;
          snapshot = computed.snapshot;
          index = derived;
        }
      }),
      { numRuns: 150 },
    );
    // Not vacuous: most generations are incremental, and some commits fail.
    expect(counts.incremental).toBeGreaterThan(counts.generations / 2);
    expect(counts.failedCommits).toBeGreaterThan(0);
  }, 120_000);
});
