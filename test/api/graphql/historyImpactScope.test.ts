/**
 * PolicyRevision.impact under a scoped token: rows are kept or dropped by their structured endpoint
 * refs (never by parsing the display strings), and totals count only what the token sees.
 */
import { describe, expect, it } from "vitest";
import { PolicyRevision } from "../../../src/api/graphql/resolvers/history.js";
import type { GraphQLContext } from "../../../src/api/graphql/context.js";
import type { ImpactRow } from "../../../src/domain/impacts.js";
import type { StoredImpact, StoredRevision } from "../../../src/domain/repositories.js";
import { FULL_SCOPE, type Scope } from "../../../src/domain/scope.js";

const SHOP: Scope = { all: false, principal: "shop-team", namespaces: new Set(["shop"]) };

const row = (src: ImpactRow["srcRef"], dst: ImpactRow["dstRef"], display: [string, string]): ImpactRow => ({
  src: display[0],
  dst: display[1],
  srcRef: src,
  dstRef: dst,
  conn: "TCP 80",
  connBefore: "No Connections",
  connAfter: "TCP 80",
});
const wl = (namespace: string, name: string) => ({ type: "workload" as const, namespace, kind: "Deployment", name });
const ext = { type: "external" as const, family: 4 as const, start: "10.0.0.0", end: "10.0.0.255" };

const impact: StoredImpact = {
  id: 1n,
  clusterId: "c",
  computedAt: new Date(0),
  revisionIds: [7n],
  generation: 3,
  exact: true,
  gained: {
    total: 40,
    truncated: true,
    rows: [
      row(wl("shop", "web"), wl("shop", "api"), ["shop/web[Deployment]", "shop/api[Deployment]"]),
      row(wl("shop", "web"), ext, ["shop/web[Deployment]", "10.0.0.0-10.0.0.255[External]"]),
      row(wl("shop", "web"), wl("payments", "api"), ["shop/web[Deployment]", "payments/api[Deployment]"]),
      // The refs decide, whatever the display string says: this row's source is in payments.
      row(wl("payments", "batch"), wl("shop", "api"), ["shop/batch[Deployment]", "shop/api[Deployment]"]),
    ],
  },
  lost: { total: 1, truncated: false, rows: [row(wl("payments", "x"), wl("payments", "y"), ["payments/x[Deployment]", "payments/y[Deployment]"])] },
};

async function resolve(scope: Scope) {
  const ctx = { scope, impacts: { load: async () => impact } } as unknown as GraphQLContext;
  const resolver = PolicyRevision.impact as (r: StoredRevision, args: unknown, ctx: GraphQLContext) => Promise<unknown>;
  return (await resolver({ id: 7n } as StoredRevision, {}, ctx)) as { gained: { src: string; dst: string }[]; lost: unknown[]; gainedTotal: number; lostTotal: number; truncated: boolean };
}

describe("PolicyRevision.impact", () => {
  it("shows a token for all namespaces every stored row and the cluster-wide totals", async () => {
    const r = await resolve(FULL_SCOPE);
    expect(r.gained).toHaveLength(4);
    expect([r.gainedTotal, r.lostTotal, r.truncated]).toEqual([40, 1, true]);
  });

  it("shows a scoped token the rows whose both ends it sees, by their refs, and counts only those", async () => {
    const r = await resolve(SHOP);
    expect(r.gained.map((g) => `${g.src} -> ${g.dst}`)).toEqual(["shop/web[Deployment] -> shop/api[Deployment]", "shop/web[Deployment] -> 10.0.0.0-10.0.0.255[External]"]);
    expect(r.lost).toEqual([]);
    expect([r.gainedTotal, r.lostTotal, r.truncated]).toEqual([2, 0, true]);
  });
});
