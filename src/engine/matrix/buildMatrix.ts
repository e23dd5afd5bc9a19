/**
 * The reachability matrix over endpoint classes. For each destination class it gathers what its
 * ingress rules admit from each source class, for each source class what its egress rules admit
 * toward each destination class, and intersects the two, visiting only pairs that either side can
 * allow. Rule semantics come from eval/matching.ts (the same primitives evaluatePair uses); a
 * property test holds this matrix equal to evaluatePair on every pod pair.
 *
 * Cluster-scoped tiers (tierMatrix.ts) change a side only toward the classes their rules name: for
 * those, the side is Admin-accepted ∪ (what the Admin tier left ∩ NetworkPolicy) when NetworkPolicy
 * isolates the subject, else Admin-accepted ∪ what the Baseline tier did not deny. Elsewhere the
 * NetworkPolicy result stands, so the sparse candidate walk below still visits only pairs either
 * side can allow.
 */
import type { CompiledWorld } from "../compile/model.js";
import { ALL_ID, ConnTable, NONE_ID, type ConnId } from "../ports/ConnTable.js";
import type { ConnectionSet } from "../ports/ConnectionSet.js";
import { buildEndpointClasses, type EndpointClass, type EndpointClasses } from "./classes.js";
import { buildEgressSpecs, egressSide, networkPolicyCandidates, withTierCandidates, type EgressCandidates } from "./egressSide.js";
import { IntList } from "./intList.js";
import { ruleConnections, type RuleConnections } from "./ruleConnections.js";
import { buildTierSides, countUnresolvedRules, tierConn, type TierSide } from "./tierMatrix.js";

/** Allowed connections into one destination class: parallel arrays sorted by source class. */
export interface IncomingRow {
  readonly src: Int32Array;
  readonly conn: Int32Array;
}

export interface ClassMatrix {
  readonly world: CompiledWorld;
  readonly classes: EndpointClasses;
  readonly conns: ConnTable;
  /** incoming[dstClass]: every source class with a non-empty connection (external->external excluded). */
  readonly incoming: readonly IncomingRow[];
  readonly stats: {
    readonly classes: number;
    readonly podClasses: number;
    readonly entries: number;
    /**
     * Tiered rules with peers kubereach cannot resolve (`nodes`, `domainNames`): they match nothing
     * here, so where they apply the matrix is what kubereach can prove, and explain says UNKNOWN.
     */
    readonly unresolvedPeerRules: number;
  };
  /** Allowed connections from one class to another (NONE when absent). */
  get(srcClass: number, dstClass: number): ConnectionSet;
  /** Allowed connections between two distinct pods, read from their classes. */
  podToPod(srcPod: number, dstPod: number): ConnectionSet;
}

/** The class matrix of a compiled world: the classes, then the egress side, the tiers, and each destination's incoming row. */
export function buildMatrix(world: CompiledWorld): ClassMatrix {
  const classes = buildEndpointClasses(world);
  const cls = classes.classes;
  const conns = new ConnTable();
  const rules = ruleConnections(classes, conns);
  const egressSpecs = buildEgressSpecs(world, cls, conns, rules);
  const npCandidates = networkPolicyCandidates(cls, egressSpecs);
  const { ingress: tierIngress, egress: tierEgress } = buildTierSides({ world, classes, conns, ruleConnToward: rules.ruleConnToward, hasNamed: rules.hasNamed });
  const candidates = withTierCandidates(cls.length, npCandidates, tierEgress);
  const rows = new IncomingRowBuilder(world, cls, conns, rules, tierIngress, candidates, egressSide(cls, conns, rules, egressSpecs, tierEgress));
  const incoming: IncomingRow[] = new Array(cls.length);
  let entries = 0;
  for (const d of cls) {
    incoming[d.id] = rows.row(d);
    entries += incoming[d.id]!.src.length;
  }
  return classMatrix(world, classes, conns, incoming, entries);
}

/**
 * The incoming row of each destination class: what its ingress side admits from each candidate
 * source, intersected with the source's egress side. Scratch space is reused across destinations (a
 * Map and four arrays per destination class were a large share of this loop's garbage at 100k
 * pods): what the destination's ingress rules admit from source class s is inConnOf[s], valid only
 * where inStamp[s] === d.id; inSources lists those s.
 */
class IncomingRowBuilder {
  private readonly inStamp: Int32Array;
  private readonly inConnOf: Int32Array;
  private readonly inSources = new IntList();
  private readonly stamp: Int32Array;
  private readonly candidates = new IntList();
  private readonly srcOut = new IntList();
  private readonly connOut = new IntList();

  constructor(
    private readonly world: CompiledWorld,
    private readonly cls: readonly EndpointClass[],
    private readonly conns: ConnTable,
    private readonly rules: RuleConnections,
    private readonly tierIngress: TierSide,
    private readonly egress: EgressCandidates,
    private readonly egressFinal: (s: number, d: EndpointClass) => ConnId,
  ) {
    const n = cls.length;
    this.inStamp = new Int32Array(n).fill(-1);
    this.inConnOf = new Int32Array(n);
    this.stamp = new Int32Array(n).fill(-1);
  }

