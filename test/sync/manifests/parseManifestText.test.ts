import { describe, expect, it } from "vitest";
import { parseManifestText } from "../../../src/sync/manifests/index.js";

describe("parseManifestText", () => {
  it("splits multi-document YAML, numbering documents from 0 and skipping empty ones", () => {
    const text = ["kind: A", "---", "# only a comment", "---", "kind: B", "---", ""].join("\n");
    const r = parseManifestText(text, "dir/f.yaml");
    expect(r.diagnostics).toEqual([]);
    expect(r.objects).toEqual([
      { value: { kind: "A" }, origin: "dir/f.yaml#0" },
      { value: { kind: "B" }, origin: "dir/f.yaml#2" },
    ]);
    expect(r.documents).toBe(4); // the trailing `---` opens an empty fourth document
  });

  it("reports a syntax error with line and column, skips that document and keeps the others", () => {
    const text = ["kind: A", "---", "kind: B", "metadata: {name: x", "spec: 1", "---", "kind: C"].join("\n");
    const r = parseManifestText(text, "f.yaml");
    expect(r.objects.map((o) => o.origin)).toEqual(["f.yaml#0", "f.yaml#2"]);
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d).toMatchObject({ severity: "error", code: "INVALID_OBJECT", object: "YAML", origin: "f.yaml#1" });
    expect(d.field).toMatch(/^line \d+, column \d+$/);
    expect(d.message).not.toContain("\n");
    expect(d.message).toContain("document is skipped");
  });

  it("gives the line and column of bad indentation", () => {
    const r = parseManifestText("kind: Pod\nmetadata:\n  name: a\n labels: x\n", "f.yaml");
    expect(r.diagnostics).toEqual([
      { severity: "error", code: "INVALID_OBJECT", object: "YAML", field: "line 4, column 1", message: "All mapping items must start at the same column (the document is skipped)", origin: "f.yaml#0" },
    ]);
  });

  it("rejects duplicate keys, as kubectl's strict decoding does", () => {
    const r = parseManifestText("kind: Pod\nkind: Service\n", "f.yaml");
    expect(r.diagnostics).toMatchObject([{ object: "YAML", field: "line 2, column 1" }]);
    expect(r.diagnostics[0]!.message).toMatch(/unique/);
  });

  it("reads JSON, and names it JSON in errors", () => {
    expect(parseManifestText('{"kind": "Pod", "metadata": {"name": "a"}}', "f.json").objects).toEqual([{ value: { kind: "Pod", metadata: { name: "a" } }, origin: "f.json#0" }]);
    const bad = parseManifestText('{"kind": "Pod",\n  "metadata": {"name": "a"\n', "f.json");
    expect(bad.diagnostics).toMatchObject([{ object: "JSON", origin: "f.json#0" }]);
    expect(bad.diagnostics[0]!.field).toMatch(/^line \d+, column \d+$/);
  });

  it("reads scalars as kubectl (YAML 1.1) does: yes/on are booleans, 0755 is octal, timestamps and 1:20 stay strings", () => {
    const r = parseManifestText("a: yes\nb: on\nc: 0755\nd: 2024-01-01\ne: 1:20\nf: '80'\n", "f.yaml");
    expect(r.objects[0]!.value).toEqual({ a: true, b: true, c: 493, d: "2024-01-01", e: "1:20", f: "80" });
  });

  it("reports an alias bomb instead of expanding it", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    const r = parseManifestText(lines.join("\n"), "bomb.yaml");
    expect(r.objects).toEqual([]);
    expect(r.diagnostics).toMatchObject([{ code: "INVALID_OBJECT", object: "YAML", origin: "bomb.yaml#0" }]);
  });

  it("returns nothing for an empty file", () => {
    expect(parseManifestText("", "f.yaml")).toEqual({ objects: [], documents: 0, diagnostics: [] });
  });
});
