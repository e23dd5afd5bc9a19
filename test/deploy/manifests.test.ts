/**
 * deploy/: every object valid against the Kubernetes API schema (k8sSchema.ts), and the
 * deployment as a whole right: least-privilege RBAC covering exactly what the sync watches, the
 * pod hardened (non-root, read-only root filesystem, no capabilities, seccomp), probes on the
 * health endpoints, selectors that select the pods, Secrets wired into a configuration kubereach
 * accepts, and kubereach's own NetworkPolicy compiled and evaluated by kubereach's engine.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { compileWorld, evaluatePair, externalEndpoint, parseIp, podEndpoint, type CompiledWorld, type Endpoint, type Protocol, type WorldInput } from "../../src/engine/index.js";
import { kindSpecs } from "../../src/sync/kube/kinds.js";
import { readManifests } from "../../src/sync/manifests/index.js";
import { imageConfig, readDockerfile, REPO } from "../packaging/dockerfile.js";
import { effectiveConfig } from "../packaging/effectiveConfig.js";
import { validateObject } from "./k8sSchema.js";
import { DEPLOY, loadDeploy, yamlFiles, type K8sObject } from "./manifests.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped data, shapes are checked by the schema test */
type Any = any;

const docs = loadDeploy();
const kustomization = docs.find((d) => d.file === "kustomization.yaml")!.object as Any;
const objects = docs.filter((d) => d.file !== "kustomization.yaml");
const applied = objects.filter((d) => (kustomization.resources as string[]).includes(d.file)).map((d) => d.object);
const examples = objects.filter((d) => d.file === "secret.example.yaml").map((d) => d.object);
const image = imageConfig(readDockerfile());
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };

function only(kind: string, list: readonly K8sObject[] = applied): Any {
  const found = list.filter((o) => o.kind === kind);
  expect(found.map((o) => o.metadata.name), `exactly one ${kind}`).toHaveLength(1);
  return found[0];
}

const deployment = only("Deployment");
const pod = deployment.spec.template;
const container = pod.spec.containers[0];
const NAMESPACE = "kubereach";
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);

/** Port of a probe or Service target: a number, or a container port name. */
function containerPort(port: number | string): number | undefined {
  return typeof port === "number" ? port : container.ports.find((p: Any) => p.name === port)?.containerPort;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Kubernetes quantities used here: cpu "100m"/"1", memory "256Mi"/"1Gi". */
function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`unsupported quantity ${q}`);
  const scale = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[m[2] as "m" | "Ki" | "Mi" | "Gi"] ?? 1;
  return Number(m[1]) * scale;
}

