/**
 * CLI conventions (kubectl's and netpol-analyzer's): `-o, --output FORMAT` and `--output-file`,
 * `--context` for a kubeconfig context and `--cluster-id` for a stored cluster everywhere, the old
 * spellings still working with a warning; reachable-from, several --focus, and history.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./runCli.js";

const SEED = fileURLToPath(new URL("../../examples/seed", import.meta.url));
const CROSS = fileURLToPath(new URL("../fixtures/scenarios/cross-namespace/manifests", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "kubereach-conventions-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("output options", () => {
  it("-o FORMAT and --output-file FILE, as kubectl", async () => {
    const r = await runCli(["analyze", "-m", SEED, "-o", "json", "--output-file", "flows.json"], { cwd: tmp });
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(JSON.parse(readFileSync(join(tmp, "flows.json"), "utf8"))).toContainEqual({ src: "default/frontend[Deployment]", dst: "default/backend[Deployment]", conn: "TCP 80" });
    expect((await runCli(["analyze", "-m", SEED, "--output", "csv"])).stdout).toMatch(/^src,dst,conn\r?\n/);
  });

  it("-o given a file name (its old meaning) says where the file option went; exit 2", async () => {
    const r = await runCli(["analyze", "-m", SEED, "-o", "out.json"], { cwd: tmp });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected one of text, json, csv, md, dot (-o is the output format, as in kubectl; write the result to a file with --output-file out.json).");
  });

  it("-f/--format still works, with a warning", async () => {
    const r = await runCli(["who-can-reach", "default/backend", "-m", SEED, "-f", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ src: "default/frontend[Deployment]", conn: "TCP 80" }]);
    expect(r.stderr).toBe("warning: -f/--format is deprecated: use -o/--output\n");
  });

  it("--cluster (a kubeconfig context in diff and findings) still works as --context, with a warning", async () => {
    const r = await runCli(["findings", "--cluster", "nope", "--kubeconfig", join(tmp, "missing-kubeconfig")]);
    expect(r.stderr).toContain("warning: --cluster is deprecated: use --context (the kubeconfig context)");
    expect(r.code).toBe(1); // the kubeconfig does not exist: the alias reached the cluster reader
  });
});

describe("reachable-from: the egress counterpart of who-can-reach", () => {
  it("lists what a workload may connect to, with a port filter", async () => {
    const r = await runCli(["reachable-from", "web/ui", "-m", CROSS]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toBe("0.0.0.0-255.255.255.255[External] : All Connections\napi/server[Deployment] : TCP 8080\n");
    const json = await runCli(["reachable-from", "api/server", "-m", CROSS, "--port", "5432", "-o", "json"]);
    expect(JSON.parse(json.stdout)).toEqual([{ dst: "db/postgres[StatefulSet]", conn: "TCP 5432" }]);
    const none = await runCli(["reachable-from", "api/server", "-m", CROSS, "--port", "80"]);
    expect(none).toMatchObject({ code: 0, stdout: "", stderr: "api/server[Deployment] can reach nothing on TCP 80\n" });
  });

  it("agrees with analyze: its rows are analyze's rows from that workload", async () => {
    const all = (await runCli(["analyze", "-m", CROSS])).stdout.split("\n").filter((l) => l.startsWith("db/postgres[StatefulSet] => "));
    const from = (await runCli(["reachable-from", "db/postgres", "-m", CROSS])).stdout.split("\n").filter(Boolean);
    expect(from).toEqual(all.map((l) => l.replace("db/postgres[StatefulSet] => ", "")));
  });
});

describe("analyze --focus with several workloads", () => {
  it("repeated or comma-separated: the flows from or to any of them", async () => {
    const repeated = await runCli(["analyze", "-m", CROSS, "--focus", "api/server", "--focus", "db/postgres"]);
    const commas = await runCli(["analyze", "-m", CROSS, "--focus", "api/server,db/postgres"]);
    expect(repeated.code).toBe(0);
    expect(commas.stdout).toBe(repeated.stdout);
    expect(repeated.stdout).toBe(
      ["api/server[Deployment] => db/postgres[StatefulSet] : TCP 5432", "db/postgres[StatefulSet] => 0.0.0.0-255.255.255.255[External] : All Connections", "db/postgres[StatefulSet] => web/ui[Deployment] : All Connections", "web/ui[Deployment] => api/server[Deployment] : TCP 8080", ""].join("\n"),
    );
  });
});

describe("history and audit verify on a store", () => {
  it("history lists the recorded changes (text and json, --policies, --kind); audit verify --cluster-id names an unknown cluster", async () => {
    const db = join(tmp, "db");
    expect((await runCli(["sync", "--once", "--data-dir", db, "--log-level", "silent"])).code).toBe(0);
    const text = await runCli(["history", "--data-dir", db]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ {4}1 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}CREATE {2}NetworkPolicy default\/backend-allow-frontend {2}via manifest\n$/);
    const json = JSON.parse((await runCli(["history", "--data-dir", db, "--policies", "-o", "json"])).stdout) as Array<{ seq: number; kind: string; hash: string }>;
    expect(json.map((r) => [r.seq, r.kind])).toEqual([[1, "NetworkPolicy"]]);
    expect(json[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    const pods = await runCli(["history", "--data-dir", db, "--kind", "pod"]);
    expect(pods).toMatchObject({ code: 0, stdout: "", stderr: "no recorded change in cluster example matches\n" });
    const unknown = await runCli(["audit", "verify", "--data-dir", db, "--cluster-id", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no cluster nope in pglite .* \(clusters: example\)/);
    const ok = await runCli(["audit", "verify", "--data-dir", db, "--cluster-id", "example"]);
    expect(ok.stdout).toMatch(/^cluster example: OK, 1 revision verified/);
    const old = await runCli(["audit", "verify", "--data-dir", db, "--cluster", "example"]);
    expect(old.stderr).toContain("warning: --cluster is deprecated here: use --cluster-id");
    expect(old.code).toBe(0);
  }, 180_000);
});
