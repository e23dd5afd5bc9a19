/**
 * Findings that claim something is dead weight must be right about it: on random worlds, deleting a
 * rule reported REDUNDANT_RULE, a policy reported POLICY_SELECTS_NO_POD, a peer reported
 * PEER_MATCHES_NOTHING or a port reported NAMED_PORT_UNDEFINED (when the rule keeps other peers or
 * ports) changes no connection (the what-if of the edit is empty). And a workload reported
 * INGRESS_NOT_ISOLATED accepts everything from every pod and address.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileWorld,
  diffStates,
  evaluatePair,
  externalEndpoint,
  findings,
  formatConnEndpoint,
  parseIp,
  podEndpoint,
  prepareWhatIf,
  workloadKey,
  type Finding,
  type WorldInput,
} from "../../src/engine/index.js";
import { worldArb, worldWithTiersArb } from "../helpers/randomWorld.js";

const RUNS = 600;

/** `spec.ingress[1]` -> ["ingress", 1]; `spec.egress[0].to[2]` -> ["egress", 0, "to", 2]; `...ports[1]` likewise. */
function parseField(field: string): (string | number)[] {
  return [...field.matchAll(/\.?(\w+)(?:\[(\d+)\])?/g)].flatMap((m) => (m[2] !== undefined ? [m[1]!, Number(m[2])] : [m[1]!])).slice(1);
}

/** The world without the object or part a finding names (undefined when the edit would change the rule's meaning). */
function withoutIt(input: WorldInput, f: Finding): WorldInput | undefined {
  const target = f.objects[0]!;
  const policies = input.networkPolicies;
  const index = policies.findIndex((p) => p.namespace === target.namespace && p.name === target.name);
  if (index < 0) return undefined;
  if (f.kind === "POLICY_SELECTS_NO_POD") return { ...input, networkPolicies: policies.filter((_, i) => i !== index) };
  const spec = structuredClone(policies[index]!.spec) as Record<string, unknown[]>;
  const [dir, rule, list, item] = parseField(target.field!) as [string, number, string?, number?];
  const rules = spec[dir] as Record<string, unknown[]>[];
  if (f.kind === "REDUNDANT_RULE") rules.splice(rule, 1);
  else {
    const entries = rules[rule]![list!]!;
    if (entries.length < 2) return undefined; // an empty list would mean "everything"
    entries.splice(item!, 1);
  }
  return { ...input, networkPolicies: policies.map((p, i) => (i === index ? { ...p, spec } : p)) };
}

const DEAD: readonly Finding["kind"][] = ["REDUNDANT_RULE", "POLICY_SELECTS_NO_POD", "PEER_MATCHES_NOTHING", "NAMED_PORT_UNDEFINED"];

function checkWorld(input: WorldInput, seen: Map<string, number>): void {
  const { world } = compileWorld(input);
  const base = prepareWhatIf(world);
  const list = findings(world, { matrix: base.matrix });
  for (const f of list) {
    if (!DEAD.includes(f.kind)) continue;
    const head = withoutIt(input, f);
    if (!head) continue;
    seen.set(f.kind, (seen.get(f.kind) ?? 0) + 1);
    const rows = diffStates(base, compileWorld(head).world).rows;
    expect(rows.map((r) => `${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)}: ${r.before.key} -> ${r.after.key}`), f.message).toEqual([]);
  }
  for (const f of list.filter((x) => x.kind === "INGRESS_NOT_ISOLATED")) {
    const ref = f.objects[0]!;
    const pods = world.pods.filter((p) => workloadKey(p.workload) === workloadKey({ namespace: ref.namespace, kind: ref.kind, name: ref.name }));
    const sources = [...world.pods.map(podEndpoint), externalEndpoint(parseIp("203.0.113.9")!)];
    for (const dst of pods) for (const src of sources) expect(evaluatePair(world, src, podEndpoint(dst)).ingress.allowed.isAll(), f.message).toBe(true);
  }
}

describe("findings that call something dead weight are right", () => {
  it.each([
    ["random worlds", worldArb],
    ["random worlds with tiered policies", worldWithTiersArb],
  ] as const)("%s: deleting what they name changes no connection", (_, arb) => {
    const seen = new Map<string, number>();
    fc.assert(fc.property(arb, (input) => checkWorld(input, seen)), { numRuns: RUNS });
    // Each kind was exercised, or the property says little.
    for (const kind of DEAD) expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(0);
  });
});
