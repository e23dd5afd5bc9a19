/**
 * The what-if's pieces on small hand-made worlds: proposals (deletion annotations, the three modes,
 * what needs the full recomputation), splicing a policy change into a world, the rows and causes of
 * a change, and the --fail-on vocabulary.
 */
import { describe, expect, it } from "vitest";
import {
  applyProposal,
  checkFailOn,
  compileWorld,
  ConnectionSet,
  FAIL_ON_RULES,
  formatConnEndpoint,
  parseConnectionSet,
  planProposal,
  policyKey,
  prepareWhatIf,
  rowTrips,
  simulatePolicyEdit,
  spliceWorld,
  splitDeletions,
  whatIf,
  type ConnEndpoint,
  type DiffRow,
  type FailOnRule,
  type ImpactRow,
  type Proposal,
  type WorldInput,
} from "../../src/engine/index.js";
import { namespace, pod, policy, tcp } from "../helpers/worldBuilders.js";

const np = (namespace: string, name: string) => policyKey({ kind: "NetworkPolicy", namespace, name });

/** shop: frontend, backend (http 80); pay: api. backend admits frontend on TCP 80; pay is default-deny. */
const BASE: WorldInput = {
  namespaces: [namespace("shop", { team: "a" }), namespace("pay", { team: "b" })],
  pods: [
    pod({ ns: "shop", name: "frontend", labels: { app: "frontend" } }),
    pod({ ns: "shop", name: "backend", labels: { app: "backend" }, ports: [tcp(80, "http")] }),
    pod({ ns: "pay", name: "api", labels: { app: "api" } }),
  ],
  networkPolicies: [
    policy("shop", "backend-allow", { podSelector: { matchLabels: { app: "backend" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ port: 80 }] }] }),
    policy("pay", "default-deny", { podSelector: {}, policyTypes: ["Ingress"] }),
  ],
};
const base = () => prepareWhatIf(compileWorld(BASE).world);
const rowText = (r: ImpactRow) => `${r.diffType} ${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)} : ${r.before.key} -> ${r.after.key}`;
const proposal = (input: Partial<WorldInput>, deletions: Proposal["deletions"] = []): Proposal => ({ input: { namespaces: [], pods: [], networkPolicies: [], ...input }, deletions });

describe("splitDeletions", () => {
  const obj = (kind: string, name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind, metadata: { name, ...extra } });
  const del = { annotations: { "kubereach.io/delete": "true" } };

  it("takes annotated top-level objects out, with the default namespace for namespaced kinds", () => {
    const { keep, deletions } = splitDeletions([
      { value: obj("NetworkPolicy", "a", { namespace: "shop", ...del }), origin: "f#0" },
      { value: obj("NetworkPolicy", "b", del), origin: "f#1" },
      { value: obj("Namespace", "old", del), origin: "f#2" },
      { value: obj("NetworkPolicy", "kept", { namespace: "shop", annotations: { "kubereach.io/delete": "false" } }), origin: "f#3" },
    ]);
    expect(deletions).toEqual([
      { kind: "NetworkPolicy", namespace: "shop", name: "a" },
      { kind: "NetworkPolicy", namespace: "default", name: "b" },
      { kind: "Namespace", namespace: "", name: "old" },
    ]);
    expect(keep.map((k) => k.origin)).toEqual(["f#3"]);
  });

  it("List items: a deleted item becomes an empty List, so the others keep their positions; typed lists give the kind", () => {
    const list = { apiVersion: "v1", kind: "List", items: [obj("Pod", "p", { namespace: "x", ...del }), obj("Pod", "q", { namespace: "x" })] };
    const typed = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicyList", items: [{ metadata: { name: "n", namespace: "x", ...del } }] };
    const { keep, deletions } = splitDeletions([
      { value: list, origin: "l#0" },
      { value: typed, origin: "l#1" },
    ]);
    expect(deletions).toEqual([
      { kind: "Pod", namespace: "x", name: "p" },
      { kind: "NetworkPolicy", namespace: "x", name: "n" },
    ]);
    expect((keep[0]!.value as { items: unknown[] }).items).toEqual([{ apiVersion: "v1", kind: "List", items: [] }, obj("Pod", "q", { namespace: "x" })]);
    expect(keep[0]!.origin).toBe("l#0");
  });
});

