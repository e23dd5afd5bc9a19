/**
 * The cluster API suites run against: two teams' namespaces with workloads, bare pods with IPs and
 * policies whose verdicts are known by hand, and a scripted history of policy changes.
 *
 *   shop (team=a)      frontend[Deployment] app=frontend        egress only to backend:80, payments api:8443, 203.0.113.0/24 on named port https
 *                      backend[Deployment]  app=backend :80 http, :9000 admin    ingress only from frontend on TCP 80
 *                      cache[Deployment]    app=cache :6379     not isolated
 *                      db[Deployment] + db[StatefulSet]          two kinds share a name (ambiguous without kind)
 *                      probe[Pod]           app=probe ip 10.1.0.5
 *   payments (team=b)  api[Deployment]      app=api :8443 https  ingress only from shop's frontend on 8443
 *                      worker[Deployment]   app=worker
 *                      ledger[Pod]          app=ledger ip 10.2.0.9
 *
 * History (each step one generation):
 *   g1 the tree above
 *   g2 UPDATE shop/backend-allow-frontend: also from app=cache     -> gained cache => backend TCP 80
 *   g3 CREATE payments/default-deny (ingress)                       -> worker and ledger lose their peers
 *   g4 UPDATE Namespace payments labels team=b -> team=c            -> frontend loses payments/api 8443
 *   g5 DELETE shop/frontend-egress                                  -> frontend's egress opens
 */
import { namespace, networkPolicy, pod, workload, type Manifest } from "./manifests.js";

export const SHOP = "shop";
export const PAYMENTS = "payments";

const deployments = (): Manifest[] => [
  workload(SHOP, "frontend", { labels: { app: "frontend", tier: "web" } }),
  workload(SHOP, "backend", { labels: { app: "backend", tier: "api" }, ports: [{ name: "http", containerPort: 80 }, { name: "admin", containerPort: 9000 }] }),
  workload(SHOP, "cache", { labels: { app: "cache", tier: "data" }, ports: [{ name: "redis", containerPort: 6379 }] }),
  workload(SHOP, "db", { labels: { app: "db-tools" } }),
  workload(SHOP, "db", { kind: "StatefulSet", labels: { app: "db", tier: "data" }, ports: [{ name: "pg", containerPort: 5432 }] }),
  pod(SHOP, "probe", { labels: { app: "probe" }, ip: "10.1.0.5" }),
  workload(PAYMENTS, "api", { labels: { app: "api" }, ports: [{ name: "https", containerPort: 8443 }] }),
  workload(PAYMENTS, "worker", { labels: { app: "worker" } }),
  pod(PAYMENTS, "ledger", { labels: { app: "ledger" }, ip: "10.2.0.9" }),
];

export const backendAllow = (fromApps: readonly string[]) =>
  networkPolicy(SHOP, "backend-allow-frontend", {
    podSelector: { matchLabels: { app: "backend" } },
    policyTypes: ["Ingress"],
    ingress: [{ from: fromApps.map((app) => ({ podSelector: { matchLabels: { app } } })), ports: [{ protocol: "TCP", port: 80 }] }],
  });

export const frontendEgress = () =>
  networkPolicy(SHOP, "frontend-egress", {
    podSelector: { matchLabels: { app: "frontend" } },
    policyTypes: ["Egress"],
    egress: [
      { to: [{ podSelector: { matchLabels: { app: "backend" } } }], ports: [{ port: 80 }] },
      { to: [{ namespaceSelector: { matchLabels: { team: "b" } }, podSelector: { matchLabels: { app: "api" } } }], ports: [{ protocol: "TCP", port: 8443 }] },
      { to: [{ ipBlock: { cidr: "203.0.113.0/24" } }], ports: [{ protocol: "TCP", port: "https" }] },
    ],
  });

export const apiAllowShop = () =>
  networkPolicy(PAYMENTS, "api-allow-shop", {
    podSelector: { matchLabels: { app: "api" } },
    ingress: [
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": SHOP } }, podSelector: { matchLabels: { app: "frontend" } } }],
        ports: [{ port: 8443 }],
      },
    ],
  });

export const paymentsDefaultDeny = () => networkPolicy(PAYMENTS, "default-deny", { podSelector: {}, policyTypes: ["Ingress"] });

/** The files of generation 1. */
export function initialFiles(): Record<string, Manifest[]> {
  return {
    "namespaces.yaml": [namespace(SHOP, { team: "a" }), namespace(PAYMENTS, { team: "b" })],
    "workloads.yaml": deployments(),
    "shop/backend-allow-frontend.yaml": [backendAllow(["frontend"])],
    "shop/frontend-egress.yaml": [frontendEgress()],
    "payments/api-allow-shop.yaml": [apiAllowShop()],
  };
}

export interface ManifestTree {
  write(file: string, ...docs: readonly Manifest[]): unknown;
  remove(file: string): unknown;
}

/** The scripted changes after generation 1, in order: each one makes the next generation. */
export const HISTORY: readonly { readonly name: string; apply(tree: ManifestTree): void }[] = [
  { name: "g2: backend also admits cache", apply: (t) => t.write("shop/backend-allow-frontend.yaml", backendAllow(["frontend", "cache"])) },
  { name: "g3: payments default-deny", apply: (t) => t.write("payments/default-deny.yaml", paymentsDefaultDeny()) },
  { name: "g4: payments relabelled team=c", apply: (t) => t.write("namespaces.yaml", namespace(SHOP, { team: "a" }), namespace(PAYMENTS, { team: "c" })) },
  { name: "g5: frontend-egress deleted", apply: (t) => t.remove("shop/frontend-egress.yaml") },
];
