/**
 * Deterministic synthetic clusters for the benchmarks. Same (pods, policies, seed) -> same WorldInput,
 * byte for byte: the only source of randomness is the seeded Rng.
 *
 * The shape follows what real multi-team clusters look like, because the engine's cost follows the
 * number of distinct pod behaviours (classes), not raw pod counts:
 *  - system namespaces: kube-system (CoreDNS, kube-proxy on hostNetwork, metrics-server), monitoring
 *    (Prometheus, node-exporter on hostNetwork, kube-state-metrics, Grafana, Alertmanager),
 *    ingress-nginx, logging (fluent-bit DaemonSet), cert-manager;
 *  - application namespaces `<team>-<product>-<env>` labelled team/env/product/tier/..., holding
 *    Deployments (pods share labels plus pod-template-hash; some mid-rollout with two hashes and
 *    versions; some canaries), StatefulSets (postgres, redis, kafka, elasticsearch; per-pod
 *    `statefulset.kubernetes.io/pod-name`), several replicas each, named container ports
 *    (http, grpc, metrics, ... whose numbers vary between images, as they do in real clusters);
 *  - pod IPs from the 10.0.0.0/8 pod CIDR, one /24 per node; hostNetwork pods use node IPs (172.20/16);
 *  - policies: per-namespace default-deny (ingress, often egress too), DNS egress to kube-dns on
 *    UDP/TCP 53 (in the forms people write it), Prometheus scraping the named `metrics` port everywhere,
 *    allow-same-namespace, then per-workload allows within and across namespaces (podSelector,
 *    namespaceSelector, both in one peer), ingress-controller and office-CIDR ingress, egress to the
 *    internet (0.0.0.0/0 except RFC 1918) and to external subnets, named ports, endPort ranges and
 *    matchExpressions (In / NotIn / Exists).
 * The policy count is exact: baseline policies first, then per-workload policies until the budget is spent.
 *
 * Cluster-scoped tiers (`tieredPolicies`, 0 unless asked): the guardrails a platform team writes, in
 * both API versions (AdminNetworkPolicy/BaselineAdminNetworkPolicy v1alpha1 and ClusterNetworkPolicy
 * v1alpha2): kube-system protection, cluster-wide DNS and Prometheus, environment isolation, team
 * tenancy with Pass to the teams' NetworkPolicies, egress control with networks peers (and a few
 * nodes/domainNames peers kubereach cannot resolve), per-team Baseline defaults and the
 * BaselineAdminNetworkPolicy. They come from their own seeded Rng after everything else, so the
 * namespaces, pods and NetworkPolicies are identical with and without them.
 */
import type { ContainerPortInput, NamespaceInput, NetworkPolicyInput, PodInput, TieredPolicyInput, WorldInput } from "../src/engine/index.js";
import { Rng } from "./prng.js";

export interface ClusterSpec {
  readonly pods: number;
  readonly policies: number;
  readonly seed?: number;
  /** Share of application namespaces whose default-deny also covers egress (default 0.7). */
  readonly egressDenyRatio?: number;
  /**
   * Share of application namespaces without any policy (default 0). Real clusters often have some;
   * every pod there talks to every other such pod, so the connectivity list grows quadratically.
   */
  readonly unprotectedRatio?: number;
  /** Cluster-scoped tiered policies to add (default 0). The engine bench uses pods / 100. */
  readonly tieredPolicies?: number;
}

export interface ClusterStats {
  readonly namespaces: number;
  readonly workloads: number;
  readonly nodes: number;
  readonly pods: number;
  readonly hostNetworkPods: number;
  readonly policies: number;
  readonly tieredPolicies: number;
}

export interface GeneratedCluster {
  readonly input: WorldInput;
  readonly stats: ClusterStats;
}

type Labels = Record<string, string>;
type Role = "frontend" | "api" | "worker" | "postgres" | "redis" | "kafka" | "elasticsearch" | "system";
type Kind = "Deployment" | "StatefulSet" | "DaemonSet";
type Json = Record<string, unknown>;

interface Ns {
  readonly name: string;
  readonly team: string;
  readonly env: string;
  readonly product: string;
  readonly labels: Labels;
  readonly workloads: Workload[];
  readonly system: boolean;
  denyEgress: boolean;
  protected: boolean;
}

interface Workload {
  readonly ns: Ns;
  readonly kind: Kind;
  readonly name: string;
  readonly role: Role;
  /** app label (also the Deployment's selector). */
  readonly app: string;
  readonly labels: Labels;
  readonly ports: ContainerPortInput[];
  readonly hostNetwork: boolean;
}

const TEAMS = [
  "payments", "checkout", "search", "identity", "growth", "data", "ml", "mobile", "web", "billing", "logistics", "catalog",
  "ads", "messaging", "analytics", "security", "support", "media", "partners", "platform", "risk", "pricing", "content", "social",
];
const PRODUCTS = ["core", "api", "portal", "jobs", "events", "reports", "gateway", "store", "backoffice", "sync", "feeds", "insights"];
const SERVICES = [
  "cart", "checkout", "orders", "payments", "inventory", "search", "catalog", "users", "auth", "notifications", "recommendations",
  "shipping", "pricing", "reviews", "media", "reports", "billing", "ledger", "gateway", "profile", "sessions", "events", "feeds",
  "ads", "analytics", "fraud", "tax", "quotes", "invoices", "wishlist", "loyalty", "coupons", "geo", "email", "sms", "uploads",
];
const ENVS: readonly (readonly [string, number])[] = [["prod", 5], ["staging", 3], ["dev", 2]];
const OFFICE_CIDRS = ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/25"];
const RFC1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
const NAME_LABEL = "kubernetes.io/metadata.name";

