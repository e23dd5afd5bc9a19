/**
 * SimulationPool (issue 12 item 2): the worker's answer equals the same simulation computed in
 * this thread; a request past `maxQueued` waiting ones is refused as busy; a simulation past its
 * budget is stopped with a clear error and the next one runs on a new worker; errors in the
 * manifests and scope refusals keep their types across the thread boundary; the worker keeps the
 * bases of as many generations as it is told (server.cache.whatIfBases).
 */
import { afterEach, describe, expect, it } from "vitest";
import { BadInputError, ForbiddenError, UpstreamUnavailableError } from "../../../src/domain/errors.js";
import { computeSimulation, prepareBase } from "../../../src/api/whatif/compute.js";
import { SimulationPool, type SimulationRequest } from "../../../src/api/whatif/SimulationPool.js";
import { FULL_SCOPE, type Scope } from "../../../src/domain/scope.js";
import { rowsFromWire } from "../../../src/api/whatif/wire.js";
import { readManifests } from "../../../src/sync/manifests/index.js";

const SEED = new URL("../../../examples/seed", import.meta.url).pathname;
const OPEN =
  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: backend-allow-frontend, namespace: default}\nspec:\n  podSelector: {matchLabels: {app: backend}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 80}, {port: 8080}]\n";
const ipBlocks = Array.from({ length: 1_000 }, (_, i) => `{ipBlock: {cidr: 10.0.${i >> 8}.${i & 255}/32}}`).join(",");
const HEAVY = `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: wide, namespace: default}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [${ipBlocks}]\n`;
const SCOPED: Scope = { all: false, principal: "team", namespaces: new Set(["other"]) };

const pools: SimulationPool[] = [];
const pool = (options: ConstructorParameters<typeof SimulationPool>[0]) => {
  const p = new SimulationPool(options);
  pools.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const request = (manifests: string, scope: Scope = FULL_SCOPE): SimulationRequest => ({
  baseKey: "seed\u00001",
  loadBase: async () => (await readManifests(SEED)).world,
  manifests,
  mode: "apply",
  scope,
});
const ROOMY = { timeoutMs: 600_000, heapMb: 512, maxQueued: 8 };

describe("SimulationPool", () => {
  it("answers what the same simulation computes in this thread", async () => {
    const inThread = computeSimulation(prepareBase((await readManifests(SEED)).world), OPEN, "apply", FULL_SCOPE);
    const p = pool(ROOMY);
    expect(inThread.rows.length).toBeGreaterThan(0);
    expect(await p.run(request(OPEN))).toEqual(inThread);
    expect(await p.run(request(OPEN))).toEqual(inThread); // the base is kept by the worker
    // Connection sets travel as their canonical keys and come back equal.
    const rows = rowsFromWire(inThread.rows);
    expect(rows.map((r) => [r.before.key, r.after.key, r.gained.key, r.lost.key, ...r.causes.map((c) => c.conn.key)])).toEqual(
      inThread.rows.map((r) => [r.before, r.after, r.gained, r.lost, ...r.causes.map((c) => c.conn)]),
    );
    expect(rows.some((r) => !r.gained.isEmpty())).toBe(true);
  }, 120_000);

  it("keeps the prepared bases of server.cache.whatIfBases generations in the worker, the most recently used", async () => {
    for (const [basesKept, loads] of [
      [1, 3],
      [2, 2],
    ] as const) {
      const p = pool({ ...ROOMY, basesKept });
      let loaded = 0;
      const of = (baseKey: string): SimulationRequest => ({ ...request(OPEN), baseKey, loadBase: async () => (loaded++, (await readManifests(SEED)).world) });
      for (const key of ["g1", "g2", "g1"]) await p.run(of(key));
      expect(loaded).toBe(loads);
    }
  }, 120_000);

  it("keeps the error types of the manifests and of the scope", async () => {
    const p = pool(ROOMY);
    await expect(p.run(request("kind: [unclosed"))).rejects.toBeInstanceOf(BadInputError);
    await expect(p.run(request(OPEN, SCOPED))).rejects.toThrow(ForbiddenError);
    await expect(p.run(request(OPEN, SCOPED))).rejects.toThrow(/outside this token's scope: default/);
  }, 120_000);

  it("refuses a request past maxQueued waiting ones as busy, and runs the others", async () => {
    const p = pool({ ...ROOMY, maxQueued: 1 });
    const first = p.run(request(OPEN));
    const second = p.run(request(OPEN));
    await expect(p.run(request(OPEN))).rejects.toThrow(UpstreamUnavailableError);
    await expect(p.run(request(OPEN))).rejects.toThrow(/the simulator is busy: 1 simulations are already waiting \(server\.simulateMaxQueued\); retry in a moment/);
    expect((await first).rows).toEqual((await second).rows);
  }, 120_000);

  it("stops a simulation past its time budget with a clear error; the next request gets a new worker", async () => {
    const p = pool({ ...ROOMY, timeoutMs: 1 });
    await expect(p.run(request(HEAVY))).rejects.toThrow(/^the simulation exceeded its time budget of 1 ms and was stopped \(server\.simulateTimeoutMs\)/);
    await expect(p.run(request(HEAVY))).rejects.toBeInstanceOf(BadInputError);
  }, 120_000);

  it("stops a worker past its heap cap with a clear error", async () => {
    // 1 MB of old generation: the worker runs out of memory whatever it was doing.
    const p = pool({ ...ROOMY, heapMb: 1 });
    await expect(p.run(request(HEAVY))).rejects.toThrow(/^the simulation needed more memory than its budget of 1 MB and was stopped \(server\.simulateHeapMb\)/);
    await expect(p.run(request(OPEN))).rejects.toBeInstanceOf(BadInputError);
  }, 120_000);
});
