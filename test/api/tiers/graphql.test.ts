/**
 * Tiered policies through GraphQL over real HTTP, against the real service syncing a manifest tree
 * (PGlite and PostgreSQL): networkPolicies lists the cluster-scoped kinds with tier and priority
 * (only to tokens that see every namespace), canConnect explanations name the tier, policy,
 * priority and rule that decided each side and the Pass hand-offs, findings name the Admin rule that
 * shadows a NetworkPolicy rule, and policyHistory records revisions with impacts for a cluster-scoped
 * policy (namespace "").
 */
import { describe, expect, it } from "vitest";
import { API_BACKENDS } from "../helpers/backends.js";
import { httpClient, ok } from "../helpers/graphql.js";
import { namespace, networkPolicy, workload, type Manifest } from "../helpers/manifests.js";
import { useTestService } from "../helpers/service.js";

const FULL = { name: "admin", token: "tiers-admin-token" };
const SHOP_ONLY = { name: "shop-team", token: "tiers-shop-token", namespaces: ["shop"] };

const guard = (action: "Deny" | "Pass"): Manifest => ({
  apiVersion: "policy.networking.k8s.io/v1alpha2",
  kind: "ClusterNetworkPolicy",
  metadata: { name: "guard" },
  spec: {
    tier: "Admin",
    priority: 10,
    subject: { namespaces: { matchLabels: { env: "prod" } } },
    ingress: [{ name: "ops-in", action, from: [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "ops" } } }], protocols: [{ tcp: { destinationPort: { number: 80 } } }] }],
  },
});
const monitoring: Manifest = {
  apiVersion: "policy.networking.k8s.io/v1alpha1",
  kind: "AdminNetworkPolicy",
  metadata: { name: "monitoring" },
  spec: { priority: 3, subject: { namespaces: {} }, ingress: [{ name: "scrape", action: "Allow", from: [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": "ops" } } }], ports: [{ portNumber: { protocol: "TCP", port: 9090 } }] }] },
};
const baseline: Manifest = {
  apiVersion: "policy.networking.k8s.io/v1alpha1",
  kind: "BaselineAdminNetworkPolicy",
  metadata: { name: "default" },
  spec: { subject: { namespaces: {} }, ingress: [{ name: "no-dev", action: "Deny", from: [{ namespaces: { matchLabels: { env: "dev" } } }] }] },
};

const files = () => ({
  "namespaces.yaml": [namespace("shop", { env: "prod" }), namespace("ops"), namespace("lab", { env: "dev" })],
  "apps.yaml": [
    workload("shop", "web", { labels: { app: "web" }, ports: [{ name: "http", containerPort: 80 }] }),
    workload("shop", "db", { labels: { app: "db" } }),
    workload("ops", "admin", { labels: { app: "admin" } }),
    workload("lab", "tool", { labels: { app: "tool" } }),
  ],
  "np.yaml": [networkPolicy("shop", "web-from-ops", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 80 }] }] })],
  "tiers.yaml": [guard("Deny"), monitoring, baseline],
});

interface Policy {
  kind: string;
  namespace: string;
  name: string;
  tier: string;
  priority: number | null;
  policyTypes: string[];
  uid: string;
  spec: Record<string, unknown>;
  selects: { namespace: string; name: string }[];
}
interface TierRule {
  tier: string;
  policy: { kind: string; namespace: string; name: string };
  priority: number | null;
  rule: string;
  ruleName: string | null;
  action: string;
  peer: string;
  ports: string;
}
interface Side {
  decidedIn: string;
  decidedBy: TierRule | null;
  passedBy: TierRule[];
  allowed: boolean;
  reason: string;
}

const POLICIES = `query($ns: String) { networkPolicies(namespace: $ns) { kind namespace name tier priority policyTypes uid spec selects { namespace name } } }`;
const RULE = `tier policy { kind namespace name } priority rule ruleName action peer ports`;
const CAN = `query($from: EndpointRef!, $to: EndpointRef!, $port: Int!) { canConnect(from: $from, to: $to, port: $port) {
  allowed explanation { summary ingress { decidedIn decidedBy { ${RULE} } passedBy { ${RULE} } allowed reason } egress { decidedIn allowed } } } }`;
const HISTORY = `query($ns: String!, $name: String!) { policyHistory(namespace: $ns, name: $name, first: 50) { edges { node {
  objectKind namespace name operation diff impact { exact gained { src dst connections } lost { src dst connections } } } } } }`;
const WORKLOAD = `query { workloads(namespace: "shop") { name policies { kind name tier } } }`;
const FINDINGS = `query { findings { findings { kind severity direction namespace message objects { kind namespace name field } } } }`;

