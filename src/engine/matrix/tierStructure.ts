/**
 * The structure of a tiered policy list for one direction (tierMatrix.ts): its rules as walk steps,
 * and for each plain tier signature the steps that match it. Built once per distinct list, shared
 * by every class with that list; rule ids and step-list ids are global to the side, so walks are
 * shared across lists too (tierWalks.ts memoises them by step-list id).
 */
import type { CompiledTierRule, Direction } from "../compile/model.js";
import type { Signatures } from "./tierSignatures.js";
import type { Step, Structure, TierMatrixContext, Vec } from "./tierTypes.js";

export class TierStructures {
  /** Global id of each rule of this side. */
  private readonly ruleIds = new Map<CompiledTierRule, number>();
  /** Global id of each step list (by the ids of its rules, as text). */
  private readonly vecIds = new Map<string, number>();
  /** The plain signatures each rule matches, once per rule. */
  private readonly sigsOfRule = new Map<CompiledTierRule, Int32Array>();
  /** Scratch for ruleSigs: the last rule that listed each plain signature (several peers of a rule may share one). */
  private readonly stampOf: Int32Array;
  private stamp = 0;
  /** Scratch for stepsBySignature, per plain signature: how many steps match it, then where its list starts and how far it is filled. */
  private readonly count: Int32Array;
  private readonly startOf: Int32Array;
  /** Structures by policy list: by the list's identity first (classes of one label shape share the array), then by its text. */
  private readonly byIdentity = new Map<readonly number[], { readonly st: Structure; readonly base: string }>();
  private readonly byText = new Map<string, Structure>();

  constructor(
    private readonly ctx: TierMatrixContext,
    private readonly direction: Direction,
    private readonly sig: Signatures,
  ) {
    this.stampOf = new Int32Array(sig.plainCount).fill(-1);
    this.count = new Int32Array(sig.plainCount);
    this.startOf = new Int32Array(sig.plainCount);
  }

  /** The structure of a policy list (indices into world.tieredPolicies) and the list as text. */
  of(policyIds: readonly number[]): { readonly st: Structure; readonly base: string } {
    let entry = this.byIdentity.get(policyIds);
    if (!entry) {
      const base = policyIds.join(",");
      let st = this.byText.get(base);
      if (!st) this.byText.set(base, (st = this.build(policyIds)));
      this.byIdentity.set(policyIds, (entry = { st, base }));
    }
    return entry;
  }

  /** Builds the structure: steps, the steps matching each touched signature, and the port names the steps mention. */
  private build(policyIds: readonly number[]): Structure {
    const steps = this.stepsOf(policyIds);
    const perStep = steps.map((st) => this.ruleSigs(st.rule));
    const { touched, flat } = this.stepsBySignature(perStep);
    const { vec, namedSigs } = this.vectors(steps, touched, flat);
    const names = new Set<string>();
    for (const st of steps) if (st.rule.ports !== "any") for (const port of st.rule.ports) if (port.kind === "named" || port.kind === "namedAny") names.add(port.name);
    return { steps, touched, vec, namedSigs, names, namedText: new Map() };
  }

  /** The rules of the policies for this direction, in evaluation order, with their global ids. */
  private stepsOf(ids: readonly number[]): Step[] {
    const steps: Step[] = [];
    for (const i of ids) {
      const p = this.ctx.world.tieredPolicies[i]!;
      for (const rule of this.direction === "ingress" ? p.ingress : p.egress) {
        let id = this.ruleIds.get(rule);
        if (id === undefined) this.ruleIds.set(rule, (id = this.ruleIds.size));
        steps.push({ tier: p.tier, rule, id });
      }
    }
    return steps;
  }

  /** The plain signatures a rule matches, once per rule (unresolved peers name no class). */
  private ruleSigs(rule: CompiledTierRule): Int32Array {
    let hit = this.sigsOfRule.get(rule);
    if (hit) return hit;
    const { sig, stampOf } = this;
    const out: number[] = [];
    const mark = ++this.stamp;
    if (rule.peers === "any") for (let x = 0; x < sig.plainCount; x++) out.push(x);
    else
      for (const p of rule.peers) {
        if (p.kind !== "selector" && p.kind !== "ipBlock") continue; // unresolved: names no class
        const sigs = sig.plainWithGroup.get(this.ctx.classes.groupOfPeer[p.id]!);
        if (!sigs) continue;
        for (let i = 0; i < sigs.length; i++)
          if (stampOf[sigs[i]!] !== mark) {
            stampOf[sigs[i]!] = mark;
            out.push(sigs[i]!);
          }
      }
    this.sigsOfRule.set(rule, (hit = Int32Array.from(out)));
    return hit;
  }

  /**
   * Counting pass, then the step lists of every touched signature in one flat array (steps
   * ascending): signature x's list is flat[startOf[x] .. startOf[x] + count[x]), count left filled
   * for vectors() to read and reset.
   */
  private stepsBySignature(perStep: readonly Int32Array[]): { touched: number[]; flat: Int32Array } {
    const { count, startOf } = this;
    const touched: number[] = [];
    for (let k = 0; k < perStep.length; k++) {
      const sigs = perStep[k]!;
      for (let i = 0; i < sigs.length; i++) if (count[sigs[i]!]!++ === 0) touched.push(sigs[i]!);
    }
    let total = 0;
    for (let j = 0; j < touched.length; j++) {
      const x = touched[j]!;
      startOf[x] = total;
      total += count[x]!;
      count[x] = 0; // reused below as the fill level
    }
    const flat = new Int32Array(total);
    for (let k = 0; k < perStep.length; k++) {
      const sigs = perStep[k]!;
      for (let i = 0; i < sigs.length; i++) {
        const x = sigs[i]!;
        flat[startOf[x]! + count[x]!++] = k;
      }
    }
    return { touched, flat };
  }

  /** Per touched signature, its steps as a Vec (with the step list's global id), and the signatures whose steps name ports. */
  private vectors(steps: readonly Step[], touched: readonly number[], flat: Int32Array): { vec: Map<number, Vec>; namedSigs: number[] } {
    const { count, startOf } = this;
    const namedStep = steps.map((st) => this.ctx.hasNamed(st.rule));
    const vec = new Map<number, Vec>();
    const namedSigs: number[] = [];
    for (let j = 0; j < touched.length; j++) {
      const x = touched[j]!;
      const from = startOf[x]!;
      const n = count[x]!;
      count[x] = 0;
      const v: number[] = [];
      let key = "";
      let named = false;
      for (let i = 0; i < n; i++) {
        const k = flat[from + i]!;
        v.push(k);
        key += i === 0 ? `${steps[k]!.id}` : `,${steps[k]!.id}`;
        if (namedStep[k]) named = true;
      }
      let id = this.vecIds.get(key);
      if (id === undefined) this.vecIds.set(key, (id = this.vecIds.size));
      vec.set(x, { steps: v, id, named });
      if (named) namedSigs.push(x);
    }
    return { vec, namedSigs };
  }
}
