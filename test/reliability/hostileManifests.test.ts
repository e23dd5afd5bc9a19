/**
 * Hostile manifest files against a real `kubereach serve --manifests <dir> --watch` on PostgreSQL
 * (issue 12 item 1): a self-referencing anchor, an alias amplification, a file over the size bound.
 * Each one must leave the process alive and serving the last good state, be reported in
 * syncStatus.errors naming the file and in a warning log line, and lose nothing: once the file is
 * fixed the next edit is applied. A restart with the bad file present, and `analyze` on it, end in
 * a validation message (exit 1), never an internal error or a stack trace.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestDatabase } from "./helpers/database.js";
import { eventually, KubereachProcess, killAll } from "./helpers/process.js";
import { gql, startReplica, waitReady, WHO_CAN_REACH, whoCanReachLines, type Replica, type WhoCanReachAnswer } from "./helpers/serve.js";

const CLUSTER = "hostile";
const SEED = new URL("../../examples/seed", import.meta.url).pathname;
const TARGET = { t: { namespace: "default", name: "backend" } };
const STATUS = `{ syncStatus { cluster errors } }`;

interface StatusAnswer {
  syncStatus: { cluster: string; errors: string[] }[];
}

const CYCLE = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: loop, namespace: default}\nspec: &s {podSelector: {}, loop: *s}\n";
const POLICY = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: backend-allow-frontend, namespace: default}\nspec:\n  podSelector: {matchLabels: {app: backend}}\n  policyTypes: [Ingress]\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 80}]\n";
const ANP_NETWORKS_INGRESS =
  "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: deny-net}\nspec:\n  priority: 10\n  subject: {namespaces: {}}\n  ingress:\n  - action: Deny\n    from: [{networks: [10.0.0.0/8]}]\n";
/** 999 aliases of a 60,000-item list: 120 KB of text standing for 60 million nodes. */
const AMPLIFIED = `kind: ConfigMap\nmetadata: {name: big, namespace: default}\ndata:\n  a: &a [${Array(60_000).fill("1").join(",")}]\n  b: [${Array(999).fill("*a").join(",")}]\n`;

