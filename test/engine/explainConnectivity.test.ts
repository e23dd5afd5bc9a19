/**
 * explain() renders what evaluatePair recorded (structured fields, not prose), resolves what users
 * name, and aggregates workloads; buildConnectivity lists workload and external rows as the union
 * over member pods, without a workload's traffic to itself, merging adjacent external atoms.
 */
import { describe, expect, it } from "vitest";
import {
  buildConnectivity,
  buildMatrix,
  explain,
  formatConnEndpoint,
  parseEndpointQuery,
  workloadKey,
  type EndpointQuery,
  type Protocol,
} from "../../src/engine/index.js";
import { buildWorld, namespace, pod, policy, tcp } from "../helpers/worldBuilders.js";

const web = { namespace: "x", kind: "Deployment", name: "web" };
const db = { namespace: "x", kind: "StatefulSet", name: "db" };

const world = () =>
  buildWorld({
    namespaces: [namespace("x", { ns: "x" }), namespace("y", { ns: "y" })],
    pods: [
      pod({ ns: "x", name: "web-1", labels: { app: "web" }, ip: "10.0.1.1", workload: web }),
      pod({ ns: "x", name: "web-2", labels: { app: "web" }, ip: "10.0.1.2", workload: web }),
      pod({ ns: "x", name: "db-0", labels: { app: "db" }, ip: "10.0.1.10", ports: [tcp(5432, "pg")], workload: db }),
      pod({ ns: "y", name: "client", labels: { app: "client" }, ip: "10.0.2.1" }),
    ],
    policies: [
      policy("x", "db-ingress", {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: "pg" }] },
          { from: [{ ipBlock: { cidr: "10.0.1.1/32" } }], ports: [{ port: 22 }] },
        ],
      }),
    ],
  });

const wl = (name: string, kind?: string): EndpointQuery => (kind ? { type: "workload", namespace: name.split("/")[0]!, name: name.split("/")[1]!, kind } : { type: "workload", namespace: name.split("/")[0]!, name: name.split("/")[1]! });
const ipq = (ip: string): EndpointQuery => ({ type: "ip", ip });
const DB_INGRESS = { kind: "NetworkPolicy", namespace: "x", name: "db-ingress" };

describe("explain", () => {
  interface Row {
    readonly name: string;
    readonly from: EndpointQuery;
    readonly to: EndpointQuery;
    readonly port: number;
    readonly protocol?: Protocol;
    readonly expected: Record<string, unknown>;
  }
  it.each<Row>([
    {
      name: "allowed by a named-port ingress rule, for every member pod",
      from: wl("x/web"),
      to: wl("x/db"),
      port: 5432,
      expected: {
        verdict: "ALLOWED",
        from: "x/web[Deployment]",
        to: "x/db[StatefulSet]",
        self: false,
        podPairs: { total: 2, allowed: 2 },
        egress: expect.objectContaining({ governed: true, isolatedBy: [], allowed: true }),
        ingress: expect.objectContaining({
          governed: true,
          isolatedBy: [DB_INGRESS],
          allowed: true,
          admittedBy: [expect.objectContaining({ policy: DB_INGRESS, rule: "spec.ingress[0]" })],
          // The pair shown is web-1's, whose address the ipBlock rule matches, on another port.
          nearMisses: [expect.objectContaining({ rule: "spec.ingress[1]" })],
        }),
      },
    },
    {
      name: "allowed for one member pod only (ipBlock on web-1's IP): the workload answer is the union",
      from: wl("x/web"),
      to: wl("x/db"),
      port: 22,
      expected: {
        verdict: "ALLOWED",
        podPairs: { total: 2, allowed: 1 },
        ingress: expect.objectContaining({ allowed: true, admittedBy: [expect.objectContaining({ rule: "spec.ingress[1]" })] }),
      },
    },
    {
      name: "denied: the peer matches but not the port (a near miss)",
      from: wl("x/web"),
      to: wl("x/db"),
      port: 80,
      expected: {
        verdict: "DENIED",
        podPairs: { total: 2, allowed: 0 },
        ingress: expect.objectContaining({ allowed: false, admittedBy: [], nearMisses: [expect.objectContaining({ policy: DB_INGRESS, rule: "spec.ingress[0]" }), expect.objectContaining({ rule: "spec.ingress[1]" })] }),
      },
    },
    {
      name: "denied: no rule matches the source at all",
      from: wl("y/client"),
      to: wl("x/db"),
      port: 5432,
      expected: { verdict: "DENIED", ingress: expect.objectContaining({ allowed: false, isolatedBy: [DB_INGRESS], admittedBy: [], nearMisses: [] }) },
    },
    {
      name: "an external source: its egress is not governed",
      from: ipq("203.0.113.1"),
      to: wl("x/db"),
      port: 5432,
      expected: { verdict: "DENIED", from: "203.0.113.1[External]", egress: expect.objectContaining({ governed: false, allowed: true }), ingress: expect.objectContaining({ allowed: false }) },
    },
    {
      name: "an external address equal to web-1's IP matches the ipBlock rule",
      from: ipq("10.0.1.1"),
      to: wl("x/db"),
      port: 22,
      expected: { verdict: "ALLOWED", ingress: expect.objectContaining({ admittedBy: [expect.objectContaining({ rule: "spec.ingress[1]" })] }) },
    },
    {
      name: "an external destination: its ingress is not governed",
      from: wl("x/db"),
      to: ipq("8.8.8.8"),
      port: 443,
      expected: { verdict: "ALLOWED", to: "8.8.8.8[External]", egress: expect.objectContaining({ isolatedBy: [], allowed: true }), ingress: expect.objectContaining({ governed: false }) },
    },
    {
      name: "a pod named directly stands for itself",
      from: wl("x/web-2"),
      to: wl("x/db", "statefulset"),
      port: 22,
      expected: { verdict: "DENIED", from: "x/web[Deployment] (pod web-2)", podPairs: { total: 1, allowed: 0 } },
    },
    {
      name: "a workload to itself: only pairs of distinct member pods",
      from: wl("x/web"),
      to: wl("x/web"),
      port: 80,
      expected: { verdict: "ALLOWED", self: false, podPairs: { total: 2, allowed: 2 } },
    },
  ])("$name", ({ from, to, port, protocol, expected }) => {
    const r = explain(world(), from, to, port, protocol ?? "TCP");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.explanation).toMatchObject(expected);
    expect(r.explanation.summary.length).toBeGreaterThan(0);
  });

  it.each<{ name: string; from: EndpointQuery; to: EndpointQuery; port: number; code: string }>([
    { name: "unknown workload", from: wl("x/nope"), to: wl("x/db"), port: 80, code: "NOT_FOUND" },
    { name: "unknown namespace", from: wl("q/web"), to: wl("x/db"), port: 80, code: "NOT_FOUND" },
    { name: "wrong kind", from: wl("x/web", "StatefulSet"), to: wl("x/db"), port: 80, code: "NOT_FOUND" },
    { name: "not an IP address", from: ipq("10.0.0.300"), to: wl("x/db"), port: 80, code: "INVALID" },
    { name: "port 0", from: wl("x/web"), to: wl("x/db"), port: 0, code: "INVALID" },
    { name: "port 65536", from: wl("x/web"), to: wl("x/db"), port: 65536, code: "INVALID" },
  ])("error: $name -> $code", ({ from, to, port, code }) => {
    const r = explain(world(), from, to, port, "TCP");
    expect(r).toMatchObject({ ok: false, code });
  });

  it("a name shared by workloads of different kinds is AMBIGUOUS until the kind is given", () => {
    const w = buildWorld({
      pods: [pod({ ns: "x", name: "web-1", workload: web }), pod({ ns: "x", name: "web", ip: "10.0.0.9" }), pod({ ns: "x", name: "other" })],
    });
    expect(explain(w, wl("x/web"), wl("x/other"), 80, "TCP")).toMatchObject({ ok: false, code: "AMBIGUOUS" });
    expect(explain(w, wl("x/web", "Deployment"), wl("x/other"), 80, "TCP")).toMatchObject({ ok: true, explanation: { from: "x/web[Deployment]" } });
    expect(explain(w, wl("x/web", "Pod"), wl("x/other"), 80, "TCP")).toMatchObject({ ok: true, explanation: { from: "x/web[Pod]" } });
  });

  it.each<{ text: string; query: EndpointQuery | undefined }>([
    { text: "x/db", query: { type: "workload", namespace: "x", name: "db" } },
    { text: " x/db[StatefulSet] ", query: { type: "workload", namespace: "x", name: "db", kind: "StatefulSet" } },
    { text: "10.0.0.1", query: { type: "ip", ip: "10.0.0.1" } },
    { text: "fd00::1", query: { type: "ip", ip: "fd00::1" } },
    { text: "db", query: undefined },
    { text: "x/db/extra", query: undefined },
    { text: "x/db[Stateful Set]", query: undefined },
  ])("parseEndpointQuery($text)", ({ text, query }) => {
    expect(parseEndpointQuery(text)).toEqual(query);
  });
});