/** A port number for a port name, drawn the way images differ (most use the common number). */
function portNumber(rng: Rng, name: string): number {
  switch (name) {
    case "http":
      return rng.weighted([[8080, 6], [8000, 2], [3000, 1], [80, 1]]);
    case "grpc":
      return rng.weighted([[9000, 1], [50051, 1]]);
    case "metrics":
      return rng.weighted([[9090, 6], [8081, 2], [9102, 1]]);
    default:
      throw new Error(`no port vocabulary for ${name}`);
  }
}

export function generateCluster(spec: ClusterSpec): GeneratedCluster {
  const rng = new Rng(spec.seed ?? 0x6b75_6265 /* "kube" */);
  const egressDenyRatio = spec.egressDenyRatio ?? 0.7;
  const unprotectedRatio = spec.unprotectedRatio ?? 0;

  // --- nodes and addresses ---
  const nodes = Math.max(3, Math.ceil(spec.pods / 32));
  const nodeUsed = new Int32Array(nodes);
  const nodeIp = (n: number) => `172.20.${(n + 1) >> 8}.${(n + 1) & 255}`;
  const podIpOn = (n: number) => {
    const host = 2 + nodeUsed[n]!++;
    if (host > 254) throw new Error("node pod CIDR exhausted");
    return `10.${n >> 8}.${n & 255}.${host}`;
  };
  const randomNode = () => {
    for (;;) {
      const n = rng.int(0, nodes - 1);
      if (nodeUsed[n]! < 200) return n;
    }
  };

  // --- namespaces ---
  const namespaces: Ns[] = [];
  const makeNs = (name: string, team: string, env: string, product: string, extra: Labels, system: boolean): Ns => {
    const labels: Labels = { [NAME_LABEL]: name, ...extra };
    const ns: Ns = { name, team, env, product, labels, workloads: [], system, denyEgress: false, protected: !system };
    namespaces.push(ns);
    return ns;
  };
  const kubeSystem = makeNs("kube-system", "platform", "prod", "k8s", {}, true);
  const monitoring = makeNs("monitoring", "platform", "prod", "observability", { team: "platform", "monitoring-system": "true" }, true);
  const ingressNs = makeNs("ingress-nginx", "platform", "prod", "ingress", { team: "platform", "app.kubernetes.io/name": "ingress-nginx" }, true);
  const logging = makeNs("logging", "platform", "prod", "observability", { team: "platform" }, true);
  const certManager = makeNs("cert-manager", "platform", "prod", "security", { team: "platform" }, true);

  // About 30% of the policy budget goes to per-namespace baseline policies (~3.3 per namespace).
  const appNsCount = Math.max(3, Math.round((spec.policies * 0.3) / 3.3));
  const teamCount = Math.max(2, Math.round(appNsCount / 6));
  const teamNames = Array.from({ length: teamCount }, (_, i) => (i < TEAMS.length ? TEAMS[i]! : `${TEAMS[i % TEAMS.length]}-${Math.floor(i / TEAMS.length) + 1}`));
  const appNamespaces: Ns[] = [];
  const usedNames = new Set(namespaces.map((n) => n.name));
  for (let i = 0; i < appNsCount; i++) {
    const team = teamNames[i % teamCount]!;
    const env = rng.weighted(ENVS);
    let product = rng.pick(PRODUCTS);
    let name = `${team}-${product}-${env}`;
    for (let k = 2; usedNames.has(name); k++) name = `${team}-${product}${k}-${env}`;
    usedNames.add(name);
    product = name.slice(team.length + 1, name.length - env.length - 1);
    const labels: Labels = {
      team,
      env,
      product,
      tier: rng.weighted([["frontend", 1], ["backend", 3], ["data", 1]]),
      "cost-center": `cc-${1000 + (teamNames.indexOf(team) % 40)}`,
      "pod-security.kubernetes.io/enforce": rng.weighted([["restricted", 2], ["baseline", 3]]),
    };
    if (rng.chance(0.4)) labels["istio-injection"] = "enabled";
    const ns = makeNs(name, team, env, product, labels, false);
    ns.denyEgress = rng.chance(egressDenyRatio);
    ns.protected = !rng.chance(unprotectedRatio);
    appNamespaces.push(ns);
  }

  // --- workloads and pods ---
  const pods: PodInput[] = [];
  const workloads: Workload[] = [];
  const addWorkload = (ns: Ns, kind: Kind, name: string, role: Role, labels: Labels, ports: ContainerPortInput[], hostNetwork = false): Workload => {
    const w: Workload = { ns, kind, name, role, app: labels["app"] ?? labels["app.kubernetes.io/name"] ?? labels["k8s-app"] ?? name, labels, ports, hostNetwork };
    ns.workloads.push(w);
    workloads.push(w);
    return w;
  };
  const podNames = new Set<string>();
  /** `name` may be a generator of random names: it is called again on a (rare) collision. */
  const emitPod = (w: Workload, name: string | (() => string), labels: Labels, node: number) => {
    let podName = typeof name === "string" ? name : name();
    while (podNames.has(`${w.ns.name}/${podName}`)) {
      if (typeof name === "string") throw new Error(`duplicate pod ${w.ns.name}/${podName}`);
      podName = name();
    }
    podNames.add(`${w.ns.name}/${podName}`);
    pods.push({
      namespace: w.ns.name,
      name: podName,
      labels,
      ip: w.hostNetwork ? nodeIp(node) : podIpOn(node),
      hostNetwork: w.hostNetwork || undefined,
      containerPorts: w.ports,
      workload: { namespace: w.ns.name, kind: w.kind, name: w.name },
    });
  };
  /** Replicas of a Deployment or StatefulSet; a few Deployments are mid-rollout (two template hashes). */
  const scale = (w: Workload, replicas: number) => {
    if (w.kind === "StatefulSet") {
      const revision = `${w.name}-${rng.suffix(10)}`;
      for (let i = 0; i < replicas; i++) {
        const name = `${w.name}-${i}`;
        emitPod(w, name, { ...w.labels, "controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": name }, randomNode());
      }
      return;
    }
    const version = w.labels["version"];
    const rollout = replicas >= 2 && version !== undefined && rng.chance(0.08);
    const hashes = [rng.suffix(10), rng.suffix(10)];
    for (let i = 0; i < replicas; i++) {
      const second = rollout && i >= replicas / 2;
      const labels: Labels = { ...w.labels, "pod-template-hash": hashes[second ? 1 : 0]! };
      if (second) labels["version"] = bump(version!);
      emitPod(w, () => `${w.name}-${labels["pod-template-hash"]}-${rng.suffix(5)}`, labels, randomNode());
    }
  };
  const daemonSet = (w: Workload) => {
    const revision = rng.suffix(10);
    for (let n = 0; n < nodes; n++) emitPod(w, () => `${w.name}-${rng.suffix(5)}`, { ...w.labels, "controller-revision-hash": revision, "pod-template-generation": "1" }, n);
  };

  // System workloads (their size grows with the cluster, like real ones).
  const dnsReplicas = Math.min(40, Math.max(2, Math.round(spec.pods / 2500)));
  scale(
    addWorkload(kubeSystem, "Deployment", "coredns", "system", { "k8s-app": "kube-dns" }, [
      { name: "dns", containerPort: 53, protocol: "UDP" },
      { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
      { name: "metrics", containerPort: 9153, protocol: "TCP" },
    ]),
    dnsReplicas,
  );
  scale(addWorkload(kubeSystem, "Deployment", "metrics-server", "system", { "k8s-app": "metrics-server" }, [{ name: "https", containerPort: 4443 }]), 2);
  daemonSet(addWorkload(kubeSystem, "DaemonSet", "kube-proxy", "system", { "k8s-app": "kube-proxy" }, [{ name: "metrics", containerPort: 10249 }], true));
  const prom = { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "k8s", "app.kubernetes.io/part-of": "kube-prometheus" };
  scale(addWorkload(monitoring, "StatefulSet", "prometheus-k8s", "system", prom, [{ name: "web", containerPort: 9090 }]), 2);
  scale(
    addWorkload(monitoring, "StatefulSet", "alertmanager-main", "system", { "app.kubernetes.io/name": "alertmanager", "app.kubernetes.io/part-of": "kube-prometheus" }, [
      { name: "web", containerPort: 9093 },
    ]),
    3,
  );
  scale(
    addWorkload(monitoring, "Deployment", "kube-state-metrics", "system", { "app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/part-of": "kube-prometheus" }, [
      { name: "http-metrics", containerPort: 8080 },
      { name: "telemetry", containerPort: 8081 },
    ]),
    1,
  );
  scale(addWorkload(monitoring, "Deployment", "grafana", "system", { "app.kubernetes.io/name": "grafana" }, [{ name: "http", containerPort: 3000 }]), 2);
  daemonSet(addWorkload(monitoring, "DaemonSet", "node-exporter", "system", { "app.kubernetes.io/name": "node-exporter", "app.kubernetes.io/part-of": "kube-prometheus" }, [{ name: "metrics", containerPort: 9100 }], true));
  const ingressLabels = { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx" };
  scale(
    addWorkload(ingressNs, "Deployment", "ingress-nginx-controller", "system", ingressLabels, [
      { name: "http", containerPort: 80 },
      { name: "https", containerPort: 443 },
      { name: "metrics", containerPort: 10254 },
      { name: "webhook", containerPort: 8443 },
    ]),
    Math.min(30, Math.max(2, Math.round(spec.pods / 4000))),
  );
  daemonSet(addWorkload(logging, "DaemonSet", "fluent-bit", "system", { "app.kubernetes.io/name": "fluent-bit" }, [{ name: "metrics", containerPort: 2020 }]));
  for (const [name, port] of [["cert-manager", 9402], ["cert-manager-webhook", 10250], ["cert-manager-cainjector", 9402]] as const)
    scale(addWorkload(certManager, "Deployment", name, "system", { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": "cert-manager" }, [{ name: "metrics", containerPort: port }]), 1);

  // Application pods, spread over namespaces with a heavy-tailed size distribution.
  const appPods = spec.pods - pods.length;
  if (appPods < appNamespaces.length) throw new Error(`${spec.pods} pods is too few for ${appNamespaces.length} namespaces`);
  const weights = appNamespaces.map(() => rng.weighted([[0.4, 3], [1, 5], [2.5, 2], [6, 0.4]]));
  const targets = apportion(appPods, weights);
  appNamespaces.forEach((ns, i) => fillNamespace(rng, ns, targets[i]!, addWorkload, scale));
  if (pods.length !== spec.pods) throw new Error(`generated ${pods.length} pods, wanted ${spec.pods}`);

  // --- policies ---
  const policies = generatePolicies(rng, spec.policies, { kubeSystem, monitoring, ingressNs, appNamespaces });

  const tiered = generateTieredPolicies(new Rng(((spec.seed ?? 0x6b75_6265) ^ 0x7131_7265) >>> 0), spec.tieredPolicies ?? 0, { kubeSystem, monitoring, ingressNs, appNamespaces });

  const nsInputs: NamespaceInput[] = namespaces.map((ns) => ({ name: ns.name, labels: ns.labels }));
  return {
    input: { namespaces: nsInputs, pods, networkPolicies: policies, ...(tiered.length > 0 ? { tieredPolicies: tiered } : {}) },
    stats: {
      namespaces: namespaces.length,
      workloads: workloads.length,
      nodes,
      pods: pods.length,
      hostNetworkPods: pods.filter((p) => p.hostNetwork).length,
      policies: policies.length,
      tieredPolicies: tiered.length,
    },
  };
}

function bump(version: string): string {
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return m ? `v${m[1]}.${m[2]}.${Number(m[3]) + 1}` : `${version}-next`;
}

/** Splits `total` into integers proportional to `weights` (largest remainder), each at least 1. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const spare = total - weights.length;
  const raw = weights.map((w) => (spare * w) / sum);
  const out = raw.map((r) => 1 + Math.floor(r));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]![1]]!++;
  return out;
}

type AddWorkload = (ns: Ns, kind: Kind, name: string, role: Role, labels: Labels, ports: ContainerPortInput[]) => Workload;

/** Fills a namespace with microservices until it holds exactly `target` pods. */
function fillNamespace(rng: Rng, ns: Ns, target: number, add: AddWorkload, scale: (w: Workload, replicas: number) => void) {
  let left = target;
  const used = new Set<string>();
  const services = rng.shuffle([...SERVICES]);
  let si = 0;
  const nextService = () => {
    const base = services[si % services.length]!;
    const round = Math.floor(si++ / services.length);
    return round === 0 ? base : `${base}${round + 1}`;
  };
  const common = (app: string, component: string, tier: string): Labels => {
    const labels: Labels = { app, component, tier, "app.kubernetes.io/name": app };
    if (rng.chance(0.7)) labels["app.kubernetes.io/part-of"] = ns.product;
    if (rng.chance(0.5)) labels["app.kubernetes.io/managed-by"] = "Helm";
    if (rng.chance(0.3)) labels["team"] = ns.team;
    return labels;
  };
  const place = (w: Workload, replicas: number) => {
    const n = Math.max(1, Math.min(replicas, left));
    scale(w, n);
    left -= n;
  };
  const version = () => `v${rng.int(1, 4)}.${rng.int(0, 20)}.${rng.int(0, 9)}`;
  const unique = (name: string) => {
    let n = name;
    for (let k = 2; used.has(n); k++) n = `${name}-${k}`;
    used.add(n);
    return n;
  };
  const deploymentReplicas = () => rng.weighted([[1, 1], [2, 4], [3, 4], [4, 2], [6, 1], [12, 0.4], [30, 0.1]]);

  // Data stores first (most namespaces have one or two), then services until the pods run out.
  const stores: [Role, number][] = [["postgres", 0.45], ["redis", 0.5], ["kafka", 0.12], ["elasticsearch", 0.08]];
  for (const [role, p] of stores) {
    if (left <= 0 || !rng.chance(p)) continue;
    const storeName = unique(role === "postgres" ? rng.pick(["postgres", "postgresql", "db"]) : role);
    const tier = role === "redis" ? "cache" : "data";
    const component = role === "postgres" ? "database" : role === "redis" ? "cache" : role === "kafka" ? "broker" : "search";
    const labels = { ...common(role, component, tier), "app.kubernetes.io/instance": storeName };
    const ports: ContainerPortInput[] =
      role === "postgres"
        ? [{ name: "postgresql", containerPort: 5432 }, { name: "metrics", containerPort: 9187 }]
        : role === "redis"
          ? [{ name: "redis", containerPort: 6379 }, { name: "metrics", containerPort: 9121 }]
          : role === "kafka"
            ? [{ name: "kafka", containerPort: 9092 }, { name: "kafka-internal", containerPort: 9093 }, { name: "metrics", containerPort: 9308 }]
            : [{ name: "http", containerPort: 9200 }, { name: "transport", containerPort: 9300 }, { name: "metrics", containerPort: 9114 }];
    const kind: Kind = role === "redis" && rng.chance(0.4) ? "Deployment" : "StatefulSet";
    place(add(ns, kind, storeName, role, labels, ports), role === "kafka" || role === "elasticsearch" ? 3 : rng.int(1, 3));
  }

  if (left > 0 && rng.chance(0.6)) {
    const name = unique(rng.pick(["web", "frontend", "ui", `${ns.product}-web`]));
    const w = add(ns, "Deployment", name, "frontend", { ...common(name, "frontend", "frontend"), version: version() }, [
      { name: "http", containerPort: portNumber(rng, "http") },
      ...(rng.chance(0.5) ? [{ name: "metrics", containerPort: portNumber(rng, "metrics") }] : []),
    ]);
    place(w, deploymentReplicas());
  }

  while (left > 0) {
    const svc = nextService();
    const api = unique(`${svc}-api`);
    const ports: ContainerPortInput[] = [{ name: "http", containerPort: portNumber(rng, "http") }];
    if (rng.chance(0.6)) ports.push({ name: "grpc", containerPort: portNumber(rng, "grpc") });
    ports.push({ name: "metrics", containerPort: portNumber(rng, "metrics") });
    const apiLabels = { ...common(svc, "api", "backend"), version: version() };
    place(add(ns, "Deployment", api, "api", apiLabels, ports), deploymentReplicas());
    // Canary Deployments share the app label but carry track/version=canary.
    if (left > 0 && rng.chance(0.05)) {
      const canary = unique(`${svc}-api-canary`);
      place(add(ns, "Deployment", canary, "api", { ...apiLabels, version: "canary", track: "canary" }, ports), 1);
    }
    if (left > 0 && rng.chance(0.5)) {
      const worker = unique(`${svc}-worker`);
      const workerPorts: ContainerPortInput[] = [{ name: "metrics", containerPort: portNumber(rng, "metrics") }];
      place(add(ns, "Deployment", worker, "worker", { ...common(svc, "worker", "backend"), version: version() }, workerPorts), deploymentReplicas());
    }
  }
}

interface PolicyContext {
  readonly kubeSystem: Ns;
  readonly monitoring: Ns;
  readonly ingressNs: Ns;
  readonly appNamespaces: readonly Ns[];
}

function generatePolicies(rng: Rng, budget: number, ctx: PolicyContext): NetworkPolicyInput[] {
  const out: NetworkPolicyInput[] = [];
  const names = new Set<string>();
  const emit = (ns: Ns, name: string, spec: Json): boolean => {
    if (out.length >= budget) return false;
    let n = name;
    for (let k = 2; names.has(`${ns.name}/${n}`); k++) n = `${name}-${k}`;
    names.add(`${ns.name}/${n}`);
    out.push({ namespace: ns.name, name: n, spec });
    return true;
  };
  const nsName = (ns: Ns): Json => ({ matchLabels: { [NAME_LABEL]: ns.name } });
  const prometheusPeer: Json = { namespaceSelector: nsName(ctx.monitoring), podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } };
  const ingressPeer: Json = { namespaceSelector: nsName(ctx.ingressNs), podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } } };
  const dnsPorts = [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }];
  const internet: Json = { ipBlock: { cidr: "0.0.0.0/0", except: RFC1918 } };

  // --- system namespaces ---
  emit(ctx.ingressNs, "allow-web-traffic", {
    podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" } },
    policyTypes: ["Ingress"],
    ingress: [
      { from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 80 }, { port: 443 }] },
      { from: [prometheusPeer], ports: [{ port: "metrics" }] },
    ],
  });
  emit(ctx.kubeSystem, "coredns", {
    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
    ingress: [{ ports: dnsPorts }, { from: [prometheusPeer], ports: [{ port: 9153 }] }],
  });
  emit(ctx.monitoring, "grafana", {
    podSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } },
    ingress: [{ from: [ingressPeer, ...OFFICE_CIDRS.map((cidr) => ({ ipBlock: { cidr } }))], ports: [{ port: "http" }] }],
  });

  // --- per-namespace baseline ---
  for (const ns of ctx.appNamespaces) {
    if (!ns.protected) continue;
    if (ns.denyEgress) {
      if (rng.chance(0.6)) emit(ns, "default-deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      else {
        emit(ns, "default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
        emit(ns, "default-deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
      }
      // DNS egress, in the three forms seen in the wild.
      const form = rng.weighted([["kube-dns", 7], ["any-namespace", 2], ["ports-only", 1]]);
      const to =
        form === "kube-dns"
          ? [{ namespaceSelector: nsName(ctx.kubeSystem), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }]
          : form === "any-namespace"
            ? [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }]
            : undefined;
      emit(ns, "allow-dns", { podSelector: {}, policyTypes: ["Egress"], egress: [to ? { to, ports: dnsPorts } : { ports: dnsPorts }] });
    } else emit(ns, "default-deny-ingress", rng.chance(0.5) ? { podSelector: {} } : { podSelector: {}, policyTypes: ["Ingress"] });
    if (rng.chance(0.9)) emit(ns, "allow-prometheus-scrape", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [prometheusPeer], ports: [{ port: "metrics" }] }] });
    if (rng.chance(0.2)) {
      const spec: Json = ns.denyEgress
        ? { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] }
        : { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] };
      emit(ns, "allow-same-namespace", spec);
    }
  }

  // --- per-workload policies, until the budget is spent ---
  const byEnv = new Map<string, Workload[]>();
  const blockOf = new Map<Ns, { start: number; end: number }>(); // each namespace's slice of its env list
  const apps: Workload[] = [];
  for (const ns of ctx.appNamespaces) {
    const list = byEnv.get(ns.env) ?? [];
    byEnv.set(ns.env, list);
    const start = list.length;
    for (const w of ns.workloads) {
      apps.push(w);
      if (w.role === "api" || w.role === "frontend" || w.role === "worker") list.push(w);
    }
    blockOf.set(ns, { start, end: list.length });
  }
  const queue = rng.shuffle(apps.filter((w) => w.ns.protected && !w.labels["track"]));
  for (let round = 0; out.length < budget && queue.length > 0; round++) {
    for (const w of queue) {
      if (out.length >= budget) break;
      const sameEnv = { list: byEnv.get(w.ns.env)!, ...blockOf.get(w.ns)! };
      const spec = workloadPolicy(rng, w, round, sameEnv, { prometheusPeer, ingressPeer, internet, nsName });
      emit(w.ns, round === 0 ? `${w.name}` : `${w.name}-${rng.pick(["egress", "extra", "partners", "legacy"])}`, spec);
    }
  }
  if (out.length !== budget) throw new Error(`generated ${out.length} policies, wanted ${budget}`);
  return out;
}

