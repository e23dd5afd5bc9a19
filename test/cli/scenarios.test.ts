/**
 * Golden scenarios: `analyze` on test/fixtures/scenarios/<name>/manifests must print exactly
 * expected.txt (text) and expected.json (json), and, when the scenario has one, expected-stderr.txt
 * (else nothing) on stderr. Each expected.txt was checked by hand against NetworkPolicy semantics
 * (the scenario's README.md gives the reasoning). UPDATE_GOLDEN=1 rewrites the expected files; on
 * a mismatch the output is written to actual-*.txt next to them (gitignored) for diffing.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "./runCli.js";

const ROOT = fileURLToPath(new URL("../fixtures/scenarios/", import.meta.url));
const UPDATE = process.env["UPDATE_GOLDEN"] === "1";
const scenarios = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, d.name, "manifests")))
  .map((d) => d.name)
  .sort();

/** Compares with the golden file, or rewrites it under UPDATE_GOLDEN=1; keeps actual-<kind>.txt only on a mismatch. */
function golden(dir: string, expectedName: string, actualName: string, actual: string): void {
  const expectedPath = join(dir, expectedName);
  const actualPath = join(dir, actualName);
  if (UPDATE) writeFileSync(expectedPath, actual);
  const expected = existsSync(expectedPath) ? readFileSync(expectedPath, "utf8") : undefined;
  if (expected === actual) rmSync(actualPath, { force: true });
  else writeFileSync(actualPath, actual);
  expect(actual, `${expectedPath} (actual output written to ${actualPath})`).toBe(expected);
}

describe("golden scenarios", () => {
  it("has the scenarios the project relies on", () => {
    expect(scenarios).toEqual(
      expect.arrayContaining(["seed", "cross-namespace", "peer-and-vs-or", "ipblock-except", "named-ports", "endport-ranges", "egress-dns", "workload-kinds", "lists-and-multidoc", "unknown-kind"]),
    );
  });

  describe.each(scenarios)("%s", (name) => {
    const dir = join(ROOT, name);
    const manifests = join(dir, "manifests");

    it("analyze -o text", async () => {
      const r = await runCli(["analyze", "--manifests", manifests]);
      expect(r.code).toBe(0);
      golden(dir, "expected.txt", "actual-text.txt", r.stdout);
      const stderr = r.stderr.split(`${manifests}/`).join("");
      if (existsSync(join(dir, "expected-stderr.txt"))) golden(dir, "expected-stderr.txt", "actual-stderr.txt", stderr);
      else expect(stderr).toBe("");
    });

    it("analyze -o json, and it lists the same flows as the text", async () => {
      const r = await runCli(["analyze", "--manifests", manifests, "-o", "json"]);
      expect(r.code).toBe(0);
      golden(dir, "expected.json", "actual-json.txt", r.stdout);
      const records = JSON.parse(r.stdout) as { src: string; dst: string; conn: string }[];
      const text = readFileSync(join(dir, "expected.txt"), "utf8");
      expect(records.map((x) => `${x.src} => ${x.dst} : ${x.conn}\n`).join("")).toBe(text);
    });
  });
});

describe("examples/seed", () => {
  const example = fileURLToPath(new URL("../../examples/seed/", import.meta.url));

  it("is the seed scenario: the same manifests", () => {
    const yaml = (d: string) => readdirSync(d).filter((f) => f.endsWith(".yaml")).sort();
    const seed = join(ROOT, "seed", "manifests");
    expect(yaml(example)).toEqual(yaml(seed));
    for (const f of yaml(seed)) expect(readFileSync(join(example, f), "utf8"), f).toBe(readFileSync(join(seed, f), "utf8"));
  });

  it("prints the seed scenario's expected output", async () => {
    const r = await runCli(["analyze", "--manifests", example]);
    expect(r).toEqual({ code: 0, stdout: readFileSync(join(ROOT, "seed", "expected.txt"), "utf8"), stderr: "" });
  });
});
