/**
 * whoCanReach's large answers (ReachQueries, src/api/query/reach.ts): a workload reached from
 * thousands of peers is answered in time slices (the event loop the other readers share gets
 * turns meanwhile), one such answer at a time (answers sliced all at once piled up), and the rows
 * are those of the answer computed in one piece.
 */
import { describe, expect, it } from "vitest";
import { QueryService } from "../../../src/api/query/QueryService.js";
import { LARGE_ANSWER_ITEMS } from "../../../src/api/query/reach.js";
import { FULL_SCOPE } from "../../../src/domain/scope.js";
import { storedClassKey } from "../../../src/domain/keys.js";
import type { ClassMember, MatrixConnectionRow, Store, WorkloadClassRow } from "../../../src/domain/repositories.js";
import { expandEdges, formatConnEndpoint, parseConnectionSet, type ConnectivityRow } from "../../../src/engine/index.js";

const PEERS = LARGE_ANSWER_ITEMS + 1000;
const peerKey = (i: number) => storedClassKey(`peer-${i}`);
const targets = ["db", "cache", "small"] as const;

/**
 * Peer class i holds workload web-i and connects into db and cache (TCP 80, and TCP 443 too for
 * every tenth peer); only peers 0-9 connect into small. `log` records each members() read, which
 * takes 5 ms.
 */
function fakeStore(log: string[]) {
  const conns = (dst: string): MatrixConnectionRow[] => {
    const n = dst === "small" ? 10 : PEERS;
    return Array.from({ length: n }, (_, i) => ({ srcClass: peerKey(i), dstClass: storedClassKey(dst), conn: i % 10 ? "TCP 80" : "TCP 80,443" }));
  };
  const store = {
    clusters: { listClusters: async () => [{ id: "c1", source: "fake", createdAt: new Date(0), updatedAt: new Date(0) }] },
    objects: { loadObjectsAt: async () => [] },
    matrix: {
      latestGeneration: async () => 1,
      getGeneration: async (_c: string, g: number) => (g === 1 ? { generation: 1, createdAt: new Date(0), stats: {}, sourceVersions: {}, classCount: PEERS + 3, connectionCount: 2 * PEERS + 10, delta: {} } : undefined),
      classesOfWorkload: async (_c: string, _g: number, namespace: string, name: string): Promise<WorkloadClassRow[]> =>
        namespace === "shop" && (targets as readonly string[]).includes(name) ? [{ classKey: storedClassKey(name), workloadKind: "Deployment", pods: 1 }] : [],
      incoming: async (_c: string, _g: number, classes: readonly string[]) => classes.flatMap((k) => conns(k)),
      outgoing: async () => [],
      members: async (_c: string, _g: number, classes: readonly string[]) => {
        log.push(`members ${classes.length}`);
        // A database read takes a while: answers computed side by side would interleave their reads.
        await new Promise((resolve) => setTimeout(resolve, 5));
        return new Map(classes.map((k): [string, ClassMember[]] => [k, [{ type: "workload", namespace: "web", kind: "Deployment", name: k, pods: 1 }]]));
      },
      allConnections: async function* () {},
    },
  };
  return store as unknown as Store;
}

const text = (rows: readonly ConnectivityRow[]) => rows.map((r) => `${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)} : ${r.conn.key}`);

describe("whoCanReach's large answers", () => {
  it("are computed in time slices, one at a time, with every row", async () => {
    const log: string[] = [];
    const q = new QueryService(fakeStore(log));
    // Turns of the event loop while the answers are computed: other readers would be served in them.
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const ask = (name: string) => q.whoCanReach(FULL_SCOPE, { namespace: "shop", name }, {}).then((a) => (log.push(`answered ${name}`), a));
    const [db, cache, small] = await Promise.all([ask("db"), ask("cache"), ask("small")]);
    counting = false;

    expect(db.rows).toHaveLength(PEERS);
    expect(cache.rows).toHaveLength(PEERS);
    expect(small.rows).toHaveLength(10);
    expect(text(db.rows).slice(0, 3)).toEqual(["web/peer-0[Deployment] => shop/db[Deployment] : TCP 80,443", "web/peer-1000[Deployment] => shop/db[Deployment] : TCP 80,443", "web/peer-1001[Deployment] => shop/db[Deployment] : TCP 80"]);
    // Sorted by source, as every connectivity list.
    const sources = db.rows.map((r) => formatConnEndpoint(r.src));
    expect(sources).toEqual([...sources].sort());
    expect(text(cache.rows)).toEqual(text(db.rows).map((t) => t.replace("shop/db[Deployment]", "shop/cache[Deployment]")));

    // The small answer is not queued behind the large ones; the large ones read their peers'
    // members in chunks, the second one only once the first one has read all of its own.
    expect(log.indexOf("answered small")).toBeLessThan(log.indexOf("answered db"));
    const rest = PEERS - LARGE_ANSWER_ITEMS;
    expect(log.filter((l) => l.startsWith("members") && l !== "members 10")).toEqual([`members ${LARGE_ANSWER_ITEMS}`, `members ${rest}`, `members ${LARGE_ANSWER_ITEMS}`, `members ${rest}`]);
    expect(turns).toBeGreaterThan(4);
  });

  it("gives the rows expandEdges gives in one piece", async () => {
    const q = new QueryService(fakeStore([]));
    const sliced = await q.whoCanReach(FULL_SCOPE, { namespace: "shop", name: "db" }, {});
    const self = { kind: "workload" as const, ref: { namespace: "shop", kind: "Deployment", name: "db" } };
    const whole = expandEdges(
      Array.from({ length: PEERS }, (_, i) => ({ src: [{ kind: "workload" as const, ref: { namespace: "web", kind: "Deployment", name: `peer-${i}` } }], dst: [self], conn: parseConnectionSet(i % 10 ? "TCP 80" : "TCP 80,443") })),
    );
    expect(text(sliced.rows)).toEqual(text(whole));
  });
});
