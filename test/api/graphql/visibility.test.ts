/**
 * The one visibility rule (src/domain/scope.ts) applied to findings, canConnect explanations,
 * networkPolicies and chat, over real HTTP against the real service on PostgreSQL. A token scoped
 * to alpha must learn nothing of bravo or of cluster-scoped policies: no name, no count, no rule.
 *
 *   alpha (team=x)   web app=web; api app=api :80; probe[Pod] ip 10.1.0.5
 *                    NetworkPolicy egress-peer-check: web's egress to env=secret namespaces, pods app=nothing
 *                        -> PEER_MATCHES_NOTHING, which for an admin names "namespace bravo"
 *                    NetworkPolicy wide-ipblock: api's ingress from 10.0.0.0/8
 *                        -> POD_IP_IN_EXTERNAL_IPBLOCK, 3 pods for an admin (2 of them bravo's)
 *   bravo (team=x, env=secret)   vault; ledger[Pod] 10.2.0.9; ledger-b[Pod] 10.2.0.10
 *   ClusterNetworkPolicy bravo-vault-lockdown (Admin, priority 5): team=x pods deny ingress on TCP 80
 *                    from team=x namespaces (rule "deny-bravo-secrets") -> decides alpha/probe => alpha/api:80
 */
import { describe, expect, it } from "vitest";
import { POSTGRES } from "../helpers/backends.js";
import { httpClient, ok } from "../helpers/graphql.js";
import { namespace, networkPolicy, pod, workload, type Manifest } from "../helpers/manifests.js";
import { useTestService } from "../helpers/service.js";

const ADMIN = { name: "admin", token: "vis-admin-token-1" };
const ALPHA = { name: "alpha-team", token: "vis-alpha-token-1", namespaces: ["alpha"] };

const lockdown: Manifest = {
  apiVersion: "policy.networking.k8s.io/v1alpha2",
  kind: "ClusterNetworkPolicy",
  metadata: { name: "bravo-vault-lockdown" },
  spec: {
    tier: "Admin",
    priority: 5,
    subject: { namespaces: { matchLabels: { team: "x" } } },
    ingress: [{ name: "deny-bravo-secrets", action: "Deny", from: [{ namespaces: { matchLabels: { team: "x" } } }], protocols: [{ tcp: { destinationPort: { number: 80 } } }] }],
  },
};

const files = () => ({
  "namespaces.yaml": [namespace("alpha", { team: "x" }), namespace("bravo", { team: "x", env: "secret" })],
  "apps.yaml": [
    workload("alpha", "web", { labels: { app: "web" } }),
    workload("alpha", "api", { labels: { app: "api" }, ports: [{ name: "http", containerPort: 80 }] }),
    pod("alpha", "probe", { labels: { app: "probe" }, ip: "10.1.0.5" }),
    workload("bravo", "vault", { labels: { app: "vault" } }),
    pod("bravo", "ledger", { labels: { app: "ledger" }, ip: "10.2.0.9" }),
    pod("bravo", "ledger-b", { labels: { app: "ledger" }, ip: "10.2.0.10" }),
  ],
  "np.yaml": [
    networkPolicy("alpha", "egress-peer-check", {
      podSelector: { matchLabels: { app: "web" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { env: "secret" } }, podSelector: { matchLabels: { app: "nothing" } } }] }],
    }),
    networkPolicy("alpha", "wide-ipblock", { podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }] }),
  ],
  "tiers.yaml": [lockdown],
});

const FINDINGS = `{ findings { findings { kind namespace message hint objects { kind namespace name field } } } }`;
const CAN = `query($from: EndpointRef!, $to: EndpointRef!) { canConnect(from: $from, to: $to, port: 80) { allowed explanation { summary ingress { decidedIn reason decidedBy { tier action priority rule ruleName peer ports policy { kind namespace name } } passedBy { policy { name } } isolatedBy { name } admittedBy { policy { name } } } egress { decidedIn reason } } } }`;
const POLICIES = `{ networkPolicies { kind namespace name } }`;
const ep = (namespace: string, name: string) => ({ workload: { namespace, name } });

/** Anything of bravo or of the cluster-scoped policy. */
const OUT_OF_SCOPE = /bravo|vault|ledger|10\.2\.0|lockdown|deny-bravo|priority 5|ClusterNetworkPolicy/;

interface Finding {
  kind: string;
  message: string;
  objects: { kind: string; namespace: string; name: string }[];
}

