/**
 * canConnect with an address that is a known pod's IP (issue 12 item 10), over real HTTP against
 * the real service: the review found 10.1.0.5 answered as [External] and ALLOWED while the pod
 * with that IP is DENIED by an AdminNetworkPolicy. The address is answered for its pod, and the
 * summary says so; a token that cannot see the pod's namespace gets the external answer (nothing
 * tells it the address is a pod's); a node address shared by hostNetwork pods stays external and
 * the summary says why.
 */
import { describe, expect, it } from "vitest";
import { httpClient, ok } from "../helpers/graphql.js";
import { PGLITE } from "../helpers/backends.js";
import { useTestService } from "../helpers/service.js";

const pod = (namespace: string, name: string, app: string, ip: string, hostNetwork = false) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { namespace, name, labels: { app } },
  spec: { hostNetwork, containers: [{ name: "c", image: "x", ports: [{ containerPort: 80 }] }] },
  status: { podIP: ip },
});
const FILES = {
  "pods.yaml": [pod("alpha", "client", "client", "10.1.0.4"), pod("bravo", "api", "api", "10.1.0.5"), pod("bravo", "node-agent", "agent", "10.0.0.9", true), pod("bravo", "node-agent-2", "agent2", "10.0.0.9", true)],
  "anp.yaml": [
    {
      apiVersion: "policy.networking.k8s.io/v1alpha1",
      kind: "AdminNetworkPolicy",
      metadata: { name: "deny-api-egress" },
      spec: { priority: 5, subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: "api" } } } }, egress: [{ action: "Deny", to: [{ networks: ["0.0.0.0/0"] }, { namespaces: {} }] }] },
    },
  ],
};
const ADMIN = "admin-0c1d2e3f";
const ALPHA = "alpha-4a5b6c7d";
const CAN = `query($from: EndpointRef!, $to: EndpointRef!) { canConnect(from: $from, to: $to, port: 80) { allowed explanation { summary } } }`;
interface Answer {
  canConnect: { allowed: string; explanation: { summary: string[] } };
}

describe("canConnect with a pod's IP", () => {
  const svc = useTestService(() => ({
    backend: PGLITE,
    name: "input_podip",
    files: FILES,
    tokens: [
      { name: "admin", token: ADMIN },
      { name: "alpha", token: ALPHA, namespaces: ["alpha"] },
    ],
  }));

  it("answers for the pod the address belongs to, and says so", async () => {
    const a = await ok<Answer>(httpClient(svc().graphqlUrl, ADMIN), CAN, { from: { ip: "10.1.0.5" }, to: { workload: { namespace: "alpha", name: "client" } } });
    expect(a.canConnect.allowed).toBe("DENIED");
    expect(a.canConnect.explanation.summary[0]).toBe("bravo/api[Pod] (pod api, 10.1.0.5) => alpha/client[Pod] on TCP 80: DENIED");
    expect(a.canConnect.explanation.summary).toContain("10.1.0.5 is the IP of pod bravo/api: answered for that pod");
  });

  it("a token that cannot see the pod gets the external answer, which names no pod", async () => {
    const a = await ok<Answer>(httpClient(svc().graphqlUrl, ALPHA), CAN, { from: { ip: "10.1.0.5" }, to: { workload: { namespace: "alpha", name: "client" } } });
    expect(a.canConnect.allowed).toBe("ALLOWED");
    expect(a.canConnect.explanation.summary[0]).toBe("10.1.0.5[External] => alpha/client[Pod] on TCP 80: ALLOWED");
    expect(a.canConnect.explanation.summary.join("\n")).not.toMatch(/bravo|api/);
  });

  it("a node address shared by hostNetwork pods stays external, and the summary says why", async () => {
    const a = await ok<Answer>(httpClient(svc().graphqlUrl, ADMIN), CAN, { from: { workload: { namespace: "alpha", name: "client" } }, to: { ip: "10.0.0.9" } });
    expect(a.canConnect.explanation.summary[0]).toBe("alpha/client[Pod] => 10.0.0.9[External] on TCP 80: ALLOWED");
    expect(a.canConnect.explanation.summary).toContain("10.0.0.9 is a node address (hostNetwork pods use it): answered as an external address");
  });
});
