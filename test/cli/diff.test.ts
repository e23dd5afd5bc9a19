/**
 * `kubereach diff`: the golden diff of two trees (test/fixtures/diff/gates: every kind of row, with
 * the rules responsible), each --fail-on rule on it (the rows that trip it) and on two changes that
 * must not trip it (quiet: one same-namespace removal; noop: the same policies spelled
 * differently), the formats, the what-if modes with deletions, and a live cluster as the base.
 * UPDATE_GOLDEN=1 rewrites expected.txt.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAIL_ON_RULES, type FailOnRule } from "../../src/engine/index.js";
import { FakeKubeApi, namespace as kubeNamespace, networkPolicy as kubePolicy, pod as kubePod } from "../helpers/fakeKubeApi.js";
import { TempKubeconfig } from "../sync/kube/helpers.js";
import { runCli } from "./runCli.js";

const ROOT = fileURLToPath(new URL("../fixtures/diff/", import.meta.url));
const UPDATE = process.env["UPDATE_GOLDEN"] === "1";
const BASE = join(ROOT, "gates", "base");
const HEAD = join(ROOT, "gates", "head");
const QUIET = join(ROOT, "quiet", "head");
const NOOP = join(ROOT, "noop", "head");

function golden(path: string, actual: string): void {
  const actualPath = path.replace(/expected\.txt$/, "actual-text.txt");
  if (UPDATE) writeFileSync(path, actual);
  const expected = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (expected === actual) rmSync(actualPath, { force: true });
  else writeFileSync(actualPath, actual);
  expect(actual, `${path} (actual output written to ${actualPath})`).toBe(expected);
}

const diff = (...args: string[]) => runCli(["diff", ...args]);

/** The rows of the gates change that trip each rule (the golden of --fail-on). */
const TRIPS: Readonly<Record<FailOnRule, readonly string[]>> = {
  "added-any": [
    "+ pay/api[Deployment] => shop/frontend[Deployment] : All Connections",
    "+ pay/api[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
    "+ shop/frontend[Deployment] => pay/api[Deployment] : TCP 8443",
    "~ shop/frontend[Deployment] => shop/backend[Deployment] : TCP 80 -> TCP 80,8080",
    "+ 198.51.100.0-198.51.100.255[External] => shop/backend[Deployment] : TCP 443",
  ],
  "removed-any": [
    "- shop/backend[Deployment] => pay/api[Deployment] : TCP 8443",
    "- shop/backend[Deployment] => shop/frontend[Deployment] : All Connections",
    "- shop/backend[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
    "- shop/frontend[Deployment] => 203.0.113.0-203.0.113.255[External] : TCP 443",
    "- 192.0.2.0-192.0.2.255[External] => shop/backend[Deployment] : TCP 80",
  ],
  "changed-any": [
    "+ pay/api[Deployment] => shop/frontend[Deployment] : All Connections",
    "+ pay/api[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
    "- shop/backend[Deployment] => pay/api[Deployment] : TCP 8443",
    "- shop/backend[Deployment] => shop/frontend[Deployment] : All Connections",
    "- shop/backend[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
    "+ shop/frontend[Deployment] => pay/api[Deployment] : TCP 8443",
    "~ shop/frontend[Deployment] => shop/backend[Deployment] : TCP 80 -> TCP 80,8080",
    "- shop/frontend[Deployment] => 203.0.113.0-203.0.113.255[External] : TCP 443",
    "- 192.0.2.0-192.0.2.255[External] => shop/backend[Deployment] : TCP 80",
    "+ 198.51.100.0-198.51.100.255[External] => shop/backend[Deployment] : TCP 443",
  ],
  "added-external-ingress": ["+ 198.51.100.0-198.51.100.255[External] => shop/backend[Deployment] : TCP 443"],
  "added-external-egress": ["+ pay/api[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections"],
  "added-cross-namespace": ["+ pay/api[Deployment] => shop/frontend[Deployment] : All Connections", "+ shop/frontend[Deployment] => pay/api[Deployment] : TCP 8443"],
  "added-same-namespace": ["~ shop/frontend[Deployment] => shop/backend[Deployment] : TCP 80 -> TCP 80,8080"],
  "added-all-connections": ["+ pay/api[Deployment] => shop/frontend[Deployment] : All Connections", "+ pay/api[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections"],
  "removed-external-ingress": ["- 192.0.2.0-192.0.2.255[External] => shop/backend[Deployment] : TCP 80"],
  "removed-external-egress": [
    "- shop/backend[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
    "- shop/frontend[Deployment] => 203.0.113.0-203.0.113.255[External] : TCP 443",
  ],
  "removed-cross-namespace": ["- shop/backend[Deployment] => pay/api[Deployment] : TCP 8443"],
  "removed-same-namespace": ["- shop/backend[Deployment] => shop/frontend[Deployment] : All Connections"],
};

