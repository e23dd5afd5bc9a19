/**
 * `kubereach findings`: golden output for one fixture per finding kind (test/fixtures/findings/<case>/
 * manifests -> expected.txt), each fixture with near misses that must not be reported (see the
 * comment at the top of its manifest), and a clean fixture with no finding at all. UPDATE_GOLDEN=1
 * rewrites the expected files; on a mismatch the output is written to actual-text.txt next to them.
 * Then formats, filters, --fail-on, usage errors, and a live cluster (the fake API server).
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FINDING_KINDS, type Finding } from "../../src/engine/index.js";
import { FakeKubeApi, namespace as kubeNamespace, networkPolicy as kubePolicy, pod as kubePod } from "../helpers/fakeKubeApi.js";
import { TempKubeconfig } from "../sync/kube/helpers.js";
import { runCli } from "./runCli.js";

const ROOT = fileURLToPath(new URL("../fixtures/findings/", import.meta.url));
const UPDATE = process.env["UPDATE_GOLDEN"] === "1";
const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function golden(dir: string, actual: string): void {
  const expectedPath = join(dir, "expected.txt");
  const actualPath = join(dir, "actual-text.txt");
  if (UPDATE) writeFileSync(expectedPath, actual);
  const expected = existsSync(expectedPath) ? readFileSync(expectedPath, "utf8") : undefined;
  if (expected === actual) rmSync(actualPath, { force: true });
  else writeFileSync(actualPath, actual);
  expect(actual, `${expectedPath} (actual output written to ${actualPath})`).toBe(expected);
}

const json = async (args: string[]) => {
  const r = await runCli(["findings", ...args, "-o", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Finding[];
};

describe("golden findings, one fixture per kind", () => {
  it.each(cases)("%s", async (name) => {
    const r = await runCli(["findings", "--manifests", join(ROOT, name, "manifests")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    golden(join(ROOT, name), r.stdout);
  });

  it("every finding kind is shown by its fixture, and the clean fixture has none", async () => {
    const fixtureOf: Record<(typeof FINDING_KINDS)[number], string> = {
      INGRESS_NOT_ISOLATED: "isolation",
      EGRESS_NOT_ISOLATED: "isolation",
      NAMESPACE_WITHOUT_DEFAULT_DENY: "default-deny",
      POLICY_SELECTS_NO_POD: "selects-no-pod",
      PEER_MATCHES_NOTHING: "peer-matches-nothing",
      NAMED_PORT_UNDEFINED: "named-port-undefined",
      REDUNDANT_RULE: "redundant-rule",
      INGRESS_FROM_INTERNET: "exposure",
      INGRESS_FROM_ALL_NAMESPACES: "exposure",
      EGRESS_TO_INTERNET: "exposure",
      POD_IP_IN_EXTERNAL_IPBLOCK: "pod-ip-in-ipblock",
      RULE_SHADOWED_BY_ADMIN_TIER: "admin-shadowed",
    };
    for (const kind of FINDING_KINDS) {
      const list = await json(["-m", join(ROOT, fixtureOf[kind], "manifests")]);
      expect(list.some((f) => f.kind === kind), `${kind} in ${fixtureOf[kind]}`).toBe(true);
    }
    expect(await json(["-m", join(ROOT, "clean", "manifests")])).toEqual([]);
  });

  it("near misses stay quiet: the hostNetwork pod, the closed namespace, the /32 ipBlock, the node IP, the covered-not rule", async () => {
    const isolation = await json(["-m", join(ROOT, "isolation", "manifests")]);
    expect(isolation.flatMap((f) => f.objects.map((o) => `${o.namespace}/${o.name}`)).filter((x) => /node-agent|closed|db/.test(x))).toEqual([]);
    const ips = await json(["-m", join(ROOT, "pod-ip-in-ipblock", "manifests")]);
    const inBlocks = ips.filter((f) => f.kind === "POD_IP_IN_EXTERNAL_IPBLOCK");
    expect(inBlocks.map((f) => f.objects.map((o) => `${o.kind} ${o.namespace}/${o.name}${o.field ? ` ${o.field}` : ""}`))).toEqual([
      ["NetworkPolicy app/db-egress spec.egress[0].to[0]", "Pod app/db", "Pod app/web"],
    ]);
    const redundant = await json(["-m", join(ROOT, "redundant-rule", "manifests")]);
    expect(redundant.map((f) => `${f.objects[0]!.name} ${f.objects[0]!.field}`).sort()).toEqual(["api-allow spec.ingress[1]", "backend-from-frontend spec.ingress[0]"]);
  });

  it("admin-shadowed: the Pass-protected rule and the Baseline Deny stay quiet; the Admin rule deciding is an object", async () => {
    const shadowed = (await json(["-m", join(ROOT, "admin-shadowed", "manifests")])).filter((f) => f.kind === "RULE_SHADOWED_BY_ADMIN_TIER");
    expect(shadowed.map((f) => `${f.severity} ${f.direction} ${f.objects.map((o) => `${o.kind} ${o.namespace}/${o.name} ${o.field}`).join(" <- ")}`)).toEqual([
      "medium egress NetworkPolicy shop/api-egress-to-partners spec.egress[0] <- ClusterNetworkPolicy /no-egress-to-partners spec.egress[0]",
      "medium ingress NetworkPolicy shop/web-from-partners spec.ingress[0] <- ClusterNetworkPolicy /block-partners spec.ingress[0]",
      "low ingress NetworkPolicy shop/api-from-other-namespaces spec.ingress[0] <- ClusterNetworkPolicy /block-partners spec.ingress[0]",
      "info ingress NetworkPolicy shop/metrics-from-monitoring spec.ingress[0] <- AdminNetworkPolicy /allow-monitoring spec.ingress[0]",
    ]);
  });
});

describe("findings options", () => {
  const exposure = join(ROOT, "exposure", "manifests");

  it("json: kind, severity, direction, namespace, message, hint and objects", async () => {
    const [first] = await json(["-m", exposure]);
    expect(first).toEqual({
      kind: "INGRESS_FROM_INTERNET",
      severity: "high",
      direction: "ingress",
      namespace: "edge",
      message: "NetworkPolicy edge/lb-public spec.ingress[0] admits ingress from ipBlock 0.0.0.0/0 on all ports to edge/lb[Pod]",
      hint: "restrict `from` to the CIDRs and peers that need access, and `ports` to the ports served",
      objects: [
        { kind: "NetworkPolicy", namespace: "edge", name: "lb-public", field: "spec.ingress[0]", origin: expect.stringContaining("all.yaml#5") },
        { kind: "Pod", namespace: "edge", name: "lb" },
      ],
    });
  });

  it("csv and md have one row per finding under a header", async () => {
    const csv = await runCli(["findings", "-m", exposure, "-o", "csv"]);
    const lines = csv.stdout.trimEnd().split("\r\n");
    expect(lines[0]).toBe("severity,kind,namespace,objects,message,hint");
    expect(lines).toHaveLength(11);
    const md = await runCli(["findings", "-m", exposure, "-o", "md"]);
    expect(md.stdout.split("\n")[0]).toBe("| severity | kind | namespace | objects | message | hint |");
  });

  it("--min-severity and --namespace filter", async () => {
    expect((await json(["-m", exposure, "--min-severity", "medium"])).map((f) => f.severity)).toEqual(["high", "medium", "medium", "medium", "medium", "medium"]);
    const dd = join(ROOT, "default-deny", "manifests");
    expect((await json(["-m", dd, "--namespace", "b"])).map((f) => `${f.kind} ${f.direction}`)).toEqual(["NAMESPACE_WITHOUT_DEFAULT_DENY ingress", "NAMESPACE_WITHOUT_DEFAULT_DENY egress"]);
  });

  it("--fail-on SEVERITY exits 1 when a finding is at least that severe, 0 otherwise", async () => {
    const high = await runCli(["findings", "-m", exposure, "--fail-on", "high"]);
    expect(high.code).toBe(1);
    expect(high.stderr).toBe("error: 1 finding at severity high or higher (--fail-on high)\n");
    expect(high.stdout).toContain("[high] INGRESS_FROM_INTERNET");
    const ok = await runCli(["findings", "-m", join(ROOT, "selects-no-pod", "manifests"), "--fail-on", "medium"]);
    expect(ok.code).toBe(0);
  });

  it("usage errors exit 2: no state, two states, --kubeconfig without --cluster, a bad severity", async () => {
    for (const args of [[], ["-m", exposure, "--context", "x"], ["-m", exposure, "--kubeconfig", "k"], ["-m", exposure, "--fail-on", "urgent"]]) {
      const r = await runCli(["findings", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
    }
  });
});

describe("findings on a live cluster (--cluster, --kubeconfig)", () => {
  let api: FakeKubeApi;
  let kubeconfig: TempKubeconfig;
  beforeAll(async () => {
    api = await FakeKubeApi.create();
    api.upsert(kubeNamespace("app"));
    api.upsert(kubePod({ namespace: "app", name: "web", labels: { app: "web" }, ip: "10.0.0.5" }));
    api.upsert(kubePod({ namespace: "app", name: "db", labels: { app: "db" }, ip: "10.0.0.7" }));
    api.upsert(
      kubePolicy({
        namespace: "app",
        name: "db-egress",
        spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }] },
      }),
    );
    kubeconfig = new TempKubeconfig(api.url, { context: "fake" });
  });
  afterAll(async () => {
    kubeconfig.remove();
    await api.stop();
  });

  it("lists the cluster once and reports on it", async () => {
    const r = await runCli(["findings", "--context", "fake", "--kubeconfig", kubeconfig.path, "-o", "json", "--min-severity", "medium"]);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as Finding[];
    expect(list.map((f) => `${f.kind} ${f.objects.map((o) => o.name).join(",")}`)).toEqual([
      "INGRESS_NOT_ISOLATED db",
      "INGRESS_NOT_ISOLATED web",
      "NAMESPACE_WITHOUT_DEFAULT_DENY app",
      "POD_IP_IN_EXTERNAL_IPBLOCK db-egress,db,web",
    ]);
  });

  it("an unknown context is bad input (exit 1), naming it", async () => {
    const r = await runCli(["findings", "--context", "nope", "--kubeconfig", kubeconfig.path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nope");
  });
});