describe("buildConnectivity", () => {
  const lines = (opts = {}) => {
    const m = buildMatrix(world());
    return buildConnectivity(m, opts).map((r) => `${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)} : ${r.conn.key}`);
  };

  it("lists workloads once, as the union over their member pods, and omits empty and self rows", () => {
    const all = lines();
    expect(all).toContain("x/web[Deployment] => x/db[StatefulSet] : TCP 22,5432");
    expect(all).toContain("x/db[StatefulSet] => y/client[Pod] : All Connections");
    expect(all.filter((l) => l.startsWith("y/client[Pod] => x/db"))).toEqual([]);
    expect(all.filter((l) => l.startsWith("x/web[Deployment] => x/web[Deployment]"))).toEqual([]);
    expect(all).toEqual([...all].sort());
  });

  it("external rows: atoms merge when contiguous with the same connection, and stay apart otherwise", () => {
    const all = lines();
    // Into db only web-1's address (as an external address) is admitted, on TCP 22.
    expect(all.filter((l) => l.includes("[External] => x/db"))).toEqual(["10.0.1.1-10.0.1.1[External] => x/db[StatefulSet] : TCP 22"]);
    // web is not isolated: the three atoms (below, at and above 10.0.1.1) merge into one row.
    expect(all.filter((l) => l.includes("[External] => x/web"))).toEqual(["0.0.0.0-255.255.255.255[External] => x/web[Deployment] : All Connections"]);
    expect(all).toContain("x/db[StatefulSet] => 0.0.0.0-255.255.255.255[External] : All Connections");
  });

  it("filters by destination, source and focus", () => {
    const toDb = lines({ dst: workloadKey(db) });
    expect(toDb.length).toBeGreaterThan(0);
    expect(toDb.every((l) => l.includes("=> x/db[StatefulSet]"))).toBe(true);
    const fromWeb = lines({ src: workloadKey(web) });
    expect(fromWeb.every((l) => l.startsWith("x/web[Deployment] =>"))).toBe(true);
    const focus = lines({ focus: workloadKey(db) });
    expect(focus.every((l) => l.includes("x/db[StatefulSet]"))).toBe(true);
    expect(focus.some((l) => l.startsWith("x/db")) && focus.some((l) => l.includes("=> x/db"))).toBe(true);
  });
});
