/**
 * The what-if by full recomputation, for changes the incremental path does not cover (pods,
 * workloads or namespaces changed): the head world's matrix and connectivity list, the semantic
 * diff against the base's, and the rules responsible, read from evaluatePair on member pods of each
 * changed row in both worlds.
 */
import type { CompiledPod, CompiledWorld } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import { diffConnectivity, type DiffRow } from "../diff/diffConnectivity.js";
import { externalEndpoint, podEndpoint, type Endpoint } from "../eval/endpoint.js";
import { evaluateDirection, evaluatePair } from "../eval/evaluatePair.js";
import { buildMatrix, type ClassMatrix } from "../matrix/buildMatrix.js";
import { buildConnectivity, buildWorkloadIndex, formatConnEndpoint, type ConnEndpoint, type ConnectivityRow, type WorkloadIndex } from "../matrix/connectivity.js";
import { formatWorkload, workloadKey, type PolicyKey, type WorkloadKey } from "../model/ids.js";
import { familyMax, type IpFamily } from "../net/ip.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import type { WhatIfBase } from "./base.js";
import { mergeCauses, pairCauses, presenceCauses } from "./causes.js";
import { appendAll } from "../util/appendAll.js";
import { policyFingerprint } from "./splice.js";
import type { ChangeCause, ImpactRow, PolicyChange, PolicyChangeKind, WhatIfResult } from "./types.js";

/** Representative pods per workload side when explaining a row (distinct classes first). */
const REPRESENTATIVES = 3;

export interface CompareOptions {
  readonly diagnostics?: readonly Diagnostic[];
  /** The head's matrix, when the caller has it already. */
  readonly headMatrix?: ClassMatrix;
}

export function compareWorlds(base: WhatIfBase, head: CompiledWorld, options: CompareOptions = {}): WhatIfResult {
  const headMatrix = options.headMatrix ?? buildMatrix(head);
  const headIndex = buildWorkloadIndex(headMatrix);
  const { before, after } = alignFamilies(
    { matrix: base.matrix, index: base.workloads, rows: buildConnectivity(base.matrix, {}, base.workloads) },
    { matrix: headMatrix, index: headIndex, rows: buildConnectivity(headMatrix, {}, headIndex) },
  );
  const diff = diffConnectivity(before, after);
  const policyChanges = comparePolicies(base.world, head);
  const changeOf = new Map<PolicyKey, PolicyChangeKind>(policyChanges.map((c) => [c.key, c.kind]));
  const explainer = new RowExplainer(base.world, head, base.matrix, headMatrix, changeOf);
  const rows: ImpactRow[] = diff.map((row) => ({ ...row, gained: row.after.subtract(row.before), lost: row.before.subtract(row.after), causes: explainer.causes(row) }));
  return {
    method: "full",
    head,
    diagnostics: options.diagnostics ?? [],
    policyChanges,
    rows,
    stats: { refinedClasses: headMatrix.stats.podClasses, affectedClasses: 0, evaluatedPairs: headMatrix.stats.entries, changedPairs: diff.length },
  };
}

/** Added, modified (different fingerprint) and deleted policies between two worlds. */
export function comparePolicies(base: CompiledWorld, head: CompiledWorld): PolicyChange[] {
  const out: PolicyChange[] = [];
  const headByKey = new Map(head.networkPolicies.map((p) => [p.key, p]));
  const baseKeys = new Set(base.networkPolicies.map((p) => p.key));
  for (const p of base.networkPolicies) {
    const h = headByKey.get(p.key);
    if (!h) out.push({ ref: p.ref, key: p.key, kind: "deleted", origin: p.origin });
    else if (policyFingerprint(h) !== policyFingerprint(p)) out.push({ ref: h.ref, key: h.key, kind: "modified", origin: h.origin });
  }
  for (const p of head.networkPolicies) if (!baseKeys.has(p.key)) out.push({ ref: p.ref, key: p.key, kind: "added", origin: p.origin });
  return out;
}

interface Side {
  readonly matrix: ClassMatrix;
  readonly index: WorkloadIndex;
  readonly rows: readonly ConnectivityRow[];
}

/**
 * Both connectivity lists over the same address families. A list covers IPv6 only when its world
 * mentions IPv6 (an ipBlock or a pod address), so a change that adds the first IPv6 ipBlock would
 * otherwise show every IPv6 flow as new. For a family one side lacks, that side treats every
 * address of the family alike (no ipBlock, no pod has one): its rows toward and from the whole
 * family are evaluated on one address with the engine's evaluator and added.
 */
export function alignFamilies(a: Side, b: Side): { before: ConnectivityRow[]; after: ConnectivityRow[] } {
  const families = (s: Side) => new Set<IpFamily>(s.matrix.classes.partition.atoms.map((x) => x.family));
  const fa = families(a);
  const fb = families(b);
  const missing = (have: Set<IpFamily>, other: Set<IpFamily>) => [...other].filter((f) => !have.has(f)).sort();
  return { before: [...a.rows, ...familyRows(a, missing(fa, fb))], after: [...b.rows, ...familyRows(b, missing(fb, fa))] };
}

