/**
 * The world after a policy change, built from the base world without recompiling it: the base's
 * namespaces and pods (shared objects), its policies minus the deleted and replaced ones, plus the
 * new versions (compiled elsewhere, re-indexed here, their peers renumbered after the base's).
 * Upserts whose compiled form equals the base version are no change at all and are dropped.
 */
import type { CompiledNamespace, CompiledNetworkPolicy, CompiledPeer, CompiledRule, CompiledWorld } from "../compile/model.js";
import { NAMESPACE_NAME_LABEL } from "../compile/compileWorld.js";
import type { PolicyKey } from "../model/ids.js";
import type { IpFamily } from "../net/ip.js";
import type { PolicyChange } from "./types.js";
import { runSteps, STEP_ITEMS, type Steps } from "../util/steps.js";

export interface PolicyEdit {
  /** New or changed policies, compiled (by compileWorld on the proposed objects, or from another world). */
  readonly upserts: readonly CompiledNetworkPolicy[];
  /** Policies to delete; keys the base does not have are reported in `missing`. */
  readonly deletes: readonly PolicyKey[];
  /**
   * Address families the upserts' compile mentions (mentionedFamilies of its world). The engine's IP
   * partition covers every family an ipBlock names, even in rules of a direction outside the
   * policy's policyTypes, which the compiled policy no longer holds: give this so the what-if covers
   * the same families as a recomputation from scratch would.
   */
  readonly mentionedFamilies?: Iterable<IpFamily>;
}

/** The address families a world's IP partition covers: IPv4, and those its ipBlocks (all of them) and pod IPs name. */
export function mentionedFamilies(world: CompiledWorld): Set<IpFamily> {
  const out = new Set<IpFamily>([4]);
  for (const x of world.peers) if (x.kind === "ipBlock") for (const f of x.set.families()) out.add(f);
  for (const p of world.pods) if (p.ip) out.add(p.ip.family);
  return out;
}

export interface SplicedWorld {
  readonly world: CompiledWorld;
  readonly changes: readonly PolicyChange[];
  /** Base versions of the modified and deleted policies. */
  readonly oldVersions: readonly CompiledNetworkPolicy[];
  /** Head versions of the added and modified policies (objects of `world`). */
  readonly newVersions: readonly CompiledNetworkPolicy[];
  /** Deletions of policies the base does not have. */
  readonly missing: readonly PolicyKey[];
}

/**
 * Canonical text of what a policy means: namespace, pod selector, and per effective direction its
 * rules (peers by what they match, ports). Equal texts, equal behaviour; origin and indices are left out.
 */
export function policyFingerprint(p: CompiledNetworkPolicy): string {
  const peer = (x: CompiledPeer) => (x.kind === "selector" ? `s:${x.matchKey}` : `b:${x.set.ranges.map((r) => `${r.family}:${r.start}-${r.end}`).join(",")}`);
  const rule = (r: CompiledRule) => {
    const peers = r.peers === "any" ? "*" : r.peers.map(peer).join(";");
    const ports = r.ports === "any" ? "*" : r.ports.map((x) => (x.kind === "range" ? `${x.protocol}:${x.from}-${x.to}` : x.kind === "named" ? `${x.protocol}:${x.name}` : `${x.protocol}:*`)).join(";");
    return `[${peers}|${ports}]`;
  };
  const rules = (rs: readonly CompiledRule[] | undefined) => (rs === undefined ? "-" : rs.map(rule).join(""));
  return `${p.ref.kind}/${p.namespace}/${p.ref.name}|${p.podSelector.key}|in:${rules(p.ingress)}|eg:${rules(p.egress)}`;
}

export function spliceWorld(base: CompiledWorld, edit: PolicyEdit): SplicedWorld {
  return runSteps(spliceWorldSteps(base, edit));
}

/**
 * spliceWorld as Steps (util/steps.ts): linear in the base's policies, it yields every STEP_ITEMS
 * of them. At 15,000 policies a splice is 10-15 ms, which the sync's incremental recompute spent in
 * one piece at every policy change while API readers waited.
 */