/** The rows a --fail-on report lists. */
const reported = (stderr: string) =>
  stderr
    .split("\n")
    .filter((l) => /^ {4}[+~-] /.test(l))
    .map((l) => l.trim());

describe("diff of two trees", () => {
  it("text: the golden diff, each row with the rules responsible", async () => {
    const r = await diff("--base", BASE, "--head", HEAD);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    golden(join(ROOT, "gates", "expected.txt"), r.stdout);
  });

  it("json: rows {diff_type, src, dst, conn_before, conn_after}, the same rows as the text", async () => {
    const r = await diff("--base", BASE, "--head", HEAD, "-o", "json");
    const rows = JSON.parse(r.stdout) as Record<string, string>[];
    for (const row of rows) expect(Object.keys(row)).toEqual(["diff_type", "src", "dst", "conn_before", "conn_after"]);
    expect(rows.find((x) => x["diff_type"] === "changed")).toEqual({
      diff_type: "changed",
      src: "shop/frontend[Deployment]",
      dst: "shop/backend[Deployment]",
      conn_before: "TCP 80",
      conn_after: "TCP 80,8080",
    });
    const mark = { added: "+", removed: "-", changed: "~" } as Record<string, string>;
    const asText = rows.map((x) => `${mark[x["diff_type"]!]} ${x["src"]} => ${x["dst"]} : ${x["diff_type"] === "added" ? x["conn_after"] : x["diff_type"] === "removed" ? x["conn_before"] : `${x["conn_before"]} -> ${x["conn_after"]}`}`);
    expect(asText).toEqual(TRIPS["changed-any"]);
  });

  it("json --explain adds the rules responsible; csv and md have the same columns", async () => {
    const r = await diff("--base", BASE, "--head", HEAD, "-o", "json", "--explain");
    const rows = JSON.parse(r.stdout) as { explanation: string[] }[];
    expect(rows.every((x) => x.explanation.length > 0)).toBe(true);
    const csv = await diff("--base", BASE, "--head", HEAD, "-o", "csv");
    expect(csv.stdout.split("\r\n")[0]).toBe("diff_type,src,dst,conn_before,conn_after");
    expect(csv.stdout.split("\r\n")[1]).toBe("added,pay/api[Deployment],shop/frontend[Deployment],No Connections,All Connections");
    const md = await diff("--base", BASE, "--head", HEAD, "-o", "md", "--explain");
    expect(md.stdout.split("\n")[0]).toBe("| diff_type | src | dst | conn_before | conn_after | explanation |");
  });

  it("the same policies spelled differently: no change in connectivity", async () => {
    const r = await diff("--base", BASE, "--head", NOOP);
    expect(r.stdout).toBe("no change in connectivity\n");
  });
});

