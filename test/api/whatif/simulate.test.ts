/**
 * The simulate mutation and the findings query over real HTTP, against the real service syncing the
 * gates fixture (test/fixtures/diff/gates/base) into PGlite and PostgreSQL:
 * - simulate returns exactly the impact `kubereach diff` computes on the same two states, in every
 *   mode (policy changes, deletions by annotation, a changed workload), with the rules responsible
 *   and the rows grouped by namespace;
 * - nothing is written: no generation, no revision;
 * - a token scoped to shop may only touch shop and sees only shop's rows and findings;
 * - mutations pass CSRF prevention and the body limit, bad manifests are BAD_USER_INPUT.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/runCli.js";
import { API_BACKENDS } from "../helpers/backends.js";
import { gql, httpClient, ok, oneError, post } from "../helpers/graphql.js";
import type { Manifest } from "../helpers/manifests.js";
import { useTestService } from "../helpers/service.js";

const ROOT = fileURLToPath(new URL("../../fixtures/diff/", import.meta.url));
const BASE = join(ROOT, "gates", "base");
const HEAD_POLICIES = join(ROOT, "gates", "head", "policies.yaml");
const ADMIN = "admin-8f1d3a2e";
const SHOP_ONLY = "shop-1c4b9e07";
const MAX_BODY = 40_000;

const docs = (path: string): Manifest[] => parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS() as Manifest);
const files = () => ({ "workloads.yaml": docs(join(BASE, "workloads.yaml")), "policies.yaml": docs(join(BASE, "policies.yaml")) });

const CONN = "text";
const ENDPOINT = "display workload { namespace name kind } external { start end family }";
const CHANGE = `diffType src { ${ENDPOINT} } dst { ${ENDPOINT} } before { ${CONN} } after { ${CONN} } gained { ${CONN} } lost { ${CONN} }
  causes { effect direction policy { kind namespace name } policyChange rule connections { ${CONN} } text }`;
const SIMULATE = `mutation($m: String!, $mode: SimulationMode) { simulate(manifests: $m, mode: $mode) {
  cluster generation mode method policyChanges { policy { namespace name } change } gainedTotal lostTotal warnings
  changes { ${CHANGE} } namespaces { namespace gained { src { display } dst { display } } lost { src { display } dst { display } } } } }`;
const FINDINGS = `query($ns: String, $min: Severity) { findings(namespace: $ns, minSeverity: $min) { cluster generation findings { kind severity direction namespace message hint objects { kind namespace name field } } } }`;
const AUDIT = `{ auditLog(first: 500) { edges { node { seq } } } }`;

interface Change {
  diffType: "ADDED" | "REMOVED" | "CHANGED";
  src: { display: string };
  dst: { display: string };
  before: { text: string };
  after: { text: string };
  gained: { text: string };
  lost: { text: string };
  causes: { effect: string; direction: string; policy: { namespace: string; name: string } | null; policyChange: string | null; rule: string | null; text: string }[];
}
interface Simulation {
  cluster: string;
  generation: number;
  mode: string;
  method: string;
  policyChanges: { policy: { namespace: string; name: string }; change: string }[];
  gainedTotal: number;
  lostTotal: number;
  warnings: string[];
  changes: Change[];
  namespaces: { namespace: string; gained: { src: { display: string }; dst: { display: string } }[]; lost: { src: { display: string }; dst: { display: string } }[] }[];
}
interface FindingOut {
  kind: string;
  severity: string;
  namespace: string;
  objects: { kind: string; namespace: string; name: string; field: string | null }[];
}

/** The rows as `kubereach diff --format json` prints them. */
const asDiffRows = (s: Simulation) =>
  s.changes.map((c) => ({ diff_type: c.diffType.toLowerCase(), src: c.src.display, dst: c.dst.display, conn_before: c.before.text, conn_after: c.after.text }));

