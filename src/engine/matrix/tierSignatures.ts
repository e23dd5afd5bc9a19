/**
 * Tier signatures (see tierMatrix.ts): endpoint classes by the tier peer groups that match them,
 * and by those with the class's named ports. Which rules of a tiered policy match a class depends
 * only on its signature, so the tier walks run once per signature, not per class.
 */
import type { CompiledWorld } from "../compile/model.js";
import type { EndpointClasses } from "./classes.js";

/** Classes by the tier peer groups matching them. */
export interface Signatures {
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

/** The signatures of every class, from the peer groups of every tiered rule. */
export function buildSignatures(world: CompiledWorld, classes: EndpointClasses): Signatures {
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
