/**
 * Hostile `simulate` requests from a namespace-scoped token against a real `kubereach serve`
 * (issue 12 item 2): a policy whose 999 rules alias one list of N ipBlocks (N = 1,000, 10,000,
 * 20,000: 57 KB to 788 KB), a mapping with 20,000 keys, and the same amplification in smaller
 * steps. Each is refused with BAD_USER_INPUT naming the bound, before the work; the process stays
 * up, /healthz answers, the served state is unchanged, and a normal simulation still works.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAll } from "./helpers/process.js";
import { startReplica, waitReady, type Replica } from "./helpers/serve.js";

const SEED = new URL("../../examples/seed", import.meta.url).pathname;
const TOKEN = "scoped-default-0b9f2c";
const SIMULATE = `mutation($m: String!) { simulate(manifests: $m) { gainedTotal lostTotal changes { src { display } dst { display } after { text } } } }`;

const ipBlocks = (n: number) => Array.from({ length: n }, (_, i) => `{ipBlock: {cidr: 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32}}`).join(",");
/** The review's payload: 999 ingress rules that all alias one list of n ipBlocks. */
const aliasedRules = (n: number) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: wide, namespace: default}\nspec:\n  podSelector: {}\n  ingress:\n  - from: &p [${ipBlocks(n)}]\n${"  - from: *p\n".repeat(998)}`;
const manyKeys = `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: keys, namespace: default}\nspec:\n  podSelector:\n    matchLabels:\n${Array.from({ length: 20_000 }, (_, i) => `      k${i}: v`).join("\n")}\n`;

interface GqlBody {
  data?: { simulate: { gainedTotal: number; lostTotal: number; changes: { src: { display: string }; dst: { display: string }; after: { text: string } }[] } } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

describe("simulate with hostile manifests from a scoped token", () => {
  let dir: string;
  let r: Replica;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kubereach-simulate-"));
    const sha256 = createHash("sha256").update(TOKEN).digest("hex");
    writeFileSync(join(dir, "kubereach.yaml"), `server:\n  maxBodyBytes: 2000000\n  tokens:\n    - {name: team-default, sha256: "${sha256}", namespaces: [default]}\n`);
    r = await startReplica("simulate", ["--manifests", SEED, "--data-dir", join(dir, "db"), "--config", join(dir, "kubereach.yaml")]);
    await waitReady(r);
  });

  afterAll(async () => {
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const simulate = async (manifests: string): Promise<{ status: number; body: GqlBody }> => {
    const res = await fetch(`${r.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query: SIMULATE, variables: { m: manifests } }),
      signal: AbortSignal.timeout(120_000),
    });
    return { status: res.status, body: (await res.json()) as GqlBody };
  };
  const healthz = async () => (await fetch(`${r.url}/healthz`, { signal: AbortSignal.timeout(30_000) })).status;

  it.each([
    { name: "999 rules aliasing 1,000 ipBlocks (57 KB)", text: () => aliasedRules(1_000), bound: /more than 500,000 YAML nodes once aliases are expanded/ },
    { name: "999 rules aliasing 10,000 ipBlocks (402 KB)", text: () => aliasedRules(10_000), bound: /more than 500,000 YAML nodes once aliases are expanded/ },
    { name: "999 rules aliasing 20,000 ipBlocks (788 KB)", text: () => aliasedRules(20_000), bound: /more than 500,000 YAML nodes once aliases are expanded/ },
    { name: "999 rules aliasing 20 ipBlocks: small text, 19,980 peers", text: () => aliasedRules(20), bound: /19,980 peers .*more than the 10,000/ },
    { name: "one rule with 2,000 ipBlocks", text: () => aliasedRules(2_000).replace(/ {2}- from: \*p\n/g, ""), bound: /2,000 CIDRs .*more than the 1,000/ },
  ])("refuses $name before the work, and keeps serving", async ({ text, bound }) => {
    const pending = simulate(text());
    expect(await healthz()).toBe(200);
    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(body.errors?.[0]?.message).toMatch(/too large to simulate/);
    expect(body.errors?.[0]?.message).toMatch(bound);
    expect(await healthz()).toBe(200);
    expect(r.process.hasExited).toBe(false);
  });

  it("reads a 20,000-key mapping in linear time and answers; a normal simulation still works afterwards", async () => {
    const keys = await simulate(manyKeys);
    expect(keys.body.errors, JSON.stringify(keys.body.errors)).toBeUndefined();
    const open = await simulate(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: backend-allow-frontend, namespace: default}\nspec:\n  podSelector: {matchLabels: {app: backend}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 80}, {port: 8080}]\n",
    );
    expect(open.body.errors).toBeUndefined();
    expect(open.body.data!.simulate.changes.map((c) => `${c.src.display} => ${c.dst.display} : ${c.after.text}`)).toContainEqual(expect.stringMatching(/frontend.*=> .*backend.* : TCP 80,8080/));
    expect(r.process.logs().filter((l) => /unhandled|uncaught/i.test(l.msg))).toEqual([]);
  });
});
