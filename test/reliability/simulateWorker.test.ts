/**
 * A heavy `simulate` runs in a worker thread (issue 12 item 2): while it runs, a real `kubereach
 * serve` still answers /healthz and whoCanReach (both complete before the simulation does); past
 * its time budget (server.simulateTimeoutMs, lowered to 1 ms in a second process) the client gets
 * a clear BAD_USER_INPUT error naming the budget, and the server keeps serving.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAll } from "./helpers/process.js";
import { startReplica, waitReady, type Replica } from "./helpers/serve.js";

const SEED = new URL("../../examples/seed", import.meta.url).pathname;
const SIMULATE = `mutation($m: String!) { simulate(manifests: $m) { gainedTotal changes { src { display } dst { display } after { text } } } }`;
const WHO = `query { whoCanReach(target: {namespace: "default", name: "backend"}) { peers { peer { display } connections { text } } } }`;

/**
 * Within every bound (500 policies, 1,000 CIDRs, 10,000 port entries; docs/input-limits.md) and
 * seconds of what-if work: each policy opens 20 distinct ports to two /32s.
 */
const ip = (i: number) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
const HEAVY = Array.from(
  { length: 500 },
  (_, p) =>
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p${p}, namespace: default}\nspec:\n  podSelector: {}\n  egress:\n  - to: [{ipBlock: {cidr: ${ip(2 * p)}/32}}, {ipBlock: {cidr: ${ip(2 * p + 1)}/32}}]\n    ports: [${Array.from({ length: 20 }, (_, k) => `{port: ${1 + ((p * 37 + k * 101) % 60_000)}}`).join(",")}]\n`,
).join("---\n");
/** Sequential /healthz + whoCanReach rounds sent while the heavy simulation runs. */
const ROUNDS = 20;
const OPEN =
  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: backend-allow-frontend, namespace: default}\nspec:\n  podSelector: {matchLabels: {app: backend}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 80}, {port: 8080}]\n";

interface GqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A serve process on the seed, with the given server.simulateTimeoutMs. */
function serveSeed(name: string, timeoutMs: number) {
  const ctx = { dir: "", r: undefined as unknown as Replica };
  beforeAll(async () => {
    ctx.dir = mkdtempSync(join(tmpdir(), `kubereach-${name}-`));
    writeFileSync(join(ctx.dir, "kubereach.yaml"), `server:\n  maxBodyBytes: 2000000\n  simulateTimeoutMs: ${timeoutMs}\n`);
    ctx.r = await startReplica(name, ["--manifests", SEED, "--data-dir", join(ctx.dir, "db"), "--config", join(ctx.dir, "kubereach.yaml")]);
    await waitReady(ctx.r);
  }, 180_000);
  afterAll(async () => {
    await killAll();
    if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
  });
  const gql = async (query: string, variables: Record<string, unknown> = {}): Promise<GqlBody> => {
    const res = await fetch(`${ctx.r.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(120_000) });
    expect(res.status).toBe(200);
    return (await res.json()) as GqlBody;
  };
  const healthz = async () => (await fetch(`${ctx.r.url}/healthz`, { signal: AbortSignal.timeout(30_000) })).status;
  return { ctx, gql, healthz };
}

const rowsOf = (b: GqlBody) => (b.data!["simulate"] as { changes: { src: { display: string }; dst: { display: string }; after: { text: string } }[] }).changes.map((c) => `${c.src.display} => ${c.dst.display} : ${c.after.text}`);

describe("a heavy simulation runs in a worker thread", () => {
  const { ctx, gql, healthz } = serveSeed("simworker", 600_000);

  it("answers /healthz and whoCanReach while it runs: all complete before the simulation does", async () => {
    let settled = false;
    const heavy = gql(SIMULATE, { m: HEAVY }).finally(() => (settled = true));
    // One after the other, so that some are sent while the simulation computes: on the API's own
    // event loop they would wait for it.
    for (let round = 0; round < ROUNDS; round++) {
      expect(await healthz()).toBe(200);
      const reach = await gql(WHO);
      expect(reach.errors).toBeUndefined();
      expect(JSON.stringify(reach.data)).toMatch(/frontend/);
      expect(settled, `round ${round}: the simulation finished first`).toBe(false);
    }
    const body = await heavy;
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(rowsOf(await gql(SIMULATE, { m: OPEN }))).toContainEqual(expect.stringMatching(/frontend.*=> .*backend.* : TCP 80,8080/));
    expect(ctx.r.process.logs().filter((l) => /unhandled|uncaught/i.test(l.msg))).toEqual([]);
  }, 120_000);
});

describe("a simulation past its time budget", () => {
  // 1 ms: no simulation of 500 policies can finish within it, whatever the machine's speed.
  const { ctx, gql, healthz } = serveSeed("simbudget", 1);

  it("is stopped with a clear error naming the budget; the server keeps serving and starts a new worker", async () => {
    const body = await gql(SIMULATE, { m: HEAVY });
    expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(body.errors?.[0]?.message).toMatch(/^the simulation exceeded its time budget of 1 ms and was stopped \(server\.simulateTimeoutMs\)/);
    expect(await healthz()).toBe(200);
    const reach = await gql(WHO);
    expect(reach.errors).toBeUndefined();
    expect(JSON.stringify(reach.data)).toMatch(/frontend/);
    const again = await gql(SIMULATE, { m: HEAVY });
    expect(again.errors?.[0]?.message).toMatch(/exceeded its time budget/);
    expect(ctx.r.process.hasExited).toBe(false);
    expect(ctx.r.process.logs().filter((l) => /unhandled|uncaught/i.test(l.msg))).toEqual([]);
  }, 120_000);
});
