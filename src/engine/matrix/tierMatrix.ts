/**
 * The cluster-scoped tiers in the class matrix. Subject classes with the same tiered policies for a
 * side form a group. Tier peers are absolute (namespace and pod selectors, CIDRs), so which rules of
 * a group match another class depends only on that class's "tier signature": the tier peer groups
 * matching it (plus, where named ports matter, its named ports). For each group and signature the
 * Admin and Baseline walks run once, with eval/tiers.ts's walkTier (the function evaluatePair uses),
 * and leave three connection sets:
 *   A = what the Admin tier accepts,
 *   R = what it leaves to the next tiers (passed, or matched by no Admin rule),
 *   B = the part of R the Baseline tier does not deny.
 * The side is then A ∪ (R ∩ NetworkPolicy) for a subject isolated by NetworkPolicy, else A ∪ B.
 * Where no rule of the group matches, A = ∅ and R = B = everything: the NetworkPolicy result stands.
 * Unresolved peers (nodes, domainNames) name no class: they match nothing here, as in evaluatePair.
 */
import type { CompiledTierRule, CompiledWorld, Direction, Tier, TierPort } from "../compile/model.js";
import { walkTierWith, type ConnAlgebra, type TierStepOf } from "../eval/tiers.js";
import { ALL_ID, NONE_ID, type ConnId, type ConnTable } from "../ports/ConnTable.js";
import type { EndpointClass, EndpointClasses } from "./classes.js";

export interface TierGroup {
  /** Subject classes of the group. */
  readonly members: number[];
  /** Signature of each class this group reads (plain, or with named ports when its rules name ports). */
  readonly sigOf: Int32Array;
  /** Per signature: -1 when no rule of the group matches it, else an index into a, r and b. */
  readonly tripleOfSig: Int32Array;
  readonly a: readonly ConnId[];
  readonly r: readonly ConnId[];
  readonly b: readonly ConnId[];
  /** Other classes with a non-empty Admin accept (A). */
  readonly acceptors: readonly number[];
}

export interface TierSide {
  readonly groups: readonly TierGroup[];
  /** Group of each class for this side (undefined: no tiered policy applies). */
  readonly groupOf: readonly (TierGroup | undefined)[];
}

type PortsRule = { readonly ports: readonly TierPort[] | "any" };

export interface TierMatrixContext {
  readonly world: CompiledWorld;
  readonly classes: EndpointClasses;
  readonly conns: ConnTable;
  /** What a rule's ports admit toward a destination class (memoised by the matrix). */
  readonly ruleConnToward: (rule: PortsRule, dst: EndpointClass) => ConnId;
  readonly hasNamed: (rule: PortsRule) => boolean;
}

/** The side of a subject class toward another class, given what NetworkPolicy alone gives (`np`: everything when not isolated). */
export function tierConn(conns: ConnTable, g: TierGroup, other: number, isolated: boolean, np: ConnId): ConnId {
  const t = g.tripleOfSig[g.sigOf[other]!]!;
  if (t < 0) return np;
  return isolated ? conns.union(g.a[t]!, conns.intersect(g.r[t]!, np)) : conns.union(g.a[t]!, g.b[t]!);
}

export function countUnresolvedRules(world: CompiledWorld): number {
  let n = 0;
  for (const p of world.tieredPolicies)
    for (const r of [...p.ingress, ...p.egress]) if (r.peers !== "any" && r.peers.some((x) => x.kind === "nodes" || x.kind === "domainNames")) n++;
  return n;
}

/** Classes by the tier peer groups matching them. */
interface Signatures {
  /** Signature id of each class, and with its named ports. */
  readonly plain: Int32Array;
  readonly named: Int32Array;
  readonly plainCount: number;
  readonly namedCount: number;
  /** Peer groups of each plain signature, the plain signature of each named one, and the named ones of each plain one. */
  readonly groupsOfPlain: readonly (readonly number[])[];
  readonly plainOfNamed: Int32Array;
  readonly namedOfPlain: readonly (readonly number[])[];
  /** A class of each named signature (named ports resolve on it). */
  readonly classOfNamed: Int32Array;
  /** Classes of each plain and named signature. */
  readonly classesOfPlain: readonly number[][];
  readonly classesOfNamed: readonly number[][];
  /** Plain signatures containing each peer group. */
  readonly plainWithGroup: ReadonlyMap<number, readonly number[]>;
}