describe("--fail-on", () => {
  it.each(FAIL_ON_RULES)("%s trips on the gates change with exactly its rows, and exits 1", async (rule) => {
    const r = await diff("--base", BASE, "--head", HEAD, "--fail-on", rule);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe("kubereach diff: 1 --fail-on rule tripped:");
    expect(r.stderr).toContain(`  ${rule} (`);
    expect(reported(r.stderr)).toEqual(TRIPS[rule]);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(`error: the change trips --fail-on ${rule}`);
    // The diff itself is still printed.
    expect(r.stdout).toContain("10 connectivity changes");
  });

  it.each(FAIL_ON_RULES)("%s: on a same-namespace removal, only removed-any, changed-any and removed-same-namespace trip", async (rule) => {
    const r = await diff("--base", BASE, "--head", QUIET, "--fail-on", rule);
    const trips = rule === "removed-any" || rule === "changed-any" || rule === "removed-same-namespace";
    expect(r.code, r.stderr).toBe(trips ? 1 : 0);
    expect(reported(r.stderr)).toEqual(trips ? ["- shop/frontend[Deployment] => shop/backend[Deployment] : TCP 80"] : []);
  });

  it("nothing trips when nothing changes, even changed-any", async () => {
    const r = await diff("--base", BASE, "--head", NOOP, "--fail-on", FAIL_ON_RULES.join(","));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  });

  it("several rules: a report per tripped rule, in the order given", async () => {
    const r = await diff("--base", BASE, "--head", QUIET, "--fail-on", "added-external-ingress,removed-same-namespace,removed-any");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        "kubereach diff: 2 --fail-on rules tripped:",
        "  removed-same-namespace (a row between two workloads of one namespace loses connections): 1 row",
        "    - shop/frontend[Deployment] => shop/backend[Deployment] : TCP 80",
        "  removed-any (any row loses connections (a pair cut off, or fewer ports)): 1 row",
        "    - shop/frontend[Deployment] => shop/backend[Deployment] : TCP 80",
        "error: the change trips --fail-on removed-same-namespace, removed-any",
        "",
      ].join("\n"),
    );
  });

  it("an unknown rule is a usage error (exit 2) listing the vocabulary; --help documents every rule", async () => {
    const r = await diff("--base", BASE, "--head", HEAD, "--fail-on", "added-everything");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown rule added-everything; known: added-any, removed-any");
    const help = await diff("--help");
    for (const rule of FAIL_ON_RULES) expect(help.stdout).toContain(`  ${rule} `);
  });

  it("usage errors: no base, two bases, --kubeconfig without --cluster, no --head", async () => {
    for (const args of [["--head", HEAD], ["--base", BASE, "--context", "c", "--head", HEAD], ["--base", BASE, "--kubeconfig", "k", "--head", HEAD], ["--base", BASE]]) {
      const r = await diff(...args);
      expect(r.code, args.join(" ")).toBe(2);
    }
  });
});

