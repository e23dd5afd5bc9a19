/**
 * The incremental what-if must equal the full recomputation: on random worlds (test/helpers/
 * randomWorld.ts) and random policy changes (add, modify, delete one or several policies, with
 * specs drawn from a second random world), simulatePolicyEdit's rows are exactly the semantic diff
 * of the two connectivity lists, each computed from scratch (compileWorld + buildMatrix +
 * buildConnectivity, families aligned). And the diff's own properties: diff(A, A) is empty,
 * diff(A, B) and diff(B, A) are mirror images, adding an allow-only rule to an isolated pod only adds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  alignFamilies,
  buildConnectivity,
  buildMatrix,
  buildWorkloadIndex,
  compareWorlds,
  compileWorld,
  diffConnectivity,
  diffStates,
  isolatingPolicies,
  podEndpoint,
  formatConnEndpoint,
  mentionedFamilies,
  policyKey,
  prepareWhatIf,
  simulatePolicyEdit,
  type DiffRow,
  type NetworkPolicyInput,
  type WorldInput,
} from "../../src/engine/index.js";
import { worldArb, worldWithTiersArb } from "../helpers/randomWorld.js";

const RUNS = Number(process.env["WHATIF_RUNS"] ?? 400);

const text = (rows: readonly DiffRow[]) => rows.map((r) => `${r.diffType} ${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)} : ${r.before.key} -> ${r.after.key}`);

/** The reference: both connectivity lists from scratch, over the same address families, diffed. */
function fullDiff(a: WorldInput, b: WorldInput): string[] {
  const side = (input: WorldInput) => {
    const { world } = compileWorld(input);
    const matrix = buildMatrix(world);
    const index = buildWorkloadIndex(matrix);
    return { matrix, index, rows: buildConnectivity(matrix, {}, index) };
  };
  const { before, after } = alignFamilies(side(a), side(b));
  return text(diffConnectivity(before, after));
}

type Op = { kind: "add"; spec: unknown; ns: string } | { kind: "modify"; target: number; spec: unknown } | { kind: "delete"; target: number };

const opArb = (pool: readonly NetworkPolicyInput[]): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({ kind: fc.constant("add" as const), source: fc.nat(), ns: fc.constantFrom("n0", "n1", "n2") }).map(({ source, ns }) => ({ kind: "add" as const, spec: pool[source % Math.max(pool.length, 1)]?.spec ?? { podSelector: {} }, ns })),
    fc.record({ kind: fc.constant("modify" as const), target: fc.nat(), source: fc.nat() }).map(({ target, source }) => ({ kind: "modify" as const, target, spec: pool[source % Math.max(pool.length, 1)]?.spec ?? {} })),
    fc.record({ kind: fc.constant("delete" as const), target: fc.nat() }),
  );

/** World A, a pool of policy specs (from another random world), and 1-3 operations. */
const caseOf = (worlds: fc.Arbitrary<WorldInput>) =>
  fc.tuple(worlds, worldArb).chain(([a, b]) => fc.tuple(fc.constant(a), fc.array(opArb(b.networkPolicies), { minLength: 1, maxLength: 3 })));
const caseArb = caseOf(worldArb);

function applyOps(a: WorldInput, ops: readonly Op[]): { head: WorldInput; upserts: NetworkPolicyInput[]; deletes: { namespace: string; name: string }[] } {
  let policies = [...a.networkPolicies];
  const upserts = new Map<string, NetworkPolicyInput>();
  const deletes = new Map<string, { namespace: string; name: string }>();
  const id = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
  ops.forEach((op, i) => {
    if (op.kind === "add") {
      const p = { namespace: op.ns, name: `new${i}`, spec: op.spec };
      policies.push(p);
      upserts.set(id(p), p);
      deletes.delete(id(p));
      return;
    }
    if (policies.length === 0) return;
    const t = policies[op.target % policies.length]!;
    if (op.kind === "modify") {
      const p = { namespace: t.namespace, name: t.name, spec: op.spec };
      policies = policies.map((x) => (x === t ? p : x));
      upserts.set(id(p), p);
    } else {
      policies = policies.filter((x) => x !== t);
      upserts.delete(id(t));
      deletes.set(id(t), { namespace: t.namespace, name: t.name });
    }
  });
  return { head: { ...a, networkPolicies: policies }, upserts: [...upserts.values()], deletes: [...deletes.values()] };
}

/** The property: incremental rows == reference rows, with causes naming changed rules. Returns whether the diff was non-empty. */
function checkCase([a, ops]: [WorldInput, Op[]]): boolean {
  const { head, upserts, deletes } = applyOps(a, ops);
  const base = prepareWhatIf(compileWorld(a).world);
  const own = compileWorld({ namespaces: [], pods: [], networkPolicies: upserts }).world;
  const deleteKeys = deletes.map((d) => policyKey({ kind: "NetworkPolicy", ...d }));
  const result = simulatePolicyEdit(base, { upserts: own.networkPolicies, deletes: deleteKeys, mentionedFamilies: mentionedFamilies(own) });
  const expected = fullDiff(a, head);
  expect(text(result.rows)).toEqual(expected);
  // Every changed row names the changed rules responsible: a gain by a rule that now admits it (or
  // an isolation that ends), a loss by a rule that admitted it (or an isolation that starts).
  for (const r of result.rows) {
    const what = text([r])[0];
    for (const c of r.causes) expect(c.policyChange, `${what}: ${c.text}`).toBeDefined();
    if (!r.gained.isEmpty()) expect(r.causes.some((c) => c.effect === "admits" || c.effect === "no-longer-isolates"), what).toBe(true);
    if (!r.lost.isEmpty()) expect(r.causes.some((c) => c.effect === "no-longer-admits" || c.effect === "isolates"), what).toBe(true);
  }
  return expected.length > 0;
}