describe("a token scoped to alpha sees nothing of bravo or of cluster-scoped policies", () => {
  const svc = useTestService(() => ({ backend: POSTGRES, name: "harden_vis", files: files(), tokens: [ADMIN, ALPHA] }));
  const admin = () => httpClient(svc().graphqlUrl, ADMIN.token);
  const alpha = () => httpClient(svc().graphqlUrl, ALPHA.token);

  it("findings: the admin's messages name bravo; alpha's same findings name and count only alpha", async () => {
    const all = (await ok<{ findings: { findings: Finding[] } }>(admin(), FINDINGS)).findings.findings;
    const peer = all.find((f) => f.kind === "PEER_MATCHES_NOTHING" && f.message.includes("egress-peer-check"));
    expect(peer?.message).toContain("in namespace bravo");
    const ips = all.find((f) => f.kind === "POD_IP_IN_EXTERNAL_IPBLOCK");
    expect(ips?.message).toContain("contains the IPs of 3 pods");

    const body = await ok<{ findings: { findings: Finding[] } }>(alpha(), FINDINGS);
    const mine = body.findings.findings;
    expect(JSON.stringify(body)).not.toMatch(OUT_OF_SCOPE);
    const myPeer = mine.find((f) => f.kind === "PEER_MATCHES_NOTHING" && f.message.includes("egress-peer-check"));
    expect(myPeer?.message).toMatch(/matches nothing: no pod matches its podSelector app=nothing in the namespaces its namespaceSelector matches$/);
    const myIps = mine.find((f) => f.kind === "POD_IP_IN_EXTERNAL_IPBLOCK");
    expect(myIps?.message).toContain("contains the IPs of 1 pod: alpha/probe (10.1.0.5)");
    expect(myIps?.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`)).toEqual(["NetworkPolicy/alpha/wide-ipblock", "Pod/alpha/probe"]);
    // Every finding alpha gets is about alpha's own objects.
    for (const f of mine) for (const o of f.objects) expect(o.kind === "Namespace" ? o.name : o.namespace, JSON.stringify(f)).toBe("alpha");
  });

  it("canConnect: the Admin tier's decision is reported by tier and action, without the policy's name, rule or peer", async () => {
    type Can = { canConnect: { allowed: string; explanation: { summary: string[]; ingress: { decidedIn: string; reason: string; decidedBy: Record<string, unknown> & { policy: { name: string } } } } } };
    const full = await ok<Can>(admin(), CAN, { from: ep("alpha", "probe"), to: ep("alpha", "api") });
    expect(full.canConnect.allowed).toBe("DENIED");
    expect(full.canConnect.explanation.ingress.decidedBy.policy.name).toBe("bravo-vault-lockdown");
    expect(JSON.stringify(full)).toContain("deny-bravo-secrets");

    const mine = await ok<Can>(alpha(), CAN, { from: ep("alpha", "probe"), to: ep("alpha", "api") });
    expect(JSON.stringify(mine)).not.toMatch(OUT_OF_SCOPE);
    expect(mine.canConnect.allowed).toBe("DENIED");
    const ingress = mine.canConnect.explanation.ingress;
    expect(ingress.decidedIn).toBe("ADMIN");
    expect(ingress.decidedBy).toMatchObject({ tier: "ADMIN", action: "DENY", priority: null, ruleName: null, policy: { name: "(a cluster-scoped policy not visible to this token)" } });
    expect(ingress.reason).toBe("ingress denied by the Admin tier: a rule of a cluster-scoped policy of the Admin tier (Deny; not visible to this token), before any NetworkPolicy");
  });

  it("networkPolicies and chat follow the same rule", async () => {
    const listed = await ok<{ networkPolicies: { kind: string; name: string }[] }>(alpha(), POLICIES);
    expect(listed.networkPolicies.map((p) => `${p.kind}/${p.name}`).sort()).toEqual(["NetworkPolicy/egress-peer-check", "NetworkPolicy/wide-ipblock"]);
    const res = await fetch(`${svc().baseUrl}/api/v1/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${ALPHA.token}`, "content-type": "application/json" },
      body: JSON.stringify({ text: "can alpha/probe reach alpha/api:80" }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/DENIED|denied/);
    expect(text).not.toMatch(OUT_OF_SCOPE);
    const adminChat = await fetch(`${svc().baseUrl}/api/v1/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN.token}`, "content-type": "application/json" },
      body: JSON.stringify({ text: "can alpha/probe reach alpha/api:80" }),
    });
    expect(await adminChat.text()).toContain("bravo-vault-lockdown");
  });
});
