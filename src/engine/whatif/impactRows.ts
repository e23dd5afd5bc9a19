/**
 * Steps 5 to 7 of the incremental what-if (incremental.ts explains why it is exact): the
 * connectivity keys (workload pairs, workload <-> external atom) with a changed node pair, their
 * rows before and after recomputed whole, as buildConnectivity forms them, and why each changed
 * row changed, from the verdicts of a few of its changed node pairs.
 */
import type { CompiledWorld } from "../compile/model.js";
import type { DiffRow } from "../diff/diffConnectivity.js";
import { evaluatePair } from "../eval/evaluatePair.js";
import type { ConnEndpoint, ConnectivityRow } from "../matrix/connectivity.js";
import { findAtom } from "../matrix/ipPartition.js";
import { workloadKey, type PolicyKey } from "../model/ids.js";
import type { IpRange } from "../net/ip.js";
import { ConnectionSet } from "../ports/ConnectionSet.js";
import type { WhatIfBase } from "./base.js";
import type { PairEvaluation } from "./candidatePairs.js";
import { mergeCauses, pairCauses } from "./causes.js";
import type { WhatIfNodes, WorkloadLookup } from "./refinedClasses.js";
import type { ChangeCause, ImpactRow, PolicyChangeKind } from "./types.js";

/** Changed class pairs whose verdicts are compared to explain one row. */
const PAIRS_EXPLAINED_PER_ROW = 3;

/** The changed node pairs (keys s * N + d) behind each connectivity key that can change. */
export interface RowKeys {
  /** Number of workloads: a workload pair's key is w1 * Wn + w2. */
  readonly Wn: number;
  readonly pairKeys: Map<number, number[]>;
  /** By source workload, toward external atoms. */
  readonly outKeys: Map<number, number[]>;
  /** By destination workload, from external atoms. */
  readonly inKeys: Map<number, number[]>;
}

/** Step 5: the keys with a changed node pair, each with its changed pairs (in the order they were found). */
export function keysOfChangedPairs(base: WhatIfBase, nodes: WhatIfNodes, lookup: WorkloadLookup, changed: ReadonlyMap<number, unknown>): RowKeys {
  const { P, N } = nodes;
  const Wn = base.workloads.workloads.length;
  const keys: RowKeys = { Wn, pairKeys: new Map(), outKeys: new Map(), inKeys: new Map() };
  const note = (m: Map<number, number[]>, k: number, pair: number) => {
    const l = m.get(k);
    if (l) l.push(pair);
    else m.set(k, [pair]);
  };
  for (const key of changed.keys()) {
    const s = Math.floor(key / N);
    const d = key % N;
    if (s < P && d < P) {
      for (const w1 of lookup.workloadsOf(s)) for (const w2 of lookup.workloadsOf(d)) if (w1 !== w2) note(keys.pairKeys, w1 * Wn + w2, key);
    } else if (s < P) for (const w of lookup.workloadsOf(s)) note(keys.outKeys, w, key);
    else for (const w of lookup.workloadsOf(d)) note(keys.inKeys, w, key);
  }
  return keys;
}

