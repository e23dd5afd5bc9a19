/**
 * The visibility rules (src/domain/scope.ts), table-driven: every route asks these functions, so
 * this table is the rule. One row per (what, token); "shop" is the scoped token's only namespace.
 */
import { describe, expect, it } from "vitest";
import type { ConnEndpoint } from "../../src/engine/index.js";
import type { ImpactEndpoint } from "../../src/domain/impacts.js";
import {
  canSeeClusterScoped,
  canSeeConnection,
  canSeeEndpoint,
  canSeeFinding,
  canSeeImpactRow,
  canSeeObject,
  FULL_SCOPE,
  inScope,
  isClusterScoped,
  scopeKey,
  scopeNamespaces,
  seesAllNamespaces,
  visibleTotal,
  type Scope,
} from "../../src/domain/scope.js";

const ALL: Scope = FULL_SCOPE;
const SHOP: Scope = { all: false, principal: "shop-team", namespaces: new Set(["shop"]) };
const NONE: Scope = { all: false, principal: "nobody", namespaces: new Set() };

const workload = (namespace: string): ConnEndpoint => ({ kind: "workload", ref: { namespace, kind: "Deployment", name: "w" } });
const external: ConnEndpoint = { kind: "external", range: { family: 4, start: 0n, end: 255n } };
const workloadRef = (namespace: string): ImpactEndpoint => ({ type: "workload", namespace, kind: "Deployment", name: "w" });
const externalRef: ImpactEndpoint = { type: "external", family: 4, start: "0.0.0.0", end: "0.0.0.255" };

describe("objects (rules 1 and 2)", () => {
  const objects = [
    { what: "NetworkPolicy in shop", o: { kind: "NetworkPolicy", namespace: "shop", name: "p" }, clusterScoped: false, all: true, shop: true, none: false },
    { what: "NetworkPolicy in payments", o: { kind: "NetworkPolicy", namespace: "payments", name: "p" }, clusterScoped: false, all: true, shop: false, none: false },
    { what: "Namespace shop (judged by its name)", o: { kind: "Namespace", namespace: "", name: "shop" }, clusterScoped: false, all: true, shop: true, none: false },
    { what: "Namespace payments", o: { kind: "Namespace", namespace: "", name: "payments" }, clusterScoped: false, all: true, shop: false, none: false },
    { what: "Namespace without a name", o: { kind: "Namespace", namespace: "" }, clusterScoped: false, all: false, shop: false, none: false },
    { what: "AdminNetworkPolicy (cluster-scoped)", o: { kind: "AdminNetworkPolicy", namespace: "", name: "a" }, clusterScoped: true, all: true, shop: false, none: false },
    { what: "BaselineAdminNetworkPolicy", o: { kind: "BaselineAdminNetworkPolicy", namespace: "", name: "default" }, clusterScoped: true, all: true, shop: false, none: false },
    { what: "a revision without a kind and no namespace", o: { namespace: "" }, clusterScoped: true, all: true, shop: false, none: false },
    { what: "a revision without a kind in shop", o: { namespace: "shop" }, clusterScoped: false, all: true, shop: true, none: false },
  ];
  it.each(objects)("$what", ({ o, clusterScoped, all, shop, none }) => {
    expect(isClusterScoped(o)).toBe(clusterScoped);
    expect([canSeeObject(ALL, o), canSeeObject(SHOP, o), canSeeObject(NONE, o)]).toEqual([all, shop, none]);
  });
});

describe("tokens", () => {
  const tokens = [
    { what: "all namespaces", scope: ALL, shop: true, payments: true, clusterScoped: true, wholeCluster: true, namespaces: null, key: "*" },
    { what: "shop only", scope: SHOP, shop: true, payments: false, clusterScoped: false, wholeCluster: false, namespaces: ["shop"], key: "shop" },
    { what: "no namespace", scope: NONE, shop: false, payments: false, clusterScoped: false, wholeCluster: false, namespaces: [], key: "" },
  ];
  it.each(tokens)("$what", ({ scope, shop, payments, clusterScoped, wholeCluster, namespaces, key }) => {
    expect([inScope(scope, "shop"), inScope(scope, "payments")]).toEqual([shop, payments]);
    expect(canSeeClusterScoped(scope)).toBe(clusterScoped);
    expect(seesAllNamespaces(scope)).toBe(wholeCluster);
    expect(scopeNamespaces(scope)).toEqual(namespaces);
    expect(scopeKey(scope)).toBe(key);
    // Rule 3 for counts: the cluster-wide total only for a token for all namespaces.
    expect(visibleTotal(scope, 10, 2)).toBe(wholeCluster ? 10 : 2);
  });

  it("lists a scoped token's namespaces sorted, whatever order it was configured in", () => {
    const scope: Scope = { all: false, principal: "t", namespaces: new Set(["b", "a"]) };
    expect(scopeNamespaces(scope)).toEqual(["a", "b"]);
    expect(scopeKey(scope)).toBe("a\u0000b");
  });
});

describe("connections and impact rows (rule 3: both ends visible)", () => {
  const rows = [
    { what: "shop -> shop", src: "shop", dst: "shop", all: true, shop: true },
    { what: "shop -> payments", src: "shop", dst: "payments", all: true, shop: false },
    { what: "payments -> shop", src: "payments", dst: "shop", all: true, shop: false },
    { what: "shop -> external", src: "shop", dst: undefined, all: true, shop: true },
    { what: "external -> shop", src: undefined, dst: "shop", all: true, shop: true },
    { what: "external -> payments", src: undefined, dst: "payments", all: true, shop: false },
    { what: "a workload in namespace \"\" (a malformed old impact row)", src: "", dst: "shop", all: true, shop: false },
  ];
  it.each(rows)("$what", ({ src, dst, all, shop }) => {
    const conn = { src: src === undefined ? external : workload(src), dst: dst === undefined ? external : workload(dst) };
    const impact = { srcRef: src === undefined ? externalRef : workloadRef(src), dstRef: dst === undefined ? externalRef : workloadRef(dst) };
    expect([canSeeConnection(ALL, conn), canSeeConnection(SHOP, conn)]).toEqual([all, shop]);
    expect([canSeeImpactRow(ALL, impact), canSeeImpactRow(SHOP, impact)]).toEqual([all, shop]);
  });

  it("judges an engine endpoint and a stored ref of the same thing alike", () => {
    for (const scope of [ALL, SHOP, NONE]) {
      expect(canSeeEndpoint(scope, workload("shop"))).toBe(canSeeEndpoint(scope, workloadRef("shop")));
      expect(canSeeEndpoint(scope, workload("payments"))).toBe(canSeeEndpoint(scope, workloadRef("payments")));
      expect(canSeeEndpoint(scope, external)).toBe(true);
      expect(canSeeEndpoint(scope, externalRef)).toBe(true);
    }
  });
});

describe("findings (rule 3: shown only when every object it lists is visible)", () => {
  const findings = [
    { what: "objects in shop", objects: [{ kind: "NetworkPolicy", namespace: "shop", name: "a" }], shop: true },
    { what: "objects in shop and payments", objects: [{ kind: "NetworkPolicy", namespace: "shop", name: "a" }, { kind: "NetworkPolicy", namespace: "payments", name: "b" }], shop: false },
    { what: "a cluster-scoped policy", objects: [{ kind: "AdminNetworkPolicy", namespace: "", name: "a" }], shop: false },
  ];
  it.each(findings)("$what", ({ objects, shop }) => {
    expect(canSeeFinding(ALL, { objects })).toBe(true);
    expect(canSeeFinding(SHOP, { objects })).toBe(shop);
  });
});
