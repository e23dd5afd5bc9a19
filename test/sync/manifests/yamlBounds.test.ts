import { describe, expect, it } from "vitest";
import { DEFAULT_MANIFEST_LIMITS, parseManifestText, REQUEST_MANIFEST_LIMITS, type ManifestLimits } from "../../../src/sync/manifests/index.js";

const small: ManifestLimits = { maxBytes: 10_000, maxNodes: 1_000, maxExpandedBytes: 5_000, maxDepth: 10, maxAliasCount: 1000 };

describe("parseManifestText bounds (docs/input-limits.md)", () => {
  it.each([
    { name: "an anchor that refers to itself in a flow mapping", text: "spec: &s {podSelector: {}, loop: *s}\n", message: /alias \*s refers to its own anchor/, field: "line 1, column 34" },
    { name: "a List whose items contain the list", text: "kind: List\nitems: &i [{kind: List, items: *i}]\n", message: /alias \*i refers to its own anchor/, field: "line 2, column 32" },
    { name: "a block mapping that contains itself", text: "a: &a\n  b: 1\n  c: *a\n", message: /alias \*a refers to its own anchor/, field: "line 3, column 6" },
  ])("refuses a cycle: $name", ({ text, message, field }) => {
    const r = parseManifestText(text, "f.yaml");
    expect(r.objects).toEqual([]);
    expect(r.diagnostics).toMatchObject([{ severity: "error", code: "INVALID_OBJECT", object: "YAML", field, origin: "f.yaml#0" }]);
    expect(r.diagnostics[0]!.message).toMatch(message);
  });

  it("accepts aliases of earlier anchors, merge keys included, and expands them", () => {
    const r = parseManifestText("a: &a {x: 1}\nb: *a\nc:\n  <<: *a\n  z: 2\n", "f.yaml");
    expect(r.diagnostics).toEqual([]);
    expect(r.objects[0]!.value).toEqual({ a: { x: 1 }, b: { x: 1 }, c: { x: 1, z: 2 } });
  });

  it("counts nodes with aliases expanded: a flat amplification under the alias count is refused by its size", () => {
    const text = `a: &a [${Array(100).fill("1").join(",")}]\nb: [${Array(20).fill("*a").join(",")}]\n`;
    const r = parseManifestText(text, "f.yaml", small);
    expect(r.diagnostics[0]!.message).toMatch(/more than 1,000 YAML nodes once aliases are expanded/);
    expect(r.diagnostics[0]!.field).toMatch(/^line 2, column \d+$/);
    expect(parseManifestText(text, "f.yaml").diagnostics).toEqual([]); // 2,121 nodes: fine under the default bound
  });

  it("counts text with aliases expanded: a long string aliased many times is refused", () => {
    const r = parseManifestText(`a: &a ${"x".repeat(1000)}\nb: [*a, *a, *a, *a, *a]\n`, "f.yaml", small);
    expect(r.diagnostics[0]!.message).toMatch(/more than 5,000 bytes of text once aliases are expanded/);
  });

  it("the bounds are per file: splitting the amplification into documents does not escape them, and the rest of the file is not read", () => {
    const doc = `a: &a [${Array(100).fill("1").join(",")}]\nb: [*a, *a, *a]\n`;
    const r = parseManifestText(Array(5).fill(doc).join("---\n"), "f.yaml", small);
    expect(r.objects).toHaveLength(2);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.origin).toBe("f.yaml#2");
  });

  it("refuses nesting deeper than the bound, aliases expanded, without overflowing the stack", () => {
    expect(parseManifestText(`a: ${"[".repeat(11)}${"]".repeat(11)}`, "f.yaml", small).diagnostics[0]!.message).toMatch(/nests deeper than 10 levels/);
    expect(parseManifestText(`a: &a ${"[".repeat(6)}${"]".repeat(6)}\nb: [[[[*a]]]]\n`, "f.yaml", small).diagnostics[0]!.message).toMatch(/nests deeper than 10 levels once aliases are expanded/);
    const deep = parseManifestText(`a: ${"[".repeat(100_000)}${"]".repeat(100_000)}`, "f.yaml");
    expect(deep.objects).toEqual([]);
    expect(deep.diagnostics[0]!.message).toMatch(/nests too deeply|nests deeper/);
  });

  it("refuses a text over the size bound before parsing it", () => {
    const r = parseManifestText(`# ${"x".repeat(20_000)}\nkind: Pod\n`, "f.yaml", small);
    expect(r).toEqual({ objects: [], documents: 0, diagnostics: [expect.objectContaining({ object: "YAML", field: "(file)", origin: "f.yaml" })], overLimit: true });
    expect(r.diagnostics[0]!.message).toMatch(/larger than 10,000 bytes/);
  });

  it("finds duplicate keys in a mapping of 20,000 keys, comparing keys as JSON does", () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: v`);
    expect(parseManifestText(keys.join("\n"), "f.yaml").diagnostics).toEqual([]);
    const r = parseManifestText([...keys, "k19999: again"].join("\n"), "f.yaml");
    expect(r.diagnostics).toMatchObject([{ field: "line 20001, column 1", message: expect.stringMatching(/Map keys must be unique: "k19999" is repeated/) }]);
    expect(parseManifestText("1: a\n'1': b\n", "f.yaml").diagnostics[0]!.message).toMatch(/"1" is repeated/);
  });

  it("request limits are tighter than file limits", () => {
    expect(REQUEST_MANIFEST_LIMITS.maxBytes).toBeLessThan(DEFAULT_MANIFEST_LIMITS.maxBytes);
    expect(REQUEST_MANIFEST_LIMITS.maxNodes).toBeLessThan(DEFAULT_MANIFEST_LIMITS.maxNodes);
  });
});
