/** IP addresses, CIDRs and IpSet: strict parsing, RFC 5952 formatting, masking, set algebra. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareIp, formatIp, formatIpRange, IpSet, parseCidr, parseIp, rangeContains, type IpAddress } from "../../src/engine/index.js";

const v4 = (a: number, b: number, c: number, d: number) => (BigInt(a) << 24n) | (BigInt(b) << 16n) | (BigInt(c) << 8n) | BigInt(d);
const v6 = (groups: number[]) => groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
const ip = (text: string): IpAddress => {
  const a = parseIp(text);
  if (!a) throw new Error(`test setup: ${text} does not parse`);
  return a;
};

describe("parseIp", () => {
  it.each<{ text: string; family: 4 | 6; value: bigint }>([
    { text: "0.0.0.0", family: 4, value: 0n },
    { text: "255.255.255.255", family: 4, value: 0xffffffffn },
    { text: "10.0.1.2", family: 4, value: v4(10, 0, 1, 2) },
    { text: "010.0.0.1", family: 4, value: v4(10, 0, 0, 1) }, // leading zeros read as decimal, as ParseIPSloppy
    { text: "::", family: 6, value: 0n },
    { text: "::1", family: 6, value: 1n },
    { text: "fd00::1", family: 6, value: v6([0xfd00, 0, 0, 0, 0, 0, 0, 1]) },
    { text: "FD00::A", family: 6, value: v6([0xfd00, 0, 0, 0, 0, 0, 0, 0xa]) },
    { text: "2001:db8::", family: 6, value: v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]) },
    { text: "1:2:3:4:5:6:7:8", family: 6, value: v6([1, 2, 3, 4, 5, 6, 7, 8]) },
    { text: "1:2:3:4:5:6:7::", family: 6, value: v6([1, 2, 3, 4, 5, 6, 7, 0]) },
    { text: "::2:3:4:5:6:7:8", family: 6, value: v6([0, 2, 3, 4, 5, 6, 7, 8]) },
    { text: "0001:02:003::", family: 6, value: v6([1, 2, 3, 0, 0, 0, 0, 0]) },
    { text: "::ffff:1.2.3.4", family: 6, value: v6([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]) },
    { text: "64:ff9b::192.0.2.33", family: 6, value: v6([0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221]) },
    { text: "1:2:3:4:5:6:1.2.3.4", family: 6, value: v6([1, 2, 3, 4, 5, 6, 0x0102, 0x0304]) },
    { text: "::1.2.3.4", family: 6, value: v6([0, 0, 0, 0, 0, 0, 0x0102, 0x0304]) },
  ])("$text", ({ text, family, value }) => {
    expect(parseIp(text)).toEqual({ family, value });
  });

  it.each([
    "",
    "256.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.-1",
    "1.2.3.4 ",
    " 1.2.3.4",
    "a.b.c.d",
    "1.2.3.4/32",
    "1..2.3",
    "1.2.3.1000",
    "1::2::3",
    ":::",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "1::2:3:4:5:6:7:8",
    "12345::",
    "g::1",
    "::1.2.3",
    "::1.2.3.256",
    "1:2:3:4:5:6:7:1.2.3.4",
    "1.2.3.4::",
    "fe80::1%eth0",
  ])("rejects %j", (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe("formatIp", () => {
  it.each<{ text: string; formatted: string }>([
    { text: "10.0.1.2", formatted: "10.0.1.2" },
    { text: "010.000.001.002", formatted: "10.0.1.2" },
    { text: "0:0:0:0:0:0:0:0", formatted: "::" },
    { text: "0:0:0:0:0:0:0:1", formatted: "::1" },
    { text: "1:0:0:0:0:0:0:0", formatted: "1::" },
    { text: "2001:0db8:0000:0000:0000:0000:0002:0001", formatted: "2001:db8::2:1" }, // leading zeros dropped (4.1)
    { text: "2001:DB8::1", formatted: "2001:db8::1" }, // lower case (4.3)
    { text: "2001:db8:0:1:1:1:1:1", formatted: "2001:db8:0:1:1:1:1:1" }, // a single zero group is not compressed (4.2.2)
    { text: "1:0:0:2:0:0:0:3", formatted: "1:0:0:2::3" }, // the longest run is compressed (4.2.3)
    { text: "2001:db8:0:0:1:0:0:1", formatted: "2001:db8::1:0:0:1" }, // the first of equal runs (4.2.3)
    { text: "1:2:3:4:5:6:7:0", formatted: "1:2:3:4:5:6:7:0" },
    { text: "0:0:1:0:0:0:1:0", formatted: "0:0:1::1:0" },
    { text: "fd00:0:0:0:0:0:0:5", formatted: "fd00::5" },
  ])("$text -> $formatted", ({ text, formatted }) => {
    expect(formatIp(ip(text))).toBe(formatted);
  });

  /**
   * Independent RFC 5952 oracle: full form without leading zeros, then compress the longest (first)
   * run of >= 2 zero groups; IPv4-mapped addresses (::ffff:0:0/96) in mixed notation (section 5).
   */
  function rfc5952(value: bigint): string {
    if (value >> 32n === 0xffffn) return `::ffff:${[24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn)).join(".")}`;
    const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
    let best: [number, number] = [-1, 0];
    for (let i = 0; i < 8; i++) {
      let j = i;
      while (j < 8 && groups[j] === "0") j++;
      if (j - i >= 2 && j - i > best[1]) best = [i, j - i];
    }
    if (best[0] < 0) return groups.join(":");
    return `${groups.slice(0, best[0]).join(":")}::${groups.slice(best[0] + best[1]).join(":")}`;
  }

  // Addresses with many zero groups, so that runs and ties are frequent; and IPv4-mapped ones.
  const v6Arb = fc.oneof(
    fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map(v6),
    fc.bigInt({ min: 0n, max: 0xffffffffn }).map((v4) => (0xffffn << 32n) | v4),
  );

  it("IPv6: formatting follows RFC 5952 and round-trips", () => {
    fc.assert(
      fc.property(v6Arb, (value) => {
        const text = formatIp({ family: 6, value });
        expect(text).toBe(rfc5952(value));
        expect(parseIp(text)).toEqual({ family: 6, value });
      }),
      { numRuns: 500 },
    );
  });

  it("IPv4: round-trips", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffn }), (value) => {
        expect(parseIp(formatIp({ family: 4, value }))).toEqual({ family: 4, value });
      }),
    );
  });

  it("an embedded-IPv4 address equals its hexadecimal spelling", () => {
    expect(ip("::ffff:10.0.0.1")).toEqual(ip("::ffff:a00:1"));
    expect(parseIp(formatIp(ip("::ffff:10.0.0.1")))).toEqual(ip("::ffff:10.0.0.1"));
  });

  it("formatIpRange always prints both ends", () => {
    expect(formatIpRange(parseCidr("10.0.0.0/8")!.range)).toBe("10.0.0.0-10.255.255.255");
    expect(formatIpRange(parseCidr("fd00::/64")!.range)).toBe("fd00::-fd00::ffff:ffff:ffff:ffff");
  });
});