function familyRows(side: Side, families: readonly IpFamily[]): ConnectivityRow[] {
  const out: ConnectivityRow[] = [];
  const { matrix, index } = side;
  for (const family of families) {
    const range = { family, start: 0n, end: familyMax(family) };
    const ext = externalEndpoint({ family, value: 0n });
    const extEndpoint: ConnEndpoint = { kind: "external", range };
    const classConn = new Map<number, { out: ConnectionSet; in: ConnectionSet }>();
    const connOf = (c: number) => {
      let hit = classConn.get(c);
      if (!hit) {
        const pod = podEndpoint(matrix.world.pods[matrix.classes.classes[c]!.pods[0]!]!);
        hit = { out: connBetween(matrix.world, pod, ext), in: connBetween(matrix.world, ext, pod) };
        classConn.set(c, hit);
      }
      return hit;
    };
    index.workloads.forEach((ref, w) => {
      let o = ConnectionSet.NONE;
      let i = ConnectionSet.NONE;
      for (const c of index.classesOf[w]!) {
        o = o.union(connOf(c).out);
        i = i.union(connOf(c).in);
      }
      const we: ConnEndpoint = { kind: "workload", ref };
      if (!o.isEmpty()) out.push({ src: we, dst: extEndpoint, conn: o });
      if (!i.isEmpty()) out.push({ src: extEndpoint, dst: we, conn: i });
    });
  }
  return out;
}

function connBetween(world: CompiledWorld, src: Endpoint, dst: Endpoint): ConnectionSet {
  return evaluateDirection(world, "egress", src, dst).allowed.intersect(evaluateDirection(world, "ingress", src, dst).allowed);
}

/** Causes of a row of the full diff, from a few member pod pairs present in both worlds. */
class RowExplainer {
  private readonly basePods: Map<WorkloadKey, CompiledPod[]>;
  private readonly headPods: Map<WorkloadKey, CompiledPod[]>;

  constructor(
    private readonly base: CompiledWorld,
    private readonly head: CompiledWorld,
    private readonly baseMatrix: ClassMatrix,
    private readonly headMatrix: ClassMatrix,
    private readonly changeOf: ReadonlyMap<PolicyKey, PolicyChangeKind>,
  ) {
    this.basePods = podsByWorkload(base);
    this.headPods = podsByWorkload(head);
  }

  causes(row: DiffRow): ChangeCause[] {
    const missing: ChangeCause[] = [];
    const side = (e: ConnEndpoint): { base: Endpoint; head: Endpoint }[] => {
      if (e.kind === "external") {
        const ep = externalEndpoint({ family: e.range.family, value: e.range.start });
        return [{ base: ep, head: ep }];
      }
      const k = workloadKey(e.ref);
      const inBase = this.basePods.get(k) ?? [];
      const inHead = this.headPods.get(k) ?? [];
      const conn = row.after.subtract(row.before).isEmpty() ? row.before.subtract(row.after) : row.after.subtract(row.before);
      if (inBase.length === 0 || inHead.length === 0) {
        const text = `${formatWorkload(e.ref)} ${inBase.length === 0 ? "is new" : "is removed"}`;
        const named = this.presence(row, inBase.length === 0, conn, text);
        if (named.length > 0) appendAll(missing, named);
        else missing.push({ effect: "world-change", direction: e === row.src ? "egress" : "ingress", conn, text: `${text}: pods, labels or namespaces changed` });
        return [];
      }
      const byKey = new Map(inBase.map((p) => [p.key, p]));
      const shared = inHead.filter((p) => byKey.has(p.key));
      const seenClasses = new Set<number>();
      const reps: { base: Endpoint; head: Endpoint }[] = [];
      for (const p of shared) {
        const c = this.headMatrix.classes.classOfPod[p.index]!;
        const cb = this.baseMatrix.classes.classOfPod[byKey.get(p.key)!.index]!;
        const k2 = c * 1_000_003 + cb;
        if (seenClasses.has(k2)) continue;
        seenClasses.add(k2);
        reps.push({ base: podEndpoint(byKey.get(p.key)!), head: podEndpoint(p) });
        if (reps.length >= REPRESENTATIVES) break;
      }
      if (reps.length === 0) missing.push({ effect: "world-change", direction: "ingress", conn, text: `the pods of ${formatConnEndpoint(e)} were replaced: pods, labels or namespaces changed` });
      return reps;
    };
    const srcs = side(row.src);
    const dsts = side(row.dst);
    const lists: ChangeCause[][] = [missing];
    for (const s of srcs)
      for (const d of dsts) {
        if (s.head.kind === "pod" && d.head.kind === "pod" && s.head.pod.key === d.head.pod.key) continue;
        const vb = evaluatePair(this.base, s.base, d.base);
        const vh = evaluatePair(this.head, s.head, d.head);
        if (vb.allowed.equals(vh.allowed)) continue;
        lists.push(pairCauses(vb, vh, this.changeOf));
      }
    return mergeCauses(lists);
  }

  /**
   * The rules admitting a row of a new (or removed) workload, evaluated on one pod of each side in
   * the world where the row's connections exist (head for a new workload, base for a removed one).
   */
  private presence(row: DiffRow, isNew: boolean, conn: ConnectionSet, what: string): ChangeCause[] {
    const world = isNew ? this.head : this.base;
    const pods = isNew ? this.headPods : this.basePods;
    const endpoint = (e: ConnEndpoint): Endpoint | undefined => {
      if (e.kind === "external") return externalEndpoint({ family: e.range.family, value: e.range.start });
      const p = pods.get(workloadKey(e.ref))?.[0];
      return p ? podEndpoint(p) : undefined;
    };
    const src = endpoint(row.src);
    const dst = endpoint(row.dst);
    if (!src || !dst) return [];
    return presenceCauses(evaluatePair(world, src, dst), conn, this.changeOf, what, isNew);
  }
}

function podsByWorkload(world: CompiledWorld): Map<WorkloadKey, CompiledPod[]> {
  const out = new Map<WorkloadKey, CompiledPod[]>();
  for (const p of world.pods) {
    const k = workloadKey(p.workload);
    const l = out.get(k);
    if (l) l.push(p);
    else out.set(k, [p]);
  }
  return out;
}
