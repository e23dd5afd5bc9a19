/**
 * One generation's matrix in memory, indexed for whoCanReach/reachableFrom: the classes of each
 * workload, the connections into and out of each class, and each class's members. Loaded with one
 * read of the stored snapshot, so the first question about each workload after a new generation is
 * answered from memory instead of three database reads per workload (the difference between a
 * dashboard's first pass taking seconds and taking one snapshot read).
 */
import type { ClassKey, ClassMember, MatrixConnectionRow, MatrixSnapshot, WorkloadClassRow } from "../../store/types.js";

export class GenerationIndex {
  private readonly workloads = new Map<string, WorkloadClassRow[]>();
  private readonly into = new Map<ClassKey, MatrixConnectionRow[]>();
  private readonly outOf = new Map<ClassKey, MatrixConnectionRow[]>();
  private readonly membersOf = new Map<ClassKey, readonly ClassMember[]>();

  constructor(snapshot: MatrixSnapshot) {
    for (const c of snapshot.classes.values()) {
      this.membersOf.set(c.key, c.members);
      for (const m of c.members) {
        if (m.type !== "workload") continue;
        const k = workloadKey(m.namespace, m.name);
        let rows = this.workloads.get(k);
        if (!rows) this.workloads.set(k, (rows = []));
        rows.push({ classKey: c.key, workloadKind: m.kind, pods: m.pods });
      }
    }
    for (const [pair, conn] of snapshot.connections) {
      const sep = pair.indexOf("\u0000");
      const row: MatrixConnectionRow = { srcClass: pair.slice(0, sep), dstClass: pair.slice(sep + 1), conn };
      push(this.into, row.dstClass, row);
      push(this.outOf, row.srcClass, row);
    }
  }

  /** As MatrixRepository.classesOfWorkload. */
  classesOfWorkload(namespace: string, name: string, kind?: string): WorkloadClassRow[] {
    const rows = this.workloads.get(workloadKey(namespace, name)) ?? [];
    return kind ? rows.filter((r) => r.workloadKind === kind) : rows;
  }

  /** As MatrixRepository.incoming / outgoing. */
  connections(direction: "incoming" | "outgoing", classes: readonly ClassKey[]): MatrixConnectionRow[] {
    const index = direction === "incoming" ? this.into : this.outOf;
    return classes.flatMap((k) => index.get(k) ?? []);
  }

  /** As MatrixRepository.members. */
  members(classes: readonly ClassKey[]): ReadonlyMap<ClassKey, readonly ClassMember[]> {
    return new Map(classes.map((k) => [k, this.membersOf.get(k) ?? []]));
  }
}

const workloadKey = (namespace: string, name: string) => `${namespace}\u0000${name}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
