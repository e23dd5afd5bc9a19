/**
 * Stable identities for endpoint classes across recomputes. Class ids are positions in one
 * matrix; a signature names a class by what defines it (policies by key, peers by what they
 * match, ipBlocks by their addresses, named ports), so a class that survives a change keeps its
 * identity and stored rows. Two classes of one matrix never share a signature: it carries exactly
 * the distinctions the class key in classes.ts makes.
 */
import type { CompiledWorld } from "../compile/model.js";
import type { ClassMatrix } from "./buildMatrix.js";

export function classSignatures(matrix: ClassMatrix): string[] {
  const { world } = matrix;
  const { classes, groupOfPeer, groupClasses, partition } = matrix.classes;
  const groupKey = groupKeys(world, groupOfPeer, groupClasses.length);
  const selectorGroupsOf: string[][] = classes.map(() => []);
  const selectorGroupCount = groupClasses.length - partition.groupCount;
  for (let g = 0; g < selectorGroupCount; g++) for (const c of groupClasses[g]!) selectorGroupsOf[c]!.push(groupKey[g]!);
  const policyKeys = (ids: readonly number[]) => ids.map((i) => world.networkPolicies[i]!.key).sort().join(",");
  const tierKeys = (ids: readonly number[]) => ids.map((i) => world.tieredPolicies[i]!.key).sort().join(",");
  return classes.map((c, i) => {
    const ipGroups = c.ipClass < 0 ? "" : partition.classes[c.ipClass]!.groups.map((g) => groupKey[selectorGroupCount + g]!).sort().join(",");
    if (c.kind === "external") return `external|ip:${ipGroups}`;
    const host = world.pods[c.pods[0]!]!.hostNetwork ? "host" : "pod";
    const parts = [host, `in:${policyKeys(c.ingressPolicies)}`, `eg:${policyKeys(c.egressPolicies)}`, `peers:${selectorGroupsOf[i]!.sort().join(",")}`, `ip:${ipGroups}`, `np:${c.namedPortsKey}`];
    // Only when tiered policies apply, so signatures (and stored class keys) of worlds without tiers do not change.
    if (c.tierIngress.length > 0) parts.push(`tin:${tierKeys(c.tierIngress)}`);
    if (c.tierEgress.length > 0) parts.push(`teg:${tierKeys(c.tierEgress)}`);
    return parts.join("|");
  });
}

function groupKeys(world: CompiledWorld, groupOfPeer: Int32Array, count: number): string[] {
  const keys: string[] = new Array(count);
  for (const peer of world.peers) {
    const g = groupOfPeer[peer.id]!;
    if (g < 0 || keys[g] !== undefined) continue;
    keys[g] = peer.kind === "selector" ? peer.matchKey : `ipBlock(${peer.set.ranges.map((r) => `${r.family}:${r.start}-${r.end}`).join(",")})`;
  }
  return keys;
}
