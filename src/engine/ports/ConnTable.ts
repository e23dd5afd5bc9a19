/**
 * Interns ConnectionSets as small integers and memoises union/intersection, so the matrix can
 * combine thousands of identical sets without rebuilding them. Id 0 is NONE and id 1 is ALL.
 */
import { ConnectionSet } from "./ConnectionSet.js";

export type ConnId = number;
export const NONE_ID: ConnId = 0;
export const ALL_ID: ConnId = 1;

export class ConnTable {
  private readonly sets: ConnectionSet[] = [ConnectionSet.NONE, ConnectionSet.ALL];
  private readonly ids = new Map<string, ConnId>([
    [ConnectionSet.NONE.key, NONE_ID],
    [ConnectionSet.ALL.key, ALL_ID],
  ]);
  private readonly unions = new Map<number, ConnId>();
  private readonly intersections = new Map<number, ConnId>();

  id(set: ConnectionSet): ConnId {
    let id = this.ids.get(set.key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(set);
      this.ids.set(set.key, id);
    }
    return id;
  }

  get(id: ConnId): ConnectionSet {
    return this.sets[id]!;
  }

  get size(): number {
    return this.sets.length;
  }

  union(a: ConnId, b: ConnId): ConnId {
    if (a === b || b === NONE_ID || a === ALL_ID) return a;
    if (a === NONE_ID || b === ALL_ID) return b;
    const k = a < b ? a * 0x4000000 + b : b * 0x4000000 + a;
    let r = this.unions.get(k);
    if (r === undefined) {
      r = this.id(this.sets[a]!.union(this.sets[b]!));
      this.unions.set(k, r);
    }
    return r;
  }

  intersect(a: ConnId, b: ConnId): ConnId {
    if (a === b || b === ALL_ID || a === NONE_ID) return a;
    if (a === ALL_ID || b === NONE_ID) return b;
    const k = a < b ? a * 0x4000000 + b : b * 0x4000000 + a;
    let r = this.intersections.get(k);
    if (r === undefined) {
      r = this.id(this.sets[a]!.intersect(this.sets[b]!));
      this.intersections.set(k, r);
    }
    return r;
  }
}
