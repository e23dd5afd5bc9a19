import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "./runCli.js";

const SEED = fileURLToPath(new URL("../../examples/seed", import.meta.url));
const scenario = (name: string) => fileURLToPath(new URL(`../fixtures/scenarios/${name}/manifests`, import.meta.url));
const EXT = "0.0.0.0-255.255.255.255[External]";

describe("analyze: formats", () => {
  it("text: one `src => dst : conn` line per flow", async () => {
    const r = await runCli(["analyze", "--manifests", SEED, "-o", "text"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toContain("default/frontend[Deployment] => default/backend[Deployment] : TCP 80");
  });

  it("json: an array of {src, dst, conn}", async () => {
    const r = await runCli(["analyze", "--manifests", SEED, "-o", "json"]);
    expect(JSON.parse(r.stdout)).toEqual([
      { src: EXT, dst: "default/frontend[Deployment]", conn: "All Connections" },
      { src: "default/backend[Deployment]", dst: EXT, conn: "All Connections" },
      { src: "default/backend[Deployment]", dst: "default/frontend[Deployment]", conn: "All Connections" },
      { src: "default/frontend[Deployment]", dst: EXT, conn: "All Connections" },
      { src: "default/frontend[Deployment]", dst: "default/backend[Deployment]", conn: "TCP 80" },
    ]);
  });

  it("csv: a src,dst,conn header, CRLF rows, quoting where a cell needs it", async () => {
    const r = await runCli(["analyze", "--manifests", scenario("named-ports"), "-o", "csv", "--focus", "app/server"]);
    expect(r.stdout).toBe(
      [
        "src,dst,conn",
        `app/client[Deployment],app/server[Deployment],"TCP 8080,UDP 5353"`,
        "app/monitor[Deployment],app/server[Deployment],TCP 9090",
        `app/server[Deployment],${EXT},All Connections`,
        "app/server[Deployment],app/client[Deployment],All Connections",
        "app/server[Deployment],app/monitor[Deployment],All Connections",
        "app/server[Deployment],app/other[Deployment],All Connections",
        "",
      ].join("\r\n"),
    );
  });

  it("md: a Markdown table", async () => {
    const r = await runCli(["analyze", "--manifests", SEED, "-o", "md", "--focus", "default/backend"]);
    expect(r.stdout).toBe(
      [
        "| src | dst | conn |",
        "|---|---|---|",
        `| default/backend[Deployment] | ${EXT} | All Connections |`,
        "| default/backend[Deployment] | default/frontend[Deployment] | All Connections |",
        "| default/frontend[Deployment] | default/backend[Deployment] | TCP 80 |",
        "",
      ].join("\n"),
    );
  });

  it("dot: one cluster per namespace, externals outside, edges labelled with the connections", async () => {
    const r = await runCli(["analyze", "--manifests", scenario("egress-dns"), "-o", "dot"]);
    const dot = r.stdout;
    expect(dot.startsWith("digraph kubereach {\n")).toBe(true);
    expect(dot.trimEnd().endsWith("}")).toBe(true);
    const clusters = [...dot.matchAll(/subgraph "cluster_([^"]+)" \{/g)].map((m) => m[1]);
    expect(clusters).toEqual(["app", "kube-system", "other"]);
    // The external node is declared at top level, not inside a cluster.
    const kubeSystem = dot.slice(dot.indexOf('subgraph "cluster_kube-system"'), dot.indexOf("  }", dot.indexOf('subgraph "cluster_kube-system"')));
    expect(kubeSystem).toContain('"kube-system/coredns[Deployment]" [label="coredns[Deployment]"];');
    expect(dot).toMatch(/\n {2}"0\.0\.0\.0-255\.255\.255\.255\[External\]" \[label="0\.0\.0\.0-255\.255\.255\.255", shape=ellipse, style=dashed\];\n/);
    expect(dot).toContain('"app/web[Deployment]" -> "kube-system/coredns[Deployment]" [label="TCP 53,UDP 53"];');
    expect(dot.match(/ -> /g)).toHaveLength(15);
  });

  it("dot: workloads without any flow still appear", async () => {
    const r = await runCli(["analyze", "--manifests", scenario("cross-namespace"), "-o", "dot"]);
    expect(r.stdout).toContain('"api/server[Deployment]" [label="server[Deployment]"];');
  });

  it("--focus keeps the flows from or to one workload; NS/NAME[Kind] is accepted", async () => {
    const r = await runCli(["analyze", "--manifests", scenario("workload-kinds"), "--focus", "kinds/ds[DaemonSet]"]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(13);
    expect(lines.every((l) => l.includes("kinds/ds[DaemonSet]"))).toBe(true);
  });

  it("--focus on a pod of a workload shows the workload, with a note", async () => {
    const r = await runCli(["analyze", "--manifests", scenario("workload-kinds"), "--focus", "kinds/web-6b9f-aaaaa"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("note: kinds/web-6b9f-aaaaa is a pod of kinds/web[Deployment]; showing the workload\n");
    expect(r.stdout).toBe(`kinds/debug[Pod] => kinds/web[Deployment] : All Connections\nkinds/web[Deployment] => ${EXT} : All Connections\nkinds/web[Deployment] => kinds/ds[DaemonSet] : All Connections\n`);
  });
});

describe("explain", () => {
  const base = ["explain", "--manifests", SEED];

  it("text: the verdict, the reasons, and the policies with their files", async () => {
    const r = await runCli([...base, "--from", "default/frontend", "--to", "default/backend", "--port", "80"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "ALLOWED: default/frontend[Deployment] => default/backend[Deployment] on TCP 80",
        "reasons:",
        "  - no NetworkPolicy selects default/frontend[Deployment] for egress, so all egress traffic is allowed",
        "  - ingress allowed by NetworkPolicy default/backend-allow-frontend rule spec.ingress[0] (from: pods matching app=frontend in namespace default; ports: TCP 80)",
        "policies involved:",
        `  - NetworkPolicy default/backend-allow-frontend (${SEED}/backend-allow-frontend.yaml#0)`,
        "",
      ].join("\n"),
    );
  });

  it("a denied connection exits 0 too, and names the near miss", async () => {
    const r = await runCli([...base, "--from", "default/frontend", "--to", "default/backend", "--port", "443"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("DENIED: default/frontend[Deployment] => default/backend[Deployment] on TCP 443");
    expect(r.stdout).toContain("matches default/frontend[Deployment] but admits only TCP 80");
  });

  it("accepts IP addresses and other protocols", async () => {
    const r = await runCli([...base, "--from", "203.0.113.7", "--to", "default/frontend", "--port", "53", "--protocol", "udp"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("ALLOWED: 203.0.113.7[External] => default/frontend[Deployment] on UDP 53");
  });

  it("json: the engine's explanation with the policies involved", async () => {
    const r = await runCli([...base, "--from", "203.0.113.7", "--to", "default/backend", "--port", "80", "-o", "json"]);
    const e = JSON.parse(r.stdout) as { verdict: string; protocol: string; port: number; ingress: { allowed: boolean; isolatedBy: unknown[] }; policies: unknown[]; summary: string[] };
    expect(e).toMatchObject({ verdict: "DENIED", protocol: "TCP", port: 80, ingress: { allowed: false, isolatedBy: [{ kind: "NetworkPolicy", namespace: "default", name: "backend-allow-frontend" }] } });
    expect(e.policies).toEqual([{ policy: "NetworkPolicy default/backend-allow-frontend", origin: `${SEED}/backend-allow-frontend.yaml#0` }]);
    expect(e.summary[0]).toBe("203.0.113.7[External] => default/backend[Deployment] on TCP 80: DENIED");
  });

  it("an ambiguous name asks for the kind (exit 1); the kind resolves it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kubereach-ambiguous-"));
    const workload = (kind: string) => `apiVersion: apps/v1\nkind: ${kind}\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {kind: ${kind}}}\n`;
    await writeFile(join(dir, "w.yaml"), `${workload("Deployment")}---\n${workload("StatefulSet")}`);
    try {
      const ambiguous = await runCli(["explain", "-m", dir, "--from", "shop/web", "--to", "1.2.3.4", "--port", "80"]);
      expect(ambiguous).toMatchObject({ code: 1, stdout: "" });
      expect(ambiguous.stderr).toBe("error: shop/web names several workloads (shop/web[Deployment], shop/web[StatefulSet]); add the kind, e.g. shop/web[Deployment]\n");
      const ok = await runCli(["explain", "-m", dir, "--from", "shop/web[StatefulSet]", "--to", "1.2.3.4", "--port", "80"]);
      expect(ok.code).toBe(0);
      expect(ok.stdout.split("\n")[0]).toBe("ALLOWED: shop/web[StatefulSet] => 1.2.3.4[External] on TCP 80");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("who-can-reach", () => {
  const dns = scenario("egress-dns");

  it("text: every source and its connections", async () => {
    const r = await runCli(["who-can-reach", "kube-system/coredns", "--manifests", dns]);
    expect(r).toEqual({
      code: 0,
      stdout: `${EXT} : All Connections\napp/api[Deployment] : TCP 53,UDP 53\napp/web[Deployment] : TCP 53,UDP 53\nother/fake-dns[Deployment] : All Connections\n`,
      stderr: "",
    });
  });

  it("--port keeps the sources allowed on that port (TCP unless --protocol says otherwise)", async () => {
    const tcp = await runCli(["who-can-reach", "app/api", "--manifests", dns, "--port", "8080"]);
    expect(tcp.stdout).toBe(`${EXT} : All Connections\napp/web[Deployment] : TCP 8080\nkube-system/coredns[Deployment] : All Connections\nother/fake-dns[Deployment] : All Connections\n`);
    const udp = await runCli(["who-can-reach", "kube-system/coredns", "--manifests", dns, "--port", "53", "--protocol", "UDP", "-o", "json"]);
    expect(JSON.parse(udp.stdout)).toEqual([
      { src: EXT, conn: "All Connections" },
      { src: "app/api[Deployment]", conn: "TCP 53,UDP 53" },
      { src: "app/web[Deployment]", conn: "TCP 53,UDP 53" },
      { src: "other/fake-dns[Deployment]", conn: "All Connections" },
    ]);
  });

  it("--protocol alone keeps sources allowed on any port of it", async () => {
    const r = await runCli(["who-can-reach", "ports/server", "--manifests", scenario("endport-ranges"), "--protocol", "SCTP"]);
    expect(r.stdout).toBe("ports/client[Deployment] : SCTP 9000,TCP 443,8000-8110,UDP 30000-32767\n");
  });

  it("says so on stderr when nothing can reach the workload (exit 0, empty output)", async () => {
    const r = await runCli(["who-can-reach", "default/backend", "--manifests", SEED, "--port", "8080"]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "no source can reach default/backend[Deployment] on TCP 8080\n" });
    const json = await runCli(["who-can-reach", "default/backend", "--manifests", SEED, "--port", "8080", "-o", "json"]);
    expect(json.stdout).toBe("[]\n");
  });

  it("lists external ranges cut by ipBlocks", async () => {
    const r = await runCli(["who-can-reach", "edge/gateway", "--manifests", scenario("ipblock-except")]);
    expect(r.stdout).toBe("10.0.0.0-10.0.255.255[External] : TCP 443\n10.2.0.0-10.255.255.255[External] : TCP 443\nedge/inside[Pod] : TCP 443\n");
  });
});
