/**
 * A policy the API server accepted but kubereach cannot use (issue 12 item 4, live cluster), with a
 * real `kubereach serve` syncing a fake API server over list/watch: an edit to port 70000 is
 * recorded (an UPDATE in the history), reported once in syncStatus.errors naming the policy, listed
 * by networkPolicies with valid: false and its problem (not vanished), and
 * answers about the pods it selects become UNKNOWN instead of "All Connections" from everywhere.
 * Fixing the policy clears the error and the answers are computed again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKubeApi, type KubeObject } from "../helpers/fakeKubeApi.js";
import { TempKubeconfig } from "../sync/kube/helpers.js";
import { eventually, killAll } from "./helpers/process.js";
import { gql, startReplica, waitReady, type Replica } from "./helpers/serve.js";

const ns = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: {} } });
const pod = (name: string, app: string, ip: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "shop", labels: { app } },
  spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80 }] }] },
  status: { podIP: ip, phase: "Running" },
});
const policy = (port: number): KubeObject => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "db-allow-api", namespace: "shop" },
  spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "api" } } }], ports: [{ port }] }] },
});
const CAN = `query($p: Int!) { canConnect(from: { workload: { namespace: "shop", name: "web" } }, to: { workload: { namespace: "shop", name: "db" } }, port: $p) { allowed explanation { summary } } }`;
const STATUS = `{ syncStatus { errors } }`;
const AUDIT = `{ auditLog(first: 50) { edges { node { operation name } } } }`;

describe("a policy the API server accepted but kubereach cannot use", () => {
  let api: FakeKubeApi;
  let kube: TempKubeconfig;
  let r: Replica;

  beforeAll(async () => {
    api = await FakeKubeApi.create();
    kube = new TempKubeconfig(api.url);
    for (const o of [ns("shop"), pod("web", "web", "10.2.0.1"), pod("api", "api", "10.2.0.2"), pod("db", "db", "10.2.0.3"), policy(5432)]) api.upsert(o);
  }, 60_000);

  afterAll(async () => {
    await killAll();
    await api?.stop();
    kube?.remove();
  });

  it("is recorded, reported once, and makes answers about its pods UNKNOWN; a fix clears it", async () => {
    r = await startReplica("live", ["--kubeconfig", kube.path, "--cluster-id", "live", "--data-dir", `${kube.dir}/db`]);
    await waitReady(r);
    const can = async (port: number) => (await gql<{ canConnect: { allowed: string; explanation: { summary: string[] } } }>(r, CAN, { p: port })).canConnect;
    await eventually(async () => (await can(5432)).allowed === "DENIED", "web -> db denied by the valid policy", 60_000, 200);

    api.upsert(policy(70_000));
    await eventually(async () => (await gql<{ syncStatus: { errors: string[] }[] }>(r, STATUS)).syncStatus[0]!.errors.length > 0, "the invalid policy to be reported", 60_000, 200);
    const errors = (await gql<{ syncStatus: { errors: string[] }[] }>(r, STATUS)).syncStatus[0]!.errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^invalid NetworkPolicy shop\/db-allow-api: spec\.ingress\[0\]\.ports\[0\]\.port: .*70000/);
    const answer = await can(5432);
    expect(answer.allowed).toBe("UNKNOWN");
    expect(answer.explanation.summary.join("\n")).toMatch(/NetworkPolicy shop\/db-allow-api selects shop\/db\[Pod\] but is invalid/);
    // Listed, not vanished: invalid, with its problem.
    const listed = await gql<{ networkPolicies: { name: string; valid: boolean; problems: string[]; selects: { name: string }[] }[] }>(r, `{ networkPolicies(namespace: "shop") { name valid problems selects { name } } }`);
    expect(listed.networkPolicies).toEqual([{ name: "db-allow-api", valid: false, problems: [expect.stringMatching(/^spec\.ingress\[0\]\.ports\[0\]\.port: .*70000/)], selects: [{ name: "db" }] }]);
    const audit = await gql<{ auditLog: { edges: { node: { operation: string; name: string } }[] } }>(r, AUDIT);
    expect(audit.auditLog.edges.filter((e) => e.node.name === "db-allow-api").map((e) => e.node.operation).sort()).toEqual(["CREATE", "UPDATE"]);

    api.upsert(policy(5432));
    await eventually(async () => (await gql<{ syncStatus: { errors: string[] }[] }>(r, STATUS)).syncStatus[0]!.errors.length === 0, "the error to clear", 60_000, 200);
    expect((await can(5432)).allowed).toBe("DENIED");
    expect((await gql<{ networkPolicies: { valid: boolean }[] }>(r, `{ networkPolicies(namespace: "shop") { valid } }`)).networkPolicies).toEqual([{ valid: true }]);
    expect(r.process.hasExited).toBe(false);
  }, 240_000);
});