interface Peers {
  readonly prometheusPeer: Json;
  readonly ingressPeer: Json;
  readonly internet: Json;
  readonly nsName: (ns: Ns) => Json;
}

/** One NetworkPolicy spec for workload `w`, shaped by its role. */
/** `sameEnv.list`: app workloads of w's env; [start, end) is w's namespace in it. */
function workloadPolicy(rng: Rng, w: Workload, round: number, sameEnv: { readonly list: readonly Workload[]; readonly start: number; readonly end: number }, p: Peers): Json {
  const ns = w.ns;
  const siblings = ns.workloads.filter((x) => x !== w && x.role !== "system");
  const ofRole = (...roles: Role[]) => siblings.filter((x) => roles.includes(x.role));
  const podSelector = (): Json => {
    const r = rng.next();
    if (r < 0.65) return { matchLabels: { app: w.app } };
    if (r < 0.85) return { matchLabels: { app: w.app, component: w.labels["component"]! } };
    if (r < 0.95) return { matchLabels: { "app.kubernetes.io/name": w.app } };
    // Stable pods only: canaries are handled by a separate policy (or not at all).
    return { matchLabels: { app: w.app }, matchExpressions: [{ key: "track", operator: "NotIn", values: ["canary"] }] };
  };
  const localPeer = (x: Workload): Json =>
    rng.chance(0.8) ? { podSelector: { matchLabels: { app: x.app } } } : { podSelector: { matchLabels: { app: x.app, component: x.labels["component"]! } } };
  const remotePeer = (x: Workload): Json => {
    const r = rng.next();
    if (r < 0.5) return { namespaceSelector: p.nsName(x.ns), podSelector: { matchLabels: { app: x.app } } };
    if (r < 0.8) return { namespaceSelector: { matchLabels: { team: x.ns.team, env: x.ns.env } }, podSelector: { matchLabels: { app: x.app } } };
    if (r < 0.92) return { namespaceSelector: { matchLabels: { team: x.ns.team, product: x.ns.product } } };
    return {
      namespaceSelector: { matchExpressions: [{ key: "env", operator: "In", values: [x.ns.env] }, { key: "team", operator: "In", values: [x.ns.team] }] },
      podSelector: { matchExpressions: [{ key: "app.kubernetes.io/part-of", operator: "Exists" }, { key: "component", operator: "In", values: ["api", "worker", "frontend"] }] },
    };
  };
  const servicePorts = (x: Workload): Json[] => {
    const named = x.ports.map((q) => q.name);
    const r = rng.next();
    if (named.includes("grpc") && r < 0.35) return [{ port: "grpc" }];
    if (r < 0.7) return [{ port: "http" }];
    return [{ port: x.ports[0]!.containerPort }];
  };
  const remoteCallers = (k: number) => rng.sampleExcluding(sameEnv.list, sameEnv.start, sameEnv.end, k);

  const ingress: Json[] = [];
  const egress: Json[] = [];
  switch (w.role) {
    case "frontend":
      ingress.push({ from: [p.ingressPeer], ports: [{ port: "http" }] });
      if (rng.chance(0.3)) ingress.push({ from: OFFICE_CIDRS.slice(0, rng.int(1, 3)).map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: 8443 }, { port: "http" }] });
      for (const x of rng.sample(ofRole("api"), rng.int(1, 3))) egress.push({ to: [localPeer(x)], ports: servicePorts(x) });
      if (rng.chance(0.3)) egress.push({ to: [p.internet], ports: [{ port: 443 }] });
      break;
    case "api": {
      const callers = rng.sample(ofRole("frontend", "api", "worker"), rng.int(0, 3));
      if (callers.length > 0) ingress.push({ from: callers.map(localPeer), ports: servicePorts(w) });
      if (rng.chance(0.45)) ingress.push({ from: remoteCallers(rng.int(1, 3)).map(remotePeer), ports: servicePorts(w) });
      if (rng.chance(0.1))
        ingress.push({
          from: [{ podSelector: { matchExpressions: [{ key: "tier", operator: "In", values: ["frontend", "backend"] }, { key: "version", operator: "NotIn", values: ["canary"] }] } }],
          ports: [{ port: 8000, endPort: 8099 }],
        });
      if (rng.chance(0.08)) ingress.push({ from: [{ ipBlock: { cidr: "198.51.100.0/24", except: ["198.51.100.128/25"] } }], ports: [{ port: 443 }] }); // office, minus guest Wi-Fi
      for (const x of rng.sample(ofRole("postgres", "redis", "kafka", "elasticsearch"), rng.int(0, 2))) egress.push(storeEgress(rng, x, localPeer(x)));
      for (const x of remoteCallers(rng.int(0, 2))) egress.push({ to: [remotePeer(x)], ports: servicePorts(x) });
      if (rng.chance(0.35)) egress.push({ to: [p.internet], ports: [{ port: 443 }] });
      if (rng.chance(0.05)) egress.push({ to: [{ ipBlock: { cidr: "192.168.100.0/24" } }], ports: [{ port: 5432 }] });
      break;
    }
    case "worker":
      for (const x of rng.sample(ofRole("postgres", "redis", "kafka", "elasticsearch", "api"), rng.int(1, 3)))
        egress.push(x.role === "api" ? { to: [localPeer(x)], ports: servicePorts(x) } : storeEgress(rng, x, localPeer(x)));
      if (rng.chance(0.5)) egress.push({ to: [p.internet], ports: [{ port: 443 }, { port: 80 }] });
      if (rng.chance(0.1)) egress.push({ to: [{ ipBlock: { cidr: "52.216.0.0/15" } }], ports: [{ port: 443 }] }); // an object store's prefix
      break;
    case "postgres":
      ingress.push({
        from: [{ podSelector: { matchExpressions: [{ key: "component", operator: "In", values: ["api", "worker"] }] } }],
        ports: [{ port: rng.chance(0.5) ? "postgresql" : 5432 }],
      });
      if (rng.chance(0.2)) ingress.push({ from: [{ namespaceSelector: { matchLabels: { team: "data" } } }], ports: [{ port: 5432 }] });
      break;
    case "redis":
      ingress.push({ from: [{ podSelector: { matchLabels: { tier: "backend" } } }], ports: [{ port: "redis" }] });
      break;
    case "kafka":
      ingress.push({ from: [{ podSelector: { matchExpressions: [{ key: "app.kubernetes.io/part-of", operator: "Exists" }] } }], ports: [{ port: 9092, endPort: 9094 }] });
      ingress.push({ from: [{ podSelector: { matchLabels: { app: "kafka" } } }] }); // brokers talk among themselves on any port
      break;
    case "elasticsearch":
      ingress.push({ from: [{ podSelector: { matchLabels: { tier: "backend" } } }, { namespaceSelector: { matchLabels: { team: "analytics" } } }], ports: [{ port: 9200 }] });
      ingress.push({ from: [{ podSelector: { matchLabels: { app: "elasticsearch" } } }], ports: [{ port: "transport" }] });
      break;
    case "system":
      break;
  }
  // Later rounds add a second policy per workload: egress-only, the way teams split them.
  if (round > 0) {
    const spec: Json = { podSelector: podSelector(), policyTypes: ["Egress"], egress: egress.length > 0 ? egress : [{ to: [p.internet], ports: [{ port: 443 }] }] };
    return spec;
  }
  const types: string[] = [];
  if (ingress.length > 0) types.push("Ingress");
  if (egress.length > 0 && ns.denyEgress) types.push("Egress");
  if (types.length === 0) types.push("Ingress"); // nothing admitted: an allow-nothing policy, which exists too
  const spec: Json = { podSelector: podSelector() };
  if (rng.chance(0.85) || types.includes("Egress")) spec["policyTypes"] = types;
  if (types.includes("Ingress")) spec["ingress"] = ingress;
  if (types.includes("Egress")) spec["egress"] = egress;
  return spec;
}

