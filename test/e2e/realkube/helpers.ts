/**
 * Pieces of the real-API-server end-to-end suite: objects written through the API (pods get their IP
 * through the pods/status subresource, as a kubelet would), a TCP proxy between kubereach and the
 * API server to cut kubereach off while the cluster keeps changing, and GraphQL reads of what
 * `serve` answers.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { RealKube } from "../../helpers/realKube.js";
import { gql, type Replica } from "../../reliability/helpers/serve.js";

export const TIERED = "/apis/policy.networking.k8s.io";
export const ANP_PATH = `${TIERED}/v1alpha1/adminnetworkpolicies`;
export const BANP_PATH = `${TIERED}/v1alpha1/baselineadminnetworkpolicies`;
export const CNP_PATH = `${TIERED}/v1beta1/clusternetworkpolicies`;
export const npPath = (ns: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`;

export async function createNamespace(kube: RealKube, name: string, labels: Record<string, string>): Promise<void> {
  await kube.must("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
}

/** A pod with one container port, then Running with `ip` through pods/status. */
export async function createPod(kube: RealKube, ns: string, name: string, labels: Record<string, string>, ip: string, port = 80): Promise<void> {
  await kube.must("POST", `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: "c", image: "registry.invalid/app:1", ports: [{ containerPort: port, protocol: "TCP" }] }] },
  });
  await setPodStatus(kube, ns, name, { phase: "Running", podIP: ip, podIPs: [{ ip }] });
}

export async function setPodStatus(kube: RealKube, ns: string, name: string, status: Record<string, unknown>): Promise<void> {
  await kube.must("PATCH", `/api/v1/namespaces/${ns}/pods/${name}/status`, { status }, "application/merge-patch+json");
}

export async function mergePatch(kube: RealKube, path: string, patch: unknown): Promise<void> {
  await kube.must("PATCH", path, patch, "application/merge-patch+json");
}

export function networkPolicy(ns: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: ns }, spec };
}

export function tiered(kind: "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy" | "ClusterNetworkPolicy", name: string, spec: Record<string, unknown>): Record<string, unknown> {
  const version = kind === "ClusterNetworkPolicy" ? "v1beta1" : "v1alpha1";
  return { apiVersion: `policy.networking.k8s.io/${version}`, kind, metadata: { name }, spec };
}

/** `ns/pod : connections` lines of whoCanReach(target) for the pods that can reach it, sorted. */
export async function whoCanReach(r: Replica, namespace: string, name: string): Promise<{ generation: number; lines: string[] }> {
  const data = await gql<{ whoCanReach: { generation: number; peers: { peer: { display: string }; connections: { text: string } }[] } }>(
    r,
    `query($t: WorkloadRef!) { whoCanReach(target: $t) { generation peers { peer { display } connections { text } } } }`,
    { t: { namespace, name, kind: "Pod" } },
  );
  // Pods only (`ns/name[Pod]` -> `ns/name`): external ranges are the same in every step.
  const pods = data.whoCanReach.peers.filter((p) => p.peer.display.endsWith("[Pod]"));
  return { generation: data.whoCanReach.generation, lines: pods.map((p) => `${p.peer.display.slice(0, -"[Pod]".length)} : ${p.connections.text}`).sort() };
}

export interface KindSyncStatus {
  kind: string;
  state: string;
  optional: boolean;
  lastError: string | null;
  lastFailure: string | null;
  restarts: number;
  relists: number;
  behindSince: string | null;
}

export interface SyncStatusView {
  cluster: string;
  ready: boolean;
  generation: number;
  lagSeconds: number;
  errors: string[];
  kinds: KindSyncStatus[];
}

export async function syncStatus(r: Replica, cluster?: string): Promise<SyncStatusView> {
  const data = await gql<{ syncStatus: SyncStatusView[] }>(
    r,
    `{ syncStatus { cluster ready generation lagSeconds errors kinds { kind state optional lastError lastFailure restarts relists behindSince } } }`,
  );
  const found = cluster ? data.syncStatus.find((c) => c.cluster === cluster) : data.syncStatus[0];
  if (!found) throw new Error(`no syncStatus for cluster ${cluster}`);
  return found;
}

export interface RevisionView {
  objectKind: string;
  namespace: string;
  name: string;
  operation: string;
  observedVia: string;
  finalStateUnknown: boolean;
  resourceVersion: string;
}

/** Every recorded revision, oldest first. */
export async function auditLog(r: Replica, cluster?: string): Promise<RevisionView[]> {
  const out: RevisionView[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { auditLog: { edges: { node: RevisionView }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await gql(
      r,
      `query($after: String, $cluster: ID) { auditLog(cluster: $cluster, first: 100, after: $after) { edges { node { objectKind namespace name operation observedVia finalStateUnknown resourceVersion } } pageInfo { hasNextPage endCursor } } }`,
      { after, cluster },
    );
    out.push(...data.auditLog.edges.map((e) => e.node));
    if (!data.auditLog.pageInfo.hasNextPage) return out;
    after = data.auditLog.pageInfo.endCursor;
  }
}

/** `Kind ns/name OP` of revisions, for compact assertions. */
export const revisionLines = (revs: readonly RevisionView[]) => revs.map((r) => `${r.objectKind} ${r.namespace ? `${r.namespace}/` : ""}${r.name} ${r.operation}`);

/**
 * A TCP proxy on 127.0.0.1 in front of the API server: kubereach's kubeconfig points here, so the
 * test can cut kubereach off (connections reset, new ones refused) while it keeps using the API
 * server directly. The serving certificate names 127.0.0.1, so TLS passes through unchanged.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: "127.0.0.1", port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Resets every open connection and stops listening (new connections are refused). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** A kubeconfig for `user` of the real API server, pointing at this proxy. */
  kubeconfig(kube: RealKube, user: Parameters<RealKube["kubeconfig"]>[0] = "admin"): string {
    return kube.kubeconfigVia(this.port, user);
  }
}