function buildSignatures(world: CompiledWorld, classes: EndpointClasses): Signatures {
  const cls = classes.classes;
  const n = cls.length;
  const groups = new Set<number>();
  for (const p of world.tieredPolicies)
    for (const r of [...p.ingress, ...p.egress]) if (r.peers !== "any") for (const peer of r.peers) if (peer.kind === "selector" || peer.kind === "ipBlock") groups.add(classes.groupOfPeer[peer.id]!);
  const listOf: number[][] = Array.from({ length: n }, () => []);
  for (const g of [...groups].sort((a, b) => a - b)) for (const c of classes.groupClasses[g]!) listOf[c]!.push(g);

  const plain = new Int32Array(n);
  const named = new Int32Array(n);
  const plainIds = new Map<string, number>();
  const namedIds = new Map<string, number>();
  const groupsOfPlain: number[][] = [];
  const classesOfPlain: number[][] = [];
  const classesOfNamed: number[][] = [];
  const plainOfNamed: number[] = [];
  const classOfNamed: number[] = [];
  for (let c = 0; c < n; c++) {
    const key = listOf[c]!.join(",");
    let s = plainIds.get(key);
    if (s === undefined) {
      plainIds.set(key, (s = groupsOfPlain.length));
      groupsOfPlain.push(listOf[c]!);
      classesOfPlain.push([]);
    }
    plain[c] = s;
    classesOfPlain[s]!.push(c);
    const nkey = `${s}|${cls[c]!.namedPortsKey}`;
    let t = namedIds.get(nkey);
    if (t === undefined) {
      namedIds.set(nkey, (t = plainOfNamed.length));
      plainOfNamed.push(s);
      classOfNamed.push(c);
      classesOfNamed.push([]);
    }
    named[c] = t;
    classesOfNamed[t]!.push(c);
  }
  const namedOfPlain: number[][] = groupsOfPlain.map(() => []);
  plainOfNamed.forEach((p, t) => namedOfPlain[p]!.push(t));
  const plainWithGroup = new Map<number, number[]>();
  groupsOfPlain.forEach((gs, s) => {
    for (const g of gs) {
      const list = plainWithGroup.get(g);
      if (list) list.push(s);
      else plainWithGroup.set(g, [s]);
    }
  });
  return {
    plain,
    named,
    plainCount: groupsOfPlain.length,
    namedCount: plainOfNamed.length,
    groupsOfPlain,
    plainOfNamed: Int32Array.from(plainOfNamed),
    namedOfPlain,
    classOfNamed: Int32Array.from(classOfNamed),
    classesOfPlain,
    classesOfNamed,
    plainWithGroup,
  };
}

interface Step {
  readonly tier: Tier;
  readonly rule: CompiledTierRule;
  /** Global id of the rule (walk results are shared across groups by the ids of the matching rules). */
  readonly id: number;
}

/** The steps matching a signature: indices into the structure's steps, the id of their rule list (shared across groups), whether one names ports. */
interface Vec {
  readonly steps: readonly number[];
  readonly id: number;
  readonly named: boolean;
}

/** Which steps of a group match each plain signature: shared by the groups of one policy list. */
interface Structure {
  readonly steps: readonly Step[];
  readonly touched: readonly number[];
  /**
   * Per touched plain signature: the matching steps (indices into steps), their global ids as text,
   * and whether one of them names ports (then the walk depends on the destination's named ports).
   */
  readonly vec: ReadonlyMap<number, Vec>;
  /** Touched plain signatures whose matching steps name ports. */
  readonly namedSigs: readonly number[];
  /** Port names the steps mention (named ports outside this set do not change any walk). */
  readonly names: ReadonlySet<string>;
  /** The group of these policies for destinations without named-port dependence (ingress), built once. */
  shared?: TierGroup;
  /** Text of the subject's relevant named ports, by the subject's namedPortsKey (ingress). */
  readonly namedText: Map<string, string>;
}

