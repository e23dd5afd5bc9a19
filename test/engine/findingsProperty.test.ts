/**
 * Findings that claim something is dead weight must be right about it: on random worlds, deleting a
 * rule reported REDUNDANT_RULE, a policy reported POLICY_SELECTS_NO_POD, a peer reported
 * PEER_MATCHES_NOTHING or a port reported NAMED_PORT_UNDEFINED (when the rule keeps other peers or
 * ports) changes no connection (the what-if of the edit is empty). And a workload reported
 * INGRESS_NOT_ISOLATED accepts everything from every pod and address.
 * With tiered policies: deleting a rule reported fully shadowed by the Admin tier
 * (RULE_SHADOWED_BY_ADMIN_TIER, medium or info) changes no connection either, and for a rule reported
 * partly shadowed (low) evaluatePair finds a pair where a Deny it names decides part of what the rule admits.
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
  type CompiledWorld,
  type Endpoint,
  type Finding,
  type TieredPolicyInput,
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
  // Without policyTypes, egress isolation follows `egress` being non-empty: pin it before deleting a rule.
  if (!spec["policyTypes"]?.length) spec["policyTypes"] = ["Ingress", ...((spec["egress"]?.length ?? 0) > 0 ? ["Egress"] : [])];
  if (f.kind === "REDUNDANT_RULE" || f.kind === "RULE_SHADOWED_BY_ADMIN_TIER") rules.splice(rule, 1);
  else {
    const entries = rules[rule]![list!]!;
    if (entries.length < 2) return undefined; // an empty list would mean "everything"
    entries.splice(item!, 1);
  }
  return { ...input, networkPolicies: policies.map((p, i) => (i === index ? { ...p, spec } : p)) };
}

const DEAD: readonly Finding["kind"][] = ["REDUNDANT_RULE", "POLICY_SELECTS_NO_POD", "PEER_MATCHES_NOTHING", "NAMED_PORT_UNDEFINED"];
/** Counted in `seen` under these names; only worlds with tiered policies have them. */
const SHADOW_FULL = "RULE_SHADOWED_BY_ADMIN_TIER (full)";
const SHADOW_PARTIAL = "RULE_SHADOWED_BY_ADMIN_TIER (partial)";

const isDead = (f: Finding) => DEAD.includes(f.kind) || (f.kind === "RULE_SHADOWED_BY_ADMIN_TIER" && f.severity !== "low");

/** A pod pair (or pod and external address) where a Deny the finding names decides part of what its rule admits. */
function partlyDenied(world: CompiledWorld, externals: readonly Endpoint[], f: Finding): boolean {
  const [rule, ...by] = f.objects;
  const dir = f.direction!;
  const pods = world.pods.map(podEndpoint);
  for (const subject of pods)
    for (const other of [...pods, ...externals]) {
      if (other === subject) continue;
      const v = evaluatePair(world, dir === "egress" ? subject : other, dir === "egress" ? other : subject)[dir];
      const match = v.matches.find((m) => m.policy.ref.namespace === rule!.namespace && m.policy.ref.name === rule!.name && m.rule.field === rule!.field);
      if (!match) continue;
      const denied = v.tierMatches.some(
        (t) => t.tier === "admin" && t.rule.action === "deny" && by.some((o) => o.name === t.policy.ref.name && o.field === t.rule.field) && !t.decided.intersect(match.conn).isEmpty(),
      );
      if (denied) return true;
    }
  return false;
}

