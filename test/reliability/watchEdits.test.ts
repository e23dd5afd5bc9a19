/**
 * `kubereach serve --manifests <path> --watch` sees every kind of write (issue 12 item 5), with
 * real files and a real process: a file replaced by rename (what `sed -i` and most editors do),
 * then written in place, then renamed over again; a file in a new subdirectory; and a single
 * watched file replaced by rename and then written in place. Each edit must be served without any
 * other file changing, and be recorded in the history.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, killAll } from "./helpers/process.js";
import { gql, startReplica, waitReady, WHO_CAN_REACH, whoCanReachLines, type Replica, type WhoCanReachAnswer } from "./helpers/serve.js";

const SEED = new URL("../../examples/seed", import.meta.url).pathname;
const TARGET = { t: { namespace: "default", name: "backend" } };
const policy = (ports: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: backend-allow-frontend, namespace: default}\nspec:\n  podSelector: {matchLabels: {app: backend}}\n  policyTypes: [Ingress]\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [${ports}]\n`;

describe("serve --watch sees every kind of write", () => {
  let dir: string;
  const replicas: Replica[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kubereach-watch-"));
  });

  afterAll(async () => {
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const served = async (r: Replica) => whoCanReachLines(await gql<WhoCanReachAnswer>(r, WHO_CAN_REACH, TARGET)).filter((l) => l.includes("frontend")).join("\n");
  const expectServed = (r: Replica, text: string, what: string) => eventually(async () => (await served(r)).includes(text), what, 30_000, 100);
  const AUDIT = `{ auditLog(first: 100) { edges { node { operation name } } } }`;

  it("a directory: rename-replace, then in-place writes, then a new subdirectory", async () => {
    const tree = join(dir, "tree");
    cpSync(SEED, tree, { recursive: true });
    const file = join(tree, "backend-allow-frontend.yaml");
    const r = await startReplica("dir", ["--manifests", tree, "--watch", "--data-dir", join(dir, "db1")]);
    replicas.push(r);
    await waitReady(r);
    await expectServed(r, "TCP 80", "the seed");

    execFileSync("sed", ["-i", "s/port: 80$/port: 81/", file]); // rename-replace
    await expectServed(r, "TCP 81", "the sed -i edit");
    writeFileSync(file, policy("{port: 82}")); // in place, on the new inode
    await expectServed(r, "TCP 82", "the in-place write after sed -i");
    writeFileSync(file, policy("{port: 83}"));
    await expectServed(r, "TCP 83", "a second in-place write");
    writeFileSync(`${file}.tmp`, policy("{port: 84}"));
    renameSync(`${file}.tmp`, file); // an editor's save
    await expectServed(r, "TCP 84", "a rename over the file");
    writeFileSync(file, policy("{port: 85}"));
    await expectServed(r, "TCP 85", "an in-place write after the rename");

    mkdirSync(join(tree, "team", "extra"), { recursive: true });
    writeFileSync(join(tree, "team", "extra", "more.yaml"), policy("{port: 86}").replace("backend-allow-frontend", "backend-more"));
    await expectServed(r, "TCP 85-86", "a file in a new subdirectory");
    writeFileSync(join(tree, "team", "extra", "more.yaml"), policy("{port: 87}").replace("backend-allow-frontend", "backend-more"));
    await expectServed(r, "TCP 85,87", "an in-place write in the new subdirectory");

    // Every edit is in the history: one UPDATE of the policy per port seen above.
    const audit = await gql<{ auditLog: { edges: { node: { operation: string; name: string } }[] } }>(r, AUDIT);
    const updates = audit.auditLog.edges.filter((e) => e.node.name === "backend-allow-frontend" && e.node.operation === "UPDATE");
    expect(updates).toHaveLength(5);
  }, 240_000);

  it("a single file: rename-replace, then in-place writes", async () => {
    const file = join(dir, "single.yaml");
    writeFileSync(file, ["apiVersion: v1\nkind: Pod\nmetadata: {name: backend, namespace: default, labels: {app: backend}}\n", "apiVersion: v1\nkind: Pod\nmetadata: {name: frontend, namespace: default, labels: {app: frontend}}\n", policy("{port: 80}")].join("---\n"));
    const r = await startReplica("file", ["--manifests", file, "--watch", "--data-dir", join(dir, "db2")]);
    replicas.push(r);
    await waitReady(r);
    await expectServed(r, "TCP 80", "the file");
    execFileSync("sed", ["-i", "s/port: 80}/port: 91}/", file]);
    await expectServed(r, "TCP 91", "the sed -i edit");
    execFileSync("sh", ["-c", `sed 's/port: 91}/port: 92}/' '${file}' > '${file}.new' && cat '${file}.new' > '${file}'`]); // in place
    await expectServed(r, "TCP 92", "the in-place write after sed -i");
    writeFileSync(join(dir, "unrelated.yaml"), "kind: Pod\n"); // a sibling outside the watched file: ignored
    expect(r.process.hasExited).toBe(false);
  }, 240_000);
});
