/**
 * The read contract of ONE stored matrix generation, as the query side uses it: the classes of a
 * workload, the connections into or out of classes, the members of classes, and a scan of every
 * connection. Two implementations answer it alike: the in-memory GenerationIndex
 * (src/api/query/GenerationIndex.ts, answers synchronously) and the store
 * (storedMatrixReader below, over MatrixRepository, one database read per call). The query modules
 * take a MatrixReader and never know which one they were given.
 */
import type { ClassKey, ClassMember, ClusterId, MatrixConnectionRow, MatrixRepository, WorkloadClassRow } from "./repositories.js";

/** A value or a promise of it: the index answers at once, the store later. Callers await either. */
export type Awaitable<T> = T | Promise<T>;

/** Which side of a class the connections are read on: into it (incoming) or out of it (outgoing). */
export type ReachDirection = "incoming" | "outgoing";

export interface MatrixReader {
  /** The classes a workload's pods fall in (one row per class; several kinds when `kind` is not given). */
  classesOfWorkload(namespace: string, name: string, kind?: string): Awaitable<readonly WorkloadClassRow[]>;
  /** The class-to-class connections into (incoming) or out of (outgoing) any of `classes`. */
  connections(direction: ReachDirection, classes: readonly ClassKey[]): Awaitable<readonly MatrixConnectionRow[]>;
  /** The members of each of `classes`; a class the generation lacks may be absent, or map to an empty list. */
  members(classes: readonly ClassKey[]): Awaitable<ReadonlyMap<ClassKey, readonly ClassMember[]>>;
  /** Every connection of the generation; with `namespace`, those with a class holding a workload of it at either end. */
  allConnections(options?: { readonly namespace?: string; readonly pageSize?: number }): AsyncIterable<MatrixConnectionRow> | Iterable<MatrixConnectionRow>;
}

/** The store's answer for one generation: each call is MatrixRepository's per-generation read. */
export function storedMatrixReader(matrix: Pick<MatrixRepository, "classesOfWorkload" | "incoming" | "outgoing" | "members" | "allConnections">, cluster: ClusterId, generation: number): MatrixReader {
  return {
    classesOfWorkload: (namespace, name, kind) => matrix.classesOfWorkload(cluster, generation, namespace, name, kind),
    connections: (direction, classes) => (direction === "incoming" ? matrix.incoming(cluster, generation, classes) : matrix.outgoing(cluster, generation, classes)),
    members: (classes) => matrix.members(cluster, generation, classes),
    allConnections: (options) => matrix.allConnections(cluster, generation, options),
  };
}
