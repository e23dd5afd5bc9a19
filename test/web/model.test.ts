/**
 * The web view's own logic that runs without a browser (web/src/model.ts): the port filter's
 * parsing, connection matching against the engine's ConnectionSet (the text the API sends is the
 * engine's canonical form; the view must read it back the same way), and the isolated/wide-open marks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConnectionSet, PortSet, PROTOCOLS, type Protocol } from "../../src/engine/index.js";
import { buildGraph, connAllows, firstPort, isIsolated, isWideOpen, parsePortFilter, type GNode } from "../../web/src/model.js";

describe("parsePortFilter", () => {
  it.each([
    ["", undefined],
    ["  ", undefined],
    ["80", { port: 80 }],
    ["53/udp", { port: 53, protocol: "UDP" }],
    ["UDP 53", { port: 53, protocol: "UDP" }],
    ["sctp/9000", { port: 9000, protocol: "SCTP" }],
    ["tcp:443", { port: 443, protocol: "TCP" }],
    ["65535", { port: 65535 }],
  ])("%j -> %j", (text, expected) => expect(parsePortFilter(text)).toEqual(expected));

  it.each(["0", "65536", "http", "80-90", "TCP", "80/icmp", "-1"])("refuses %j, saying how to write a port", (text) => {
    expect(() => parsePortFilter(text)).toThrow(/is not a port: write 80, 53\/UDP or SCTP 9000/);
  });
});

const portSet = fc.array(fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 4 }).map((ranges) =>
  ranges.reduce((s, [from, len]) => s.union(PortSet.range(from, Math.min(65535, from + len))), PortSet.EMPTY),
);
const connectionSet = fc.oneof(
  fc.constant(ConnectionSet.ALL),
  fc.record({ TCP: portSet, UDP: portSet, SCTP: portSet }).map((p) => ConnectionSet.fromPorts(p)),
);

describe("connAllows", () => {
  it("reads the API's connections text as the engine means it (property)", () => {
    fc.assert(
      fc.property(connectionSet, fc.integer({ min: 1, max: 65535 }), fc.option(fc.constantFrom<Protocol>(...PROTOCOLS), { nil: undefined }), (conn, port, protocol) => {
        const expected = protocol ? conn.contains(port, protocol) : PROTOCOLS.some((p) => conn.contains(port, p));
        expect(connAllows(conn.key, protocol ? { port, protocol } : { port })).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ["All Connections", { port: 1 }, true],
    ["TCP 80,8080-8090,UDP 53", { port: 8085 }, true],
    ["TCP 80,8080-8090,UDP 53", { port: 53, protocol: "TCP" as const }, false],
    ["TCP 80,8080-8090,UDP 53", { port: 53, protocol: "UDP" as const }, true],
    ["No Connections", { port: 80 }, false],
  ])("%s allows %j: %s", (text, filter, expected) => expect(connAllows(text, filter)).toBe(expected));

  it("prefills the why form with the first allowed port", () => {
    expect(firstPort("UDP 53,SCTP 9000")).toEqual({ port: 53, protocol: "UDP" });
    expect(firstPort("All Connections")).toEqual({ port: 80, protocol: "TCP" });
  });
});

describe("marks", () => {
  const node = (index: number, id: string, isolatedForIngress: boolean, external = false): GNode => ({
    index,
    id,
    external,
    namespace: external ? "" : "ns",
    name: id,
    kind: external ? "External" : "Deployment",
    labels: {},
    pods: 1,
    isolatedForIngress,
    isolatedForEgress: false,
  });
  const nodes = [node(0, "a", false), node(1, "b", true), node(2, "c", true), node(3, "0.0.0.0-255.255.255.255[External]", false, true)];
  // a -> b; c talks to itself only; the external range reaches a.
  const g = buildGraph("x", 1, "2026-01-01T00:00:00Z", nodes, [
    { src: 0, dst: 1, conn: "TCP 80" },
    { src: 2, dst: 2, conn: "All Connections" },
    { src: 3, dst: 0, conn: "All Connections" },
  ]);

  it("isolated: nothing in or out but itself", () => {
    expect(nodes.map((n) => isIsolated(g, n))).toEqual([false, false, true, false]);
  });

  it("wide open: no policy isolates it for ingress (external ranges are neither)", () => {
    expect(nodes.map(isWideOpen)).toEqual([true, false, false, false]);
  });

  it("indexes edges both ways and lists the namespaces", () => {
    expect(g.incoming[0]).toEqual([2]);
    expect(g.outgoing[0]).toEqual([0]);
    expect(g.namespaces).toEqual(["ns"]);
  });
});