async function cliDiff(head: string, mode?: string): Promise<unknown[]> {
  const r = await runCli(["diff", "--base", BASE, "--head", head, ...(mode ? ["--mode", mode] : []), "-o", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown[];
}

const DELETE_AND_CHANGE = [
  "apiVersion: networking.k8s.io/v1",
  "kind: NetworkPolicy",
  "metadata: {name: default-deny, namespace: pay, annotations: {kubereach.io/delete: 'true'}}",
  "---",
  "apiVersion: networking.k8s.io/v1",
  "kind: NetworkPolicy",
  "metadata: {name: frontend-egress, namespace: shop}",
  "spec: {podSelector: {matchLabels: {app: frontend}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: backend}}}], ports: [{port: 80}]}]}",
  "",
].join("\n");

const SHOP_ONLY_CHANGE = [
  "apiVersion: networking.k8s.io/v1",
  "kind: NetworkPolicy",
  "metadata: {name: frontend-egress, namespace: shop}",
  "spec: {podSelector: {matchLabels: {app: frontend}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}}]}]}",
  "",
].join("\n");

describe.each(API_BACKENDS)("simulate and findings over HTTP on $name", (backend) => {
  const svc = useTestService(() => ({
    backend,
    name: "whatif",
    files: files(),
    tokens: [
      { name: "admin", token: ADMIN },
      { name: "shop-team", token: SHOP_ONLY, namespaces: ["shop"] },
    ],
    maxBodyBytes: MAX_BODY,
  }));
  const admin = () => httpClient(svc().graphqlUrl, ADMIN);
  const shop = () => httpClient(svc().graphqlUrl, SHOP_ONLY);
  const simulate = async (manifests: string, mode: string, client = admin()) => (await ok<{ simulate: Simulation }>(client, SIMULATE, { m: manifests, mode })).simulate;

  describe("the same impact as kubereach diff", () => {
    it("REPLACE_ALL with the head's policies: the rows of `diff --base --head`, with causes and per-namespace groups", async () => {
      const s = await simulate(readFileSync(HEAD_POLICIES, "utf8"), "REPLACE_ALL");
      expect(s.method).toBe("INCREMENTAL");
      expect(s.generation).toBe(svc().generation());
      expect(asDiffRows(s)).toEqual(await cliDiff(join(ROOT, "gates", "head")));
      expect(s.policyChanges.map((c) => `${c.change} ${c.policy.namespace}/${c.policy.name}`)).toEqual([
        "MODIFIED shop/backend-ingress",
        "MODIFIED shop/frontend-egress",
        "MODIFIED pay/api-ingress",
        "MODIFIED pay/default-deny",
        "ADDED shop/backend-egress",
      ]);
      expect(s.gainedTotal).toBe(5);
      expect(s.lostTotal).toBe(5);
      const changed = s.changes.find((c) => c.diffType === "CHANGED")!;
      expect(changed).toMatchObject({ src: { display: "shop/frontend[Deployment]" }, dst: { display: "shop/backend[Deployment]" }, gained: { text: "TCP 8080" }, lost: { text: "No Connections" } });
      expect(changed.causes.map((c) => `${c.effect} ${c.direction} ${c.policy?.name} ${c.policyChange} ${c.rule}`)).toEqual([
        "ADMITS EGRESS frontend-egress MODIFIED spec.egress[0]",
        "ADMITS INGRESS backend-ingress MODIFIED spec.ingress[0]",
      ]);
      const pay = s.namespaces.find((n) => n.namespace === "pay")!;
      expect(pay.lost.map((r) => `${r.src.display} => ${r.dst.display}`)).toEqual(["shop/backend[Deployment] => pay/api[Deployment]"]);
      expect(pay.gained.map((r) => `${r.src.display} => ${r.dst.display}`)).toEqual([
        "pay/api[Deployment] => shop/frontend[Deployment]",
        "pay/api[Deployment] => 0.0.0.0-255.255.255.255[External]",
        "shop/frontend[Deployment] => pay/api[Deployment]",
      ]);
    });

    it("APPLY with a deletion annotation: the rows of `diff --mode apply`", async () => {
      const s = await simulate(DELETE_AND_CHANGE, "APPLY");
      expect(s.policyChanges.map((c) => c.change)).toEqual(["MODIFIED", "DELETED"]);
      expect(asDiffRows(s)).toEqual(await cliDiffOf(DELETE_AND_CHANGE, "apply"));
      expect(s.changes.length).toBeGreaterThan(0);
    });

    it("a deletion of a policy the base does not have: a warning naming its kind, namespace and name; no change", async () => {
      const typo = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-denyy, namespace: pay, annotations: {kubereach.io/delete: 'true'}}\n";
      const s = await simulate(typo, "APPLY");
      expect(s.policyChanges).toEqual([]);
      expect(s.changes).toEqual([]);
      expect(s.warnings).toEqual([
        "warning: NetworkPolicy pay/default-denyy: metadata.annotations[kubereach.io/delete]: the proposal deletes NetworkPolicy pay/default-denyy, which the base state does not have: nothing is deleted (check the kind, namespace and name)",
      ]);
      // A deletion that matches draws no warning.
      expect((await simulate(DELETE_AND_CHANGE, "APPLY")).warnings).toEqual([]);
    });

    it("REPLACE_NAMESPACE: the policies of the namespaces mentioned go when not given", async () => {
      const ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {team: b}}\n";
      const s = await simulate(ns, "REPLACE_NAMESPACE");
      expect(s.policyChanges.map((c) => `${c.change} ${c.policy.name}`)).toEqual(["DELETED api-ingress", "DELETED default-deny"]);
      expect(asDiffRows(s)).toEqual(await cliDiffOf(ns, "replace-namespace"));
    });

    it("a changed workload: the full recomputation, the rows of `diff --mode apply`", async () => {
      const workload =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: frontend, namespace: shop}\nspec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web}]}}}\n";
      const s = await simulate(workload, "APPLY");
      expect(s.method).toBe("FULL");
      expect(asDiffRows(s)).toEqual(await cliDiffOf(workload, "apply"));
      expect(s.changes.some((c) => c.causes.some((x) => x.effect === "WORLD_CHANGE"))).toBe(true);
    });

    it("a new workload: its new external row names the policy rule that admits it", async () => {
      const workload =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: frontend2, namespace: shop}\nspec: {selector: {matchLabels: {app: frontend}}, template: {metadata: {labels: {app: frontend}}, spec: {containers: [{name: web, image: web}]}}}\n";
      const s = await simulate(workload, "APPLY");
      const row = s.changes.find((c) => c.src.display === "shop/frontend2[Deployment]" && c.dst.display === "203.0.113.0-203.0.113.255[External]")!;
      expect(row).toMatchObject({ diffType: "ADDED", gained: { text: "TCP 443" } });
      expect(row.causes.map((c) => `${c.effect} ${c.direction} ${c.policy?.namespace}/${c.policy?.name} ${c.policyChange} ${c.rule}`)).toEqual(["ADMITS EGRESS shop/frontend-egress null spec.egress[1]"]);
      expect(asDiffRows(s)).toEqual(await cliDiffOf(workload, "apply"));
    });

    it("nothing is written: the generation, the history and later answers are unchanged", async () => {
      const generation = svc().generation();
      const audit = (await ok<{ auditLog: { edges: unknown[] } }>(admin(), AUDIT)).auditLog.edges.length;
      await simulate(readFileSync(HEAD_POLICIES, "utf8"), "REPLACE_ALL");
      await simulate(DELETE_AND_CHANGE, "APPLY");
      expect(svc().generation()).toBe(generation);
      expect((await ok<{ auditLog: { edges: unknown[] } }>(admin(), AUDIT)).auditLog.edges.length).toBe(audit);
      // The stored state is still the base: simulating the base itself changes nothing.
      const same = await simulate(readFileSync(join(BASE, "policies.yaml"), "utf8"), "REPLACE_ALL");
      expect(same.changes).toEqual([]);
      expect(same.policyChanges).toEqual([]);
    });
  });

  describe("scope", () => {
    it("a shop token may change shop, and sees only the rows whose workloads are in shop", async () => {
      const all = await simulate(SHOP_ONLY_CHANGE, "APPLY");
      const scoped = await simulate(SHOP_ONLY_CHANGE, "APPLY", shop());
      expect(all.changes.some((c) => /pay\//.test(c.src.display + c.dst.display))).toBe(true);
      expect(scoped.changes.length).toBeGreaterThan(0);
      expect(scoped.changes.filter((c) => /pay\//.test(c.src.display + c.dst.display))).toEqual([]);
      expect(scoped.changes).toEqual(all.changes.filter((c) => !/pay\//.test(c.src.display + c.dst.display)));
      expect(scoped.namespaces.map((n) => n.namespace)).toEqual(["shop"]);
    });

    it("a shop token may not touch pay, delete there, or REPLACE_ALL: FORBIDDEN, nothing computed", async () => {
      const pay = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: pay}\nspec: {podSelector: {}}\n";
      const del = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: pay, annotations: {kubereach.io/delete: 'true'}}\n";
      for (const [m, mode, pattern] of [
        [pay, "APPLY", /outside this token's scope: pay/],
        [del, "APPLY", /outside this token's scope: pay/],
        [SHOP_ONLY_CHANGE, "REPLACE_ALL", /REPLACE_ALL .* needs a token for all namespaces/],
      ] as const) {
        const e = await oneError(shop(), SIMULATE, { m, mode });
        expect(e.extensions?.["code"]).toBe("FORBIDDEN");
        expect(e.message).toMatch(pattern);
      }
    });

    it("findings: the shop token sees the findings whose objects are all in shop", async () => {
      const all = (await ok<{ findings: { findings: FindingOut[] } }>(admin(), FINDINGS, {})).findings.findings;
      const scoped = (await ok<{ findings: { findings: FindingOut[] } }>(shop(), FINDINGS, {})).findings.findings;
      const inShop = (f: FindingOut) => f.objects.every((o) => (o.kind === "Namespace" ? o.name === "shop" : o.namespace === "shop"));
      expect(all.some((f) => !inShop(f))).toBe(true);
      expect(scoped).toEqual(all.filter(inShop));
      expect(scoped.length).toBeGreaterThan(0);
      expect((await ok<{ findings: { findings: FindingOut[] } }>(shop(), FINDINGS, { ns: "pay" })).findings.findings).toEqual([]);
    });
  });

  describe("findings", () => {
    it("lists the generation's findings, most severe first, filtered by namespace and severity", async () => {
      const r = (await ok<{ findings: { generation: number; findings: FindingOut[] } }>(admin(), FINDINGS, {})).findings;
      expect(r.generation).toBe(svc().generation());
      expect(r.findings.map((f) => `${f.severity} ${f.kind} ${f.namespace}`)).toEqual([
        "MEDIUM INGRESS_NOT_ISOLATED shop",
        "MEDIUM NAMESPACE_WITHOUT_DEFAULT_DENY shop",
        "MEDIUM PEER_MATCHES_NOTHING pay",
        "LOW EGRESS_NOT_ISOLATED shop",
        "LOW NAMESPACE_WITHOUT_DEFAULT_DENY shop",
      ]);
      const cli = await runCli(["findings", "-m", BASE, "-o", "json"]);
      expect((JSON.parse(cli.stdout) as FindingOut[]).map((f) => `${f.severity.toUpperCase()} ${f.kind} ${f.namespace}`)).toEqual(r.findings.map((f) => `${f.severity} ${f.kind} ${f.namespace}`));
      const medium = (await ok<{ findings: { findings: FindingOut[] } }>(admin(), FINDINGS, { min: "MEDIUM" })).findings.findings;
      expect(medium.map((f) => f.severity)).toEqual(["MEDIUM", "MEDIUM", "MEDIUM"]);
      const pay = (await ok<{ findings: { findings: FindingOut[] } }>(admin(), FINDINGS, { ns: "pay" })).findings.findings;
      expect(pay).toEqual([
        {
          kind: "PEER_MATCHES_NOTHING",
          severity: "MEDIUM",
          direction: "INGRESS",
          namespace: "pay",
          message: "NetworkPolicy pay/api-ingress spec.ingress[0].from[2] (any pod in namespaces matching team=legacy) matches nothing: its namespaceSelector team=legacy matches no namespace",
          hint: "fix the selector labels (namespaces carry kubernetes.io/metadata.name=<name>), or remove the peer",
          objects: [{ kind: "NetworkPolicy", namespace: "pay", name: "api-ingress", field: "spec.ingress[0].from[2]" }],
        },
      ]);
    });
  });

  describe("request rules", () => {
    it("bad manifests are BAD_USER_INPUT naming the problem; manifests with nothing kubereach reads too", async () => {
      const bad = await oneError(admin(), SIMULATE, { m: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec: {policyTypes: [Up]}\n", mode: "APPLY" });
      expect(bad.extensions?.["code"]).toBe("BAD_USER_INPUT");
      expect(bad.message).toMatch(/1 error in the manifests: .*spec\.policyTypes\[0\]/);
      const syntax = await oneError(admin(), SIMULATE, { m: "kind: [", mode: "APPLY" });
      expect(syntax.extensions?.["code"]).toBe("BAD_USER_INPUT");
      const nothing = await oneError(admin(), SIMULATE, { m: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", mode: "APPLY" });
      expect(nothing.message).toMatch(/no object kubereach reads/);
    });

    it("the mutation needs a JSON POST (CSRF prevention); GET is refused even with a preflight header", async () => {
      const body = JSON.stringify({ query: SIMULATE, variables: { m: SHOP_ONLY_CHANGE, mode: "APPLY" } });
      const auth = { authorization: `Bearer ${ADMIN}` };
      const plain = await post(svc().graphqlUrl, body, { ...auth, "content-type": "text/plain" });
      expect(plain.status).toBe(400);
      expect(plain.body).toMatch(/Cross-Site Request Forgery/);
      const url = `${svc().graphqlUrl}?query=${encodeURIComponent(SIMULATE)}&variables=${encodeURIComponent(JSON.stringify({ m: SHOP_ONLY_CHANGE }))}`;
      expect((await fetch(url, { headers: auth })).status).toBe(400);
      const preflighted = await fetch(url, { headers: { ...auth, "apollo-require-preflight": "true" } });
      expect(preflighted.status).toBe(405);
      expect(await preflighted.text()).toMatch(/GET requests only support query operations/);
      const noToken = await post(svc().graphqlUrl, body);
      expect(noToken.status).toBe(401);
    });

    it("manifests over the body limit are refused (413)", async () => {
      const big = `# ${"x".repeat(MAX_BODY)}\n${SHOP_ONLY_CHANGE}`;
      const r = await gql(admin(), SIMULATE, { m: big, mode: "APPLY" });
      expect(r.status).toBe(413);
    });
  });
});

/** `kubereach diff --base BASE --head <proposal> --mode <mode>`, the proposal written to a temporary file. */
async function cliDiffOf(manifests: string, mode: string): Promise<unknown[]> {
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "kubereach-simulate-"));
  try {
    const file = join(dir, "proposal.yaml");
    writeFileSync(file, manifests);
    return await cliDiff(file, mode);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
