/**
 * Steps 3 and 4 of the incremental what-if (incremental.ts explains why it is exact): the node
 * pairs whose connections can change (sides of subjects of changed policy versions, toward what
 * their rules match, or everything when isolation flips), and their evaluation on the head world
 * against the base matrix.
 */
import { rulesFor, type CompiledNetworkPolicy, type CompiledPeer, type CompiledWorld, type Direction } from "../compile/model.js";
import type { Endpoint } from "../eval/endpoint.js";
import { evaluateDirection, isolatingPolicies } from "../eval/evaluatePair.js";
import { peerMatches, policySelectsPod } from "../eval/matching.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";
import type { WhatIfBase } from "./base.js";
import { peerText, type WhatIfNodes } from "./refinedClasses.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

/** The nodes a subject's side may change toward: some, or every node. */
type Targets = Set<number> | "all";

/** Per direction, the subject nodes whose side may change, and toward which nodes. */
export interface Candidates {
  readonly sides: Record<Direction, Map<number, Targets>>;
  /** Subject nodes of a changed policy version. */
  readonly affected: ReadonlySet<number>;
}

/** The allowed connections between two endpoints as distinct endpoints (no self special case). */
export function connBetween(world: CompiledWorld, src: Endpoint, dst: Endpoint): ConnectionSet {
  return evaluateDirection(world, "egress", src, dst).allowed.intersect(evaluateDirection(world, "ingress", src, dst).allowed);
}

/** The sides that may change: those of the subjects of every old and new version, then widened where isolation flips. */
export function candidatePairs(W: CompiledWorld, H: CompiledWorld, nodes: WhatIfNodes, versions: readonly CompiledNetworkPolicy[]): Candidates {
  const sides: Record<Direction, Map<number, Targets>> = { ingress: new Map(), egress: new Map() };
  const affected = new Set<number>();
  const nodesMatching = peerMatchMemo(nodes);
  for (const v of versions) {
    const subjects: number[] = [];
    for (let s = 0; s < nodes.P; s++) if (policySelectsPod(v, nodes.refined[s]!.rep)) subjects.push(s);
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
        addTargets(sides[dir], s, targets);
      }
    }
  }
  widenFlippedIsolation(W, H, nodes, sides);
  return { sides, affected };
}

/** The nodes a peer matches, memoised by the peer's text. */
function peerMatchMemo(nodes: WhatIfNodes): (x: CompiledPeer) => number[] {
  const memo = new Map<string, number[]>();
  return (x) => {
    const k = peerText(x); // a selector's matchKey names its namespace scope
    let hit = memo.get(k);
    if (!hit) {
      hit = [];
      for (let n = 0; n < nodes.N; n++) if (peerMatches(x, nodes.endpoints[n]!)) hit.push(n);
      memo.set(k, hit);
    }
    return hit;
  };
}

function addTargets(m: Map<number, Targets>, subject: number, targets: Targets): void {
  const cur = m.get(subject);
  if (cur === "all") return;
  if (targets === "all") return void m.set(subject, "all");
  if (!cur) return void m.set(subject, new Set(targets));
  for (const t of targets) cur.add(t);
}

/** A side whose isolation flips changes toward everything. */
function widenFlippedIsolation(W: CompiledWorld, H: CompiledWorld, nodes: WhatIfNodes, sides: Record<Direction, Map<number, Targets>>): void {
  for (const dir of DIRECTIONS)
    for (const s of [...sides[dir].keys()]) {
      const e = nodes.endpoints[s]!;
      if (isolatingPolicies(W, e, dir).length > 0 !== isolatingPolicies(H, e, dir).length > 0) sides[dir].set(s, "all");
    }
}

/** A node pair's connections in both worlds, where they differ. */
export interface ChangedPair {
  readonly before: ConnectionSet;
  readonly after: ConnectionSet;
}

/**
 * Node pairs (key s * N + d) evaluated on the head world and compared with the base matrix; the
 * base value of a family the base partition lacks is evaluated on the base world.
 */
export class PairEvaluation {
  readonly changed = new Map<number, ChangedPair>();
  evaluatedPairs = 0;
  private readonly seen = new Set<number>();
  private readonly baseExternalMemo = new Map<number, ConnectionSet>();

  constructor(
    private readonly base: WhatIfBase,
    private readonly head: CompiledWorld,
    private readonly nodes: WhatIfNodes,
  ) {}

  /** Evaluates every candidate pair once: egress sides toward their targets, ingress sides from theirs. */
  evaluate(candidates: Candidates): this {
    const N = this.nodes.N;
    for (const [s, t] of candidates.sides.egress) {
      if (t === "all") for (let d = 0; d < N; d++) this.visit(s, d);
      else for (const d of t) this.visit(s, d);
    }
    for (const [d, t] of candidates.sides.ingress) {
      if (t === "all") for (let s = 0; s < N; s++) this.visit(s, d);
      else for (const s of t) this.visit(s, d);
    }
    return this;
  }

  /** The base world's connections from node s to node d. */
  baseConn(s: number, d: number): ConnectionSet {
    const { P, N, refined, groups, endpoints } = this.nodes;
    const M = this.base.matrix;
    if (s < P && d < P) return M.get(refined[s]!.baseClass, refined[d]!.baseClass);
    const g = groups[(s < P ? d : s) - P]!;
    if (g.baseClass >= 0) return s < P ? M.get(refined[s]!.baseClass, g.baseClass) : M.get(g.baseClass, refined[d]!.baseClass);
    // A family the base partition does not cover: evaluate it on the base world.
    const key = s * N + d;
    let hit = this.baseExternalMemo.get(key);
    if (!hit) this.baseExternalMemo.set(key, (hit = connBetween(this.base.world, endpoints[s]!, endpoints[d]!)));
    return hit;
  }

  /** The head world's connections from node s to node d. */
  headConn(s: number, d: number): ConnectionSet {
    return this.changed.get(s * this.nodes.N + d)?.after ?? this.baseConn(s, d);
  }

  /** The destination endpoint of a pair: a class's pair with itself is between two of its members. */
  dstEndpoint(s: number, d: number): Endpoint {
    return s === d ? this.nodes.secondEndpoint[d]! : this.nodes.endpoints[d]!;
  }

  private visit(s: number, d: number): void {
    const { P, N, secondEndpoint, endpoints } = this.nodes;
    if (s >= P && d >= P) return;
    if (s === d && secondEndpoint[s] === undefined) return; // one pod: its pair with itself is not a flow
    const key = s * N + d;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.evaluatedPairs++;
    const after = connBetween(this.head, endpoints[s]!, this.dstEndpoint(s, d));
    const before = this.baseConn(s, d);
    if (!after.equals(before)) this.changed.set(key, { before, after });
  }
}
