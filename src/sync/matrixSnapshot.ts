/**
 * Engine ClassMatrix -> the MatrixSnapshot the store persists: classes under stable keys (a hash
 * of the engine's class signature), their members (workloads with pod counts, external ranges),
 * and class-to-class connection sets.
 */
import { buildWorkloadIndex, classSignatures, formatIp, workloadKey, type ClassMatrix, type IpRange } from "../engine/index.js";
import type { ClassMember, MatrixClass, MatrixSnapshot } from "../domain/repositories.js";
import { classKeyOf, classPairKey, type ClassKey, type ClassPairKey } from "../domain/keys.js";

export function toMatrixSnapshot(matrix: ClassMatrix, signatures: readonly string[] = classSignatures(matrix)): MatrixSnapshot {
  const keys = signatures.map(classKeyOf);
  const index = buildWorkloadIndex(matrix);
  const cls = matrix.classes.classes;
  const classes = new Map<ClassKey, MatrixClass>();
  for (const c of cls) {
    let members: ClassMember[] = [];
    if (c.kind === "pod") {
      const pods = new Map<number, number>();
      for (const p of c.pods) {
        const w = index.byKey.get(workloadKey(matrix.world.pods[p]!.workload))!;
        pods.set(w, (pods.get(w) ?? 0) + 1);
      }
      for (const [w, n] of pods) {
        const ref = index.workloads[w]!;
        members.push({ type: "workload", namespace: ref.namespace, kind: ref.kind, name: ref.name, pods: n });
      }
    } else members = externalMembers(c.atoms.map((a) => matrix.classes.partition.atoms[a]!));
    classes.set(keys[c.id]!, { key: keys[c.id]!, kind: c.kind, members });
  }
  const connections = new Map<ClassPairKey, string>();
  matrix.incoming.forEach((row, d) => {
    for (let i = 0; i < row.src.length; i++) connections.set(classPairKey(keys[row.src[i]!]!, keys[d]!), matrix.conns.get(row.conn[i]!).key);
  });
  return { classes, connections };
}

/** The members of an external class: its address ranges, contiguous ones merged. */
export function externalMembers(atoms: readonly IpRange[]): ClassMember[] {
  return mergeContiguous([...atoms]).map((r) => ({ type: "external", family: r.family, start: formatIp({ family: r.family, value: r.start }), end: formatIp({ family: r.family, value: r.end }) }));
}

function mergeContiguous(ranges: IpRange[]): IpRange[] {
  const out: IpRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && last.family === r.family && last.end + 1n === r.start) out[out.length - 1] = { ...last, end: r.end };
    else out.push(r);
  }
  return out;
}