const ep = (namespace: string, name: string) => ({ workload: { namespace, name } });

describe.each(API_BACKENDS)("tiered policies over GraphQL ($name)", (backend) => {
  const svc = useTestService(() => ({ backend, name: "tiers", files: files(), tokens: [FULL, SHOP_ONLY] }));
  const full = () => httpClient(svc().graphqlUrl, FULL.token);
  const scoped = () => httpClient(svc().graphqlUrl, SHOP_ONLY.token);

  it("networkPolicies lists the cluster-scoped kinds with tier and priority", async () => {
    const { networkPolicies } = await ok<{ networkPolicies: Policy[] }>(full(), POLICIES);
    const byName = Object.fromEntries(networkPolicies.map((p) => [`${p.kind}/${p.name}`, p]));
    expect(Object.keys(byName).sort()).toEqual(["AdminNetworkPolicy/monitoring", "BaselineAdminNetworkPolicy/default", "ClusterNetworkPolicy/guard", "NetworkPolicy/web-from-ops"]);
    expect(byName["NetworkPolicy/web-from-ops"]).toMatchObject({ namespace: "shop", tier: "NETWORK_POLICY", priority: null, policyTypes: ["INGRESS"] });
    expect(byName["ClusterNetworkPolicy/guard"]).toMatchObject({ namespace: "", tier: "ADMIN", priority: 10, policyTypes: ["INGRESS"], spec: { tier: "Admin", priority: 10 } });
    expect(byName["ClusterNetworkPolicy/guard"]!.uid).not.toBe("");
    expect(byName["ClusterNetworkPolicy/guard"]!.selects.map((w) => `${w.namespace}/${w.name}`).sort()).toEqual(["shop/db", "shop/web"]);
    expect(byName["AdminNetworkPolicy/monitoring"]).toMatchObject({ tier: "ADMIN", priority: 3 });
    expect(byName["BaselineAdminNetworkPolicy/default"]).toMatchObject({ tier: "BASELINE", priority: null });
    expect(byName["BaselineAdminNetworkPolicy/default"]!.selects).toHaveLength(4);
  });

  it("a namespace filter, and a namespace-scoped token, see no cluster-scoped policy", async () => {
    const filtered = await ok<{ networkPolicies: Policy[] }>(full(), POLICIES, { ns: "shop" });
    expect(filtered.networkPolicies.map((p) => p.name)).toEqual(["web-from-ops"]);
    const mine = await ok<{ networkPolicies: Policy[] }>(scoped(), POLICIES);
    expect(mine.networkPolicies.map((p) => p.name)).toEqual(["web-from-ops"]);
    const workloads = await ok<{ workloads: { name: string; policies: { kind: string; name: string; tier: string }[] }[] }>(scoped(), WORKLOAD);
    expect(workloads.workloads.find((w) => w.name === "web")!.policies).toEqual([{ kind: "NetworkPolicy", name: "web-from-ops", tier: "NETWORK_POLICY" }]);
    const all = await ok<{ workloads: { name: string; policies: { kind: string; name: string }[] }[] }>(full(), WORKLOAD);
    expect(all.workloads.find((w) => w.name === "web")!.policies.map((p) => `${p.kind}/${p.name}`)).toEqual([
      "NetworkPolicy/web-from-ops",
      "AdminNetworkPolicy/monitoring",
      "ClusterNetworkPolicy/guard",
      "BaselineAdminNetworkPolicy/default",
    ]);
  });

  it("canConnect names the Admin rule that denied, with tier, priority and rule name", async () => {
    const r = await ok<{ canConnect: { allowed: string; explanation: { summary: string[]; ingress: Side } } }>(full(), CAN, { from: ep("ops", "admin"), to: ep("shop", "web"), port: 80 });
    expect(r.canConnect.allowed).toBe("DENIED");
    expect(r.canConnect.explanation.ingress).toMatchObject({
      decidedIn: "ADMIN",
      allowed: false,
      decidedBy: { tier: "ADMIN", policy: { kind: "ClusterNetworkPolicy", namespace: "", name: "guard" }, priority: 10, rule: "spec.ingress[0]", ruleName: "ops-in", action: "DENY", ports: "TCP 80" },
      passedBy: [],
    });
    expect(r.canConnect.explanation.summary.join("\n")).toContain('denied by the Admin tier: ClusterNetworkPolicy guard (Admin tier, priority 10) rule spec.ingress[0] "ops-in" (Deny;');
  });

  it("canConnect: the v1alpha1 Allow, the Baseline deny and the default", async () => {
    const scrape = await ok<{ canConnect: { allowed: string; explanation: { ingress: Side } } }>(full(), CAN, { from: ep("ops", "admin"), to: ep("shop", "db"), port: 9090 });
    expect(scrape.canConnect).toMatchObject({ allowed: "ALLOWED", explanation: { ingress: { decidedIn: "ADMIN", decidedBy: { policy: { kind: "AdminNetworkPolicy", name: "monitoring" }, action: "ACCEPT", priority: 3 } } } });
    const dev = await ok<{ canConnect: { allowed: string; explanation: { ingress: Side } } }>(full(), CAN, { from: ep("lab", "tool"), to: ep("shop", "db"), port: 5432 });
    expect(dev.canConnect).toMatchObject({ allowed: "DENIED", explanation: { ingress: { decidedIn: "BASELINE", decidedBy: { tier: "BASELINE", policy: { kind: "BaselineAdminNetworkPolicy", name: "default" }, priority: null, action: "DENY" } } } });
    const open = await ok<{ canConnect: { allowed: string; explanation: { ingress: Side } } }>(full(), CAN, { from: ep("shop", "web"), to: ep("ops", "admin"), port: 22 });
    expect(open.canConnect).toMatchObject({ allowed: "ALLOWED", explanation: { ingress: { decidedIn: "DEFAULT", decidedBy: null } } });
  });

  it("findings: the Admin Deny that shadows part of a NetworkPolicy rule, shown to tokens that see cluster-scoped policies", async () => {
    type Found = { kind: string; severity: string; direction: string; namespace: string; message: string; objects: { kind: string; namespace: string; name: string; field: string | null }[] };
    const shadowed = async (client: ReturnType<typeof full>) =>
      (await ok<{ findings: { findings: Found[] } }>(client, FINDINGS)).findings.findings.filter((f) => f.kind === "RULE_SHADOWED_BY_ADMIN_TIER");
    const [f, ...rest] = await shadowed(full());
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: "LOW",
      direction: "INGRESS",
      namespace: "shop",
      objects: [
        { kind: "NetworkPolicy", namespace: "shop", name: "web-from-ops", field: "spec.ingress[0]" },
        { kind: "ClusterNetworkPolicy", namespace: "", name: "guard", field: "spec.ingress[0]" },
      ],
    });
    expect(f!.message).toContain('TCP 80 of what it admits is denied for 1 workload pair by ClusterNetworkPolicy guard (Admin tier, priority 10) rule spec.ingress[0] "ops-in" (Deny)');
    expect(await shadowed(scoped())).toEqual([]);
  });

  it("changing the cluster-scoped policy records a revision with its impact; the Pass hand-off shows in canConnect", async () => {
    svc().manifests.write("tiers.yaml", guard("Pass"), monitoring, baseline);
    await svc().reread();
    const { policyHistory } = await ok<{ policyHistory: { edges: { node: { objectKind: string; namespace: string; operation: string; diff: unknown; impact: { exact: boolean; gained: { src: string; dst: string; connections: string }[] } | null } }[] } }>(
      full(),
      HISTORY,
      { ns: "", name: "guard" },
    );
    expect(policyHistory.edges.map((e) => [e.node.objectKind, e.node.namespace, e.node.operation])).toEqual([
      ["ClusterNetworkPolicy", "", "CREATE"],
      ["ClusterNetworkPolicy", "", "UPDATE"],
    ]);
    const update = policyHistory.edges[1]!.node;
    expect(update.diff).toEqual([{ op: "replace", path: "/ingress/0/action", value: "Pass" }]);
    // db (no NetworkPolicy) is passed on to the Baseline tier, which does not match ops: allowed by default; web by its NetworkPolicy.
    expect(update.impact).toMatchObject({
      exact: true,
      gained: [
        { src: "ops/admin[Deployment]", dst: "shop/db[Deployment]", connections: "TCP 80" },
        { src: "ops/admin[Deployment]", dst: "shop/web[Deployment]", connections: "TCP 80" },
      ],
    });

    const r = await ok<{ canConnect: { allowed: string; explanation: { ingress: Side } } }>(full(), CAN, { from: ep("ops", "admin"), to: ep("shop", "web"), port: 80 });
    expect(r.canConnect.allowed).toBe("ALLOWED");
    expect(r.canConnect.explanation.ingress).toMatchObject({ decidedIn: "NETWORK_POLICY", decidedBy: null, passedBy: [{ policy: { name: "guard" }, action: "PASS", ruleName: "ops-in" }] });
    expect(r.canConnect.explanation.ingress.reason).toMatch(/^the Admin tier passes ingress .* on to the next tier \(ClusterNetworkPolicy guard \(Admin tier, priority 10\).*\); then ingress allowed by NetworkPolicy shop\/web-from-ops/);
  });
});