describe("planProposal: the three modes", () => {
  const world = compileWorld({ ...BASE, networkPolicies: [...BASE.networkPolicies, policy("shop", "frontend-egress", { podSelector: {}, policyTypes: ["Egress"] })] }).world;
  const given = proposal({ networkPolicies: [policy("shop", "backend-allow", { podSelector: {} })] });

  it.each([
    ["apply", [], ["shop"]],
    ["replace-namespace", ["NetworkPolicy/shop/frontend-egress"], ["shop"]],
    ["replace-all", ["NetworkPolicy/shop/frontend-egress", "NetworkPolicy/pay/default-deny"], ["pay", "shop"]],
  ] as const)("%s deletes %j and touches %j", (mode, deletes, namespaces) => {
    const plan = planProposal(world, given, mode);
    expect(plan.policyUpserts.map((p) => p.name)).toEqual(["backend-allow"]);
    expect([...plan.policyDeletes].sort()).toEqual([...deletes].sort());
    expect(plan.namespaces).toEqual(namespaces);
    expect(plan.incremental).toBe(true);
  });

  it("a deletion is a deletion in every mode; a deleted Namespace takes its policies", () => {
    const plan = planProposal(world, proposal({}, [{ kind: "NetworkPolicy", namespace: "shop", name: "backend-allow" }, { kind: "Namespace", namespace: "", name: "pay" }]), "apply");
    expect([...plan.policyDeletes].sort()).toEqual([np("pay", "default-deny"), np("shop", "backend-allow")].sort());
    expect(plan.incremental).toBe(false);
  });

  it("the incremental what-if applies unless namespaces, pods or tiered policies change", () => {
    const same = proposal({ namespaces: [namespace("shop", { team: "a" })] });
    expect(planProposal(world, same, "apply").incremental).toBe(true);
    expect(planProposal(world, proposal({ namespaces: [namespace("shop", { team: "z" })] }), "apply").incremental).toBe(false);
    expect(planProposal(world, proposal({ pods: [pod({ ns: "shop", name: "new" })] }), "apply").incremental).toBe(false);
    expect(planProposal(world, proposal({ tieredPolicies: [{ kind: "AdminNetworkPolicy", name: "a", spec: {} }] }), "apply").incremental).toBe(false);
  });
});

describe("applyProposal (the full recomputation's head)", () => {
  it("a workload replaces its pods, a Pod its namesake, a deleted Namespace its pods and policies", () => {
    const world: WorldInput = {
      ...BASE,
      pods: [
        ...BASE.pods,
        pod({ ns: "shop", name: "web-1", labels: { app: "web" }, workload: { namespace: "shop", kind: "Deployment", name: "web" } }),
        pod({ ns: "shop", name: "web-2", labels: { app: "web" }, workload: { namespace: "shop", kind: "Deployment", name: "web" } }),
      ],
    };
    const p = proposal(
      {
        pods: [pod({ ns: "shop", name: "web", labels: { app: "web", v: "2" }, workload: { namespace: "shop", kind: "Deployment", name: "web" } }), pod({ ns: "shop", name: "frontend", labels: { app: "fe" } })],
      },
      [{ kind: "Namespace", namespace: "", name: "pay" }],
    );
    const head = applyProposal(world, p, planProposal(compileWorld(world).world, p, "apply"));
    expect(head.pods.map((x) => `${x.namespace}/${x.name} ${JSON.stringify(x.labels)}`)).toEqual([
      'shop/backend {"app":"backend"}',
      'shop/web {"app":"web","v":"2"}',
      'shop/frontend {"app":"fe"}',
    ]);
    expect(head.namespaces.map((n) => n.name)).toEqual(["shop"]);
    expect(head.networkPolicies.map((x) => x.name)).toEqual(["backend-allow"]);
  });
});