describe("--mode: a proposal applied to the base", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kubereach-diff-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const rows = async (...args: string[]) => {
    const r = await diff(...args, "-o", "json");
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as unknown[];
  };

  it("replace-all with the head's policies is the diff of the two trees", async () => {
    expect(await rows("--base", BASE, "--head", join(HEAD, "policies.yaml"), "--mode", "replace-all")).toEqual(await rows("--base", BASE, "--head", HEAD));
  });

  it("apply: upserts, and deletes what is annotated kubereach.io/delete", async () => {
    const proposal = write(
      "apply.yaml",
      [
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata: {name: default-deny, namespace: pay, annotations: {kubereach.io/delete: 'true'}}",
        "---",
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata: {name: frontend-egress, namespace: shop}",
        "spec: {podSelector: {matchLabels: {app: frontend}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: backend}}}], ports: [{port: 80}]}]}",
        "",
      ].join("\n"),
    );
    // The same state as a complete tree.
    const tree = join(dir, "apply-tree");
    cpSync(BASE, tree, { recursive: true });
    const policies = readFileSync(join(tree, "policies.yaml"), "utf8").split("\n---\n");
    const kept = policies.filter((p) => !p.includes("name: default-deny") && !p.includes("name: frontend-egress"));
    writeFileSync(join(tree, "policies.yaml"), [...kept, readFileSync(proposal, "utf8").split("---\n")[1]!].join("\n---\n"));
    const applied = await rows("--base", BASE, "--head", proposal, "--mode", "apply");
    expect(applied).toEqual(await rows("--base", BASE, "--head", tree));
    expect(applied.length).toBeGreaterThan(0);
    const text = await diff("--base", BASE, "--head", proposal, "--mode", "apply");
    expect(text.stdout.split("\n")[0]).toBe("policies: modified NetworkPolicy shop/frontend-egress, deleted NetworkPolicy pay/default-deny");
  });

  it("replace-namespace deletes the policies of the namespaces the proposal mentions, and only those", async () => {
    // Mentions pay only, with no policy at all: pay's policies go, shop's stay.
    const proposal = write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {team: b}}\n");
    const text = await diff("--base", BASE, "--head", proposal, "--mode", "replace-namespace");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split("\n")[0]).toBe("policies: deleted NetworkPolicy pay/api-ingress, deleted NetworkPolicy pay/default-deny");
    const applied = await diff("--base", BASE, "--head", proposal, "--mode", "apply");
    expect(applied.stdout).toBe("no change in connectivity\n");
  });

  it("a changed workload is a full recomputation, and it is the diff of the two trees", async () => {
    const proposal = write(
      "workload.yaml",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: frontend, namespace: shop}\nspec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web}]}}}\n",
    );
    const tree = join(dir, "workload-tree");
    cpSync(BASE, tree, { recursive: true });
    // The frontend Deployment's labels (selector and template) become app=web.
    const workloads = readFileSync(join(tree, "workloads.yaml"), "utf8").split("---\n");
    writeFileSync(join(tree, "workloads.yaml"), workloads.map((d) => (d.includes("name: frontend") ? d.replaceAll("app: frontend", "app: web") : d)).join("---\n"));
    const verbose = await diff("--base", BASE, "--head", proposal, "--mode", "apply", "--verbose");
    expect(verbose.stderr).toContain("full what-if");
    const applied = await rows("--base", BASE, "--head", proposal, "--mode", "apply");
    expect(applied).toEqual(await rows("--base", BASE, "--head", tree));
    expect(applied).toContainEqual({ diff_type: "removed", src: "shop/frontend[Deployment]", dst: "shop/backend[Deployment]", conn_before: "TCP 80", conn_after: "No Connections" });
  });

  it("a deletion of an object the base does not have is a warning naming it, not a silent no-op", async () => {
    const proposal = write(
      "missing.yaml",
      [
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata: {name: default-denyy, namespace: pay, annotations: {kubereach.io/delete: 'true'}}",
        "---",
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: {name: frontend, namespace: shopp, annotations: {kubereach.io/delete: 'true'}}",
        "---",
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata: {name: api-ingress, namespace: pay, annotations: {kubereach.io/delete: 'true'}}",
        "",
      ].join("\n"),
    );
    const r = await diff("--base", BASE, "--head", proposal, "--mode", "apply");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      "warning: NetworkPolicy pay/default-denyy: metadata.annotations[kubereach.io/delete]: the proposal deletes NetworkPolicy pay/default-denyy, which the base state does not have: nothing is deleted (check the kind, namespace and name)",
      "warning: Deployment shopp/frontend: metadata.annotations[kubereach.io/delete]: the proposal deletes Deployment shopp/frontend, which the base state does not have: nothing is deleted (check the kind, namespace and name)",
    ]);
    // The deletion that matches (pay/api-ingress) is made and named, and draws no warning.
    expect(r.stdout.split("\n")[0]).toBe("policies: deleted NetworkPolicy pay/api-ingress");
  });

  it("a new workload's rows name the rules that admit them, a new external row included", async () => {
    const proposal = write(
      "new-workload.yaml",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: frontend2, namespace: shop}\nspec: {selector: {matchLabels: {app: frontend}}, template: {metadata: {labels: {app: frontend}}, spec: {containers: [{name: web, image: web}]}}}\n",
    );
    const r = await diff("--base", BASE, "--head", proposal, "--mode", "apply", "-o", "json", "--explain");
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { src: string; dst: string; diff_type: string; conn_after: string; explanation: string[] }[];
    const external = rows.find((x) => x.src === "shop/frontend2[Deployment]" && x.dst === "203.0.113.0-203.0.113.255[External]");
    expect(external).toMatchObject({ diff_type: "added", conn_after: "TCP 443" });
    expect(external!.explanation).toEqual([
      "shop/frontend2[Deployment] is new: NetworkPolicy shop/frontend-egress spec.egress[1] admits TCP 443 to ipBlock 203.0.113.0/24 (ports: TCP 443)",
    ]);
    const toBackend = rows.find((x) => x.src === "shop/frontend2[Deployment]" && x.dst === "shop/backend[Deployment]");
    expect(toBackend!.explanation).toEqual([
      "shop/frontend2[Deployment] is new: NetworkPolicy shop/frontend-egress spec.egress[0] admits TCP 80 to pods matching app=backend in namespace shop (ports: TCP 80)",
      "shop/frontend2[Deployment] is new: NetworkPolicy shop/backend-ingress spec.ingress[0] admits TCP 80 from pods matching app=frontend in namespace shop (ports: TCP 80)",
    ]);
    // Nothing isolates the new workload for ingress: no rule to name, the row says why it changed.
    const fromOutside = rows.find((x) => x.src === "0.0.0.0-255.255.255.255[External]" && x.dst === "shop/frontend2[Deployment]");
    expect(fromOutside!.explanation).toEqual(["shop/frontend2[Deployment] is new: pods, labels or namespaces changed"]);
  });

  it("errors in the proposal fail the command (exit 1) unless --skip-invalid", async () => {
    const proposal = write("bad.yaml", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Sideways]}\n");
    const r = await diff("--base", BASE, "--head", proposal, "--mode", "apply");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: NetworkPolicy shop/x: spec.policyTypes[0]");
    const skipped = await diff("--base", BASE, "--head", proposal, "--mode", "apply", "--skip-invalid");
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toBe("no change in connectivity\n");
  });
});

