/**
 * The incremental what-if of a NetworkPolicy change: the impact of adding, modifying or deleting
 * policies, computed from the base world and its class matrix without rebuilding either.
 *
 * Why it is exact (the property test in test/engine/whatifProperty.test.ts checks it against the
 * full recomputation on random worlds):
 * 1. Only sides of changed policies move. A pod's egress verdict depends only on the policies of
 *    its namespace that select it for egress, and their rules; ingress likewise. Pods, labels and
 *    namespaces are unchanged, so if no changed policy (base or head version) selects a pod for a
 *    direction, that side of the pod is the same in both worlds, toward every endpoint.
 * 2. On a moved side, only endpoints a changed rule matches move. If the pod's isolation for the
 *    direction is the same in both worlds, the side is the union of the rules of the isolating
 *    policies; the unchanged policies contribute the same rules, so the two unions can differ only
 *    toward endpoints that a peer of a changed rule matches (every endpoint if a changed rule has
 *    no peer list). If the isolation flips, every endpoint is a candidate.
 * 3. Classes stand for their members. Base classes hold pods every base policy treats alike; the
 *    refined classes split them further by what the new versions look at (selection, peer matches,
 *    the named ports they name), and external atoms are cut at the new ipBlocks' boundaries. Two
 *    pods of one refined class are treated alike by every head policy, so one evaluation of a class
 *    pair (evaluateDirection, the engine's evaluator, on two member representatives) is the value
 *    of every member pair; the base value is the base matrix entry of the enclosing base classes.
 * 4. Rows are recomputed whole. For every workload pair (and workload-external pair) with a changed
 *    class pair, the before and after connections are the unions over all its class pairs, exactly
 *    as buildConnectivity forms them; diffConnectivity of those rows is the full diff restricted to
 *    the keys that can change, and every other key is unchanged by 1 and 2.
 * Address families: atoms cover the union of the families of both worlds, and base values for a
 * family the base partition lacks are evaluated on the base world, so a first IPv6 ipBlock does not
 * report every IPv6 flow as new (see alignFamilies for the full recomputation's counterpart).
 */
import { rulesFor, type CompiledNetworkPolicy, type CompiledPeer, type CompiledPod, type CompiledRule, type CompiledWorld, type Direction } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import { diffConnectivity, type DiffRow } from "../diff/diffConnectivity.js";
import { externalEndpoint, podEndpoint, type Endpoint } from "../eval/endpoint.js";
import { evaluateDirection, evaluatePair, isolatingPolicies } from "../eval/evaluatePair.js";
import { peerMatches, policySelectsPod } from "../eval/matching.js";
import type { ConnEndpoint, ConnectivityRow } from "../matrix/connectivity.js";
import { workloadKey, type PolicyKey } from "../model/ids.js";
import type { IpRange } from "../net/ip.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import type { WhatIfBase } from "./base.js";
import { findAtom } from "../matrix/ipPartition.js";
import { externalGroups } from "./externalGroups.js";
import { mergeCauses, pairCauses } from "./causes.js";
import { spliceWorld, type PolicyEdit } from "./splice.js";
import type { ChangeCause, ImpactRow, PolicyChangeKind, WhatIfResult } from "./types.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];
/** Changed class pairs whose verdicts are compared to explain one row. */
const PAIRS_EXPLAINED_PER_ROW = 3;

interface RefinedClass {
  readonly baseClass: number;
  readonly rep: CompiledPod;
  /** A second member, when there is one: the class's pair with itself is a pair of distinct pods. */
  second: CompiledPod | undefined;
}


/** The allowed connections between two endpoints as distinct endpoints (no self special case). */
function connBetween(world: CompiledWorld, src: Endpoint, dst: Endpoint): ConnectionSet {
  return evaluateDirection(world, "egress", src, dst).allowed.intersect(evaluateDirection(world, "ingress", src, dst).allowed);
}

function effectiveRules(p: CompiledNetworkPolicy): CompiledRule[] {
  return [...(p.ingress ?? []), ...(p.egress ?? [])];
}

function peerText(x: CompiledPeer): string {
  return x.kind === "selector" ? `s:${x.matchKey}` : `b:${x.set.ranges.map((r) => `${r.family}:${r.start}-${r.end}`).join(",")}`;
}

