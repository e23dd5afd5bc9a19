/**
 * History and time travel over real HTTP: the scenario's scripted changes (test/api/helpers/
 * scenario.ts HISTORY, one generation each) are made by rewriting manifest files and re-reading
 * the tree; then policyHistory and auditLog (since/until, pagination, diffs, the hash chain, the
 * impact gained/lost after each recompute) and `at:` on whoCanReach, reachableFrom, canConnect and
 * matrix answer as of each generation's time. Same code on PGlite and PostgreSQL.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { API_BACKENDS } from "../helpers/backends.js";
import { httpClient, ok, oneError, sleep } from "../helpers/graphql.js";
import { backendAllow, frontendEgress, HISTORY, initialFiles, PAYMENTS, paymentsDefaultDeny, SHOP } from "../helpers/scenario.js";
import { useTestService } from "../helpers/service.js";

interface Impact {
  exact: boolean;
  generation: number;
  gained: { src: string; dst: string; connections: string; before: string; after: string }[];
  lost: { src: string; dst: string; connections: string; before: string; after: string }[];
  gainedTotal: number;
  lostTotal: number;
  truncated: boolean;
}
interface Revision {
  id: string;
  cluster: string;
  seq: string;
  objectKind: string;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  operation: "CREATE" | "UPDATE" | "DELETE";
  before: unknown;
  after: unknown;
  diff: { op: string; path: string; value?: unknown }[];
  observedAt: string;
  observedVia: string;
  finalStateUnknown: boolean;
  sourceRef: string | null;
  hash: string;
  prevHash: string;
  impact: Impact | null;
}
interface RevisionPage {
  edges: { cursor: string; node: Revision }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const REVISION = `id cluster seq objectKind namespace name uid resourceVersion operation before after diff observedAt observedVia finalStateUnknown sourceRef hash prevHash
  impact { exact generation gained { src dst connections before after } lost { src dst connections before after } gainedTotal lostTotal truncated }`;
const HISTORY_Q = `query($ns: String!, $name: String!, $since: DateTime, $until: DateTime, $first: Int, $after: String) {
  policyHistory(namespace: $ns, name: $name, since: $since, until: $until, first: $first, after: $after) { edges { cursor node { ${REVISION} } } pageInfo { hasNextPage endCursor } } }`;
const AUDIT_Q = `query($ns: String, $since: DateTime, $until: DateTime, $first: Int, $after: String) {
  auditLog(namespace: $ns, since: $since, until: $until, first: $first, after: $after) { edges { cursor node { ${REVISION} } } pageInfo { hasNextPage endCursor } } }`;
const WHO = `query($t: WorkloadRef!, $at: DateTime) { whoCanReach(target: $t, at: $at) { generation computedAt peers { peer { display } connections { text } } } }`;
const FROM = `query($s: WorkloadRef!, $at: DateTime) { reachableFrom(source: $s, at: $at) { generation peers { peer { display } connections { text } } } }`;
const CAN = `query($from: EndpointRef!, $to: EndpointRef!, $port: Int!, $at: DateTime) { canConnect(from: $from, to: $to, port: $port, at: $at) { allowed explanation { generation } } }`;
const MATRIX = `query($at: DateTime, $first: Int, $after: String) { matrix(at: $at, first: $first, after: $after) { generation totalCount pageInfo { hasNextPage endCursor } edges { node { src { display } dst { display } connections { text } } } } }`;

const wl = (namespace: string, name: string) => ({ workload: { namespace, name } });
const rows = (peers: { peer: { display: string }; connections: { text: string } }[]) => peers.map((p) => `${p.peer.display} ${p.connections.text}`);
const iso = (ms: number) => new Date(ms).toISOString();
const specOf = (m: Record<string, unknown>) => m["spec"];

describe.each(API_BACKENDS)("history and time travel over HTTP on $name", (backend) => {
  const svc = useTestService(() => ({ backend, name: "history", files: initialFiles() }));
  const client = () => httpClient(svc().graphqlUrl);
  /** Generation and commit time after the initial sync (index 0) and after each HISTORY step. */
  const gens: { generation: number; at: number }[] = [];
  const when = async () => {
    const r = await ok<{ whoCanReach: { generation: number; computedAt: string } }>(client(), WHO, { t: { namespace: SHOP, name: "backend" } });
    return { generation: r.whoCanReach.generation, at: Date.parse(r.whoCanReach.computedAt) };
  };

  beforeAll(async () => {
    gens.push(await when());
    for (const step of HISTORY) {
      await sleep(25); // distinct timestamps: observedAt of the change > the previous generation's time
      step.apply(svc().manifests);
      const g = await svc().reread();
      const w = await when();
      expect(w.generation, step.name).toBe(g);
      gens.push(w);
    }
  }, 120_000);

  const audit = async (vars: Record<string, unknown> = {}) => (await ok<{ auditLog: RevisionPage }>(client(), AUDIT_Q, { first: 500, ...vars })).auditLog;
  const history = async (vars: Record<string, unknown>) => (await ok<{ policyHistory: RevisionPage }>(client(), HISTORY_Q, { first: 500, ...vars })).policyHistory;
  const ops = (p: RevisionPage) => p.edges.map((e) => `${e.node.operation} ${e.node.objectKind} ${e.node.namespace}/${e.node.name}`);

  it("each scripted change made exactly one generation", () => {
    expect(gens.map((g) => g.generation)).toEqual(HISTORY.reduce<number[]>((acc) => [...acc, acc.at(-1)! + 1], [gens[0]!.generation]));
    for (let i = 1; i < gens.length; i++) expect(gens[i]!.at).toBeGreaterThan(gens[i - 1]!.at);
  });

  describe("policyHistory", () => {
    it("lists a policy's revisions oldest first, with diff, before/after and the impact of each", async () => {
      const r = await history({ ns: SHOP, name: "backend-allow-frontend" });
      expect(r.pageInfo).toEqual({ hasNextPage: false, endCursor: r.edges[1]!.cursor });
      const [create, update] = r.edges.map((e) => e.node);
      expect(r.edges).toHaveLength(2);
      expect(create).toMatchObject({ cluster: "test", operation: "CREATE", objectKind: "NetworkPolicy", namespace: SHOP, name: "backend-allow-frontend", before: null, after: specOf(backendAllow(["frontend"])), observedVia: "manifest", finalStateUnknown: false, sourceRef: null });
      expect(update).toMatchObject({ operation: "UPDATE", uid: create!.uid, before: specOf(backendAllow(["frontend"])), after: specOf(backendAllow(["frontend", "cache"])) });
      expect(update!.resourceVersion).not.toBe(create!.resourceVersion);
      expect(update!.diff).toEqual([{ op: "add", path: "/ingress/0/from/1", value: { podSelector: { matchLabels: { app: "cache" } } } }]);
      expect(Date.parse(update!.observedAt)).toBeGreaterThan(gens[0]!.at);
      expect(Date.parse(update!.observedAt)).toBeLessThanOrEqual(gens[1]!.at);
      // The recompute after the change recorded what it did: the cache gained TCP 80 to the backend.
      expect(update!.impact).toEqual({
        exact: true,
        generation: gens[1]!.generation,
        gained: [{ src: "shop/cache[Deployment]", dst: "shop/backend[Deployment]", connections: "TCP 80", before: expect.any(String), after: "TCP 80" }],
        lost: [],
        gainedTotal: 1,
        lostTotal: 0,
        truncated: false,
      });
      expect(create!.impact!.generation).toBeLessThanOrEqual(gens[0]!.generation);
      expect(create!.impact!.lost.map((l) => l.dst)).toContain("shop/backend[Deployment]");
    });

    it("records a deletion with its final spec, and what the deletion opened up", async () => {
      const r = await history({ ns: SHOP, name: "frontend-egress" });
      expect(r.edges.map((e) => e.node.operation)).toEqual(["CREATE", "DELETE"]);
      const del = r.edges[1]!.node;
      expect(del).toMatchObject({ before: specOf(frontendEgress()), after: null, finalStateUnknown: false });
      expect(del.impact).toMatchObject({ exact: true, generation: gens[4]!.generation, lost: [], lostTotal: 0 });
      expect(del.impact!.gained.every((g) => g.src === "shop/frontend[Deployment]")).toBe(true);
      expect(del.impact!.gained.map((g) => `${g.dst} ${g.connections}`)).toContain("shop/cache[Deployment] All Connections");
      expect(del.impact!.gainedTotal).toBe(del.impact!.gained.length);
    });

    it("filters by time with since and until", async () => {
      const since = await history({ ns: SHOP, name: "backend-allow-frontend", since: iso(gens[0]!.at) });
      expect(since.edges.map((e) => e.node.operation)).toEqual(["UPDATE"]);
      const until = await history({ ns: SHOP, name: "backend-allow-frontend", until: iso(gens[0]!.at) });
      expect(until.edges.map((e) => e.node.operation)).toEqual(["CREATE"]);
      expect((await history({ ns: SHOP, name: "backend-allow-frontend", since: iso(gens[1]!.at) })).edges).toEqual([]);
    });

    it("paginates with first/after", async () => {
      const p1 = await history({ ns: SHOP, name: "backend-allow-frontend", first: 1 });
      expect(p1.edges.map((e) => e.node.operation)).toEqual(["CREATE"]);
      expect(p1.pageInfo).toEqual({ hasNextPage: true, endCursor: p1.edges[0]!.cursor });
      const p2 = await history({ ns: SHOP, name: "backend-allow-frontend", first: 1, after: p1.pageInfo.endCursor });
      expect(p2.edges.map((e) => e.node.operation)).toEqual(["UPDATE"]);
      expect(p2.pageInfo.hasNextPage).toBe(false);
    });

    it("is empty for a policy that never existed, and rejects bad page arguments", async () => {
      expect((await history({ ns: SHOP, name: "never" })).edges).toEqual([]);
      for (const first of [0, 501]) expect((await oneError(client(), HISTORY_Q, { ns: SHOP, name: "x", first })).message).toBe("first must be between 1 and 500");
      const bad = await oneError(client(), HISTORY_Q, { ns: SHOP, name: "x", after: "nope" });
      expect(bad).toMatchObject({ message: "after: not a cursor this API returned", extensions: { code: "BAD_USER_INPUT" } });
    });
  });

  describe("auditLog", () => {
    it("lists every recorded change of the cluster in order, chained by hash", async () => {
      const all = await audit();
      const nodes = all.edges.map((e) => e.node);
      expect(nodes.map((n) => Number(n.seq))).toEqual(nodes.map((_, i) => i + 1));
      expect(ops(all).slice(3)).toEqual([
        `UPDATE NetworkPolicy ${SHOP}/backend-allow-frontend`,
        `CREATE NetworkPolicy ${PAYMENTS}/default-deny`,
        `UPDATE Namespace /${PAYMENTS}`,
        `DELETE NetworkPolicy ${SHOP}/frontend-egress`,
      ]);
      expect(ops(all).slice(0, 3).sort()).toEqual([`CREATE NetworkPolicy ${PAYMENTS}/api-allow-shop`, `CREATE NetworkPolicy ${SHOP}/backend-allow-frontend`, `CREATE NetworkPolicy ${SHOP}/frontend-egress`]);
      for (let i = 1; i < nodes.length; i++) {
        expect(nodes[i]!.prevHash).toBe(nodes[i - 1]!.hash);
        expect(Date.parse(nodes[i]!.observedAt)).toBeGreaterThanOrEqual(Date.parse(nodes[i - 1]!.observedAt));
      }
      for (const n of nodes) expect(n.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
    });

    it("records a namespace relabelling that changes what selectors match, with its impact", async () => {
      const relabel = (await audit()).edges.map((e) => e.node).find((n) => n.objectKind === "Namespace")!;
      expect(relabel).toMatchObject({ operation: "UPDATE", namespace: "", name: PAYMENTS });
      expect(relabel.before).toMatchObject({ team: "b" });
      expect(relabel.after).toMatchObject({ team: "c" });
      expect(relabel.diff).toEqual([{ op: "replace", path: "/team", value: "c" }]);
      expect(relabel.impact).toMatchObject({ generation: gens[3]!.generation, gained: [], lost: [{ src: "shop/frontend[Deployment]", dst: "payments/api[Deployment]", connections: "TCP 8443" }], lostTotal: 1 });
    });

    it("records what a default-deny took away", async () => {
      const deny = (await audit({ ns: PAYMENTS })).edges.map((e) => e.node).find((n) => n.name === "default-deny")!;
      expect(deny).toMatchObject({ operation: "CREATE", after: specOf(paymentsDefaultDeny()) });
      expect(deny.impact).toMatchObject({ exact: true, generation: gens[2]!.generation, gained: [], gainedTotal: 0 });
      const lostTo = new Set(deny.impact!.lost.map((l) => l.dst));
      expect([...lostTo].sort()).toEqual(["payments/ledger[Pod]", "payments/worker[Deployment]"]);
      expect(deny.impact!.lostTotal).toBe(deny.impact!.lost.length);
    });

    it("filters by namespace", async () => {
      expect(ops(await audit({ ns: SHOP })).sort()).toEqual(
        [`CREATE NetworkPolicy ${SHOP}/backend-allow-frontend`, `CREATE NetworkPolicy ${SHOP}/frontend-egress`, `UPDATE NetworkPolicy ${SHOP}/backend-allow-frontend`, `DELETE NetworkPolicy ${SHOP}/frontend-egress`].sort(),
      );
      expect(ops(await audit({ ns: PAYMENTS }))).toEqual([`CREATE NetworkPolicy ${PAYMENTS}/api-allow-shop`, `CREATE NetworkPolicy ${PAYMENTS}/default-deny`]);
      expect((await audit({ ns: "nowhere" })).edges).toEqual([]);
    });

    it("filters by time with since and until", async () => {
      const between = await audit({ since: iso(gens[1]!.at), until: iso(gens[3]!.at) });
      expect(ops(between)).toEqual([`CREATE NetworkPolicy ${PAYMENTS}/default-deny`, `UPDATE Namespace /${PAYMENTS}`]);
      expect(ops(await audit({ since: iso(gens[4]!.at) }))).toEqual([]);
      expect((await audit({ until: iso(gens[0]!.at) })).edges).toHaveLength(3);
    });

    it("walks every page with first/after", async () => {
      const all = await audit();
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 20; i++) {
        const p: RevisionPage = await audit({ first: 2, after });
        seen.push(...p.edges.map((e) => e.node.seq));
        if (!p.pageInfo.hasNextPage) break;
        expect(p.edges).toHaveLength(2);
        after = p.pageInfo.endCursor;
      }
      expect(seen).toEqual(all.edges.map((e) => e.node.seq));
    });
  });

  describe("at: time travel", () => {
    it("whoCanReach answers as of each generation's time", async () => {
      const backendAt = async (at: number) => (await ok<{ whoCanReach: { generation: number; peers: never[] } }>(client(), WHO, { t: { namespace: SHOP, name: "backend" }, at: iso(at) })).whoCanReach;
      const g0 = await backendAt(gens[0]!.at);
      expect(g0.generation).toBe(gens[0]!.generation);
      expect(rows(g0.peers)).toEqual(["shop/frontend[Deployment] TCP 80"]);
      // Between two generations: the earlier one.
      expect((await backendAt(gens[1]!.at - 1)).generation).toBe(gens[0]!.generation);
      const g1 = await backendAt(gens[1]!.at);
      expect(g1.generation).toBe(gens[1]!.generation);
      expect(rows(g1.peers)).toEqual(["shop/cache[Deployment] TCP 80", "shop/frontend[Deployment] TCP 80"]);
      // After the last generation: the latest.
      expect((await backendAt(Date.now() + 3_600_000)).generation).toBe(gens.at(-1)!.generation);

      const workerAt = async (i: number) =>
        (await ok<{ whoCanReach: { peers: never[] } }>(client(), WHO, { t: { namespace: PAYMENTS, name: "worker" }, at: iso(gens[i]!.at) })).whoCanReach.peers;
      expect((await workerAt(1)).length).toBeGreaterThan(5);
      expect(await workerAt(2)).toEqual([]);
    });

    it("reachableFrom answers as of each generation's time", async () => {
      const frontendAt = async (i: number) => {
        const r = (await ok<{ reachableFrom: { generation: number; peers: never[] } }>(client(), FROM, { s: { namespace: SHOP, name: "frontend" }, at: iso(gens[i]!.at) })).reachableFrom;
        expect(r.generation).toBe(gens[i]!.generation);
        return rows(r.peers);
      };
      expect(await frontendAt(2)).toEqual(["payments/api[Deployment] TCP 8443", "shop/backend[Deployment] TCP 80"]);
      expect(await frontendAt(3)).toEqual(["shop/backend[Deployment] TCP 80"]);
      const open = await frontendAt(4);
      expect(open).toContain("shop/cache[Deployment] All Connections");
      expect(open).toContain("payments/api[Deployment] TCP 8443");
      expect(open).toContain("0.0.0.0-255.255.255.255[External] All Connections");
    });

    it("canConnect explains the world of that generation", async () => {
      const can = async (from: unknown, to: unknown, port: number, i: number) => {
        const r = (await ok<{ canConnect: { allowed: string; explanation: { generation: number } } }>(client(), CAN, { from, to, port, at: iso(gens[i]!.at) })).canConnect;
        expect(r.explanation.generation).toBe(gens[i]!.generation);
        return r.allowed;
      };
      expect(await can(wl(SHOP, "cache"), wl(SHOP, "backend"), 80, 0)).toBe("DENIED");
      expect(await can(wl(SHOP, "cache"), wl(SHOP, "backend"), 80, 1)).toBe("ALLOWED");
      expect(await can(wl(SHOP, "frontend"), wl(PAYMENTS, "api"), 8443, 2)).toBe("ALLOWED");
      // Denied by what is known; UNKNOWN because the api pods have no IP and an ipBlock rule admits TCP ("https").
      expect(await can(wl(SHOP, "frontend"), wl(PAYMENTS, "api"), 8443, 3)).toBe("UNKNOWN");
      expect(await can(wl(SHOP, "frontend"), wl(PAYMENTS, "api"), 8443, 4)).toBe("ALLOWED");
      expect(await can(wl(SHOP, "probe"), wl(PAYMENTS, "ledger"), 5000, 1)).toBe("ALLOWED");
      expect(await can(wl(SHOP, "probe"), wl(PAYMENTS, "ledger"), 5000, 2)).toBe("DENIED");
    });

    it("matrix pages of a past generation, and its cursors stay on it", async () => {
      const at = iso(gens[1]!.at);
      const whole = (await ok<{ matrix: { generation: number; totalCount: number; edges: unknown[] } }>(client(), MATRIX, { at, first: 1000 })).matrix;
      const latest = (await ok<{ matrix: { generation: number; totalCount: number } }>(client(), MATRIX, { first: 1 })).matrix;
      expect(whole.generation).toBe(gens[1]!.generation);
      expect(latest.generation).toBe(gens.at(-1)!.generation);
      expect(whole.totalCount).not.toBe(latest.totalCount);
      const first = (await ok<{ matrix: { pageInfo: { endCursor: string }; edges: unknown[] } }>(client(), MATRIX, { at, first: 4 })).matrix;
      const second = (await ok<{ matrix: { generation: number; totalCount: number; edges: unknown[] } }>(client(), MATRIX, { first: 4, after: first.pageInfo.endCursor })).matrix;
      expect(second.generation).toBe(gens[1]!.generation);
      expect(second.totalCount).toBe(whole.totalCount);
      expect([...first.edges, ...second.edges]).toEqual(whole.edges.slice(0, 8));
    });

    it("before the first generation is a clear error on every query that takes at", async () => {
      const at = "2000-01-01T00:00:00Z";
      const t = { namespace: SHOP, name: "backend" };
      for (const [query, vars] of [
        [WHO, { t, at }],
        [FROM, { s: t, at }],
        [CAN, { from: wl(SHOP, "frontend"), to: wl(SHOP, "backend"), port: 80, at }],
        [MATRIX, { at, first: 5 }],
      ] as const) {
        const e = await oneError(client(), query, vars);
        expect(e.extensions?.["code"]).toBe("NOT_FOUND");
        expect(e.message).toBe("cluster test has no matrix generation at or before 2000-01-01T00:00:00.000Z");
      }
      // The service started seconds before its first generation: a minute earlier there was none.
      const justBefore = await oneError(client(), WHO, { t, at: iso(gens[0]!.at - 60_000) });
      expect(justBefore.extensions?.["code"]).toBe("NOT_FOUND");
    });
  });
});