/** Step 6: the rows of those keys before and after, each the union over all node pairs of the key (empty rows left out). */
export function rowsBeforeAndAfter(base: WhatIfBase, nodes: WhatIfNodes, lookup: WorkloadLookup, pairs: PairEvaluation, keys: RowKeys): { before: ConnectivityRow[]; after: ConnectivityRow[] } {
  const { Wn } = keys;
  const workloadEndpoint = (w: number): ConnEndpoint => ({ kind: "workload", ref: base.workloads.workloads[w]! });
  const before: ConnectivityRow[] = [];
  const after: ConnectivityRow[] = [];
  const push = (src: ConnEndpoint, dst: ConnEndpoint, b: ConnectionSet, a: ConnectionSet) => {
    if (!b.isEmpty()) before.push({ src, dst, conn: b });
    if (!a.isEmpty()) after.push({ src, dst, conn: a });
  };
  for (const k of keys.pairKeys.keys()) {
    const w1 = Math.floor(k / Wn);
    const w2 = k % Wn;
    let b = ConnectionSet.NONE;
    let a = ConnectionSet.NONE;
    for (const r1 of lookup.refinedOfWorkload(w1))
      for (const r2 of lookup.refinedOfWorkload(w2)) {
        if (r1 === r2 && nodes.secondEndpoint[r1] === undefined) continue;
        b = b.union(pairs.baseConn(r1, r2));
        a = a.union(pairs.headConn(r1, r2));
      }
    push(workloadEndpoint(w1), workloadEndpoint(w2), b, a);
  }
  for (const [byWorkload, out] of [
    [keys.outKeys, true],
    [keys.inKeys, false],
  ] as const)
    for (const w of byWorkload.keys()) {
      const we = workloadEndpoint(w);
      nodes.atoms.forEach((range, i) => {
        const node = nodes.P + nodes.groupOfAtom[i]!;
        let b = ConnectionSet.NONE;
        let a = ConnectionSet.NONE;
        for (const r of lookup.refinedOfWorkload(w)) {
          b = b.union(out ? pairs.baseConn(r, node) : pairs.baseConn(node, r));
          a = a.union(out ? pairs.headConn(r, node) : pairs.headConn(node, r));
        }
        const ext: ConnEndpoint = { kind: "external", range };
        if (out) push(we, ext, b, a);
        else push(ext, we, b, a);
      });
    }
  return { before, after };
}

export interface ExplainInput {
  readonly base: WhatIfBase;
  readonly head: CompiledWorld;
  readonly nodes: WhatIfNodes;
  readonly pairs: PairEvaluation;
  readonly keys: RowKeys;
  readonly changeOf: ReadonlyMap<PolicyKey, PolicyChangeKind>;
}

/** Step 7: each diff row with what it gains and loses, and why: the merged causes of its first few changed node pairs. */
export function explainRows(diff: readonly DiffRow[], input: ExplainInput): ImpactRow[] {
  const causesOfPair = pairCausesMemo(input);
  return diff.map((row) => {
    const pairs = changedPairsOfRow(row, input).slice(0, PAIRS_EXPLAINED_PER_ROW);
    return { ...row, gained: row.after.subtract(row.before), lost: row.before.subtract(row.after), causes: mergeCauses(pairs.map(causesOfPair)) };
  });
}

/** Why one node pair changed: its verdicts in both worlds compared (pairCauses), memoised by pair. */
function pairCausesMemo({ base, head, nodes, pairs, changeOf }: ExplainInput): (key: number) => ChangeCause[] {
  const memo = new Map<number, ChangeCause[]>();
  return (key) => {
    let hit = memo.get(key);
    if (!hit) {
      const s = Math.floor(key / nodes.N);
      const d = key % nodes.N;
      const src = nodes.endpoints[s]!;
      const dst = pairs.dstEndpoint(s, d);
      hit = pairCauses(evaluatePair(base.world, src, dst), evaluatePair(head, src, dst), changeOf);
      memo.set(key, hit);
    }
    return hit;
  };
}

/** The changed node pairs behind a diff row: its key's pairs, for an external row only those toward the row's atom's group. */
function changedPairsOfRow(row: DiffRow, { base, nodes, keys }: ExplainInput): number[] {
  const { P, N } = nodes;
  const idx = (e: ConnEndpoint) => (e.kind === "workload" ? base.workloads.byKey.get(workloadKey(e.ref))! : -1);
  if (row.src.kind === "workload" && row.dst.kind === "workload") return keys.pairKeys.get(idx(row.src) * keys.Wn + idx(row.dst)) ?? [];
  const out = row.src.kind === "workload";
  const w = idx(out ? row.src : row.dst);
  const range = ((out ? row.dst : row.src) as { range: IpRange }).range;
  const node = P + nodes.groupOfAtom[findAtom(nodes.atoms, range.family, range.start)]!;
  return (out ? keys.outKeys : keys.inKeys).get(w)?.filter((key) => (out ? key % N : Math.floor(key / N)) === node) ?? [];
}
