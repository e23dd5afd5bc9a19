/**
 * History and reachability impact for tiered policies, exactly as for NetworkPolicy: a manifest tree
 * with an AdminNetworkPolicy, synced into the real store (in-memory PGlite); editing the policy
 * records an UPDATE revision (cluster-scoped: namespace "") with its JSON Patch, a new generation
 * and an exact impact naming what was gained and lost; deleting it records a DELETE that gives the
 * connectivity back. A namespace label change that moves a namespace in or out of a tiered subject
 * is recorded too.
 */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/app/logger.js";
import { IN_MEMORY, openStore } from "../../../src/store/index.js";
import type { Store } from "../../../src/domain/repositories.js";
import { ManifestSource } from "../../../src/sync/manifests/ManifestSource.js";
import { SyncService } from "../../../src/sync/SyncService.js";

let store: Store;
let dir: string;
beforeAll(async () => {
  store = await openStore({ dataDir: IN_MEMORY });
  dir = mkdtempSync(join(tmpdir(), "kubereach-tiers-"));
}, 120_000);
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const workloads = (webNsLabels: string) => `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { ${webNsLabels} } }
---
apiVersion: v1
kind: Namespace
metadata: { name: ops }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: c, image: x, ports: [{ containerPort: 80, name: http }] }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: admin, namespace: ops }
spec:
  template:
    metadata: { labels: { app: admin } }
    spec: { containers: [{ name: c, image: x }] }`;
const guard = (action: "Deny" | "Pass", port: number) => `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: { name: guard }
spec:
  priority: 10
  subject: { namespaces: { matchLabels: { env: prod } } }
  ingress:
    - name: no-ops
      action: ${action}
      from: [{ namespaces: { matchLabels: { kubernetes.io/metadata.name: ops } } }]
      ports: [{ portNumber: { protocol: TCP, port: ${port} } }]`;

async function reread(source: ManifestSource, svc: SyncService): Promise<void> {
  await (source as unknown as { readOnce(o: { initial: boolean }): Promise<void> }).readOnce({ initial: false });
  await svc.flush();
}

describe("history and impact of tiered policies", () => {
  it("CREATE, UPDATE with impact, namespace label change, DELETE", async () => {
    const id = "tiers-history";
    writeFileSync(join(dir, "apps.yaml"), workloads("env: prod"));
    writeFileSync(join(dir, "guard.yaml"), guard("Deny", 80));
    const source = new ManifestSource({ path: dir });
    const svc = new SyncService({ clusterId: id, source, store, logger: silentLogger(), debounceMs: 50, maxWaitMs: 300 });
    await svc.start();
    expect(svc.status().counts).toMatchObject({ AdminNetworkPolicy: 1, BaselineAdminNetworkPolicy: 0, ClusterNetworkPolicy: 0 });
    const revisions = async () => store.revisions.list(id, { limit: 20 });
    expect((await revisions()).map((r) => [r.objectKind, r.namespace, r.name, r.operation])).toEqual([["AdminNetworkPolicy", "", "guard", "CREATE"]]);
    const stored = (await store.objects.loadObjects(id)).find((o) => o.kind === "AdminNetworkPolicy");
    expect(stored).toMatchObject({ meta: { namespace: "", name: "guard" }, spec: { priority: 10 } });

    // Deny on 81 instead of 80: ops gains 80 and loses 81 toward shop/web.
    writeFileSync(join(dir, "guard.yaml"), guard("Deny", 81));
    await reread(source, svc);
    const update = (await revisions()).at(-1)!;
    expect(update).toMatchObject({ objectKind: "AdminNetworkPolicy", namespace: "", name: "guard", operation: "UPDATE", diff: [{ op: "replace", path: "/ingress/0/ports/0/portNumber/port", value: 81 }] });
    const [impact] = await store.impacts.forRevisions([update.id]);
    expect(impact).toMatchObject({ exact: true, generation: 2 });
    expect(impact!.gained).toMatchObject({ total: 1, rows: [{ src: "ops/admin[Deployment]", dst: "shop/web[Deployment]", conn: "TCP 80" }] });
    expect(impact!.lost).toMatchObject({ total: 1, rows: [{ src: "ops/admin[Deployment]", dst: "shop/web[Deployment]", conn: "TCP 81" }] });

    // Deny -> Pass (no NetworkPolicy, no Baseline tier: the default allows it again).
    writeFileSync(join(dir, "guard.yaml"), guard("Pass", 81));
    await reread(source, svc);
    const pass = (await revisions()).at(-1)!;
    expect(pass).toMatchObject({ operation: "UPDATE", diff: [{ op: "replace", path: "/ingress/0/action", value: "Pass" }] });
    expect((await store.impacts.forRevisions([pass.id]))[0]!.gained).toMatchObject({ total: 1, rows: [{ conn: "TCP 81" }] });

    // Back to Deny, then shop leaves the subject by its labels: a namespace revision with impact.
    writeFileSync(join(dir, "guard.yaml"), guard("Deny", 81));
    await reread(source, svc);
    writeFileSync(join(dir, "apps.yaml"), workloads("env: staging"));
    await reread(source, svc);
    const relabel = (await revisions()).at(-1)!;
    expect(relabel).toMatchObject({ objectKind: "Namespace", name: "shop", operation: "UPDATE" });
    expect((await store.impacts.forRevisions([relabel.id]))[0]!.gained).toMatchObject({ total: 1, rows: [{ src: "ops/admin[Deployment]", dst: "shop/web[Deployment]", conn: "TCP 81" }] });

    // Deleting the policy: a DELETE whose final state is known.
    writeFileSync(join(dir, "apps.yaml"), workloads("env: prod"));
    await reread(source, svc);
    unlinkSync(join(dir, "guard.yaml"));
    await reread(source, svc);
    const deletion = (await revisions()).at(-1)!;
    expect(deletion).toMatchObject({ objectKind: "AdminNetworkPolicy", name: "guard", operation: "DELETE", finalStateUnknown: false });
    expect((await store.impacts.forRevisions([deletion.id]))[0]!.gained).toMatchObject({ total: 1, rows: [{ conn: "TCP 81" }] });
    await svc.stop();
  }, 60_000);
});
