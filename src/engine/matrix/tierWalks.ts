/**
 * The Admin and Baseline walks of the tier matrix (tierMatrix.ts explains A, R and B) and the groups
 * built from them. A walk runs once per step list (by its global id), and once more per
 * destination's named ports when the list names ports; its A, R and B are interned ConnIds in
 * arrays shared by every group of the side.
 */
import type { EndpointClass } from "./classes.js";
import { walkTierWith, type ConnAlgebra, type TierStepOf } from "../eval/tiers.js";
import { ALL_ID, NONE_ID, type ConnId } from "../ports/ConnTable.js";
import type { Signatures } from "./tierSignatures.js";
import type { Structure, TierGroup, TierMatrixContext, Vec } from "./tierTypes.js";

export class TierWalks {
  /** Walk results by walk id: what the Admin tier accepts, what it leaves, what the Baseline tier does not deny. */
  private readonly a: ConnId[] = [];
  private readonly r: ConnId[] = [];
  private readonly b: ConnId[] = [];
  /** Walk ids by step-list id, and for step lists that name ports, by the destination's named ports too. */
  private readonly memoPlain: number[] = [];
  private readonly memoNamed: Map<string, number>[] = [];
  /** The walk of eval/tiers.ts, over interned ids: unions, intersections and differences are memoised. */
  private readonly ids: ConnAlgebra<ConnId>;

  constructor(
    private readonly ctx: TierMatrixContext,
    private readonly sig: Signatures,
  ) {
    const conns = ctx.conns;
    this.ids = {
      none: NONE_ID,
      union: (x, y) => conns.union(x, y),
      intersect: (x, y) => conns.intersect(x, y),
      subtract: (x, y) => conns.subtract(x, y),
      isEmpty: (x) => x === NONE_ID,
    };
  }

  /**
   * Egress: named ports resolve on the other class, so signatures whose matching rules name ports
   * are split by the other class's named ports (the named signatures); the others share one walk.
   */
  egressGroup(st: Structure): TierGroup {
    const { sig } = this;
    const cls = this.ctx.classes.classes;
    const plainTriple = new Int32Array(sig.plainCount).fill(-1);
    const acceptors: number[] = [];
    for (const s of st.touched) {
      const v = st.vec.get(s)!;
      if (v.named) continue;
      const t = this.triple(st, v, cls[sig.classesOfPlain[s]![0]!]!, undefined);
      plainTriple[s] = t;
      this.accepting(t, sig.classesOfPlain[s]!, acceptors);
    }
    if (st.namedSigs.length === 0) return this.group(sig.plain, plainTriple, acceptors);
    const tripleOfSig = new Int32Array(sig.namedCount);
    for (let t = 0; t < sig.namedCount; t++) tripleOfSig[t] = plainTriple[sig.plainOfNamed[t]!]!;
    for (const s of st.namedSigs) {
      const v = st.vec.get(s)!;
      for (const t of sig.namedOfPlain[s]!) {
        const dst = cls[sig.classOfNamed[t]!]!;
        const id = this.triple(st, v, dst, dst.namedPortsKey);
        tripleOfSig[t] = id;
        this.accepting(id, sig.classesOfNamed[t]!, acceptors);
      }
    }
    return this.group(sig.named, tripleOfSig, acceptors);
  }

  /**
   * Ingress: named ports resolve on the subject, so a group is one policy list and one set of the
   * subject's named ports (those the rules name); only signatures whose matching rules name ports
   * walk again per named-port variant, the rest is shared.
   */
  ingressGroup(st: Structure, subject: EndpointClass, namedKey: string): TierGroup {
    const { sig } = this;
    const shared = (st.shared ??= this.sharedIngressGroup(st, subject));
    if (st.namedSigs.length === 0) return { ...shared, members: [] };
    const tripleOfSig = shared.tripleOfSig.slice();
    const acceptors = shared.acceptors.slice();
    for (const s of st.namedSigs) {
      const v = st.vec.get(s)!;
      tripleOfSig[s] = this.triple(st, v, subject, namedKey);
      this.accepting(tripleOfSig[s]!, sig.classesOfPlain[s]!, acceptors);
    }
    return this.group(sig.plain, tripleOfSig, acceptors);
  }

  /** The walks of the signatures whose matching rules name no ports: the same for every subject of the list. */
  private sharedIngressGroup(st: Structure, subject: EndpointClass): TierGroup {
    const { sig } = this;
    const tripleOfSig = new Int32Array(sig.plainCount).fill(-1);
    const acceptors: number[] = [];
    for (const s of st.touched) {
      const v = st.vec.get(s)!;
      if (v.named) continue;
      tripleOfSig[s] = this.triple(st, v, subject, undefined);
      this.accepting(tripleOfSig[s]!, sig.classesOfPlain[s]!, acceptors);
    }
    return this.group(sig.plain, tripleOfSig, acceptors);
  }

  /** A group over the shared walk results (members are added by the caller). */
  private group(sigOf: Int32Array, tripleOfSig: Int32Array, acceptors: number[]): TierGroup {
    return { members: [], sigOf, tripleOfSig, a: this.a, r: this.r, b: this.b, acceptors };
  }

  /** Adds the members of a signature to the acceptors when walk t accepts something (A not empty). */
  private accepting(t: number, members: readonly number[], out: number[]): void {
    if (this.a[t] !== NONE_ID) for (let i = 0; i < members.length; i++) out.push(members[i]!);
  }

  /** The walk of a step list toward `dst` (its named ports, where the list names ports, given as namedKey): its index into a, r and b. */
  private triple(st: Structure, vec: Vec, dst: EndpointClass, namedKey: string | undefined): number {
    let named: Map<string, number> | undefined;
    let t: number | undefined;
    if (namedKey === undefined) t = this.memoPlain[vec.id];
    else t = (named = this.memoNamed[vec.id] ??= new Map()).get(namedKey);
    if (t !== undefined) return t;
    const { conns, ruleConnToward } = this.ctx;
    const admin: TierStepOf<ConnId>[] = [];
    const baseline: TierStepOf<ConnId>[] = [];
    for (const k of vec.steps) {
      const step = st.steps[k]!;
      (step.tier === "admin" ? admin : baseline).push({ action: step.rule.action, conn: ruleConnToward(step.rule, dst), resolved: true });
    }
    const aw = walkTierWith(this.ids, admin, ALL_ID);
    const left = conns.union(aw.passed, aw.rest);
    const bw = walkTierWith(this.ids, baseline, left);
    t = this.a.length;
    this.a.push(aw.accepted);
    this.r.push(left);
    this.b.push(conns.union(conns.union(bw.accepted, bw.passed), bw.rest));
    if (named) named.set(namedKey!, t);
    else this.memoPlain[vec.id] = t;
    return t;
  }
}