export function* spliceWorldSteps(base: CompiledWorld, edit: PolicyEdit): Steps<SplicedWorld> {
  // Nothing to splice (a pod or namespace change): no index of the base's policies to build.
  if (edit.upserts.length === 0 && edit.deletes.length === 0) return { world: base, changes: [], oldVersions: [], newVersions: [], missing: [] };
  // The base versions of the edited policies only: an index of all of them (15,000 entries) was
  // most of what a policy change allocated on the sync's event loop (~1 MB per change).
  const edited = new Set<PolicyKey>(edit.deletes);
  for (const p of edit.upserts) edited.add(p.key);
  const baseByKey = new Map<PolicyKey, CompiledNetworkPolicy>();
  let scanned = 0;
  for (const p of base.networkPolicies) {
    if (edited.has(p.key)) baseByKey.set(p.key, p);
    if (++scanned % STEP_ITEMS === 0) yield;
  }
  const changes: PolicyChange[] = [];
  const oldVersions: CompiledNetworkPolicy[] = [];
  const replaced = new Map<PolicyKey, CompiledNetworkPolicy>();
  const added: CompiledNetworkPolicy[] = [];
  const seen = new Set<PolicyKey>();
  for (const p of edit.upserts) {
    if (seen.has(p.key)) continue; // the first definition wins, as in compileWorld
    seen.add(p.key);
    const old = baseByKey.get(p.key);
    if (!old) {
      added.push(p);
      changes.push({ ref: p.ref, key: p.key, kind: "added", origin: p.origin });
    } else if (policyFingerprint(old) !== policyFingerprint(p)) {
      replaced.set(p.key, p);
      oldVersions.push(old);
      changes.push({ ref: p.ref, key: p.key, kind: "modified", origin: p.origin });
    }
  }
  const deleted = new Set<PolicyKey>();
  const missing: PolicyKey[] = [];
  for (const k of edit.deletes) {
    if (seen.has(k) || deleted.has(k)) continue; // an upsert of the same policy wins over its deletion
    const old = baseByKey.get(k);
    if (!old) {
      missing.push(k);
      continue;
    }
    deleted.add(k);
    oldVersions.push(old);
    changes.push({ ref: old.ref, key: k, kind: "deleted", origin: old.origin });
  }
  if (changes.length === 0) return { world: base, changes, oldVersions, newVersions: [], missing };

  // Head policies: base order, modified ones in place, added ones last; indices are positions.
  // The new versions' peers are numbered after the base's and appended to a copy of them at the end.
  const addedPeers: CompiledPeer[] = [];
  const newVersions: CompiledNetworkPolicy[] = [];
  const policies: CompiledNetworkPolicy[] = [];
  const adopt = (p: CompiledNetworkPolicy) => {
    const renumber = (rules: readonly CompiledRule[] | undefined) =>
      rules?.map((r): CompiledRule => {
        if (r.peers === "any") return r;
        const renumbered = r.peers.map((x): CompiledPeer => {
          const y = { ...x, id: base.peers.length + addedPeers.length };
          addedPeers.push(y);
          return y;
        });
        return { ...r, peers: renumbered };
      });
    const ingress = renumber(p.ingress);
    const egress = renumber(p.egress);
    const q: CompiledNetworkPolicy = { ...p, index: policies.length, ingress, egress };
    policies.push(q);
    newVersions.push(q);
  };
  let n = 0;
  for (const p of base.networkPolicies) {
    if (++n % STEP_ITEMS === 0) yield;
    if (deleted.has(p.key)) continue;
    const r = replaced.get(p.key);
    if (r) adopt(r);
    else policies.push(p.index === policies.length ? p : { ...p, index: policies.length });
  }
  for (const p of added) adopt(p);
  const peers: readonly CompiledPeer[] = base.peers.concat(addedPeers);

  const policiesByNamespace = yield* policiesByNamespaceAfter(base, policies, newVersions, deleted.size > 0);
  // Namespaces only the new policies mention exist implicitly, as compileWorld would create them.
  let namespaces = base.namespaces;
  let namespaceByName = base.namespaceByName;
  for (const p of newVersions) {
    if (namespaceByName.has(p.namespace)) continue;
    if (namespaces === base.namespaces) {
      namespaces = [...base.namespaces];
      namespaceByName = new Map(base.namespaceByName);
    }
    const ns: CompiledNamespace = { index: namespaces.length, name: p.namespace, labels: { [NAMESPACE_NAME_LABEL]: p.namespace }, defined: false };
    (namespaces as CompiledNamespace[]).push(ns);
    (namespaceByName as Map<string, CompiledNamespace>).set(ns.name, ns);
  }
  const world: CompiledWorld = { ...base, namespaces, namespaceByName, networkPolicies: policies, policiesByNamespace, peers };
  return { world, changes, oldVersions, newVersions, missing };
}

/**
 * The policies of each namespace after the splice, in index order. When nothing was deleted every
 * kept policy is the base's own object at its base index, so only the namespaces of the new versions
 * get new lists and the others keep the base's: rebuilt whole, the lists were ~15,000 entries of
 * garbage per policy change at 15,000 policies.
 */
function* policiesByNamespaceAfter(base: CompiledWorld, policies: readonly CompiledNetworkPolicy[], newVersions: readonly CompiledNetworkPolicy[], anyDeleted: boolean): Steps<Map<string, readonly CompiledNetworkPolicy[]>> {
  if (!anyDeleted) {
    const out = new Map(base.policiesByNamespace);
    for (const ns of new Set(newVersions.map((p) => p.namespace))) {
      const list: CompiledNetworkPolicy[] = [];
      for (const p of base.policiesByNamespace.get(ns) ?? []) list.push(policies[p.index]!);
      // Added policies come after every base policy, in index order, as they were adopted.
      for (const p of newVersions) if (p.namespace === ns && p.index >= base.networkPolicies.length) list.push(p);
      out.set(ns, list);
    }
    return out;
  }
  const out = new Map<string, CompiledNetworkPolicy[]>();
  let n = 0;
  for (const p of policies) {
    const list = out.get(p.namespace);
    if (list) list.push(p);
    else out.set(p.namespace, [p]);
    if (++n % STEP_ITEMS === 0) yield;
  }
  return out;
}
