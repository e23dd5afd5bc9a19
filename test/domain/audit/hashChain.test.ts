/** The pure hash chain: RFC 8785 canonical JSON, the revision hash, and verification. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  GENESIS_HASH,
  canonicalRevision,
  canonicalize,
  chainHash,
  hashRevision,
  verifyChain,
  type ChainFields,
  type ChainRecord,
} from "../../../src/domain/audit/hashChain.js";

describe("canonicalize (RFC 8785)", () => {
  it("matches the RFC's section 3.2.3 example", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts members by UTF-16 code units (RFC 8785 section 3.2.3)", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    [0, "0"],
    [-0, "0"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [9007199254740992, "9007199254740992"],
    [295147905179352830000, "295147905179352830000"],
    [1e21, "1e+21"],
    [1e-7, "1e-7"],
    [0.000001, "0.000001"],
    [-1.5, "-1.5"],
  ])("serialises the number %d as %s (RFC 8785 appendix B)", (n, text) => {
    expect(canonicalize(n)).toBe(text);
  });

  it("escapes control characters and nests without whitespace", () => {
    expect(canonicalize({ b: [1, { d: "\u0001\t", c: null }], a: "x" })).toBe('{"a":"x","b":[1,{"c":null,"d":"\\u0001\\t"}]}');
    expect(canonicalize({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
  });

  it.each([
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["a lone surrogate", "\ud800x"],
    ["a Date", new Date(0)],
    ["a bigint", 1n],
    ["a Map", new Map()],
  ])("refuses %s", (_label, value) => {
    expect(() => canonicalize({ v: value })).toThrow(TypeError);
  });
});

const fields = (seq: number, over: Partial<ChainFields> = {}): ChainFields => ({
  clusterId: "prod",
  seq: BigInt(seq),
  objectKind: "NetworkPolicy",
  namespace: "shop",
  name: `p${seq}`,
  uid: `uid-${seq}`,
  resourceVersion: `${100 + seq}`,
  operation: "UPDATE",
  before: { podSelector: {} },
  after: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] },
  diff: [{ op: "add", path: "/podSelector/matchLabels", value: { app: "web" } }],
  observedAt: new Date(Date.UTC(2025, 0, 1, 0, seq)),
  observedVia: "watch",
  finalStateUnknown: false,
  sourceRef: null,
  ...over,
});

function chain(n: number): ChainRecord[] {
  const out: ChainRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const f = fields(i);
    const { canonical, hash } = hashRevision(prev, f);
    out.push({ ...f, canonical, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

describe("hashRevision", () => {
  it("hashes sha256(prevHash || canonical) over RFC 8785 text that ignores key order", () => {
    const f = fields(1);
    const { canonical, hash } = hashRevision(GENESIS_HASH, f);
    expect(hash).toBe(createHash("sha256").update(GENESIS_HASH + canonical).digest("hex"));
    expect(chainHash(GENESIS_HASH, canonical)).toBe(hash);
    const reordered = { ...f, after: { policyTypes: ["Ingress"], podSelector: { matchLabels: { app: "web" } } } };
    expect(canonicalRevision(reordered)).toBe(canonical);
    expect(JSON.parse(canonical)).toMatchObject({ v: 1, seq: "1", observedAt: "2025-01-01T00:01:00.000Z", clusterId: "prod" });
    expect(hashRevision("f".repeat(64), f).hash).not.toBe(hash);
  });
});

describe("verifyChain", () => {
  it("accepts an intact chain and reports its head", () => {
    const c = chain(5);
    expect(verifyChain(c)).toEqual({ ok: true, count: 5, head: { seq: 5n, hash: c[4]!.hash } });
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: { seq: 0n, hash: GENESIS_HASH } });
  });

  it("verifies an exported file (seq as text, ISO timestamps) and async sources", async () => {
    const exported = JSON.parse(JSON.stringify(chain(4), (_k, v) => (typeof v === "bigint" ? v.toString() : v))) as ChainRecord[];
    expect(verifyChain(exported)).toMatchObject({ ok: true, count: 4 });
    async function* source() {
      yield* chain(3);
    }
    expect(await verifyChain(source())).toMatchObject({ ok: true, count: 3 });
  });

  it.each<[string, (c: ChainRecord[]) => ChainRecord[], bigint, string]>([
    ["an edited field", (c) => c.map((r, i) => (i === 2 ? { ...r, after: { podSelector: {} } } : r)), 3n, "canonical-mismatch"],
    ["an edited canonical text", (c) => c.map((r, i) => (i === 1 ? { ...r, canonical: r.canonical.replace('"p2"', '"px"') } : r)), 2n, "canonical-mismatch"],
    ["a replaced hash", (c) => c.map((r, i) => (i === 3 ? { ...r, hash: "0".repeat(64) } : r)), 4n, "hash-mismatch"],
    ["a removed revision", (c) => c.filter((_r, i) => i !== 1), 3n, "seq-gap"],
    ["a missing first revision", (c) => c.slice(1), 2n, "seq-gap"],
    ["two swapped revisions", (c) => [c[0]!, c[2]!, c[1]!, c[3]!], 3n, "seq-gap"],
    [
      "a re-hashed rewrite",
      (c) => {
        const f = { ...fields(2), name: "forged" };
        const { canonical, hash } = hashRevision(c[0]!.hash, f);
        return [c[0]!, { ...f, canonical, prevHash: c[0]!.hash, hash }, c[2]!];
      },
      3n,
      "prev-link-broken",
    ],
  ])("names the first broken revision after %s", (_label, tamper, seq, reason) => {
    const result = verifyChain(tamper(chain(5)));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.broken).toMatchObject({ seq, reason });
  });
});