  /** The incoming row of destination d. */
  row(d: EndpointClass): IncomingRow {
    const inAny = this.admitIngress(d);
    const sorted = this.candidatesOf(d, inAny !== NONE_ID);
    return this.intersect(d, sorted, inAny);
  }

  /**
   * What d's NetworkPolicy ingress rules admit: returns what they admit from every source (ALL when
   * d is not isolated), and leaves what they admit from the sources they name in inConnOf/inSources.
   */
  private admitIngress(d: EndpointClass): ConnId {
    const { conns, rules, inStamp, inConnOf, inSources } = this;
    inSources.length = 0;
    if (d.ingressPolicies.length === 0) return ALL_ID; // not isolated (or external): everything admitted
    let inAny = NONE_ID;
    for (const pi of d.ingressPolicies) {
      for (const rule of this.world.networkPolicies[pi]!.ingress!) {
        const conn = rules.ruleConnToward(rule, d);
        if (conn === NONE_ID) continue;
        if (rule.peers === "any") inAny = conns.union(inAny, conn);
        else {
          const peerClasses = rules.peerClassesOf(rule);
          for (let i = 0; i < peerClasses.length; i++) {
            const s = peerClasses[i]!;
            if (inStamp[s] !== d.id) {
              inStamp[s] = d.id;
              inConnOf[s] = NONE_ID;
              inSources.push(s);
            }
            inConnOf[s] = conns.union(inConnOf[s]!, conn);
          }
        }
      }
    }
    return inAny;
  }

  /**
   * The source classes either side can allow toward d, ascending: when d's ingress admits every
   * source, those whose egress can reach d; else the sources its ingress names, and those its Admin
   * tier accepts though its NetworkPolicies do not name them.
   */
  private candidatesOf(d: EndpointClass, inOpen: boolean): Int32Array {
    this.candidates.length = 0;
    if (inOpen) {
      const { openEgress, namedBy, tierAcceptedBy } = this.egress;
      for (let i = 0; i < openEgress.length; i++) this.consider(d, openEgress[i]!);
      const named = namedBy[d.id]!;
      for (let i = 0; i < named.length; i++) this.consider(d, named[i]!);
      const accepted = tierAcceptedBy[d.id];
      if (accepted) for (let i = 0; i < accepted.length; i++) this.consider(d, accepted[i]!);
    } else {
      for (let i = 0; i < this.inSources.length; i++) this.consider(d, this.inSources.get(i));
      const inTier = this.tierIngress.groupOf[d.id];
      if (inTier) for (let i = 0; i < inTier.acceptors.length; i++) this.consider(d, inTier.acceptors[i]!);
    }
    return this.candidates.view().sort(); // numeric, ascending
  }

  /** Adds source s to d's candidates, once. */
  private consider(d: EndpointClass, s: number): void {
    if (this.stamp[s] === d.id) return;
    this.stamp[s] = d.id;
    this.candidates.push(s);
  }

  /** The row: each candidate's ingress side (the tiers around NetworkPolicy) intersected with its egress side, where not empty. */
  private intersect(d: EndpointClass, sorted: Int32Array, inAny: ConnId): IncomingRow {
    const { conns, cls, srcOut, connOut } = this;
    const inTier = this.tierIngress.groupOf[d.id];
    const inIsolated = d.ingressPolicies.length > 0;
    srcOut.length = 0;
    connOut.length = 0;
    for (let i = 0; i < sorted.length; i++) {
      const s = sorted[i]!;
      if (d.kind === "external" && cls[s]!.kind === "external") continue;
      const npIn = conns.union(inAny, this.inStamp[s] === d.id ? this.inConnOf[s]! : NONE_ID);
      const inConn = inTier === undefined ? npIn : tierConn(conns, inTier, s, inIsolated, npIn);
      if (inConn === NONE_ID) continue;
      const conn = conns.intersect(inConn, this.egressFinal(s, d));
      if (conn === NONE_ID) continue;
      srcOut.push(s);
      connOut.push(conn);
    }
    return { src: srcOut.view().slice(), conn: connOut.view().slice() };
  }
}

/** The ClassMatrix over the built rows: lookups by binary search in a destination's row. */
function classMatrix(world: CompiledWorld, classes: EndpointClasses, conns: ConnTable, incoming: readonly IncomingRow[], entries: number): ClassMatrix {
  const get = (s: number, d: number): ConnectionSet => {
    const row = incoming[d]!;
    let lo = 0;
    let hi = row.src.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = row.src[mid]!;
      if (v < s) lo = mid + 1;
      else if (v > s) hi = mid - 1;
      else return conns.get(row.conn[mid]!);
    }
    return conns.get(NONE_ID);
  };
  const cls = classes.classes;
  return {
    world,
    classes,
    conns,
    incoming,
    stats: { classes: cls.length, podClasses: cls.filter((c) => c.kind === "pod").length, entries, unresolvedPeerRules: countUnresolvedRules(world) },
    get,
    podToPod: (a, b) => get(classes.classOfPod[a]!, classes.classOfPod[b]!),
  };
}