function checkWorld(input: WorldInput, seen: Map<string, number>): void {
  const { world } = compileWorld(input);
  const base = prepareWhatIf(world);
  const list = findings(world, { matrix: base.matrix });
  for (const f of list) {
    if (!isDead(f)) continue;
    const head = withoutIt(input, f);
    if (!head) continue;
    const name = f.kind === "RULE_SHADOWED_BY_ADMIN_TIER" ? SHADOW_FULL : f.kind;
    seen.set(name, (seen.get(name) ?? 0) + 1);
    const rows = diffStates(base, compileWorld(head).world).rows;
    expect(rows.map((r) => `${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)}: ${r.before.key} -> ${r.after.key}`), f.message).toEqual([]);
  }
  for (const f of list.filter((x) => x.kind === "INGRESS_NOT_ISOLATED")) {
    const ref = f.objects[0]!;
    const pods = world.pods.filter((p) => workloadKey(p.workload) === workloadKey({ namespace: ref.namespace, kind: ref.kind, name: ref.name }));
    const sources = [...world.pods.map(podEndpoint), externalEndpoint(parseIp("203.0.113.9")!)];
    for (const dst of pods) for (const src of sources) expect(evaluatePair(world, src, podEndpoint(dst)).ingress.allowed.isAll(), f.message).toBe(true);
  }
  const partial = list.filter((x) => x.kind === "RULE_SHADOWED_BY_ADMIN_TIER" && x.severity === "low");
  if (partial.length === 0) return;
  // One address of every external atom: the external endpoints the matrix distinguishes.
  const externals = base.matrix.classes.partition.atoms.map((a) => externalEndpoint({ family: a.family, value: a.start }));
  for (const f of partial) {
    seen.set(SHADOW_PARTIAL, (seen.get(SHADOW_PARTIAL) ?? 0) + 1);
    expect(partlyDenied(world, externals, f), f.message).toBe(true);
  }
}

/**
 * An Admin-tier guardrail over every namespace, added to worldWithTiersArb: a broad Deny or Accept
 * (all ports or one), sometimes after a Pass, so that NetworkPolicy rules are often fully shadowed,
 * which random tiered policies alone rarely achieve.
 */
const guardrailArb: fc.Arbitrary<TieredPolicyInput> = fc
  .record({
    v1alpha1: fc.boolean(),
    priority: fc.constantFrom(0, 0, 5, 10),
    // Mostly egress: only egress rules can name every address (ingress rules to anywhere stay partly shadowed).
    direction: fc.constantFrom("ingress", "egress", "egress"),
    deny: fc.boolean(),
    everyAddress: fc.constantFrom(true, true, false),
    peers: fc.constantFrom<unknown[]>([{ namespaces: {} }], [{ namespaces: {} }], [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "n1" } } }]),
    port: fc.constantFrom(undefined, undefined, 80, 443),
    passFirst: fc.constantFrom(undefined, undefined, 80, 8080),
  })
  .map(({ v1alpha1, priority, direction, deny, everyAddress, peers: selectors, port, passFirst }) => {
    const peerKey = direction === "ingress" ? "from" : "to";
    // Egress may name every address too (networks), so that rules to ipBlocks or to anywhere are covered.
    const peers = direction === "egress" && everyAddress ? [...selectors, { networks: ["0.0.0.0/0", "::/0"] }] : selectors;
    const ports = (n: number) => (v1alpha1 ? { ports: [{ portNumber: { protocol: "TCP", port: n } }] } : { protocols: [{ tcp: { destinationPort: { number: n } } }] });
    const rules = [
      ...(passFirst !== undefined ? [{ action: "Pass", [peerKey]: peers, ...ports(passFirst) }] : []),
      { action: deny ? "Deny" : v1alpha1 ? "Allow" : "Accept", [peerKey]: peers, ...(port !== undefined ? ports(port) : {}) },
    ];
    const spec = { ...(v1alpha1 ? {} : { tier: "Admin" }), priority, subject: { namespaces: {} }, [direction]: rules };
    return v1alpha1
      ? { kind: "AdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", name: "guard", spec }
      : { kind: "ClusterNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha2", name: "guard", spec };
  });
const worldWithGuardrailArb: fc.Arbitrary<WorldInput> = fc.tuple(worldWithTiersArb, guardrailArb).map(([w, g]) => ({ ...w, tieredPolicies: [...(w.tieredPolicies ?? []), g] }));

describe("findings that call something dead weight are right", () => {
  it.each([
    ["random worlds", worldArb, []],
    ["random worlds with tiered policies", worldWithTiersArb, [SHADOW_PARTIAL]],
    ["random worlds with tiered policies and an Admin-tier guardrail", worldWithGuardrailArb, [SHADOW_FULL, SHADOW_PARTIAL]],
  ] as const)("%s: deleting what they name changes no connection", (_, arb, shadows) => {
    const seen = new Map<string, number>();
    fc.assert(fc.property(arb, (input) => checkWorld(input, seen)), { numRuns: RUNS });
    // Each kind was exercised, or the property says little.
    for (const kind of [...DEAD, ...shadows]) expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(0);
  });
});
