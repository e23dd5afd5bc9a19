/**
 * The base of a what-if: a compiled world with its class matrix and workload index, plus the small
 * indexes the incremental what-if reads. Built once per state (the CLI's base tree, the API's
 * generation) and reused by every what-if against that state. Pure.
 */
import type { CompiledWorld } from "../compile/model.js";
import { buildMatrix, type ClassMatrix } from "../matrix/buildMatrix.js";
import { buildWorkloadIndex, type WorkloadIndex } from "../matrix/connectivity.js";
import { workloadKey } from "../model/ids.js";
import type { IpFamily } from "../net/ip.js";

export interface WhatIfBase {
  readonly world: CompiledWorld;
  readonly matrix: ClassMatrix;
  readonly workloads: WorkloadIndex;
  /** Workload (index into workloads.workloads) of each pod. */
  readonly workloadOfPod: Int32Array;
  /** Pods (indices into world.pods) of each workload. */
  readonly podsOfWorkload: readonly (readonly number[])[];
  /** External class of each atom of the matrix's IP partition. */
  readonly externalClassOfAtom: Int32Array;
  /** Port names the base policies' rules mention: the base classes already tell pods apart by them. */
  readonly namedPortsMentioned: ReadonlySet<string>;
  /** Address families the base partition covers. */
  readonly families: ReadonlySet<IpFamily>;
}

export function prepareWhatIf(world: CompiledWorld, matrix: ClassMatrix = buildMatrix(world), workloads: WorkloadIndex = buildWorkloadIndex(matrix)): WhatIfBase {
  const workloadOfPod = new Int32Array(world.pods.length).fill(-1);
  const podsOfWorkload: number[][] = workloads.workloads.map(() => []);
  for (const pod of world.pods) {
    const w = workloads.byKey.get(workloadKey(pod.workload))!;
    workloadOfPod[pod.index] = w;
    podsOfWorkload[w]!.push(pod.index);
  }
  const { partition, classes } = matrix.classes;
  const externalClassOfAtom = new Int32Array(partition.atoms.length).fill(-1);
  for (const c of classes) if (c.kind === "external") for (const a of c.atoms) externalClassOfAtom[a] = c.id;
  const families = new Set<IpFamily>(partition.atoms.map((a) => a.family));
  const namedPortsMentioned = new Set<string>();
  for (const p of world.networkPolicies)
    for (const r of [...(p.ingress ?? []), ...(p.egress ?? [])]) if (r.ports !== "any") for (const x of r.ports) if (x.kind === "named") namedPortsMentioned.add(x.name);
  return { world, matrix, workloads, workloadOfPod, podsOfWorkload, externalClassOfAtom, namedPortsMentioned, families };
}