describe("serve --manifests --watch with hostile files", () => {
  let db: TestDatabase;
  let dir: string;
  let tree: string;
  let replica: Replica | undefined;

  beforeAll(async () => {
    db = await TestDatabase.create("input_hostile"); // fails (not skips) when PostgreSQL is down
    dir = mkdtempSync(join(tmpdir(), "kubereach-hostile-"));
    tree = join(dir, "tree");
    cpSync(SEED, tree, { recursive: true });
  });

  afterAll(async () => {
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  const errors = async (r: Replica) => (await gql<StatusAnswer>(r, STATUS)).syncStatus.flatMap((s) => s.errors);
  const healthz = async (r: Replica) => (await fetch(`${r.url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status;

  it("keeps serving the last good state, reports each bad file by name, and applies the next good edit", async () => {
    replica = await startReplica("watch", ["--manifests", tree, "--watch", "--database-url", db.url, "--cluster-id", CLUSTER]);
    const r = replica;
    await waitReady(r);
    const good = whoCanReachLines(await gql<WhoCanReachAnswer>(r, WHO_CAN_REACH, TARGET));
    expect(good.some((l) => l.includes("frontend") && l.includes("TCP 80"))).toBe(true);

    const attacks: { name: string; text: string; expect: RegExp }[] = [
      { name: "cycle.yaml", text: CYCLE, expect: /cycle\.yaml#0.*alias \*s refers to its own anchor/ },
      { name: "amplified.yaml", text: AMPLIFIED, expect: /amplified\.yaml#0.*more than 4,000,000 YAML nodes once aliases are expanded/ },
      { name: "huge.yaml", text: `# ${"x".repeat(9 * 1024 * 1024)}\n`, expect: /huge\.yaml.*larger than 8 MiB/ },
      // Item 4: edits Kubernetes would refuse; the policy must not vanish (its pods would become wide open).
      { name: "backend-allow-frontend.yaml", text: POLICY.replace("port: 80", "port: 70000"), expect: /backend-allow-frontend\.yaml#0: error: NetworkPolicy default\/backend-allow-frontend: spec\.ingress\[0\]\.ports\[0\]\.port: .*70000/ },
      { name: "backend-allow-frontend.yaml", text: POLICY.replace("podSelector: {matchLabels: {app: frontend}}", "podSelector: {matchExpressions: [{key: app, operator: Like, values: [frontend]}]}"), expect: /backend-allow-frontend\.yaml#0: .*matchExpressions\[0\]\.operator/ },
      { name: "anp.yaml", text: ANP_NETWORKS_INGRESS, expect: /anp\.yaml#0: error: AdminNetworkPolicy deny-net: spec\.ingress\[0\]\.from\[0\]/ },
    ];
    for (const attack of attacks) {
      const original = existsSync(join(tree, attack.name)) ? readFileSync(join(tree, attack.name), "utf8") : undefined;
      writeFileSync(join(tree, attack.name), attack.text);
      await eventually(async () => (await errors(r)).some((e) => attack.expect.test(e)), `syncStatus.errors to report ${attack.name}`, 60_000, 200);
      expect(r.process.hasExited, r.process.output()).toBe(false);
      expect(await healthz(r)).toBe(200);
      expect(whoCanReachLines(await gql<WhoCanReachAnswer>(r, WHO_CAN_REACH, TARGET))).toEqual(good);
      expect(r.process.logs().some((l) => l.level === 40 && /keeping the last good state/.test(l.msg) && l.msg.includes(attack.name))).toBe(true);
      if (original === undefined) rmSync(join(tree, attack.name));
      else writeFileSync(join(tree, attack.name), original);
      await eventually(async () => (await errors(r)).length === 0, `the error of ${attack.name} to clear once the file is restored`, 60_000, 200);
    }

    // Nothing is lost: with the bad files gone, an edit (frontend now reaches backend on 8080 too) is applied.
    writeFileSync(
      join(tree, "backend-allow-frontend.yaml"),
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: backend-allow-frontend, namespace: default}\nspec:\n  podSelector: {matchLabels: {app: backend}}\n  policyTypes: [Ingress]\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 80}, {port: 8080}]\n",
    );
    await eventually(async () => whoCanReachLines(await gql<WhoCanReachAnswer>(r, WHO_CAN_REACH, TARGET)).some((l) => l.includes("frontend") && l.includes("8080")), "the edit to be served", 60_000, 200);
    expect(await errors(r)).toEqual([]);
    expect(r.process.logs().filter((l) => /unhandled|uncaught/i.test(l.msg))).toEqual([]);
    r.process.signal("SIGTERM");
    expect((await r.process.waitForExit(60_000)).code).toBe(0);
  });

  it("a restart with a bad file present, and analyze on it, end in a validation message naming the file (exit 1)", async () => {
    writeFileSync(join(tree, "cycle.yaml"), CYCLE);
    try {
      const serve = KubereachProcess.start("restart", ["serve", "--manifests", tree, "--database-url", db.url, "--cluster-id", CLUSTER], { PORT: "0" });
      const exit = await serve.waitForExit(120_000);
      const output = serve.output();
      expect(exit.code, output).toBe(1);
      expect(output).toMatch(/^error: .*tree has 1 error/m);
      expect(output).toMatch(/cycle\.yaml#0: error: YAML: line 4, column \d+: alias \*s refers to its own anchor/);
      expect(output).not.toMatch(/internal error|\n {4}at /);

      writeFileSync(join(tree, "list.yaml"), "kind: List\nitems: &i [{kind: List, items: *i}]\n");
      const analyze = await KubereachProcess.run("analyze", ["analyze", "--manifests", tree]);
      expect(analyze.code).toBe(1);
      expect(analyze.stderr).toMatch(/list\.yaml#0: error: YAML: line 2, column \d+: alias \*i refers to its own anchor/);
      expect(analyze.stderr).toMatch(/^error: 2 errors in /m);
      expect(analyze.stderr).not.toMatch(/internal error|RangeError|\n {4}at /);
    } finally {
      rmSync(join(tree, "cycle.yaml"), { force: true });
      rmSync(join(tree, "list.yaml"), { force: true });
    }
  });
});