describe("spliceWorld", () => {
  const world = compileWorld(BASE).world;
  const compiled = (...ps: ReturnType<typeof policy>[]) => compileWorld({ namespaces: [], pods: [], networkPolicies: ps }).world.networkPolicies;

  it("an upsert equal in meaning to the base version is no change (spelling, order of policyTypes)", () => {
    const same = compiled(policy("pay", "default-deny", { podSelector: { matchLabels: {} }, policyTypes: ["Ingress"], egress: [] }));
    const s = spliceWorld(world, { upserts: same, deletes: [] });
    expect(s.changes).toEqual([]);
    expect(s.world).toBe(world);
  });

  it("added, modified and deleted policies; deleting what does not exist is reported; an upsert wins over a deletion", () => {
    const s = spliceWorld(world, {
      upserts: compiled(policy("pay", "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }), policy("ops", "new", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] })),
      deletes: [np("shop", "backend-allow"), np("shop", "nope"), np("ops", "new")],
    });
    expect(s.changes.map((c) => `${c.kind} ${c.key}`)).toEqual(["modified NetworkPolicy/pay/default-deny", "added NetworkPolicy/ops/new", "deleted NetworkPolicy/shop/backend-allow"]);
    expect(s.missing).toEqual([np("shop", "nope")]);
    // Indices are positions, peer ids index world.peers, and the new namespace exists implicitly.
    s.world.networkPolicies.forEach((p, i) => expect(p.index).toBe(i));
    s.world.peers.forEach((p, i) => expect(p.id).toBe(i));
    expect(s.world.namespaceByName.get("ops")).toMatchObject({ defined: false, labels: { "kubernetes.io/metadata.name": "ops" } });
    expect(s.world.policiesByNamespace.get("shop")).toBeUndefined();
  });
});

describe("simulatePolicyEdit: rows and causes", () => {
  it("a modified rule gains a port; a new default-deny cuts a pair; each row says why", () => {
    const upserts = compileWorld({
      namespaces: [],
      pods: [],
      networkPolicies: [
        policy("shop", "backend-allow", { podSelector: { matchLabels: { app: "backend" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ port: 80 }, { port: 443 }] }] }),
        policy("shop", "frontend-deny", { podSelector: { matchLabels: { app: "frontend" } }, policyTypes: ["Ingress"] }),
      ],
    }).world.networkPolicies;
    const r = simulatePolicyEdit(base(), { upserts, deletes: [np("pay", "default-deny")] });
    expect(r.method).toBe("incremental");
    // Sorted as diffConnectivity sorts: workloads first, external ranges last.
    expect(r.rows.map(rowText)).toEqual([
      "removed pay/api[Pod] => shop/frontend[Pod] : All Connections -> No Connections",
      "added shop/backend[Pod] => pay/api[Pod] : No Connections -> All Connections",
      "removed shop/backend[Pod] => shop/frontend[Pod] : All Connections -> No Connections",
      "added shop/frontend[Pod] => pay/api[Pod] : No Connections -> All Connections",
      "changed shop/frontend[Pod] => shop/backend[Pod] : TCP 80 -> TCP 80,443",
      "added 0.0.0.0-255.255.255.255[External] => pay/api[Pod] : No Connections -> All Connections",
      "removed 0.0.0.0-255.255.255.255[External] => shop/frontend[Pod] : All Connections -> No Connections",
    ]);
    const why = (src: string, dst: string) => r.rows.find((x) => formatConnEndpoint(x.src) === src && formatConnEndpoint(x.dst) === dst)!.causes.map((c) => c.text);
    expect(why("shop/frontend[Pod]", "shop/backend[Pod]")).toEqual([
      "NetworkPolicy shop/backend-allow (modified) spec.ingress[0] admits TCP 443 from pods matching app=frontend in namespace shop (ports: TCP 80, TCP 443)",
    ]);
    expect(why("shop/backend[Pod]", "shop/frontend[Pod]")).toEqual([
      "NetworkPolicy shop/frontend-deny (added) now isolates shop/frontend[Pod] for ingress, and no ingress rule admits All Connections from shop/backend[Pod]",
    ]);
    expect(why("shop/backend[Pod]", "pay/api[Pod]")).toEqual([
      "NetworkPolicy pay/default-deny (deleted) no longer isolates pay/api[Pod] for ingress, and no other NetworkPolicy does: ingress from shop/backend[Pod] gains All Connections",
    ]);
    expect(r.rows.find((x) => x.diffType === "changed")).toMatchObject({ gained: parseConnectionSet("TCP 443"), lost: ConnectionSet.NONE });
  });

  it("no change at all: no rows, no evaluation", () => {
    const r = simulatePolicyEdit(base(), { upserts: compileWorld(BASE).world.networkPolicies, deletes: [] });
    expect(r.rows).toEqual([]);
    expect(r.policyChanges).toEqual([]);
    expect(r.stats.evaluatedPairs).toBe(0);
  });

  it("whatIf: the full recomputation needs the base input, and names pods that changed", () => {
    const p = proposal({ pods: [pod({ ns: "shop", name: "frontend", labels: { app: "other" } })] });
    expect(() => whatIf(base(), p, "apply")).toThrow(/no base input/);
    const { result } = whatIf(base(), p, "apply", { baseInput: () => BASE });
    expect(result.method).toBe("full");
    expect(result.rows.map(rowText)).toEqual(["removed shop/frontend[Pod] => shop/backend[Pod] : TCP 80 -> No Connections"]);
    expect(result.rows[0]!.causes.map((c) => c.effect)).toEqual(["world-change"]);
  });
});

