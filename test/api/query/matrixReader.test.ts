/**
 * The one MatrixReader contract (src/domain/matrixReader.ts), answered by its two implementations:
 * a generation committed to the real PostgreSQL store and read back through storedMatrixReader, and
 * a GenerationIndex of the same snapshot in memory, must give the same answer to every question
 * (classes of each workload, connections both ways, members, the scan with and without a
 * namespace, in the same order).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerationIndex } from "../../../src/api/query/GenerationIndex.js";
import { storedMatrixReader, type MatrixReader } from "../../../src/domain/matrixReader.js";
import { storedClassKey, type ClassKey } from "../../../src/domain/keys.js";
import type { MatrixConnectionRow, Store } from "../../../src/domain/repositories.js";
import { allBackends, type Backend } from "../../store/helpers/backends.js";
import { at, makeSnapshot } from "../../store/helpers/fixtures.js";

const backend: Backend = allBackends("matrix_reader").find((b) => b.name === "postgres")!;
let store: Store;
beforeAll(async () => {
  await backend.setup();
  store = await backend.open();
}, 60_000);
afterAll(() => backend.teardown());

async function scan(reader: MatrixReader, namespace?: string): Promise<MatrixConnectionRow[]> {
  const rows: MatrixConnectionRow[] = [];
  for await (const r of reader.allConnections({ namespace, pageSize: 7 })) rows.push(r);
  return rows;
}

/** Everything a reader answers about the snapshot's workloads and classes, in the reader's order where order is part of the contract. */
async function answers(reader: MatrixReader, workloads: readonly { namespace: string; name: string }[], classes: readonly ClassKey[]) {
  const sorted = <T,>(rows: readonly T[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    workloads: await Promise.all(workloads.map(async (w) => sorted(await reader.classesOfWorkload(w.namespace, w.name)))),
    withKind: await Promise.all(workloads.map(async (w) => sorted(await reader.classesOfWorkload(w.namespace, w.name, "StatefulSet")))),
    incoming: await Promise.all(classes.map(async (c) => sorted(await reader.connections("incoming", [c])))),
    outgoing: sorted(await reader.connections("outgoing", classes)),
    // A class without members may be absent from the map: readers of it take that as no members.
    members: await Promise.resolve(reader.members([...classes, storedClassKey("pod|missing")])).then((m) => [...classes, storedClassKey("pod|missing")].map((k) => sorted(m.get(k) ?? []))),
    all: await scan(reader),
    ns1: await scan(reader, "ns-1"),
    none: await scan(reader, "ns-unknown"),
  };
}

describe("MatrixReader", () => {
  it("the store and the GenerationIndex of the same generation answer alike", async () => {
    const snapshot = makeSnapshot({ classes: 12, externals: 2, namespaces: 3, fanOut: 4 });
    await store.clusters.ensureCluster("c1", "test");
    const generation = await store.matrix.commitGeneration("c1", undefined, snapshot, { stats: {}, sourceVersions: {}, computedAt: at(0) });
    const workloads = [...snapshot.classes.values()].flatMap((c) => c.members.flatMap((m) => (m.type === "workload" ? [{ namespace: m.namespace, name: m.name }] : [])));
    const classes = [...snapshot.classes.keys()];

    const stored = await answers(storedMatrixReader(store.matrix, "c1", generation), workloads, classes);
    const indexed = await answers(GenerationIndex.build(snapshot), workloads, classes);
    expect(indexed).toEqual(stored);
    // The comparison is not vacuous: every part holds rows.
    expect(stored.all).toHaveLength(snapshot.connections.size);
    expect(stored.ns1.length).toBeGreaterThan(0);
    expect(stored.ns1.length).toBeLessThan(stored.all.length);
    expect(stored.none).toEqual([]);
    expect(stored.workloads.every((rows) => rows.length === 1)).toBe(true);
    expect(stored.withKind.every((rows) => rows.length === 0)).toBe(true);
  });
});