describe("incremental what-if == full recomputation", () => {
  it(`simulatePolicyEdit rows equal the diff of two full recomputations (${RUNS} random worlds and changes)`, () => {
    let nonEmpty = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        if (checkCase(c)) nonEmpty++;
      }),
      { numRuns: RUNS },
    );
    // Otherwise the property would mostly compare empty lists.
    expect(nonEmpty).toBeGreaterThan(RUNS / 4);
  });

  const TIER_RUNS = Math.ceil(RUNS / 2);
  it(`and with cluster-scoped tiered policies around the NetworkPolicies (${TIER_RUNS} random worlds and changes)`, () => {
    let nonEmpty = 0;
    fc.assert(
      fc.property(caseOf(worldWithTiersArb), (c) => {
        if (checkCase(c)) nonEmpty++;
      }),
      { numRuns: TIER_RUNS },
    );
    expect(nonEmpty).toBeGreaterThan(TIER_RUNS / 10);
  });
});

describe("the full recomputation path and the diff's own properties", () => {
  const rowsOf = (a: WorldInput, b: WorldInput) => text(compareWorlds(prepareWhatIf(compileWorld(a).world), compileWorld(b).world).rows);
  const mirror = (line: string) => {
    const m = /^(added|removed|changed) (.*) : (.*) -> (.*)$/.exec(line)!;
    const type = m[1] === "added" ? "removed" : m[1] === "removed" ? "added" : "changed";
    return `${type} ${m[2]} : ${m[4]} -> ${m[3]}`;
  };

  it("compareWorlds (pods and namespaces differ too) equals the reference diff, each row with a cause (300 pairs of random worlds)", () => {
    fc.assert(
      fc.property(worldArb, worldArb, (a, b) => {
        const result = compareWorlds(prepareWhatIf(compileWorld(a).world), compileWorld(b).world);
        expect(text(result.rows)).toEqual(fullDiff(a, b));
        for (const r of result.rows) expect(r.causes.length, text([r])[0]).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("diff(A, A) is empty, by either path", () => {
    fc.assert(
      fc.property(worldArb, (a) => {
        const base = prepareWhatIf(compileWorld(a).world);
        expect(rowsOf(a, a)).toEqual([]);
        expect(diffStates(base, compileWorld(a).world).rows).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("diff(A, B) and diff(B, A) are mirror images (same pairs, added <-> removed, before <-> after)", () => {
    fc.assert(
      fc.property(worldArb, worldArb, (a, b) => {
        const ab = rowsOf(a, b);
        const ba = rowsOf(b, a);
        expect(ba.map(mirror).sort()).toEqual([...ab].sort());
      }),
      { numRuns: 200 },
    );
  });

  it("adding an allow-only rule to an isolated pod only adds connections", () => {
    let isolatedCases = 0;
    fc.assert(
      fc.property(caseArb, fc.nat(), fc.constantFrom("ingress" as const, "egress" as const), ([a, ops], pick, direction) => {
        const world = compileWorld(a).world;
        const pods = world.pods.filter((p) => !p.hostNetwork && isolatingPolicies(world, podEndpoint(p), direction).length > 0);
        if (pods.length === 0) return;
        const pod = pods[pick % pods.length]!;
        // A policy selecting exactly the pods with this pod's labels, all already isolated for the direction.
        const selected = world.pods.filter((p) => p.namespace === pod.namespace && !p.hostNetwork && Object.entries(pod.labels).every(([k, v]) => p.labels[k] === v));
        if (!selected.every((p) => isolatingPolicies(world, podEndpoint(p), direction).length > 0)) return;
        isolatedCases++;
        const donor = ops.find((o) => o.kind !== "delete") as { spec?: { ingress?: unknown; egress?: unknown } } | undefined;
        const rules = (donor?.spec as Record<string, unknown> | undefined)?.[direction];
        const spec = { podSelector: { matchLabels: { ...pod.labels } }, policyTypes: [direction === "ingress" ? "Ingress" : "Egress"], [direction]: Array.isArray(rules) ? rules : [{}] };
        const head = { ...a, networkPolicies: [...a.networkPolicies, { namespace: pod.namespace.name, name: "allow-more", spec }] };
        const rows = diffStates(prepareWhatIf(world), compileWorld(head).world).rows;
        for (const r of rows) expect(r.lost.isEmpty(), text([r])[0]).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(isolatedCases).toBeGreaterThan(20);
  });
});