describe("parseCidr", () => {
  it.each<{ text: string; range: string; prefix: number; hostBitsSet: boolean }>([
    { text: "10.0.0.0/8", range: "10.0.0.0-10.255.255.255", prefix: 8, hostBitsSet: false },
    { text: "10.1.2.3/8", range: "10.0.0.0-10.255.255.255", prefix: 8, hostBitsSet: true },
    { text: "10.0.1.1/4", range: "0.0.0.0-15.255.255.255", prefix: 4, hostBitsSet: true },
    { text: "0.0.0.0/0", range: "0.0.0.0-255.255.255.255", prefix: 0, hostBitsSet: false },
    { text: "1.2.3.4/0", range: "0.0.0.0-255.255.255.255", prefix: 0, hostBitsSet: true },
    { text: "1.2.3.4/32", range: "1.2.3.4-1.2.3.4", prefix: 32, hostBitsSet: false },
    { text: "::/0", range: "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", prefix: 0, hostBitsSet: false },
    { text: "fd00::1/128", range: "fd00::1-fd00::1", prefix: 128, hostBitsSet: false },
    { text: "fd00::1:2:3:4/64", range: "fd00::-fd00::ffff:ffff:ffff:ffff", prefix: 64, hostBitsSet: true },
  ])("$text", ({ text, range, prefix, hostBitsSet }) => {
    const c = parseCidr(text)!;
    expect(formatIpRange(c.range)).toBe(range);
    expect([c.prefix, c.hostBitsSet]).toEqual([prefix, hostBitsSet]);
  });

  it.each(["10.0.0.0", "10.0.0.0/", "/8", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0/1000", "fd00::/129", "fd00::/x", "10.0.0.300/8", ""])("rejects %j", (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it("rangeContains and compareIp never mix families", () => {
    const r = parseCidr("0.0.0.0/0")!.range;
    expect(rangeContains(r, ip("1.2.3.4"))).toBe(true);
    expect(rangeContains(r, ip("::1"))).toBe(false);
    expect(rangeContains(parseCidr("::/0")!.range, ip("1.2.3.4"))).toBe(false);
    expect(compareIp(ip("255.255.255.255"), ip("::"))).toBeLessThan(0);
    expect(compareIp(ip("10.0.0.2"), ip("10.0.0.10"))).toBeLessThan(0);
    expect(compareIp(ip("fd00::1"), ip("fd00::1"))).toBe(0);
  });
});

