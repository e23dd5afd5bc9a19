import { describe, expect, it } from "vitest";
import { compileWorld, evaluatePair, formatIp, parseConnectionSet, parseIp, podEndpoint } from "../../src/engine/index.js";
import { pod, policy, tcp, udp } from "../helpers/worldBuilders.js";

describe("compile edge cases", () => {
  it("a port name shared by two containers keeps the pod, warns, and resolves to the first definition", () => {
    const { world, diagnostics } = compileWorld({
      namespaces: [],
      pods: [pod({ ns: "x", name: "a" }), pod({ ns: "x", name: "b", ports: [tcp(8080, "http"), tcp(9090, "http")] })],
      networkPolicies: [policy("x", "p", { podSelector: {}, ingress: [{ ports: [{ port: "http" }] }] })],
    });
    expect(diagnostics.map((d) => [d.severity, d.code, d.field])).toEqual([["warning", "INVALID_PORT", "spec.containers.ports[1].name"]]);
    const [a, b] = world.pods;
    expect(evaluatePair(world, podEndpoint(a!), podEndpoint(b!)).allowed.key).toBe("TCP 8080");
  });

  it("a named port resolves only with the protocol of the rule", () => {
    const { world } = compileWorld({
      namespaces: [],
      pods: [pod({ ns: "x", name: "a" }), pod({ ns: "x", name: "b", ports: [udp(53, "dns")] })],
      networkPolicies: [policy("x", "p", { podSelector: {}, ingress: [{ ports: [{ port: "dns" }] }] })],
    });
    expect(evaluatePair(world, podEndpoint(world.pods[0]!), podEndpoint(world.pods[1]!)).allowed.key).toBe("No Connections");
  });

  it("`ports: [null]` is a zero-valued port entry: TCP on every port, as the API server decodes and defaults it", () => {
    const { world, diagnostics } = compileWorld({
      namespaces: [],
      pods: [pod({ ns: "x", name: "a" }), pod({ ns: "x", name: "b" })],
      networkPolicies: [policy("x", "p", { podSelector: {}, ingress: [{ ports: [null] }] })],
    });
    expect(diagnostics).toEqual([]);
    expect(evaluatePair(world, podEndpoint(world.pods[0]!), podEndpoint(world.pods[1]!)).allowed.key).toBe("TCP 1-65535");
  });
});

describe("parseConnectionSet strictness", () => {
  it.each(["TCP 0", "TCP 90-80", "TCP 70000", "TCP", "HTTP 80", "80"])("rejects %j", (text) => {
    expect(() => parseConnectionSet(text)).toThrow(/not a connection set/);
  });
});

describe("IPv4-mapped IPv6 formatting", () => {
  it("prints the dotted quad (RFC 5952 section 5)", () => {
    expect(formatIp(parseIp("::ffff:1.2.3.4")!)).toBe("::ffff:1.2.3.4");
    expect(formatIp(parseIp("::ffff:102:304")!)).toBe("::ffff:1.2.3.4");
  });
});