export function simulatePolicyEdit(base: WhatIfBase, edit: PolicyEdit, diagnostics: readonly Diagnostic[] = []): WhatIfResult {
  const spliced = spliceWorld(base.world, edit);
  const W = base.world;
  const H = spliced.world;
  const M = base.matrix;
  const empty = (): WhatIfResult => ({
    method: "incremental",
    head: H,
    diagnostics,
    policyChanges: spliced.changes,
    rows: [],
    stats: { refinedClasses: 0, affectedClasses: 0, evaluatedPairs: 0, changedPairs: 0 },
  });
  if (spliced.changes.length === 0) return empty();
  const changeOf = new Map<PolicyKey, PolicyChangeKind>(spliced.changes.map((c) => [c.key, c.kind]));

  // --- 1. refined pod classes -------------------------------------------------------------------
  const newPeers = new Map<string, CompiledPeer>();
  const newNames = new Set<string>();
  for (const v of spliced.newVersions)
    for (const r of effectiveRules(v)) {
      if (r.peers !== "any") for (const x of r.peers) if (!newPeers.has(peerText(x))) newPeers.set(peerText(x), x);
      // Names the base rules mention already split the base classes (classes.ts): only new names can split them further.
      if (r.ports !== "any") for (const p of r.ports) if (p.kind === "named" && !base.namedPortsMentioned.has(p.name)) newNames.add(p.name);
    }
  const peerList = [...newPeers.values()];
  const nameList = [...newNames].sort();
  const classOfPod = M.classes.classOfPod;
  const refined: RefinedClass[] = [];
  const refinedOfPod = new Int32Array(W.pods.length);
  // Most pods are neither selected nor matched by the new versions: they keep their base class
  // (one refined class per base class, found by array lookup); the others are keyed by what the new
  // versions see of them.
  const plainOf = new Int32Array(M.classes.classes.length).fill(-1);
  const refinedByKey = new Map<string, number>();
  const versionsNew = spliced.newVersions;
  for (const pod of W.pods) {
    const baseClass = classOfPod[pod.index]!;
    const e = podEndpoint(pod);
    let bits = "";
    let any = false;
    for (let i = 0; i < versionsNew.length; i++) {
      const hit = policySelectsPod(versionsNew[i]!, pod);
      any ||= hit;
      bits += hit ? "1" : "0";
    }
    for (let i = 0; i < peerList.length; i++) {
      const hit = peerMatches(peerList[i]!, e);
      any ||= hit;
      bits += hit ? "1" : "0";
    }
    let names = "";
    for (const n of nameList) {
      const np = pod.namedPorts.get(n);
      if (np) any = true;
      names += np ? `|${np.protocol}${np.port}` : "|-";
    }
    let r: number | undefined;
    if (!any) {
      r = plainOf[baseClass]!;
      if (r < 0) r = undefined;
    } else r = refinedByKey.get(`${baseClass}|${bits}${names}`);
    if (r === undefined) {
      r = refined.length;
      if (any) refinedByKey.set(`${baseClass}|${bits}${names}`, r);
      else plainOf[baseClass] = r;
      refined.push({ baseClass, rep: pod, second: undefined });
    } else if (refined[r]!.second === undefined) refined[r]!.second = pod;
    refinedOfPod[pod.index] = r;
  }
  const P = refined.length;
  // Workloads of a refined class, and refined classes of a workload: built when asked.
  const workloadsMemo = new Map<number, number[]>();
  const workloadsOf = (r: number): number[] => {
    let hit = workloadsMemo.get(r);
    if (!hit) {
      hit = [];
      for (const w of base.workloads.ofClass[refined[r]!.baseClass]!) if (base.podsOfWorkload[w]!.some((p) => refinedOfPod[p] === r)) hit.push(w);
      workloadsMemo.set(r, hit);
    }
    return hit;
  };
  const refinedOfWorkloadMemo = new Map<number, number[]>();
  const refinedOfWorkload = (w: number): number[] => {
    let hit = refinedOfWorkloadMemo.get(w);
    if (!hit) {
      hit = [...new Set(base.podsOfWorkload[w]!.map((p) => refinedOfPod[p]!))];
      refinedOfWorkloadMemo.set(w, hit);
    }
    return hit;
  };

  // --- 2. external atoms (base atoms cut at the new ipBlocks) and their groups --------------------
  const newBlocks = peerList.filter((x) => x.kind === "ipBlock");
  const { atoms, groupOfAtom, groups } = externalGroups(base, newBlocks, edit.mentionedFamilies ?? []);
  const G = groups.length;
  const N = P + G;
  const endpoints: Endpoint[] = [...refined.map((c) => podEndpoint(c.rep)), ...groups.map((g) => externalEndpoint(g.rep))];
  const secondEndpoint = refined.map((c) => (c.second ? podEndpoint(c.second) : undefined));

  // --- 3. candidate pairs ------------------------------------------------------------------------
  type Targets = Set<number> | "all";
  const candidates: Record<Direction, Map<number, Targets>> = { ingress: new Map(), egress: new Map() };
  const peerMatchMemo = new Map<string, number[]>();
  const nodesMatching = (x: CompiledPeer): number[] => {
    const k = peerText(x); // a selector's matchKey names its namespace scope
    let hit = peerMatchMemo.get(k);
    if (!hit) {
      hit = [];
      for (let n = 0; n < N; n++) if (peerMatches(x, endpoints[n]!)) hit.push(n);
      peerMatchMemo.set(k, hit);
    }
    return hit;
  };
  const addTargets = (dir: Direction, subject: number, targets: Targets) => {
    const m = candidates[dir];
    const cur = m.get(subject);
    if (cur === "all") return;
    if (targets === "all") return void m.set(subject, "all");
    if (!cur) return void m.set(subject, new Set(targets));
    for (const t of targets) cur.add(t);
  };
  const versions: readonly CompiledNetworkPolicy[] = [...spliced.oldVersions, ...spliced.newVersions];
  const affected = new Set<number>();
  for (const v of versions) {
    const subjects: number[] = [];
    for (let s = 0; s < P; s++) if (policySelectsPod(v, refined[s]!.rep)) subjects.push(s);
    if (subjects.length === 0) continue;
    for (const dir of DIRECTIONS) {
      const rules = rulesFor(v, dir);
      if (rules === undefined) continue;
      let targets: Targets = new Set<number>();
      for (const r of rules) {
        if (r.peers === "any") {
          targets = "all";
          break;
        }
        for (const x of r.peers) for (const n of nodesMatching(x)) targets.add(n);
      }
      for (const s of subjects) {
        affected.add(s);
        addTargets(dir, s, targets);
      }
    }
  }
  // A side whose isolation flips changes toward everything.
  for (const dir of DIRECTIONS)
    for (const s of [...candidates[dir].keys()]) {
      const e = endpoints[s]!;
      if (isolatingPolicies(W, e, dir).length > 0 !== isolatingPolicies(H, e, dir).length > 0) candidates[dir].set(s, "all");
    }

  // --- 4. evaluate the candidates ----------------------------------------------------------------
  const baseExternalMemo = new Map<number, ConnectionSet>();
  const baseConn = (s: number, d: number): ConnectionSet => {
    if (s < P && d < P) return M.get(refined[s]!.baseClass, refined[d]!.baseClass);
    const g = groups[(s < P ? d : s) - P]!;
    if (g.baseClass >= 0) return s < P ? M.get(refined[s]!.baseClass, g.baseClass) : M.get(g.baseClass, refined[d]!.baseClass);
    // A family the base partition does not cover: evaluate it on the base world.
    const key = s * N + d;
    let hit = baseExternalMemo.get(key);
    if (!hit) baseExternalMemo.set(key, (hit = connBetween(W, endpoints[s]!, endpoints[d]!)));
    return hit;
  };
  const dstEndpoint = (s: number, d: number) => (s === d ? secondEndpoint[d]! : endpoints[d]!);
  const seen = new Set<number>();
  const changed = new Map<number, { readonly before: ConnectionSet; readonly after: ConnectionSet }>();
  let evaluatedPairs = 0;
  const visit = (s: number, d: number) => {
    if (s >= P && d >= P) return;
    if (s === d && secondEndpoint[s] === undefined) return; // one pod: its pair with itself is not a flow
    const key = s * N + d;
    if (seen.has(key)) return;
    seen.add(key);
    evaluatedPairs++;
    const after = connBetween(H, endpoints[s]!, dstEndpoint(s, d));
    const before = baseConn(s, d);
    if (!after.equals(before)) changed.set(key, { before, after });
  };
  for (const [s, t] of candidates.egress) {
    if (t === "all") for (let d = 0; d < N; d++) visit(s, d);
    else for (const d of t) visit(s, d);
  }
  for (const [d, t] of candidates.ingress) {
    if (t === "all") for (let s = 0; s < N; s++) visit(s, d);
    else for (const s of t) visit(s, d);
  }

  // --- 5. the keys (workload pairs, workload <-> external) with a changed class pair ----------------
  const Wn = base.workloads.workloads.length;
  const pairKeys = new Map<number, number[]>();
  const outKeys = new Map<number, number[]>();
  const inKeys = new Map<number, number[]>();
  const note = (m: Map<number, number[]>, k: number, pair: number) => {
    const l = m.get(k);
    if (l) l.push(pair);
    else m.set(k, [pair]);
  };
  for (const key of changed.keys()) {
    const s = Math.floor(key / N);
    const d = key % N;
    if (s < P && d < P) {
      for (const w1 of workloadsOf(s)) for (const w2 of workloadsOf(d)) if (w1 !== w2) note(pairKeys, w1 * Wn + w2, key);
    } else if (s < P) for (const w of workloadsOf(s)) note(outKeys, w, key);
    else for (const w of workloadsOf(d)) note(inKeys, w, key);
  }

  // --- 6. rows before and after for those keys, and their diff -----------------------------------
  const headConn = (s: number, d: number) => changed.get(s * N + d)?.after ?? baseConn(s, d);
  const workloadEndpoint = (w: number): ConnEndpoint => ({ kind: "workload", ref: base.workloads.workloads[w]! });
  const before: ConnectivityRow[] = [];
  const after: ConnectivityRow[] = [];
  const push = (src: ConnEndpoint, dst: ConnEndpoint, b: ConnectionSet, a: ConnectionSet) => {
    if (!b.isEmpty()) before.push({ src, dst, conn: b });
    if (!a.isEmpty()) after.push({ src, dst, conn: a });
  };
  for (const k of pairKeys.keys()) {
    const w1 = Math.floor(k / Wn);
    const w2 = k % Wn;
    let b = ConnectionSet.NONE;
    let a = ConnectionSet.NONE;
    for (const r1 of refinedOfWorkload(w1))
      for (const r2 of refinedOfWorkload(w2)) {
        if (r1 === r2 && secondEndpoint[r1] === undefined) continue;
        b = b.union(baseConn(r1, r2));
        a = a.union(headConn(r1, r2));
      }
    push(workloadEndpoint(w1), workloadEndpoint(w2), b, a);
  }
  for (const [keys, out] of [
    [outKeys, true],
    [inKeys, false],
  ] as const)
    for (const w of keys.keys()) {
      const we = workloadEndpoint(w);
      atoms.forEach((range, i) => {
        const node = P + groupOfAtom[i]!;
        let b = ConnectionSet.NONE;
        let a = ConnectionSet.NONE;
        for (const r of refinedOfWorkload(w)) {
          b = b.union(out ? baseConn(r, node) : baseConn(node, r));
          a = a.union(out ? headConn(r, node) : headConn(node, r));
        }
        const ext: ConnEndpoint = { kind: "external", range };
        if (out) push(we, ext, b, a);
        else push(ext, we, b, a);
      });
    }
  const diff = diffConnectivity(before, after);

  // --- 7. why: the verdicts of a few changed class pairs of each row -------------------------------
  const causeMemo = new Map<number, ChangeCause[]>();
  const causesOfPair = (key: number): ChangeCause[] => {
    let hit = causeMemo.get(key);
    if (!hit) {
      const s = Math.floor(key / N);
      const d = key % N;
      const src = endpoints[s]!;
      const dst = dstEndpoint(s, d);
      hit = pairCauses(evaluatePair(W, src, dst), evaluatePair(H, src, dst), changeOf);
      causeMemo.set(key, hit);
    }
    return hit;
  };
  const atomAt = (range: IpRange) => findAtom(atoms, range.family, range.start);
  const pairsOfRow = (row: DiffRow): number[] => {
    const idx = (e: ConnEndpoint) => (e.kind === "workload" ? base.workloads.byKey.get(workloadKey(e.ref))! : -1);
    if (row.src.kind === "workload" && row.dst.kind === "workload") return pairKeys.get(idx(row.src) * Wn + idx(row.dst)) ?? [];
    const out = row.src.kind === "workload";
    const w = idx(out ? row.src : row.dst);
    const node = P + groupOfAtom[atomAt(((out ? row.dst : row.src) as { range: IpRange }).range)]!;
    return (out ? outKeys : inKeys).get(w)?.filter((key) => (out ? key % N : Math.floor(key / N)) === node) ?? [];
  };
  const rows: ImpactRow[] = diff.map((row) => {
    const pairs = pairsOfRow(row).slice(0, PAIRS_EXPLAINED_PER_ROW);
    return { ...row, gained: row.after.subtract(row.before), lost: row.before.subtract(row.after), causes: mergeCauses(pairs.map(causesOfPair)) };
  });

  return {
    method: "incremental",
    head: H,
    diagnostics,
    policyChanges: spliced.changes,
    rows,
    stats: { refinedClasses: P, affectedClasses: affected.size, evaluatedPairs, changedPairs: changed.size },
  };
}
