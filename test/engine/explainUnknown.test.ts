import { describe, expect, it } from "vitest";
import { compileWorld, explain, type EndpointQuery } from "../../src/engine/index.js";
import { pod, policy, tcp } from "../helpers/worldBuilders.js";

const wl = (ref: string): EndpointQuery => {
  const [namespace, name] = ref.split("/");
  return { type: "workload", namespace: namespace!, name: name! };
};

describe("explain: UNKNOWN when the answer depends on facts kubereach does not hold", () => {
  it.each([
    {
      name: "egress to an address with a named-port rule: the address may be a pod defining that name",
      pods: [pod({ ns: "x", name: "a", ip: "10.0.0.1" })],
      policies: [policy("x", "egress-http", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: "http" }] }] })],
      from: wl("x/a"),
      to: { type: "ip", ip: "10.9.9.9" } as EndpointQuery,
      port: 8080,
      verdict: "UNKNOWN",
      unknown: /named port "http"/,
    },
    {
      name: "the same rule with a numeric port is a plain denial",
      pods: [pod({ ns: "x", name: "a", ip: "10.0.0.1" })],
      policies: [policy("x", "egress-80", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 80 }] }] })],
      from: wl("x/a"),
      to: { type: "ip", ip: "10.9.9.9" } as EndpointQuery,
      port: 8080,
      verdict: "DENIED",
    },
    {
      name: "a pod without an IP facing an ipBlock rule that admits the port",
      pods: [pod({ ns: "x", name: "client" }), pod({ ns: "x", name: "db", ip: "10.0.0.2", labels: { app: "db" } })],
      policies: [policy("x", "db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 5432 }] }] })],
      from: wl("x/client"),
      to: wl("x/db"),
      port: 5432,
      verdict: "UNKNOWN",
      unknown: /has no IP yet/,
    },
    {
      name: "the same pod on a port no ipBlock rule admits is a plain denial",
      pods: [pod({ ns: "x", name: "client" }), pod({ ns: "x", name: "db", ip: "10.0.0.2", labels: { app: "db" } })],
      policies: [policy("x", "db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 5432 }] }] })],
      from: wl("x/client"),
      to: wl("x/db"),
      port: 22,
      verdict: "DENIED",
    },
    {
      name: "an allowance is never unknown",
      pods: [pod({ ns: "x", name: "a", ip: "10.0.0.1" }), pod({ ns: "x", name: "b", ip: "10.0.0.2", ports: [tcp(8080, "http")] })],
      policies: [policy("x", "egress-http", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: "http" }] }] })],
      from: wl("x/a"),
      to: wl("x/b"),
      port: 8080,
      verdict: "ALLOWED",
    },
  ])("$name", ({ pods, policies, from, to, port, verdict, unknown }) => {
    const { world, diagnostics } = compileWorld({ namespaces: [], pods, networkPolicies: policies });
    expect(diagnostics).toEqual([]);
    const r = explain(world, from, to, port, "TCP");
    if (!r.ok) throw new Error(r.message);
    expect(r.explanation.verdict).toBe(verdict);
    if (unknown) expect(r.explanation.unknowns.join("\n")).toMatch(unknown);
    else expect(r.explanation.unknowns).toEqual([]);
  });
});