describe("--fail-on rules", () => {
  const wl = (namespace: string, name: string): ConnEndpoint => ({ kind: "workload", ref: { namespace, kind: "Deployment", name } });
  const ext: ConnEndpoint = { kind: "external", range: { family: 4, start: 0n, end: 2n ** 32n - 1n } };
  const row = (src: ConnEndpoint, dst: ConnEndpoint, before: string, after: string): DiffRow => {
    const b = parseConnectionSet(before);
    const a = parseConnectionSet(after);
    return { diffType: b.isEmpty() ? "added" : a.isEmpty() ? "removed" : "changed", src, dst, before: b, after: a };
  };
  const ROWS: Record<string, DiffRow> = {
    crossGain: row(wl("a", "x"), wl("b", "y"), "No Connections", "TCP 80"),
    sameSwap: row(wl("a", "x"), wl("a", "z"), "TCP 80", "TCP 443"),
    extInAll: row(ext, wl("a", "x"), "TCP 80", "All Connections"),
    extOutLoss: row(wl("a", "x"), ext, "TCP 80,443", "TCP 443"),
  };
  const EXPECTED: Record<FailOnRule, string[]> = {
    "added-any": ["crossGain", "sameSwap", "extInAll"],
    "removed-any": ["sameSwap", "extOutLoss"],
    "changed-any": ["crossGain", "sameSwap", "extInAll", "extOutLoss"],
    "added-external-ingress": ["extInAll"],
    "added-external-egress": [],
    "added-cross-namespace": ["crossGain"],
    "added-same-namespace": ["sameSwap"],
    "added-all-connections": ["extInAll"],
    "removed-external-ingress": [],
    "removed-external-egress": ["extOutLoss"],
    "removed-cross-namespace": [],
    "removed-same-namespace": ["sameSwap"],
  };
  it.each(FAIL_ON_RULES)("%s", (rule) => {
    expect(Object.entries(ROWS).filter(([, r]) => rowTrips(rule, r)).map(([k]) => k)).toEqual(EXPECTED[rule]);
  });
  it("checkFailOn keeps the order given, drops repeats and rules that do not trip", () => {
    const tripped = checkFailOn(Object.values(ROWS), ["removed-cross-namespace", "added-all-connections", "added-all-connections", "removed-any"]);
    expect(tripped.map((t) => `${t.rule}:${t.rows.length}`)).toEqual(["added-all-connections:1", "removed-any:2"]);
  });
});

describe("a deletion of an object the base does not have: a NOT_IN_BASE warning naming it", () => {
  const warnings = (deletions: Proposal["deletions"]) =>
    whatIf(base(), proposal({}, deletions), "apply", { baseInput: () => BASE })
      .result.diagnostics.filter((d) => d.code === "NOT_IN_BASE")
      .map((d) => `${d.severity} ${d.object}`);
  it.each([
    { kind: "NetworkPolicy", namespace: "pay", name: "default-deny", present: true },
    { kind: "NetworkPolicy", namespace: "pay", name: "default-denyy", present: false },
    { kind: "NetworkPolicy", namespace: "shop", name: "default-deny", present: false },
    { kind: "Namespace", namespace: "", name: "pay", present: true },
    { kind: "Namespace", namespace: "", name: "payy", present: false },
    { kind: "Pod", namespace: "shop", name: "backend", present: true },
    { kind: "Pod", namespace: "shop", name: "backend-0", present: false },
    { kind: "Deployment", namespace: "shop", name: "backend", present: false },
    { kind: "AdminNetworkPolicy", namespace: "", name: "deny-all", present: false },
  ])("$kind $namespace/$name: warned unless present ($present)", ({ present, ...ref }) => {
    const shown = ref.namespace === "" ? ref.name : `${ref.namespace}/${ref.name}`;
    expect(warnings([ref])).toEqual(present ? [] : [`warning ${ref.kind} ${shown}`]);
  });

  it("the message says nothing is deleted and what to check; the result has no change", () => {
    const { result } = whatIf(base(), proposal({}, [{ kind: "NetworkPolicy", namespace: "pay", name: "nope" }]), "apply");
    expect(result.policyChanges).toEqual([]);
    expect(result.rows).toEqual([]);
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      "the proposal deletes NetworkPolicy pay/nope, which the base state does not have: nothing is deleted (check the kind, namespace and name)",
    ]);
  });
});