describe("--cluster: the live cluster as the base", () => {
  let api: FakeKubeApi;
  let kubeconfig: TempKubeconfig;
  let tree: string;
  beforeAll(async () => {
    api = await FakeKubeApi.create();
    // The base tree as a cluster: namespaces, bare pods (with IPs), the base policies.
    api.upsert(kubeNamespace("shop", { team: "a" }));
    api.upsert(kubeNamespace("pay", { team: "b" }));
    const pods = [
      kubePod({ namespace: "shop", name: "frontend", labels: { app: "frontend" }, ip: "10.0.0.10" }),
      kubePod({ namespace: "shop", name: "backend", labels: { app: "backend" }, ip: "10.0.0.11", ports: [{ name: "http", containerPort: 80 }] }),
      kubePod({ namespace: "pay", name: "api", labels: { app: "api" }, ip: "10.0.1.10", ports: [{ name: "https", containerPort: 8443 }] }),
    ];
    for (const p of pods) api.upsert(p);
    const { parseAllDocuments } = await import("yaml");
    const policies = parseAllDocuments(readFileSync(join(BASE, "policies.yaml"), "utf8")).map((d) => d.toJS() as { metadata: { name: string; namespace: string }; spec: Record<string, unknown> });
    for (const p of policies) api.upsert(kubePolicy({ namespace: p.metadata.namespace, name: p.metadata.name, spec: p.spec }));
    kubeconfig = new TempKubeconfig(api.url, { context: "fake" });
    // The same state as manifests.
    tree = mkdtempSync(join(tmpdir(), "kubereach-diff-cluster-"));
    const { stringify } = await import("yaml");
    writeFileSync(join(tree, "all.yaml"), [kubeNamespace("shop", { team: "a" }), kubeNamespace("pay", { team: "b" }), ...pods].map((o) => stringify(o)).join("---\n"));
    cpSync(join(BASE, "policies.yaml"), join(tree, "policies.yaml"));
  });
  afterAll(async () => {
    kubeconfig.remove();
    rmSync(tree, { recursive: true, force: true });
    await api.stop();
  });

  it("lists the cluster once and applies --head to it (apply by default): as with the same state in manifests", async () => {
    const proposal = join(HEAD, "policies.yaml");
    const live = await diff("--context", "fake", "--kubeconfig", kubeconfig.path, "--head", proposal, "--fail-on", "added-external-ingress");
    const files = await diff("--base", tree, "--head", proposal, "--mode", "apply", "--fail-on", "added-external-ingress");
    expect(live.stderr).toBe(files.stderr);
    expect(live.stdout).toBe(files.stdout);
    expect(live.code).toBe(1);
    expect(live.stdout).toContain("+ 198.51.100.0-198.51.100.255[External] => shop/backend[Pod] : TCP 443");
    expect(api.requests.filter((q) => q.type === "list").length).toBeGreaterThanOrEqual(3);
  });

  it("a cluster that never answers times out (exit 1) with what it waited for", async () => {
    await api.stop();
    try {
      const r = await diff("--context", "fake", "--kubeconfig", kubeconfig.path, "--head", HEAD, "--timeout", "1");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no complete listing of cluster fake .* within 1 s/);
    } finally {
      await api.start();
    }
  });
});
