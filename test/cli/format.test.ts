import { describe, expect, it } from "vitest";
import { buildConnectivity, buildMatrix, compileWorld } from "../../src/engine/index.js";
import { formatConnectivity } from "../../src/cli/format/connectivity.js";
import { dotString, toDot } from "../../src/cli/format/dot.js";
import { csvCell, markdownCell, toCsv, toMarkdown } from "../../src/cli/format/table.js";

describe("CSV cells", () => {
  it.each([
    ["plain", "plain"],
    ["TCP 80,UDP 53", '"TCP 80,UDP 53"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
    ["+1", "'+1"],
    ["-1", "'-1"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tx", "'\tx"],
    ['=HYPERLINK("x", "y")', `"'=HYPERLINK(""x"", ""y"")"`],
    ["a=b", "a=b"],
  ])("%j -> %j", (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it("joins rows with CRLF after a header", () => {
    expect(toCsv(["a", "b"], [["1", "x,y"]])).toBe('a,b\r\n1,"x,y"\r\n');
  });
});

describe("Markdown cells", () => {
  it("escape pipes, backslashes and newlines", () => {
    expect(markdownCell("a|b\\c\nd")).toBe("a\\|b\\\\c<br>d");
    expect(toMarkdown(["x"], [["1"]])).toBe("| x |\n|---|\n| 1 |\n");
  });
});

describe("DOT", () => {
  it("quotes and escapes identifiers", () => {
    expect(dotString('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it("draws a namespace cluster per namespace, sorted, even with no edges", () => {
    const dot = toDot([], [
      { namespace: "z", kind: "Pod", name: "p" },
      { namespace: "a-b", kind: "Deployment", name: "d" },
    ]);
    expect(dot).toBe(
      [
        "digraph kubereach {",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        '  subgraph "cluster_a-b" {',
        '    label="a-b";',
        '    "a-b/d[Deployment]" [label="d[Deployment]"];',
        "  }",
        '  subgraph "cluster_z" {',
        '    label="z";',
        '    "z/p[Pod]" [label="p[Pod]"];',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });
});

describe("formatConnectivity", () => {
  const { world } = compileWorld({
    namespaces: [],
    pods: [
      { namespace: "x", name: "a", labels: { app: "a" } },
      { namespace: "x", name: "b", labels: { app: "b" } },
    ],
    networkPolicies: [{ namespace: "x", name: "deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }],
  });
  const rows = buildConnectivity(buildMatrix(world));

  it.each(["text", "json", "csv", "md"] as const)("prints an empty list in %s", (format) => {
    expect(rows).toEqual([]);
    expect(formatConnectivity(rows, format)).toBe({ text: "", json: "[]\n", csv: "src,dst,conn\r\n", md: "| src | dst | conn |\n|---|---|---|\n" }[format]);
  });
});
