/**
 * NAMESPACE_WITHOUT_DEFAULT_DENY next to the cluster-scoped tiers: a namespace without a
 * NetworkPolicy default-deny is reported at medium (ingress) / low (egress) when nothing else
 * governs a new pod there, and at info when cluster-scoped policies apply to every pod of the
 * namespace for that direction (a new pod gets what they leave open). Policies whose subject is
 * only some pods, or another namespace, or that have no rules for the direction, change nothing.
 * The world is test/engine/tiers/builders.ts's: namespaces a, b, c with pods.
 */
import { describe, expect, it } from "vitest";
import { findings, type NetworkPolicyInput, type TieredPolicyInput } from "../../src/engine/index.js";
import { policy } from "../helpers/worldBuilders.js";
import { banp, buildTierWorld, cnp, egressRule as eg, ingressRule as ing, networks, nsSubject, podSubject, toNs } from "./tiers/builders.js";

const defaultDenyA: NetworkPolicyInput = policy("a", "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });

const ROWS: readonly { name: string; tiered: readonly TieredPolicyInput[]; expected: readonly string[] }[] = [
  { name: "no tiered policy: ingress medium, egress low", tiered: [], expected: ["medium ingress", "low egress"] },
  {
    name: "a BaselineAdminNetworkPolicy over every namespace, ingress only",
    tiered: [banp({ ingress: [ing("Deny", [{ namespaces: {} }])] })],
    expected: ["info ingress Baseline tier", "low egress"],
  },
  {
    name: "an Admin-tier ClusterNetworkPolicy on namespace b, both directions",
    tiered: [cnp("guard", "Admin", 5, { subject: nsSubject("b"), ingress: [ing("Deny", [toNs("c")])], egress: [eg("Deny", [networks("0.0.0.0/0")])] })],
    expected: ["info ingress Admin tier", "info egress Admin tier"],
  },
  {
    name: "a policy on another namespace changes nothing",
    tiered: [cnp("guard", "Admin", 5, { subject: nsSubject("c"), ingress: [ing("Deny", [toNs("a")])] })],
    expected: ["medium ingress", "low egress"],
  },
  {
    name: "a policy on some pods of the namespace only changes nothing",
    tiered: [cnp("guard", "Baseline", 5, { subject: podSubject("b", { app: "client" }), ingress: [ing("Deny", [toNs("a")])] })],
    expected: ["medium ingress", "low egress"],
  },
];

describe("NAMESPACE_WITHOUT_DEFAULT_DENY with cluster-scoped policies (namespace b)", () => {
  it.each(ROWS)("$name", ({ tiered, expected }) => {
    // Ingress first (findings come ordered by severity).
    const found = findings(buildTierWorld(tiered, [defaultDenyA]))
      .filter((f) => f.kind === "NAMESPACE_WITHOUT_DEFAULT_DENY" && f.namespace === "b")
      .sort((x, y) => (x.direction === y.direction ? 0 : x.direction === "ingress" ? -1 : 1));
    expect(found.map((f) => `${f.severity} ${f.direction}${f.severity === "info" ? ` ${/\(([^)]*)\)/.exec(f.message)![1]}` : ""}`)).toEqual(expected);
    for (const f of found) expect(f.objects).toEqual([{ kind: "Namespace", namespace: "", name: "b" }]);
  });

  it("says what governs a new pod, without naming the cluster-scoped policy", () => {
    const [f] = findings(buildTierWorld([banp({ ingress: [ing("Deny", [{ namespaces: {} }])] })], [defaultDenyA])).filter((x) => x.kind === "NAMESPACE_WITHOUT_DEFAULT_DENY" && x.namespace === "b" && x.direction === "ingress");
    expect(f!.message).toBe(
      "namespace b has no NetworkPolicy default-deny for ingress, but 1 cluster-scoped policy applies to every pod there for ingress (Baseline tier): a new pod there gets what it leaves open until a NetworkPolicy selects it",
    );
    expect(f!.hint).toMatch(/^if the cluster-scoped policies are meant as the default, nothing to do; otherwise add a NetworkPolicy in b with podSelector: \{\}/);
  });
});
