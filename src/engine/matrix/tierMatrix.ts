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
 * The parts: signatures (tierSignatures.ts), the rule structure of each policy list
 * (tierStructure.ts), the walks and the groups built from them (tierWalks.ts), types (tierTypes.ts).
 */
import type { CompiledWorld, Direction } from "../compile/model.js";
import type { ConnId, ConnTable } from "../ports/ConnTable.js";
import type { EndpointClass } from "./classes.js";
import { buildSignatures, type Signatures } from "./tierSignatures.js";
import { TierStructures } from "./tierStructure.js";
import type { Structure, TierGroup, TierMatrixContext, TierSide } from "./tierTypes.js";
import { TierWalks } from "./tierWalks.js";

export type { TierGroup, TierMatrixContext, TierSide } from "./tierTypes.js";

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

/**
 * One side's groups: classes with the same tiered policies for the side (and, for ingress where the
 * rules name ports, the same values for those names) share a group and its walks.
 */
export function buildTierSide(ctx: TierMatrixContext, direction: Direction, signatures?: Signatures): TierSide {
  const { world, classes } = ctx;
  const cls = classes.classes;
  const groupOf: (TierGroup | undefined)[] = new Array(cls.length);
  const groups: TierGroup[] = [];
  if (world.tieredPolicies.length === 0) return { groups, groupOf };
  const sig = signatures ?? buildSignatures(world, classes);
  const structures = new TierStructures(ctx, direction, sig);
  const walks = new TierWalks(ctx, sig);
  const byKey = new Map<string, TierGroup>();
  const plainGroups = new Map<Structure, TierGroup>();
  for (const c of cls) {
    const ids = direction === "ingress" ? c.tierIngress : c.tierEgress;
    if (ids.length === 0) continue;
    const { st, base } = structures.of(ids);
    let g: TierGroup | undefined;
    if (direction === "egress" || st.namedSigs.length === 0) {
      g = plainGroups.get(st);
      if (!g) {
        g = direction === "egress" ? walks.egressGroup(st) : walks.ingressGroup(st, c, "");
        plainGroups.set(st, g);
        groups.push(g);
      }
    } else {
      // For ingress the subject is the destination: subjects whose named ports (those the rules name) differ need their own walks.
      let namedKey = st.namedText.get(c.namedPortsKey);
      if (namedKey === undefined) st.namedText.set(c.namedPortsKey, (namedKey = namedPortsText(c, st.names)));
      const key = `${base}|${namedKey}`;
      g = byKey.get(key);
      if (!g) {
        g = walks.ingressGroup(st, c, namedKey);
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
