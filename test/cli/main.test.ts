import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeStats } from "../../src/cli/loadWorld.js";
import { runCli } from "./runCli.js";

const SEED = fileURLToPath(new URL("../../examples/seed", import.meta.url));
const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "kubereach-cli-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function manifestDir(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
  return dir;
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

describe("kubereach --version and --help", () => {
  it("prints the package version", async () => {
    expect(await runCli(["--version"])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it("describes the commands, exit codes and examples", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    for (const text of ["Usage: kubereach", "analyze", "explain", "who-can-reach", "Exit codes: 0 success, 1 bad input", "2 usage error", "Examples:", "$ kubereach analyze --manifests examples/seed"])
      expect(r.stdout).toContain(text);
  });

  it("`help <command>` prints the command's help", async () => {
    const r = await runCli(["help", "who-can-reach"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: kubereach who-can-reach [options] <workload>");
  });

  it.each([
    ["analyze", ["--manifests <path>", "-o, --output <format>", "output format: text, json, csv, md, dot (default: text)", "--focus <workload>", "--skip-invalid", "--output-file <file>", "Examples:", "kubereach analyze -m ./k8s --focus shop/backend"]],
    ["explain", ["--from <endpoint>", "--to <endpoint>", "--port <port>", "--protocol <protocol>", 'default: "TCP"', "-o, --output <format>", "(default: text)", "--output-file <file>", "exit code is 0 whether the connection is allowed or denied", "Examples:"]],
    ["who-can-reach", ["<workload>", "--port <port>", "--protocol <protocol>", "default: TCP when --port is given", "-o, --output <format>", "(default: text)", "Examples:", "kubereach who-can-reach shop/db --port 5432"]],
  ])("%s --help shows its description, options with defaults, and examples", async (command, expected) => {
    const r = await runCli([command, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: kubereach ${command}`);
    const help = r.stdout.replace(/\s+/g, " "); // help wraps to the terminal width
    for (const text of expected) expect(help).toContain(text);
  });
});

describe("exit code 2: usage errors", () => {
  it.each([
    ["no command", [], /Usage: kubereach/],
    ["an unknown command", ["analyse", "--manifests", SEED], /unknown command 'analyse'/],
    ["an unknown option", ["analyze", "--manifests", SEED, "--colour"], /unknown option '--colour'/],
    ["a missing --manifests", ["analyze"], /required option '-m, --manifests <path>' not specified/],
    ["a bad --format", ["analyze", "--manifests", SEED, "-o", "xml"], /expected one of text, json, csv, md, dot\./],
    ["a format explain does not have", ["explain", "-m", SEED, "--from", "default/frontend", "--to", "default/backend", "--port", "80", "-o", "dot"], /expected one of text, json\./],
    ["a bad NS/NAME for --focus", ["analyze", "--manifests", SEED, "--focus", "frontend"], /expected a workload as NS\/NAME/],
    ["an IP where a workload is needed", ["who-can-reach", "10.0.0.1", "--manifests", SEED], /expected a workload as NS\/NAME/],
    ["a bad endpoint for --from", ["explain", "-m", SEED, "--from", "a/b/c", "--to", "default/backend", "--port", "80"], /expected a workload as NS\/NAME .* or an IP address/],
    ["port 0", ["explain", "-m", SEED, "--from", "default/frontend", "--to", "default/backend", "--port", "0"], /a port must be a number from 1 to 65535/],
    ["port 65536", ["who-can-reach", "default/backend", "-m", SEED, "--port", "65536"], /a port must be a number from 1 to 65535/],
    ["a named port", ["explain", "-m", SEED, "--from", "default/frontend", "--to", "default/backend", "--port", "http"], /a port must be a number/],
    ["a bad protocol", ["explain", "-m", SEED, "--from", "default/frontend", "--to", "default/backend", "--port", "80", "--protocol", "ICMP"], /TCP, UDP or SCTP/],
    ["a missing --port for explain", ["explain", "-m", SEED, "--from", "default/frontend", "--to", "default/backend"], /required option '-p, --port <port>'/],
    ["a missing workload for who-can-reach", ["who-can-reach", "-m", SEED], /missing required argument 'workload'/],
    ["an extra argument", ["analyze", "-m", SEED, "extra"], /too many arguments/],
  ])("%s", async (_name, args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });
});

describe("exit code 1: bad input", () => {
  it("a path that does not exist", async () => {
    const r = await runCli(["analyze", "--manifests", join(tmp, "missing")]);
    expect(r).toEqual({ code: 1, stdout: "", stderr: `error: ${join(tmp, "missing")}: no such file or directory\n` });
  });

  it("an unknown workload, with the workloads of the namespace as a hint", async () => {
    const r = await runCli(["who-can-reach", "default/nope", "-m", SEED]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: no workload or pod default/nope (workloads in default: default/backend[Deployment], default/frontend[Deployment])\n");
    const focus = await runCli(["analyze", "-m", SEED, "--focus", "nowhere/x"]);
    expect(focus).toMatchObject({ code: 1, stdout: "" });
    expect(focus.stderr).toContain("(no namespace nowhere)");
    const explain = await runCli(["explain", "-m", SEED, "--from", "default/frontend", "--to", "default/nope", "--port", "80"]);
    expect(explain).toMatchObject({ code: 1, stdout: "" });
  });

  it("input errors: every diagnostic on stderr (file, document, object, field), nothing on stdout", async () => {
    const dir = await manifestDir("broken", {
      "a.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: [x]\n---\nkind: Pod\nmetadata: {name: [\n",
      "b.yaml":
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: 10.0.0.0/33}}]\n",
      "c.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: fine}\n",
    });
    const r = await runCli(["analyze", "--manifests", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toEqual([
      `${dir}/a.yaml#0: error: Pod default/p: metadata.labels: metadata.labels must be a map, not a list`,
      expect.stringMatching(new RegExp(`^${dir}/a\\.yaml#1: error: YAML: line \\d+, column \\d+: .+ \\(the document is skipped\\)$`)),
      expect.stringMatching(new RegExp(`^${dir}/b\\.yaml#0: error: NetworkPolicy x/np: spec\\.ingress\\[0\\]\\.from\\[0\\]\\.ipBlock\\.cidr: "10\\.0\\.0\\.0/33" is not a valid CIDR`)),
      `error: 3 errors in ${dir}; fix them, or pass --skip-invalid to analyze the valid objects only`,
    ]);
  });

  it("an engine error in a pod template names the workload's file and template", async () => {
    const dir = await manifestDir("bad-template", {
      "d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: x}\nspec:\n  template:\n    metadata: {labels: {app: 'has space'}}\n",
    });
    const r = await runCli(["analyze", "--manifests", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${dir}/d.yaml#0 (spec.template): error: Pod x/d: metadata.labels.app: invalid label value "has space"`);
  });
});

describe("--skip-invalid, warnings and progress", () => {
  const files = {
    "good.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n",
    "bad.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{ports: [{containerPort: '80'}, {containerPort: true}]}]\n",
    "badpolicy.yaml": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Sideways]}\n",
  };

  it("lists every skipped object on stderr and analyzes the rest", async () => {
    const dir = await manifestDir("skip", files);
    const r = await runCli(["analyze", "--manifests", dir, "--skip-invalid"]);
    expect(r.code).toBe(0);
    // The invalid deny-all policy is left out, so web stays reachable; the invalid pod is not listed.
    expect(r.stdout).toBe("0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : All Connections\nshop/web[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n");
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^warning: ignored 1 Service object \(v1\), first in .*good\.yaml#1: /),
      `skipped Pod shop/p (${dir}/bad.yaml#0): spec.containers[0].ports[0].containerPort: containerPort must be an integer, not the string "80"; spec.containers[0].ports[1].containerPort: containerPort must be an integer, not boolean true`,
      `skipped NetworkPolicy shop/deny (${dir}/badpolicy.yaml#0): spec.policyTypes[0]: unsupported policy type "Sideways": must be "Ingress" or "Egress"`,
      "skipped 2 invalid objects (--skip-invalid)",
    ]);
  });

  it("prints warnings even when the input has no error, and exits 0", async () => {
    const dir = await manifestDir("warn", { "good.yaml": files["good.yaml"] });
    const r = await runCli(["analyze", "--manifests", dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: ignored 1 Service object \(v1\)/);
    expect(r.stdout).toContain("shop/web[Deployment]");
  });

  it("warns about a directory without manifests", async () => {
    const dir = await manifestDir("empty-dir-warning", {});
    const r = await runCli(["analyze", "--manifests", dir]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: `warning: no .yaml, .yml or .json files under ${dir}\n` });
  });

  it("reports what was read with --verbose", async () => {
    const verbose = await runCli(["analyze", "--manifests", SEED, "--verbose"]);
    expect(verbose.stderr).toBe("read 4 objects from 4 files: 1 namespaces, 0 pods, 2 workloads (2 pod templates used), 1 network policies, 0 ignored, 0 invalid\n");
    expect((await runCli(["analyze", "--manifests", SEED])).stderr).toBe("");
  });

  it("writes counts with thousands separators", () => {
    const stats = { files: 340, documents: 12000, objects: 12000, namespaces: 12, pods: 9000, templatePods: 40, workloads: 1500, networkPolicies: 1488, ignored: 0, invalid: 0 };
    expect(describeStats(stats)).toBe("read 12,000 objects from 340 files: 12 namespaces, 9,000 pods, 1,500 workloads (40 pod templates used), 1,488 network policies, 0 ignored, 0 invalid");
  });

  it("on a terminal, reports what was read for large inputs only", async () => {
    expect((await runCli(["analyze", "--manifests", SEED], { stderrIsTty: true })).stderr).toBe("");
    const files: Record<string, string> = {};
    for (let i = 0; i < 120; i++) files[`p${String(i).padStart(3, "0")}.yaml`] = `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: big, labels: {app: a}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}, namespace: big}\n`;
    const dir = await manifestDir("large", files);
    const r = await runCli(["analyze", "--manifests", dir, "-o", "json"], { stderrIsTty: true });
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n")).toContain("read 240 objects from 120 files: 0 namespaces, 120 pods, 0 workloads (0 pod templates used), 0 network policies, 120 ignored, 0 invalid");
    expect(r.stderr).toMatch(/^warning: ignored 120 ConfigMap objects \(v1\), first in .*p000\.yaml#1/m);
  });
});

describe("-o FILE", () => {
  it("writes the result to the file instead of stdout, relative to the working directory", async () => {
    const r = await runCli(["analyze", "--manifests", SEED, "-o", "json", "--output-file", "out.json"], { cwd: tmp });
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    const written = JSON.parse(await readFile(join(tmp, "out.json"), "utf8")) as unknown[];
    expect(written).toHaveLength(5);
  });

  it("fails with exit code 1 when the file cannot be written", async () => {
    const r = await runCli(["analyze", "--manifests", SEED, "--output-file", join(tmp, "no-such-dir", "out.txt")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot write .*no-such-dir\/out\.txt: /);
    noStack(r.stderr);
  });
});
