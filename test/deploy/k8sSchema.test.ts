/** The Kubernetes schema validator used by test/deploy/ catches what the API server would reject. */
import { describe, expect, it } from "vitest";
import { requiredFields, schemaSource, validateObject } from "./k8sSchema.js";

const deployment = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [
          {
            name: "web",
            image: "nginx:1.27.0",
            ports: [{ containerPort: 80, protocol: "TCP" }],
            readinessProbe: { httpGet: { path: "/", port: "http" } },
            resources: { limits: { memory: "128Mi" } },
          },
        ],
      },
    },
  },
});

describe("Kubernetes schema validator (@kubernetes/client-node models)", () => {
  it("reads the schema of the client kubereach runs", () => {
    const source = schemaSource();
    expect(source.clientVersion).toBe("1.4.0");
    expect(source.apiVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(source.models).toBeGreaterThan(500);
  });

  it("accepts a valid object", () => {
    expect(validateObject(deployment())).toEqual([]);
  });

  it("knows the required fields from the model declarations", () => {
    expect([...requiredFields("V1DeploymentSpec")].sort()).toEqual(["selector", "template"]);
    expect(requiredFields("V1Container").has("name")).toBe(true);
    expect(requiredFields("V1ObjectMeta").size).toBe(0);
  });

  it("rejects an unknown field, with its path", () => {
    const d = deployment();
    Object.assign(d.spec.template.spec.containers[0]!, { imagePulPolicy: "Always" });
    expect(validateObject(d)).toEqual([expect.stringMatching(/^spec\.template\.spec\.containers\[0\]\.imagePulPolicy: unknown field/)]);
  });

  it("rejects wrong types", () => {
    const d = deployment() as unknown as { spec: Record<string, unknown> & { template: { metadata: { labels: Record<string, unknown> } } } };
    d.spec["replicas"] = "2";
    d.spec.template.metadata.labels["tier"] = 1;
    d.spec["paused"] = "no";
    expect(validateObject(d)).toEqual([
      "spec.replicas: expected a number, got string \"2\"",
      "spec.template.metadata.labels.tier: expected a string, got number 1",
      "spec.paused: expected a boolean, got string \"no\"",
    ]);
  });

  it("rejects a missing required field, a fractional integer and a null", () => {
    const d = deployment() as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    delete d.spec.template.spec.containers[0]!["name"];
    (d.spec.template.spec.containers[0]!["ports"] as Array<Record<string, unknown>>)[0]!["containerPort"] = 80.5;
    d.spec.template.spec.containers[0]!["command"] = null;
    expect(validateObject(d)).toEqual([
      "spec.template.spec.containers[0].ports[0].containerPort: expected an integer, got 80.5",
      expect.stringMatching(/^spec\.template\.spec\.containers\[0\]\.command: null/),
      "spec.template.spec.containers[0].name: required field missing (V1Container)",
    ]);
  });

  it("checks int-or-string, base64 data and lists", () => {
    const d = deployment() as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    d.spec.template.spec.containers[0]!["readinessProbe"] = { httpGet: { path: "/", port: 80.5 } };
    d.spec.template.spec.containers[0]!["args"] = "serve";
    expect(validateObject(d)).toEqual([
      expect.stringMatching(/^spec\.template\.spec\.containers\[0\]\.readinessProbe\.httpGet\.port: expected an integer or a non-empty string/),
      "spec.template.spec.containers[0].args: expected a list of string, got string \"serve\"",
    ]);
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { ok: "aGVsbG8=", bad: "not base64!" } };
    expect(validateObject(secret)).toEqual(["data.bad: expected base64 data"]);
  });

  it("rejects kinds and versions it has no schema for", () => {
    expect(validateObject({ apiVersion: "apps/v1beta1", kind: "Deployment" })).toEqual([expect.stringMatching(/no schema for apiVersion\/kind apps\/v1beta1\/Deployment/)]);
    expect(validateObject({ apiVersion: "v1", kind: "Deployment" })).toEqual([expect.stringMatching(/no schema/)]);
  });
});
