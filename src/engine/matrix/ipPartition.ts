/**
 * Cuts the address space into atoms at every ipBlock boundary (cidr and except), so that every
 * address of an atom is in exactly the same ipBlocks. Atoms with the same membership form an
 * "IP class". External endpoints are reported per atom; pods are classed by the IP class of their IP.
 */
import type { CompiledWorld, IpBlockPeer } from "../compile/model.js";
import { familyMax, type IpAddress, type IpFamily, type IpRange } from "../net/ip.js";

export interface IpClass {
  readonly id: number;
  /** Ids of the ipBlock peer groups containing these addresses, ascending. */
  readonly groups: readonly number[];
  readonly atoms: readonly number[];
}

export interface IpPartition {
  /** Sorted by family then start; together they cover every included family completely. */
  readonly atoms: readonly IpRange[];
  readonly atomClass: Int32Array;
  readonly classes: readonly IpClass[];
  /** Ids of ipBlock peers -> their group (peers with equal address sets share a group). */
  readonly groupOfPeer: ReadonlyMap<number, number>;
  readonly groupCount: number;
  classOf(ip: IpAddress): number;
}

export function buildIpPartition(world: CompiledWorld): IpPartition {
  const blocks = world.peers.filter((p): p is IpBlockPeer => p.kind === "ipBlock");
  const podFamilies = new Set<IpFamily>();
  for (const p of world.pods) if (p.ip) podFamilies.add(p.ip.family);
  return partitionAddresses(blocks, podFamilies);
}

/**
 * The partition of the address space the ipBlocks cut, over IPv4 and every family a block or a
 * pod (`podFamilies`) uses. The incremental matrix calls it with the ipBlocks it keeps.
 */
export function partitionAddresses(blocks: readonly IpBlockPeer[], podFamilies: Iterable<IpFamily>): IpPartition {

  // Peers with the same address set behave the same: group them.
  const groupOfPeer = new Map<number, number>();
  const groupSets: IpBlockPeer[] = [];
  const groupByKey = new Map<string, number>();
  for (const b of blocks) {
    const key = b.set.ranges.map((r) => `${r.family}:${r.start}-${r.end}`).join(",");
    let g = groupByKey.get(key);
    if (g === undefined) {
      g = groupSets.length;
      groupSets.push(b);
      groupByKey.set(key, g);
    }
    groupOfPeer.set(b.id, g);
  }

  // IPv6 is analysed only when the world mentions it, so IPv4-only clusters get no IPv6 noise.
  const families = new Set<IpFamily>([4]);
  for (const b of blocks) for (const f of b.set.families()) families.add(f);
  for (const f of podFamilies) families.add(f);

  const atoms: IpRange[] = [];
  for (const family of [...families].sort()) {
    const bounds = new Set<bigint>([0n]);
    const max = familyMax(family);
    for (const g of groupSets)
      for (const r of g.set.ranges) {
        if (r.family !== family) continue;
        bounds.add(r.start);
        if (r.end < max) bounds.add(r.end + 1n);
      }
    const sorted = [...bounds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < sorted.length; i++) {
      atoms.push({ family, start: sorted[i]!, end: i + 1 < sorted.length ? sorted[i + 1]! - 1n : max });
    }
  }


  const membership: number[][] = atoms.map(() => []);
  groupSets.forEach((g, gid) => {
    for (const r of g.set.ranges) {
      for (let i = findAtom(atoms, r.family, r.start); i >= 0 && i < atoms.length; i++) {
        const a = atoms[i]!;
        if (a.family !== r.family || a.start > r.end) break;
        membership[i]!.push(gid);
      }
    }
  });

  const classes: { id: number; groups: number[]; atoms: number[] }[] = [];
  const classByKey = new Map<string, number>();
  const atomClass = new Int32Array(atoms.length);
  membership.forEach((groups, i) => {
    const key = groups.join(",");
    let c = classByKey.get(key);
    if (c === undefined) {
      c = classes.length;
      classes.push({ id: c, groups, atoms: [] });
      classByKey.set(key, c);
    }
    classes[c]!.atoms.push(i);
    atomClass[i] = c;
  });

  return {
    atoms,
    atomClass,
    classes,
    groupOfPeer,
    groupCount: groupSets.length,
    classOf(ip: IpAddress): number {
      const a = findAtom(atoms, ip.family, ip.value);
      return a < 0 ? -1 : atomClass[a]!;
    },
  };
}

/** Index of the atom holding (family, value); atoms are sorted by family then start and cover their families. */
export function findAtom(atoms: readonly IpRange[], family: IpFamily, value: bigint): number {
  let lo = 0;
  let hi = atoms.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const a = atoms[mid]!;
    if (a.family < family || (a.family === family && a.end < value)) lo = mid + 1;
    else if (a.family > family || a.start > value) hi = mid - 1;
    else return mid;
  }
  return -1;
}
