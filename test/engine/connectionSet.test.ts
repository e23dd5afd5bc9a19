/** PortSet and ConnectionSet: interval algebra, canonical text, and the parse/format round trip. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConnectionSet, ConnTable, parseConnectionSet, PortSet, PROTOCOLS, type Protocol } from "../../src/engine/index.js";

const ps = (...intervals: [number, number][]) => PortSet.fromIntervals(intervals);

describe("PortSet", () => {
  it.each<{ name: string; set: PortSet; text: string }>([
    { name: "EMPTY prints nothing", set: PortSet.EMPTY, text: "" },
    { name: "ALL prints the full range", set: PortSet.ALL, text: "1-65535" },
    { name: "single port", set: PortSet.single(80), text: "80" },
    { name: "range", set: PortSet.range(8000, 8080), text: "8000-8080" },
    { name: "range is clamped to 1-65535", set: PortSet.range(0, 70000), text: "1-65535" },
    { name: "inverted range is empty", set: PortSet.range(90, 80), text: "" },
    { name: "fromIntervals sorts and merges overlaps", set: ps([100, 200], [10, 20], [150, 300]), text: "10-20,100-300" },
    { name: "fromIntervals merges adjacent intervals", set: ps([80, 80], [81, 81], [83, 83]), text: "80-81,83" },
    { name: "pieces that cover everything become ALL", set: ps([1, 100], [101, 65535]), text: "1-65535" },
  ])("$name: $text", ({ set, text }) => {
    expect(set.toString()).toBe(text);
  });

  it("contains is inclusive at both ends", () => {
    const s = ps([80, 90], [100, 100]);
    expect([79, 80, 85, 90, 91, 99, 100, 101].map((p) => s.contains(p))).toEqual([false, true, true, true, false, false, true, false]);
    expect(PortSet.ALL.contains(1) && PortSet.ALL.contains(65535)).toBe(true);
    expect(PortSet.EMPTY.contains(80)).toBe(false);
  });

  it.each<{ name: string; got: () => PortSet; text: string }>([
    { name: "union of disjoint sets", got: () => ps([1, 5]).union(ps([10, 20])), text: "1-5,10-20" },
    { name: "union bridges a gap of zero", got: () => ps([1, 5]).union(ps([6, 9])), text: "1-9" },
    { name: "union with EMPTY is identity", got: () => ps([7, 9]).union(PortSet.EMPTY), text: "7-9" },
    { name: "intersect of interleaved intervals", got: () => ps([1, 10], [20, 30], [40, 50]).intersect(ps([5, 25], [45, 100])), text: "5-10,20-25,45-50" },
    { name: "intersect of disjoint sets is empty", got: () => ps([1, 10]).intersect(ps([11, 20])), text: "" },
    { name: "intersect with ALL is identity", got: () => ps([3, 4]).intersect(PortSet.ALL), text: "3-4" },
    { name: "complement of a middle port", got: () => PortSet.single(80).complement(), text: "1-79,81-65535" },
    { name: "complement of the edges", got: () => ps([1, 1], [65535, 65535]).complement(), text: "2-65534" },
    { name: "complement of EMPTY is ALL", got: () => PortSet.EMPTY.complement(), text: "1-65535" },
    { name: "complement of ALL is EMPTY", got: () => PortSet.ALL.complement(), text: "" },
    { name: "subtract splits an interval", got: () => ps([1, 100]).subtract(ps([40, 60])), text: "1-39,61-100" },
    { name: "subtract everything", got: () => ps([1, 100]).subtract(PortSet.ALL), text: "" },
  ])("$name", ({ got, text }) => {
    expect(got().toString()).toBe(text);
  });

  it("equals and isSubsetOf", () => {
    expect(ps([1, 5], [6, 9]).equals(ps([1, 9]))).toBe(true);
    expect(ps([1, 5]).equals(ps([1, 6]))).toBe(false);
    expect(ps([2, 3]).isSubsetOf(ps([1, 5]))).toBe(true);
    expect(ps([2, 6]).isSubsetOf(ps([1, 5]))).toBe(false);
    expect(PortSet.EMPTY.isSubsetOf(PortSet.EMPTY)).toBe(true);
    expect(ps([1, 65535]).isAll() && !ps([1, 65534]).isAll()).toBe(true);
  });

  // Model check: a PortSet against a plain membership predicate, probed at every interval edge.
  const intervalsArb = fc.array(
    fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 300 })).map(([a, w]): [number, number] => [a, Math.min(a + w, 65535)]),
    { maxLength: 6 },
  );
  const model = (iv: [number, number][]) => (p: number) => iv.some(([a, b]) => a <= p && p <= b);
  const probes = (...ivs: [number, number][][]) => [...new Set([1, 2, 65534, 65535, ...ivs.flat(2).flatMap((p) => [p - 1, p, p + 1])])].filter((p) => p >= 1 && p <= 65535);

  it("union, intersect, subtract and complement agree with a membership model", () => {
    fc.assert(
      fc.property(intervalsArb, intervalsArb, (x, y) => {
        const [a, b] = [PortSet.fromIntervals(x), PortSet.fromIntervals(y)];
        const [ma, mb] = [model(x), model(y)];
        for (const p of probes(x, y)) {
          expect(a.union(b).contains(p)).toBe(ma(p) || mb(p));
          expect(a.intersect(b).contains(p)).toBe(ma(p) && mb(p));
          expect(a.subtract(b).contains(p)).toBe(ma(p) && !mb(p));
          expect(a.complement().contains(p)).toBe(!ma(p));
        }
        // Canonical form: equal sets print equally, and intervals are sorted, disjoint and non-adjacent.
        expect(a.union(b).toString()).toBe(b.union(a).toString());
        const iv = a.intervals();
        for (let i = 1; i < iv.length; i++) expect(iv[i]![0]).toBeGreaterThan(iv[i - 1]![1] + 1);
      }),
      { numRuns: 300 },
    );
  });
});

describe("ConnectionSet", () => {
  const tcp = (...iv: [number, number][]) => ConnectionSet.of("TCP", ps(...iv));
  const udp = (...iv: [number, number][]) => ConnectionSet.of("UDP", ps(...iv));
  const sctp = (...iv: [number, number][]) => ConnectionSet.of("SCTP", ps(...iv));

  it.each<{ name: string; got: () => ConnectionSet; key: string }>([
    { name: "NONE", got: () => ConnectionSet.NONE, key: "No Connections" },
    { name: "ALL", got: () => ConnectionSet.ALL, key: "All Connections" },
    { name: "of() with an empty port set is NONE", got: () => ConnectionSet.of("TCP", PortSet.EMPTY), key: "No Connections" },
    { name: "one protocol, all ports", got: () => ConnectionSet.of("UDP", PortSet.ALL), key: "UDP 1-65535" },
    { name: "protocols print in SCTP, TCP, UDP order", got: () => udp([53, 53]).union(tcp([80, 80], [8080, 8090])).union(sctp([9, 9])), key: "SCTP 9,TCP 80,8080-8090,UDP 53" },
    { name: "every protocol on every port is ALL", got: () => ConnectionSet.fromPorts({ TCP: PortSet.ALL, UDP: PortSet.ALL, SCTP: PortSet.ALL }), key: "All Connections" },
    { name: "union of the three full protocols normalises to ALL", got: () => tcp([1, 65535]).union(udp([1, 65535])).union(sctp([1, 65535])), key: "All Connections" },
    { name: "intersect per protocol", got: () => tcp([80, 90]).union(udp([53, 53])).intersect(tcp([85, 100]).union(sctp([1, 100]))), key: "TCP 85-90" },
    { name: "intersect with nothing in common is NONE", got: () => tcp([80, 80]).intersect(udp([80, 80])), key: "No Connections" },
    { name: "ALL minus one TCP port", got: () => ConnectionSet.ALL.subtract(tcp([80, 80])), key: "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535" },
    { name: "subtract itself is NONE", got: () => tcp([80, 80]).subtract(tcp([80, 80])), key: "No Connections" },
    { name: "complement of NONE is ALL", got: () => ConnectionSet.NONE.complement(), key: "All Connections" },
    { name: "complement of ALL is NONE", got: () => ConnectionSet.ALL.complement(), key: "No Connections" },
  ])("$name: $key", ({ got, key }) => {
    expect(got().key).toBe(key);
    expect(got().toString()).toBe(key);
  });

  it("contains, equals, isSubsetOf, portsFor", () => {
    const c = tcp([80, 80]).union(udp([53, 53]));
    expect([c.contains(80, "TCP"), c.contains(80, "UDP"), c.contains(53, "UDP"), c.contains(53, "SCTP")]).toEqual([true, false, true, false]);
    expect(c.equals(udp([53, 53]).union(tcp([80, 80])))).toBe(true);
    expect(tcp([80, 80]).isSubsetOf(c) && !c.isSubsetOf(tcp([80, 80]))).toBe(true);
    expect(c.portsFor("TCP").toString()).toBe("80");
    expect(ConnectionSet.NONE.isEmpty() && ConnectionSet.ALL.isAll()).toBe(true);
  });

  it.each(["No Connections", "All Connections", "TCP 80", "UDP 1-65535", "TCP 80,8080-8090,UDP 53", "SCTP 1-79,81-65535,TCP 1,UDP 65535"])("parseConnectionSet round-trips %j", (text) => {
    expect(parseConnectionSet(text).key).toBe(text);
  });

  it.each([
    { text: "TCP 80,81", key: "TCP 80-81" },
    { text: " UDP 53 , TCP 80 ", key: "TCP 80,UDP 53" },
    { text: "TCP 1-65535,UDP 1-65535,SCTP 1-65535", key: "All Connections" },
    { text: "", key: "No Connections" },
  ])("parseConnectionSet normalises $text", ({ text, key }) => {
    expect(parseConnectionSet(text).key).toBe(key);
  });

  it.each(["TCP", "80", "ICMP 1", "TCP 80,,81", "TCP 80-", "tcp 80", "All connections"])("parseConnectionSet rejects %j", (text) => {
    expect(() => parseConnectionSet(text)).toThrow();
  });

  const connArb = fc
    .array(fc.tuple(fc.constantFrom<Protocol>(...PROTOCOLS), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 70000 })), { maxLength: 6 })
    .map((parts) => parts.reduce((acc, [p, a, w]) => acc.union(ConnectionSet.of(p, PortSet.range(a, a + w))), ConnectionSet.NONE));

  it("random sets: parse(format(x)) == x, and the algebra is consistent", () => {
    fc.assert(
      fc.property(connArb, connArb, (a, b) => {
        expect(parseConnectionSet(a.key).key).toBe(a.key);
        expect(a.union(b).key).toBe(b.union(a).key);
        expect(a.intersect(b).key).toBe(b.intersect(a).key);
        expect(a.subtract(b).union(a.intersect(b)).key).toBe(a.key);
        expect(a.complement().complement().key).toBe(a.key);
        expect(a.intersect(b).isSubsetOf(a)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("ConnTable interns sets and memoises union/intersect consistently with ConnectionSet", () => {
    fc.assert(
      fc.property(connArb, connArb, (a, b) => {
        const t = new ConnTable();
        const [ia, ib] = [t.id(a), t.id(b)];
        expect(t.id(parseConnectionSet(a.key))).toBe(ia);
        expect(t.get(t.union(ia, ib)).key).toBe(a.union(b).key);
        expect(t.get(t.intersect(ia, ib)).key).toBe(a.intersect(b).key);
        expect(t.union(ia, ib)).toBe(t.union(ib, ia));
      }),
      { numRuns: 200 },
    );
  });
});