describe("deploy/ manifests", () => {
  it("are valid against the Kubernetes API schema, every object", () => {
    const problems: Record<string, string[]> = {};
    for (const d of objects) {
      const errors = validateObject(d.object);
      if (errors.length > 0) problems[`${d.file}#${d.index} ${d.object.kind}/${d.object.metadata?.name}`] = errors;
    }
    expect(problems).toEqual({});
    expect(objects.length).toBeGreaterThanOrEqual(10);
  });

  it("are all listed in kustomization.yaml (except the Secret example), in namespace kubereach, with the image of this version", () => {
    expect(kustomization.apiVersion).toBe("kustomize.config.k8s.io/v1beta1");
    expect(kustomization.kind).toBe("Kustomization");
    expect(Object.keys(kustomization).sort()).toEqual(["apiVersion", "images", "kind", "namespace", "resources"]);
    expect([...kustomization.resources].sort()).toEqual(yamlFiles().filter((f) => f !== "kustomization.yaml" && f !== "secret.example.yaml"));
    expect(kustomization.namespace).toBe(NAMESPACE);
    expect(kustomization.images).toEqual([{ name: "kubereach", newTag: pkg.version }]);
    for (const o of objects.map((d) => d.object)) {
      if (CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name} is cluster-scoped`).toBeUndefined();
      else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(NAMESPACE);
      expect(o.metadata.labels?.["app.kubernetes.io/name"], `${o.kind}/${o.metadata.name} label`).toBe("kubereach");
    }
    expect(applied.map((o) => o.kind).sort()).toEqual(
      ["ClusterRole", "ClusterRoleBinding", "Deployment", "Namespace", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount"].sort(),
    );
    expect(only("Namespace").metadata).toMatchObject({ name: NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "restricted" } });
  });

  describe("RBAC", () => {
    const clusterRole = only("ClusterRole");

    it("the ClusterRole grants exactly get, list and watch on namespaces, pods and (admin) network policies", () => {
      const grants = new Map<string, string[]>();
      for (const rule of clusterRole.rules) {
        expect(Object.keys(rule).sort()).toEqual(["apiGroups", "resources", "verbs"]);
        expect(rule.verbs, "verbs are exactly get, list, watch").toEqual(["get", "list", "watch"]);
        for (const field of ["apiGroups", "resources", "verbs"]) expect(rule[field].some((v: string) => v.includes("*")), `no wildcard in ${field}`).toBe(false);
        for (const group of rule.apiGroups) grants.set(group, [...(grants.get(group) ?? []), ...rule.resources].sort());
      }
      expect(Object.fromEntries(grants)).toEqual({
        "": ["namespaces", "pods"],
        "networking.k8s.io": ["networkpolicies"],
        "policy.networking.k8s.io": ["adminnetworkpolicies", "baselineadminnetworkpolicies", "clusternetworkpolicies"],
      });
      expect(clusterRole.aggregationRule).toBeUndefined();
    });

    it("covers every collection the Kubernetes source lists and watches", () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({ clusters: [{ name: "c", server: "https://127.0.0.1:1" }], users: [{ name: "u" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
      const watched = kindSpecs(kc).map((s) => {
        const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/([a-z]+)$/.exec(s.path);
        expect(m, `cluster-wide collection path ${s.path}`).not.toBeNull();
        return { group: m![1] ?? "", resource: m![2]! };
      });
      expect(watched.length).toBeGreaterThanOrEqual(3);
      for (const { group, resource } of watched) {
        const rule = clusterRole.rules.find((r: Any) => r.apiGroups.includes(group) && r.resources.includes(resource));
        expect(rule?.verbs, `${group || "core"}/${resource}`).toEqual(expect.arrayContaining(["list", "watch"]));
      }
    });

    it("grants nothing else: leader election runs on a database lease, so there is no Role", () => {
      expect(docs.filter((d: Any) => d.kind === "Role" || d.kind === "RoleBinding")).toEqual([]);
    });

    it("binds the ClusterRole to kubereach's service account, which the pods run as", () => {
      const sa = only("ServiceAccount");
      const subject = { kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace };
      expect(only("ClusterRoleBinding")).toMatchObject({ roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name }, subjects: [subject] });
      expect(only("ClusterRoleBinding").subjects).toHaveLength(1);
      expect(pod.spec.serviceAccountName).toBe(sa.metadata.name);
      // The token is mounted only where asked for: the pods need it for --in-cluster.
      expect(sa.automountServiceAccountToken).toBe(false);
      expect(pod.spec.automountServiceAccountToken).toBe(true);
      expect(container.args).toContain("--in-cluster");
    });
  });

  describe("Deployment", () => {
    it("runs two replicas of the image's entrypoint with `serve --in-cluster`, image pinned to this version", () => {
      expect(deployment.spec.replicas).toBe(2);
      expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      expect(pod.spec.containers).toHaveLength(1);
      expect(container.image).toBe(`${kustomization.images[0].name}:${pkg.version}`);
      expect(container.image).toMatch(/^[a-z0-9./-]+:\d+\.\d+\.\d+$/); // a tag, never latest
      expect(container.imagePullPolicy).toBe("IfNotPresent");
      expect(container.command, "the image's ENTRYPOINT (node as PID 1) is kept").toBeUndefined();
      expect(container.args).toEqual([image.cmd![0], "--in-cluster"]);
      expect(selects(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
      // A Service named kubereach would otherwise inject KUBEREACH_* variables into kubereach's environment.
      expect(pod.spec.enableServiceLinks).toBe(false);
      expect(pod.spec.hostNetwork ?? false).toBe(false);
      expect(pod.spec.hostPID ?? false).toBe(false);
      expect(pod.spec.hostIPC ?? false).toBe(false);
      expect(pod.spec.volumes.some((v: Any) => v.hostPath)).toBe(false);
    });

    it("is hardened: non-root (the image's uid), read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault seccomp", () => {
      const [uid, gid] = image.user!.split(":").map(Number);
      expect(pod.spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, seccompProfile: { type: "RuntimeDefault" } });
      expect(container.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      // The only writable places: /tmp (tsx's compile cache) on an emptyDir; nothing under /app.
      const writable = container.volumeMounts.filter((m: Any) => !m.readOnly);
      expect(writable.map((m: Any) => m.mountPath)).toEqual(["/tmp"]);
      expect(pod.spec.volumes.find((v: Any) => v.name === writable[0].name).emptyDir).toEqual({ sizeLimit: "64Mi" });
    });

    it("requests and limits CPU and memory", () => {
      const { requests, limits } = container.resources;
      expect(Object.keys(requests).sort()).toEqual(["cpu", "memory"]);
      expect(Object.keys(limits).sort()).toEqual(["cpu", "memory"]);
      for (const r of ["cpu", "memory"]) expect(quantity(requests[r]), r).toBeLessThanOrEqual(quantity(limits[r]));
      expect(quantity(limits.memory)).toBeGreaterThanOrEqual(512 * 2 ** 20);
    });

    it("probes /healthz (startup, liveness) and /readyz (readiness) on the container's port", () => {
      const port = container.ports.find((p: Any) => p.name === "http");
      expect(port).toEqual({ name: "http", containerPort: Number(image.env["PORT"]), protocol: "TCP" });
      expect(container.env.find((e: Any) => e.name === "PORT")?.value).toBe(String(port.containerPort));
      const probes = { startupProbe: "/healthz", livenessProbe: "/healthz", readinessProbe: "/readyz" };
      for (const [probe, path] of Object.entries(probes)) {
        expect(container[probe].httpGet.path, probe).toBe(path);
        expect(containerPort(container[probe].httpGet.port), probe).toBe(port.containerPort);
        expect(container[probe].timeoutSeconds, probe).toBeGreaterThan(0);
      }
      // Startup may take as long as the image's HEALTHCHECK start period, and more.
      const startup = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold;
      expect(startup).toBeGreaterThanOrEqual(Number.parseInt(image.healthcheck!.flags["start-period"]!, 10));
      // The preStop pause fits in the grace period, with time left to shut down.
      expect(pod.spec.terminationGracePeriodSeconds - container.lifecycle.preStop.sleep.seconds).toBeGreaterThanOrEqual(20);
    });

    it("takes DATABASE_URL and the configuration file (API tokens) from Secrets kubereach accepts", async () => {
      const secrets = new Map(examples.filter((o) => o.kind === "Secret").map((o: Any) => [o.metadata.name, o.stringData as Record<string, string>]));
      const dir = mkdtempSync(join(tmpdir(), "kubereach-deploy-"));
      try {
        const env: Record<string, string> = { ...image.env };
        const mounted = new Map<string, string>(); // mountPath -> local directory with the Secret's files
        for (const m of container.volumeMounts) {
          const volume = pod.spec.volumes.find((v: Any) => v.name === m.name);
          if (!volume.secret) continue;
          expect(m.readOnly, `${m.mountPath} is read-only`).toBe(true);
          expect(volume.secret.defaultMode, "0440").toBe(0o440);
          const data = secrets.get(volume.secret.secretName);
          expect(data, `Secret ${volume.secret.secretName} in secret.example.yaml`).toBeDefined();
          const local = join(dir, m.name);
          for (const item of volume.secret.items) {
            expect(data![item.key], `${volume.secret.secretName} has ${item.key}`).toBeDefined();
            mkdirSync(dirname(join(local, item.path)), { recursive: true });
            writeFileSync(join(local, item.path), data![item.key]!);
          }
          mounted.set(m.mountPath, local);
        }
        for (const e of container.env) {
          if (e.valueFrom) {
            const ref = e.valueFrom.secretKeyRef;
            expect(secrets.get(ref.name)?.[ref.key], `${e.name} from Secret ${ref.name} key ${ref.key}`).toBeDefined();
            env[e.name] = secrets.get(ref.name)![ref.key]!;
          } else {
            const mount = [...mounted.keys()].find((p) => e.value.startsWith(`${p}/`));
            env[e.name] = mount ? mounted.get(mount)! + e.value.slice(mount.length) : e.value;
          }
        }
        expect(env["KUBEREACH_CONFIG"]).toMatch(new RegExp(`^${dir}`));
        const { code, config, stderr } = await effectiveConfig(container.args.slice(1), env);
        expect(stderr).toBe("");
        expect(code).toBe(0);
        expect(config!.source).toMatchObject({ type: "kubernetes", inCluster: true });
        expect(config!.source.kubeconfig).toBeUndefined();
        expect(config!.database.url).toBe("postgresql://kubereach_runtime:REDACTED@postgres.example.internal:5432/kubereach");
        expect(config!.database.migrationUrl).toBe("postgresql://kubereach:REDACTED@postgres.example.internal:5432/kubereach");
        expect(config!.server).toMatchObject({ port: 4000, host: "0.0.0.0", tokens: [{ name: "example-client", namespaces: ["default"] }] });
        // Placeholders only: no usable credential in the example.
        expect(env["DATABASE_URL"]).toContain("CHANGE-ME");
        expect(secrets.get("kubereach-config")!["config.yaml"]).toMatch(/sha256: "0{64}"/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it("the Service and the PodDisruptionBudget select the kubereach pods", () => {
    const service = only("Service");
    expect(service.spec.type).toBe("ClusterIP");
    expect(selects(service.spec.selector, pod.metadata.labels)).toBe(true);
    expect(service.spec.ports).toHaveLength(1);
    expect(service.spec.ports[0].port).toBe(4000);
    expect(containerPort(service.spec.ports[0].targetPort)).toBe(4000);
    const pdb = only("PodDisruptionBudget");
    expect(selects(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
  });

  describe("kubereach's own NetworkPolicy, through kubereach's engine", () => {
    const policy = only("NetworkPolicy");
    let read: Awaited<ReturnType<typeof readManifests>>;
    let world: CompiledWorld;
    let diagnostics: { deploy: unknown[]; cluster: unknown[] };

    beforeAll(async () => {
      read = await readManifests(DEPLOY);
      // The deployment plus the rest of a cluster: an authorised and an unauthorised namespace,
      // kube-dns, an in-cluster PostgreSQL.
      const cluster: WorldInput = {
        namespaces: [...read.world.namespaces, { name: "monitoring", labels: { "kubereach.io/api-access": "true" } }, { name: "default" }, { name: "kube-system" }, { name: "db" }],
        pods: [
          ...read.world.pods,
          { namespace: "monitoring", name: "prometheus-0", labels: { app: "prometheus" }, ip: "10.0.1.10" },
          { namespace: "default", name: "web-1", labels: { app: "web" }, ip: "10.0.1.11", containerPorts: [{ containerPort: 80 }] },
          { namespace: "kube-system", name: "coredns-1", labels: { "k8s-app": "kube-dns" }, ip: "10.0.1.12", containerPorts: [{ containerPort: 53, protocol: "UDP" }] },
          { namespace: "db", name: "postgres-0", labels: { app: "postgres" }, ip: "10.0.1.13", containerPorts: [{ containerPort: 5432 }] },
        ],
        networkPolicies: read.world.networkPolicies,
      };
      const full = compileWorld(cluster);
      world = full.world;
      diagnostics = { deploy: [...compileWorld(read.world).diagnostics], cluster: [...full.diagnostics] };
    });

    it("selects the kubereach pods for ingress and egress, and compiles without any diagnostic", () => {
      expect(selects(policy.spec.podSelector.matchLabels, pod.metadata.labels)).toBe(true);
      expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
      expect(read.diagnostics).toEqual([]);
      expect(read.world.networkPolicies.map((p) => `${p.namespace}/${p.name}`)).toEqual([`${NAMESPACE}/${policy.metadata.name}`]);
      expect(read.world.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual([`${NAMESPACE}/kubereach`]);
      expect(diagnostics).toEqual({ deploy: [], cluster: [] });
    });

    const endpoint = (name: string): Endpoint => {
      const ip = parseIp(name);
      if (ip) return externalEndpoint(ip);
      const p = world.pods.find((x) => `${x.namespace.name}/${x.ref.name}` === name);
      if (!p) throw new Error(`no pod ${name}`);
      return podEndpoint(p);
    };
    const allowed = (from: string, to: string, port: number, protocol: Protocol = "TCP") => evaluatePair(world, endpoint(from), endpoint(to)).allowed.contains(port, protocol);
    const KUBEREACH = `${NAMESPACE}/kubereach`;

    it("admits the API port only from namespaces labelled kubereach.io/api-access=true", () => {
      expect(allowed("monitoring/prometheus-0", KUBEREACH, 4000)).toBe(true);
      expect(allowed("monitoring/prometheus-0", KUBEREACH, 22)).toBe(false);
      expect(allowed("monitoring/prometheus-0", KUBEREACH, 4000, "UDP")).toBe(false);
      expect(allowed("default/web-1", KUBEREACH, 4000)).toBe(false);
      expect(allowed("198.51.100.7", KUBEREACH, 4000)).toBe(false);
      expect(policy.spec.ingress[0].ports[0].port).toBe(container.ports[0].containerPort);
    });

    it("lets kubereach reach DNS, the API server and PostgreSQL, and nothing else", () => {
      expect(allowed(KUBEREACH, "kube-system/coredns-1", 53, "UDP")).toBe(true);
      expect(allowed(KUBEREACH, "kube-system/coredns-1", 53, "TCP")).toBe(true);
      expect(allowed(KUBEREACH, "kube-system/coredns-1", 9153)).toBe(false);
      expect(allowed(KUBEREACH, "203.0.113.10", 443)).toBe(true);
      expect(allowed(KUBEREACH, "203.0.113.10", 6443)).toBe(true);
      expect(allowed(KUBEREACH, "203.0.113.10", 5432)).toBe(true);
      expect(allowed(KUBEREACH, "db/postgres-0", 5432)).toBe(true);
      expect(allowed(KUBEREACH, "db/postgres-0", 22)).toBe(false);
      expect(allowed(KUBEREACH, "203.0.113.10", 80)).toBe(false);
      expect(allowed(KUBEREACH, "203.0.113.10", 53, "UDP")).toBe(false);
      expect(allowed(KUBEREACH, "default/web-1", 80)).toBe(false);
    });
  });
});
