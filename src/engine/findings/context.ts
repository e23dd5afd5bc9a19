/**
 * What every findings check reads: the world, its class matrix (classes, and which classes each
 * peer matches), the workloads of each class, and which pod classes each policy selects. All
 * computed by the engine's matrix code; the checks apply no policy rule themselves.
 */
import type { CompiledNetworkPolicy, CompiledPeer, CompiledRule, CompiledWorld, Direction } from "../compile/model.js";
import { podEndpoint, externalEndpoint, type Endpoint } from "../eval/endpoint.js";
import type { ClassMatrix } from "../matrix/buildMatrix.js";
import { buildWorkloadIndex, type WorkloadIndex } from "../matrix/connectivity.js";
import type { WorkloadRef } from "../model/ids.js";
import type { FindingObject } from "./types.js";

export interface FindingsContext {
  readonly world: CompiledWorld;
  readonly matrix: ClassMatrix;
  readonly workloads: WorkloadIndex;
  /** Pod classes each NetworkPolicy selects for ingress / egress (by policy index), ascending. */
  readonly selected: Readonly<Record<Direction, readonly (readonly number[])[]>>;
  /** Every class id (pod and external), ascending: what a rule without peers matches. */
  readonly allClasses: readonly number[];
  /** Classes a peer matches (pod and external), ascending. */
  peerClasses(peer: CompiledPeer): readonly number[];
  /** Classes a rule's peers match (all classes for a rule without peers). */
  ruleClasses(rule: CompiledRule): readonly number[];
  /** A member of the class, as an endpoint. */
  representative(cls: number): Endpoint;
  isPodClass(cls: number): boolean;
}

export function findingsContext(world: CompiledWorld, matrix: ClassMatrix): FindingsContext {
  const { classes, groupOfPeer, groupClasses, partition } = matrix.classes;
  const selected: Record<Direction, number[][]> = { ingress: world.networkPolicies.map(() => []), egress: world.networkPolicies.map(() => []) };
  for (const c of classes) {
    for (const i of c.ingressPolicies) selected.ingress[i]!.push(c.id);
    for (const i of c.egressPolicies) selected.egress[i]!.push(c.id);
  }
  const allClasses = classes.map((c) => c.id);
  const ruleMemo = new Map<CompiledRule, readonly number[]>();
  const peerClasses = (peer: CompiledPeer) => groupClasses[groupOfPeer[peer.id]!] ?? [];
  return {
    world,
    matrix,
    workloads: buildWorkloadIndex(matrix),
    selected,
    allClasses,
    peerClasses,
    ruleClasses(rule) {
      let hit = ruleMemo.get(rule);
      if (!hit) {
        if (rule.peers === "any") hit = allClasses;
        else {
          const s = new Set<number>();
          for (const p of rule.peers) for (const c of peerClasses(p)) s.add(c);
          hit = [...s].sort((a, b) => a - b);
        }
        ruleMemo.set(rule, hit);
      }
      return hit;
    },
    representative(cls) {
      const c = classes[cls]!;
      if (c.kind === "pod") return podEndpoint(world.pods[c.pods[0]!]!);
      const atom = partition.atoms[c.atoms[0]!]!;
      return externalEndpoint({ family: atom.family, value: atom.start });
    },
    isPodClass: (cls) => classes[cls]!.kind === "pod",
  };
}

export function policyObject(p: CompiledNetworkPolicy, field?: string): FindingObject {
  return { kind: p.ref.kind, namespace: p.namespace, name: p.ref.name, ...(field !== undefined ? { field } : {}), ...(p.origin !== undefined ? { origin: p.origin } : {}) };
}

export function workloadObject(ref: WorkloadRef): FindingObject {
  return { kind: ref.kind, namespace: ref.namespace, name: ref.name };
}

/** Workloads with pods in these classes, sorted by namespace, name, kind. */
export function workloadsOfClasses(ctx: FindingsContext, classIds: readonly number[]): WorkloadRef[] {
  const seen = new Set<number>();
  for (const c of classIds) for (const w of ctx.workloads.ofClass[c] ?? []) seen.add(w);
  return [...seen].map((w) => ctx.workloads.workloads[w]!).sort(compareWorkloads);
}

export function compareWorkloads(a: WorkloadRef, b: WorkloadRef): number {
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0;
}

/** `a, b, c and 4 more` */
export function listText(items: readonly string[], max = 5): string {
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

export function peerField(rule: CompiledRule, index: number): string {
  return `${rule.field}.${rule.direction === "ingress" ? "from" : "to"}[${index}]`;
}

/** True when `a` (ascending) is a subset of `b` (ascending). */
export function isSubset(a: readonly number[], b: readonly number[]): boolean {
  if (a.length > b.length) return false;
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j]! < x) j++;
    if (j >= b.length || b[j] !== x) return false;
    j++;
  }
  return true;
}
