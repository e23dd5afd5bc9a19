/**
 * The external side of an incremental what-if: the base partition's atoms cut at the boundaries of
 * the new ipBlocks, over the address families of both worlds, grouped so that the addresses of a
 * group are treated alike by the base policies and by the new ones (same base external class, same
 * membership in each new ipBlock). One address per group stands for it in evaluations.
 */
import type { CompiledPeer } from "../compile/model.js";
import { familyMax, type IpAddress, type IpFamily, type IpRange } from "../net/ip.js";
import { findAtom } from "../matrix/ipPartition.js";
import type { WhatIfBase } from "./base.js";

export interface ExternalGroup {
  /** An address of the group: every address of its atoms is treated alike in both worlds. */
  readonly rep: IpAddress;
  /** The base matrix's external class of these addresses, or -1 when the base partition lacks the family. */
  readonly baseClass: number;
}


/**
 * The base partition's atoms cut at the boundaries of the new ipBlocks, over the families of both
 * worlds, grouped by (base external class, membership in each new ipBlock): addresses of a group are
 * treated alike by the base policies and by the new ones.
 */
export function externalGroups(base: WhatIfBase, newBlocks: readonly CompiledPeer[], mentioned: Iterable<IpFamily>): { atoms: IpRange[]; groupOfAtom: Int32Array; groups: ExternalGroup[] } {
  const baseAtoms = base.matrix.classes.partition.atoms;
  const families = new Set<IpFamily>([...base.families, ...mentioned]);
  const blockRanges: IpRange[] = [];
  for (const b of newBlocks) if (b.kind === "ipBlock") for (const r of b.set.ranges) blockRanges.push(r);
  for (const r of blockRanges) families.add(r.family);
  const atoms: IpRange[] = [];
  for (const family of [...families].sort()) {
    const max = familyMax(family);
    const bounds = new Set<bigint>([0n]);
    for (const a of baseAtoms) if (a.family === family) bounds.add(a.start);
    for (const r of blockRanges) {
      if (r.family !== family) continue;
      bounds.add(r.start);
      if (r.end < max) bounds.add(r.end + 1n);
    }
    const sorted = [...bounds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    sorted.forEach((start, i) => atoms.push({ family, start, end: i + 1 < sorted.length ? sorted[i + 1]! - 1n : max }));
  }
  const groups: ExternalGroup[] = [];
  const groupByKey = new Map<string, number>();
  const groupOfAtom = new Int32Array(atoms.length);
  atoms.forEach((atom, i) => {
    const rep: IpAddress = { family: atom.family, value: atom.start };
    const baseAtom = base.families.has(atom.family) ? findAtom(baseAtoms, atom.family, atom.start) : -1;
    const baseClass = baseAtom >= 0 ? base.externalClassOfAtom[baseAtom]! : -1;
    let key = baseClass >= 0 ? String(baseClass) : `f${atom.family}`;
    key += "|";
    for (const b of newBlocks) key += b.kind === "ipBlock" && b.set.contains(rep) ? "1" : "0";
    let g = groupByKey.get(key);
    if (g === undefined) {
      g = groups.length;
      groupByKey.set(key, g);
      groups.push({ rep, baseClass });
    }
    groupOfAtom[i] = g;
  });
  return { atoms, groupOfAtom, groups };
}