describe("IpSet", () => {
  const set = (cidr: string) => IpSet.of(parseCidr(cidr)!.range);
  const ranges = (s: IpSet) => s.ranges.map(formatIpRange);

  it("cidr minus except: boundaries in and out", () => {
    const s = set("10.0.0.0/16").subtract(set("10.0.1.0/24"));
    expect(ranges(s)).toEqual(["10.0.0.0-10.0.0.255", "10.0.2.0-10.0.255.255"]);
    expect(["10.0.0.0", "10.0.0.255", "10.0.1.0", "10.0.1.255", "10.0.2.0", "10.0.255.255", "10.1.0.0", "9.255.255.255"].map((a) => s.contains(ip(a)))).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
      false,
      false,
    ]);
  });

  it("subtracting another family changes nothing; a set never contains the other family", () => {
    const s = set("0.0.0.0/0").subtract(set("::/0"));
    expect(ranges(s)).toEqual(["0.0.0.0-255.255.255.255"]);
    expect(s.contains(ip("::"))).toBe(false);
    expect(set("::/0").contains(ip("0.0.0.0"))).toBe(false);
  });

  it("subtracting everything leaves the empty set", () => {
    const s = set("10.0.0.0/24").subtract(set("10.0.0.0/8"));
    expect(s.isEmpty()).toBe(true);
    expect(s.contains(ip("10.0.0.1"))).toBe(false);
  });

  it("union merges overlapping and adjacent ranges of one family, never across families", () => {
    const s = set("10.0.1.0/24").union(set("10.0.0.0/24")).union(set("10.0.0.128/25")).union(set("::/128")).union(set("255.255.255.255/32"));
    expect(ranges(s)).toEqual(["10.0.0.0-10.0.1.255", "255.255.255.255-255.255.255.255", "::-::"]);
    expect([...s.families()].sort()).toEqual([4, 6]);
  });

  it("containsRange needs the whole range", () => {
    const s = set("10.0.0.0/16").subtract(set("10.0.1.0/24"));
    expect(s.containsRange(parseCidr("10.0.0.0/24")!.range)).toBe(true);
    expect(s.containsRange(parseCidr("10.0.0.0/23")!.range)).toBe(false);
  });

  // Model check over 10.0.0.0/24: sets from random CIDRs with excepts vs a boolean array.
  const cidrArb = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 24, max: 32 })).map(([host, prefix]) => `10.0.0.${host}/${prefix}`);
  const member = (cidr: string) => {
    const r = parseCidr(cidr)!.range;
    return (h: number) => v4(10, 0, 0, h) >= r.start && v4(10, 0, 0, h) <= r.end;
  };

  it("union/subtract and contains agree with a membership model", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), cidrArb), { minLength: 1, maxLength: 8 }), (ops) => {
        let s = IpSet.EMPTY;
        let m: (h: number) => boolean = () => false;
        for (const [add, cidr] of ops) {
          const prev = m;
          const c = member(cidr);
          if (add) {
            s = s.union(set(cidr));
            m = (h) => prev(h) || c(h);
          } else {
            s = s.subtract(set(cidr));
            m = (h) => prev(h) && !c(h);
          }
        }
        for (let h = 0; h < 256; h++) expect(s.contains({ family: 4, value: v4(10, 0, 0, h) }), `10.0.0.${h}`).toBe(m(h));
        for (let i = 1; i < s.ranges.length; i++) expect(s.ranges[i]!.start > s.ranges[i - 1]!.end + 1n).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