export function buildTierSide(ctx: TierMatrixContext, direction: Direction, signatures?: Signatures): TierSide {
  const { world, classes, conns } = ctx;
  const cls = classes.classes;
  const n = cls.length;
  const groupOf: (TierGroup | undefined)[] = new Array(n);
  const groups: TierGroup[] = [];
  if (world.tieredPolicies.length === 0) return { groups, groupOf };
  const sig = signatures ?? buildSignatures(world, classes);

  const ruleIds = new Map<CompiledTierRule, number>();
  const stepsOf = (ids: readonly number[]): Step[] => {
    const steps: Step[] = [];
    for (const i of ids) {
      const p = world.tieredPolicies[i]!;
      for (const rule of direction === "ingress" ? p.ingress : p.egress) {
        let id = ruleIds.get(rule);
        if (id === undefined) ruleIds.set(rule, (id = ruleIds.size));
        steps.push({ tier: p.tier, rule, id });
      }
    }
    return steps;
  };

  // The plain signatures each rule matches, once per rule (several peers of a rule may share one).
  const stampOf = new Int32Array(sig.plainCount).fill(-1);
  let stamp = 0;
  const sigsOfRule = new Map<CompiledTierRule, Int32Array>();
  const ruleSigs = (rule: CompiledTierRule): Int32Array => {
    let hit = sigsOfRule.get(rule);
    if (hit) return hit;
    const out: number[] = [];
    const mark = ++stamp;
    if (rule.peers === "any") for (let x = 0; x < sig.plainCount; x++) out.push(x);
    else
      for (const p of rule.peers) {
        if (p.kind !== "selector" && p.kind !== "ipBlock") continue; // unresolved: names no class
        const sigs = sig.plainWithGroup.get(classes.groupOfPeer[p.id]!);
        if (!sigs) continue;
        for (let i = 0; i < sigs.length; i++)
          if (stampOf[sigs[i]!] !== mark) {
            stampOf[sigs[i]!] = mark;
            out.push(sigs[i]!);
          }
      }
    sigsOfRule.set(rule, (hit = Int32Array.from(out)));
    return hit;
  };
  // Scratch for structureOf, per plain signature: how many steps match it, then where its list starts and how far it is filled.
  const count = new Int32Array(sig.plainCount);
  const startOf = new Int32Array(sig.plainCount);
  const structureOf = (policyIds: readonly number[]): Structure => {
    const steps = stepsOf(policyIds);
    const perStep = steps.map((st) => ruleSigs(st.rule));
    // Counting pass, then the step lists of every touched signature in one flat array (steps ascending).
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
    const namedStep = steps.map((st) => ctx.hasNamed(st.rule));
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
      let id = vecIds.get(key);
      if (id === undefined) vecIds.set(key, (id = vecIds.size));
      vec.set(x, { steps: v, id, named });
      if (named) namedSigs.push(x);
    }
    const names = new Set<string>();
    for (const st of steps) if (st.rule.ports !== "any") for (const port of st.rule.ports) if (port.kind === "named" || port.kind === "namedAny") names.add(port.name);
    return { steps, touched, vec, namedSigs, names, namedText: new Map() };
  };

  // Walk results by the matching rules' ids (and the destination's named ports where they matter),
  // shared by every group: A, R and B as ConnIds.
  const a: ConnId[] = [];
  const r: ConnId[] = [];
  const b: ConnId[] = [];
  // Memo of walks: by rule list id, and for rule lists that name ports, by the destination's named ports too.
  const vecIds = new Map<string, number>();
  const memoPlain: number[] = [];
  const memoNamed: Map<string, number>[] = [];
  // The walk of eval/tiers.ts, over interned ids: unions, intersections and differences are memoised.
  const ids: ConnAlgebra<ConnId> = {
    none: NONE_ID,
    union: (x, y) => conns.union(x, y),
    intersect: (x, y) => conns.intersect(x, y),
    subtract: (x, y) => conns.subtract(x, y),
    isEmpty: (x) => x === NONE_ID,
  };
  const triple = (st: Structure, vec: Vec, dst: EndpointClass, namedKey: string | undefined): number => {
    let named: Map<string, number> | undefined;
    let t: number | undefined;
    if (namedKey === undefined) t = memoPlain[vec.id];
    else t = (named = memoNamed[vec.id] ??= new Map()).get(namedKey);
    if (t !== undefined) return t;
    const v = vec.steps;
    const admin: TierStepOf<ConnId>[] = [];
    const baseline: TierStepOf<ConnId>[] = [];
    for (const k of v) {
      const step = st.steps[k]!;
      (step.tier === "admin" ? admin : baseline).push({ action: step.rule.action, conn: ctx.ruleConnToward(step.rule, dst), resolved: true });
    }
    const aw = walkTierWith(ids, admin, ALL_ID);
    const left = conns.union(aw.passed, aw.rest);
    const bw = walkTierWith(ids, baseline, left);
    t = a.length;
    a.push(aw.accepted);
    r.push(left);
    b.push(conns.union(conns.union(bw.accepted, bw.passed), bw.rest));
    if (named) named.set(namedKey!, t);
    else memoPlain[vec.id] = t;
    return t;
  };
  const accepting = (t: number, members: readonly number[], out: number[]) => {
    if (a[t] !== NONE_ID) for (let i = 0; i < members.length; i++) out.push(members[i]!);
  };

  /**
   * Egress: named ports resolve on the other class, so signatures whose matching rules name ports
   * are split by the other class's named ports (the named signatures); the others share one walk.
   */
  const buildEgress = (st: Structure): TierGroup => {
    const byNamed = st.namedSigs.length > 0;
    const plainTriple = new Int32Array(sig.plainCount).fill(-1);
    const acceptors: number[] = [];
    for (const s of st.touched) {
      const v = st.vec.get(s)!;
      if (v.named) continue;
      const t = triple(st, v, cls[sig.classesOfPlain[s]![0]!]!, undefined);
      plainTriple[s] = t;
      accepting(t, sig.classesOfPlain[s]!, acceptors);
    }
    if (!byNamed) return { members: [], sigOf: sig.plain, tripleOfSig: plainTriple, a, r, b, acceptors };
    const tripleOfSig = new Int32Array(sig.namedCount);
    for (let t = 0; t < sig.namedCount; t++) tripleOfSig[t] = plainTriple[sig.plainOfNamed[t]!]!;
    for (const s of st.namedSigs) {
      const v = st.vec.get(s)!;
      for (const t of sig.namedOfPlain[s]!) {
        const dst = cls[sig.classOfNamed[t]!]!;
        const id = triple(st, v, dst, dst.namedPortsKey);
        tripleOfSig[t] = id;
        accepting(id, sig.classesOfNamed[t]!, acceptors);
      }
    }
    return { members: [], sigOf: sig.named, tripleOfSig, a, r, b, acceptors };
  };

  /**
   * Ingress: named ports resolve on the subject, so a group is one policy list and one set of the
   * subject's named ports (those the rules name); only signatures whose matching rules name ports
   * walk again per named-port variant, the rest is shared.
   */
  const buildIngress = (st: Structure, subject: EndpointClass, namedKey: string): TierGroup => {
    let shared = st.shared;
    if (!shared) {
      const tripleOfSig = new Int32Array(sig.plainCount).fill(-1);
      const acceptors: number[] = [];
      for (const s of st.touched) {
        const v = st.vec.get(s)!;
        if (v.named) continue;
        tripleOfSig[s] = triple(st, v, subject, undefined);
        accepting(tripleOfSig[s]!, sig.classesOfPlain[s]!, acceptors);
      }
      st.shared = shared = { members: [], sigOf: sig.plain, tripleOfSig, a, r, b, acceptors };
    }
    if (st.namedSigs.length === 0) return { ...shared, members: [] };
    const tripleOfSig = shared.tripleOfSig.slice();
    const acceptors = shared.acceptors.slice();
    for (const s of st.namedSigs) {
      const v = st.vec.get(s)!;
      tripleOfSig[s] = triple(st, v, subject, namedKey);
      accepting(tripleOfSig[s]!, sig.classesOfPlain[s]!, acceptors);
    }
    return { members: [], sigOf: sig.plain, tripleOfSig, a, r, b, acceptors };
  };

  // Classes of one label shape share their policy list (the same array): look it up by identity first.
  const structureById = new Map<readonly number[], { readonly st: Structure; readonly base: string }>();
  const structures = new Map<string, Structure>();
  const byKey = new Map<string, TierGroup>();
  const plainGroups = new Map<Structure, TierGroup>();
  for (const c of cls) {
    const ids = direction === "ingress" ? c.tierIngress : c.tierEgress;
    if (ids.length === 0) continue;
    let entry = structureById.get(ids);
    if (!entry) {
      const base = ids.join(",");
      let st = structures.get(base);
      if (!st) structures.set(base, (st = structureOf(ids)));
      structureById.set(ids, (entry = { st, base }));
    }
    const st = entry.st;
    let g: TierGroup | undefined;
    if (direction === "egress" || st.namedSigs.length === 0) {
      g = plainGroups.get(st);
      if (!g) {
        g = direction === "egress" ? buildEgress(st) : buildIngress(st, c, "");
        plainGroups.set(st, g);
        groups.push(g);
      }
    } else {
      // For ingress the subject is the destination: subjects whose named ports (those the rules name) differ need their own walks.
      let namedKey = st.namedText.get(c.namedPortsKey);
      if (namedKey === undefined) st.namedText.set(c.namedPortsKey, (namedKey = namedPortsText(c, st.names)));
      const key = `${entry.base}|${namedKey}`;
      g = byKey.get(key);
      if (!g) {
        g = buildIngress(st, c, namedKey);
        byKey.set(key, g);
        groups.push(g);
      }
    }
    g.members.push(c.id);
    groupOf[c.id] = g;
  }
  return { groups, groupOf };
}

/** The class's named ports among `names`, as canonical text. */
function namedPortsText(c: EndpointClass, names: ReadonlySet<string>): string {
  if (!c.namedPorts) return "-";
  const parts: string[] = [];
  for (const [name, p] of c.namedPorts) if (names.has(name)) parts.push(`${name}:${p.protocol}:${p.port}`);
  return parts.length === 0 ? "-" : parts.sort().join(",");
}

/** Both sides, sharing the class signatures. */
export function buildTierSides(ctx: TierMatrixContext): { readonly ingress: TierSide; readonly egress: TierSide } {
  if (ctx.world.tieredPolicies.length === 0) {
    const empty: TierSide = { groups: [], groupOf: new Array(ctx.classes.classes.length) };
    return { ingress: empty, egress: empty };
  }
  const signatures = buildSignatures(ctx.world, ctx.classes);
  return { ingress: buildTierSide(ctx, "ingress", signatures), egress: buildTierSide(ctx, "egress", signatures) };
}