function storeEgress(rng: Rng, x: Workload, peer: Json): Json {
  switch (x.role) {
    case "postgres":
      return { to: [peer], ports: [{ port: rng.chance(0.5) ? "postgresql" : 5432 }] };
    case "redis":
      return { to: [peer], ports: [{ port: 6379 }] };
    case "kafka":
      return { to: [peer], ports: [{ port: 9092, endPort: 9094 }] };
    default:
      return { to: [peer], ports: [{ port: 9200 }] };
  }
}

// --- cluster-scoped tiers ---------------------------------------------------------------------------

const ANP_VERSION = "policy.networking.k8s.io/v1alpha1";
const CNP_VERSION = "policy.networking.k8s.io/v1alpha2";

/**
 * `count` tiered policies (exactly), from a fixed set of cluster-wide guardrails followed by
 * per-team and per-product ones in rotation. Half of the team policies are written as v1alpha1
 * AdminNetworkPolicies, the rest as v1alpha2 ClusterNetworkPolicies; priorities are mostly unique,
 * with a few deliberate ties.
 */
function generateTieredPolicies(rng: Rng, count: number, ctx: PolicyContext): TieredPolicyInput[] {
  const out: TieredPolicyInput[] = [];
  if (count <= 0) return out;
  const nsName = (name: string): Json => ({ matchLabels: { [NAME_LABEL]: name } });
  const cnp = (name: string, tier: "Admin" | "Baseline", priority: number, spec: Json) => out.length < count - 1 && out.push({ kind: "ClusterNetworkPolicy", apiVersion: CNP_VERSION, name, spec: { tier, priority, ...spec } });
  const anp = (name: string, priority: number, spec: Json) => out.length < count - 1 && out.push({ kind: "AdminNetworkPolicy", apiVersion: ANP_VERSION, name, spec: { priority, ...spec } });
  const tcp = (n: number): Json => ({ tcp: { destinationPort: { number: n } } });
  const udp = (n: number): Json => ({ udp: { destinationPort: { number: n } } });
  const prometheus: Json = { pods: { namespaceSelector: nsName(ctx.monitoring.name), podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } } };
  const kubeDns: Json = { pods: { namespaceSelector: nsName(ctx.kubeSystem.name), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } } };
  const ingressController: Json = { pods: { namespaceSelector: nsName(ctx.ingressNs.name), podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } } } };
  const appNamespaces: Json = { namespaces: { matchExpressions: [{ key: "env", operator: "Exists" }] } };

  // Cluster-wide guardrails.
  cnp("protect-kube-system", "Admin", 1, {
    subject: { namespaces: nsName(ctx.kubeSystem.name) },
    ingress: [
      { name: "monitoring-scrapes", action: "Accept", from: [prometheus], protocols: [{ destinationNamedPort: "metrics" }] },
      { name: "dns-to-the-apps", action: "Pass", from: [{ namespaces: {} }], protocols: [udp(53), tcp(53)] },
      { name: "nothing-else", action: "Deny", from: [{ namespaces: {} }] },
    ],
  });
  cnp("cluster-dns", "Admin", 2, { subject: appNamespaces, egress: [{ name: "dns", action: "Accept", to: [kubeDns], protocols: [udp(53), tcp(53)] }] });
  anp("prometheus-scrapes", 3, { subject: appNamespaces, ingress: [{ name: "scrape", action: "Allow", from: [prometheus], ports: [{ namedPort: "metrics" }] }] });
  cnp("ingress-controller", "Admin", 4, { subject: { namespaces: { matchLabels: { tier: "frontend" } } }, ingress: [{ name: "from-ingress", action: "Accept", from: [ingressController], protocols: [{ destinationNamedPort: "http" }] }] });
  for (const [env, others, priority] of [["prod", ["dev", "staging"], 10], ["staging", ["dev"], 11]] as const)
    anp(`isolate-${env}`, priority, {
      subject: { namespaces: { matchLabels: { env } } },
      ingress: [{ name: `no-${others.join("-")}`, action: "Deny", from: [{ namespaces: { matchExpressions: [{ key: "env", operator: "In", values: [...others] }] } }] }],
      egress: [{ name: `no-${others.join("-")}`, action: "Deny", to: [{ namespaces: { matchExpressions: [{ key: "env", operator: "In", values: [...others] }] } }] }],
    });
  cnp("control-plane-and-metadata", "Admin", 12, {
    subject: appNamespaces,
    egress: [
      { name: "no-apiserver-from-apps", action: "Deny", to: [{ nodes: { matchExpressions: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists" }] } }], protocols: [tcp(6443)] },
      { name: "no-cloud-metadata", action: "Deny", to: [{ networks: ["169.254.169.254/32"] }] },
    ],
  });

  // Per team, in rotation until the budget is spent: tenancy (Pass inside the team, Deny from the
  // other teams' prod), egress control, sensitive data, and a Baseline default per team.
  const teams = [...new Set(ctx.appNamespaces.map((ns) => ns.team))];
  const products = [...new Set(ctx.appNamespaces.map((ns) => `${ns.team}/${ns.product}`))];
  let priority = 100;
  for (let round = 0; out.length < count - 1; round++) {
    const progress = out.length;
    for (const team of teams) {
      if (out.length >= count - 1) break;
      const subject = { namespaces: { matchLabels: { team } } };
      const v1 = rng.chance(0.5);
      const p = rng.chance(0.05) ? priority : ++priority; // a few ties
      switch (round % 4) {
        case 0: {
          const rules = [
            { name: "within-team", action: "Pass", from: [{ namespaces: { matchLabels: { team } } }] },
            { name: "other-teams-prod", action: "Deny", from: [{ namespaces: { matchLabels: { env: "prod" } } }], ...(v1 ? { ports: [{ portRange: { protocol: "TCP", start: 1, end: 1023 } }] } : { protocols: [{ tcp: { destinationPort: { range: { start: 1, end: 1023 } } } }] }) },
          ];
          if (v1) anp(`tenancy-${team}`, p, { subject, ingress: rules });
          else cnp(`tenancy-${team}`, "Admin", p, { subject, ingress: rules });
          break;
        }
        case 1: {
          const egress: Json[] = [
            { name: "cluster", action: "Pass", to: [{ networks: ["10.0.0.0/8"] }] },
            { name: "partners", action: v1 ? "Allow" : "Accept", to: [{ networks: [rng.pick(["52.216.0.0/15", "203.0.113.0/24", "198.51.100.0/24"])] }], ...(v1 ? { ports: [{ portNumber: { protocol: "TCP", port: 443 } }] } : { protocols: [tcp(443)] }) },
          ];
          if (rng.chance(0.2)) egress.push({ name: "saas", action: v1 ? "Allow" : "Accept", to: [{ domainNames: [`*.${team}.example.com`] }] });
          egress.push({ name: "no-internet", action: "Deny", to: [{ networks: ["0.0.0.0/0"] }] });
          if (v1) anp(`egress-${team}`, p, { subject, egress });
          else cnp(`egress-${team}`, "Admin", p, { subject, egress });
          break;
        }
        case 2:
          cnp(`baseline-${team}`, "Baseline", p, {
            subject,
            ingress: [
              { name: "team", action: "Accept", from: [{ namespaces: { matchLabels: { team } } }] },
              { name: "rest", action: "Deny", from: [{ namespaces: {} }] },
            ],
          });
          break;
        default: {
          const product = rng.pick(products.filter((x) => x.startsWith(`${team}/`)));
          const podSubject = { pods: { namespaceSelector: { matchLabels: { team, product: product.slice(team.length + 1) } }, podSelector: { matchLabels: { tier: "data" } } } };
          cnp(`data-${product.replace("/", "-")}`, "Admin", p, {
            subject: podSubject,
            ingress: [
              { name: "own-backends", action: "Pass", from: [{ pods: { namespaceSelector: { matchLabels: { team } }, podSelector: { matchLabels: { tier: "backend" } } } }] },
              { name: "no-one-else", action: "Deny", from: [{ namespaces: {} }] },
            ],
          });
        }
      }
    }
    if (out.length === progress) break;
  }
  out.push({
    kind: "BaselineAdminNetworkPolicy",
    apiVersion: ANP_VERSION,
    name: "default",
    spec: { subject: { namespaces: {} }, ingress: [{ name: "default-deny-cross-namespace", action: "Deny", from: [{ namespaces: { matchLabels: { "monitoring-system": "true" } } }], ports: [{ portNumber: { protocol: "TCP", port: 22 } }] }] },
  });
  if (out.length !== count) throw new Error(`generated ${out.length} tiered policies, wanted ${count}`);
  return out;
}
