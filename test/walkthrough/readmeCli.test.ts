/**
 * The documentation's command-line examples, run for real: every ```console block of README.md
 * and docs/*.md that shows `$ kubereach ...` commands. Each command runs (in-process, from the
 * repository's root, as the examples are written) and its stdout must be the lines shown under it,
 * up to the next command or the end of the block. A drifting example names its file and line.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/runCli.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));

interface Example {
  readonly label: string;
  readonly args: string[];
  readonly expected: string;
}

/** Splits a shell command line: words, and "double" or 'single' quoted words. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

function examples(): Example[] {
  const files = ["README.md", ...readdirSync(join(repo, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  const out: Example[] = [];
  for (const file of files) {
    const text = readFileSync(join(repo, file), "utf8");
    for (const m of text.matchAll(/^```console[ \t]*\n([\s\S]*?)^```[ \t]*$/gm)) {
      const first = text.slice(0, m.index).split("\n").length + 1;
      const lines = m[1]!.replace(/\n$/, "").split("\n");
      lines.forEach((line, i) => {
        if (!line.startsWith("$ kubereach ")) return;
        const rest = lines.slice(i + 1);
        const end = rest.findIndex((l) => l.startsWith("$ "));
        const shown = (end < 0 ? rest : rest.slice(0, end)).join("\n").replace(/\n+$/, "");
        out.push({ label: `${line.slice(2)} (${file} line ${first + i})`, args: words(line.slice("$ kubereach ".length)), expected: shown ? `${shown}\n` : "" });
      });
    }
  }
  return out;
}

const all = examples();

describe("command-line examples of README.md and docs/", () => {
  it("the README shows some", () => {
    expect(all.filter((e) => e.label.includes("(README.md")).length).toBeGreaterThanOrEqual(4);
  });

  it.each(all)("$label", async (e) => {
    const r = await runCli(e.args, { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(e.expected);
  });
});
