import { describe, expect, it } from "vitest";
import { buildConnectivity, buildMatrix, compileWorld, formatConnEndpoint } from "../../src/engine/index.js";

describe("engine smoke", () => {
  it("backend pods accept TCP 80 only from frontend pods", () => {
    const { world, diagnostics } = compileWorld({
      namespaces: [{ name: "default" }],
      pods: [
        { namespace: "default", name: "frontend", labels: { app: "frontend" }, workload: { namespace: "default", kind: "Deployment", name: "frontend" } },
        { namespace: "default", name: "backend", labels: { app: "backend" }, workload: { namespace: "default", kind: "Deployment", name: "backend" } },
      ],
      networkPolicies: [
        {
          namespace: "default",
          name: "backend",
          spec: { podSelector: { matchLabels: { app: "backend" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "frontend" } } }], ports: [{ port: 80 }] }] },
        },
      ],
    });
    expect(diagnostics).toEqual([]);
    const lines = buildConnectivity(buildMatrix(world)).map((r) => `${formatConnEndpoint(r.src)} => ${formatConnEndpoint(r.dst)} : ${r.conn}`);
    expect(lines).toContain("default/frontend[Deployment] => default/backend[Deployment] : TCP 80");
    expect(lines.filter((l) => l.includes("[External] => default/backend"))).toEqual([]);
  });
});
