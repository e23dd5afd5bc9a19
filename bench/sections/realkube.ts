/**
 * Real-API-server section: the sync against a real kube-apiserver + etcd (test/helpers/realKube.ts;
 * needs KUBEREACH_KUBE_APISERVER or the shared build, and etcd), with PostgreSQL.
 * - The generated cluster (bench/generateCluster.ts) is created THROUGH THE API: namespaces, pods
 *   (owner references as their workloads imply; the IP set through pods/status, as a kubelet does)
 *   and NetworkPolicies. The time this takes is reported, not a target.
 * - `kubereach sync --once` as users run it (a child process, chunked lists) into a fresh database:
 *   wall time and peak RSS (VmHWM).
 * - One policy change to a committed generation: the real KubeClusterSource + SyncService in this
 *   process with the service's default timings; a port added to a policy through the API, then the
 *   time until the generation that includes it is committed (KUBEREACH_BENCH_SYNC_CHANGES, default 9).
 * Sizes above 20k pods are skipped (creating them through one API server takes too long here).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { generateCluster } from "../generateCluster.js";
import { fmtInt, fmtMs, median, table, worst } from "../lib/stats.js";
import { ADMIN_URL, admin } from "../lib/pgAdmin.js";
import { openStore } from "../../src/store/openStore.js";
import type { Store } from "../../src/domain/repositories.js";
import { KubeClusterSource } from "../../src/sync/kube/KubeClusterSource.js";
import { SyncService, type GenerationEvent } from "../../src/sync/SyncService.js";
import type { WorldInput } from "../../src/engine/index.js";
import { RealKube } from "../../test/helpers/realKube.js";
import { parseSize, type BenchOptions, type BenchSection, type TargetResult } from "./types.js";

const CHANGES = Number(process.env["KUBEREACH_BENCH_SYNC_CHANGES"] ?? 9);
const MAX_PODS = 20_000;
const CONCURRENCY = 32;
const BIN = fileURLToPath(new URL("../../bin/kubereach.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const realKubeSection: BenchSection = {
  name: "realkube",
  description: "a real kube-apiserver + etcd: cluster created through the API, `sync --once` time and peak RSS, one policy change -> committed generation",
  run: (options) => runRealKubeBench(options),
};

async function runRealKubeBench(options: Pick<BenchOptions, "sizes" | "seed">): Promise<TargetResult[]> {
  for (const size of options.sizes) {
    const { pods, policies } = parseSize(size);
    if (pods > MAX_PODS) {
      console.log(`realkube ${size}: skipped (more than ${fmtInt(MAX_PODS)} pods)\n`);
      continue;
    }
    const { input } = generateCluster({ pods, policies, seed: options.seed });
    const kube = await RealKube.start({ name: "bench" });
    const databases: string[] = [];
    try {
      const t = performance.now();
      const policyNames = await createCluster(kube, input);
      const createMs = performance.now() - t;
      process.stderr.write(`  realkube ${size}: cluster created through the API in ${fmtMs(createMs)}\n`);

      const onceDb = await freshDatabase(`kubereach_bench_rk_once_${process.pid}`, databases);
      const once = await syncOnce(kube.kubeconfig("admin"), onceDb);
      process.stderr.write(`  realkube ${size}: sync --once ${fmtMs(once.ms)}, peak RSS ${fmtInt(Math.round(once.peakRssMiB))} MiB\n`);

      const liveDb = await freshDatabase(`kubereach_bench_rk_live_${process.pid}`, databases);
      const live = await changeLatency(kube, liveDb, policyNames);
      console.log(
        `realkube ${size}: ${fmtInt(input.pods.length)} pods, ${fmtInt(input.networkPolicies.length)} policies, ${fmtInt(input.namespaces.length)} namespaces created through a real kube-apiserver (v1.20.2 + etcd)`,
      );
      console.log(
        table([
          ["measure", "value"],
          ["create the cluster through the API", fmtMs(createMs)],
          ["`sync --once` (child process, chunked lists, into PostgreSQL)", fmtMs(once.ms)],
          ["`sync --once` peak RSS", `${fmtInt(Math.round(once.peakRssMiB))} MiB`],
          ["in-process initial sync (KubeClusterSource + SyncService)", fmtMs(live.initialMs)],
          [`one policy change -> committed generation (${live.changes.length} changes)`, `median ${fmtMs(median(live.changes))}, max ${fmtMs(worst(live.changes))}`],
        ]),
      );
      console.log("");
    } finally {
      await kube.stop();
      for (const d of databases) await admin(`DROP DATABASE IF EXISTS "${d}" WITH (FORCE)`);
    }
  }
  return [];
}

async function freshDatabase(name: string, created: string[]): Promise<string> {
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${name}"`);
  created.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates namespaces, pods (then their status) and policies with CONCURRENCY requests in flight; returns the policies as ns/name. */
async function createCluster(kube: RealKube, input: WorldInput): Promise<{ namespace: string; name: string }[]> {
  // kube-system and default exist already: their labels are set instead.
  await pool(input.namespaces, async (ns) => {
    const labels = { ...ns.labels };
    const r = await kube.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns.name, labels } });
    if (r.status === 409) await kube.must("PATCH", `/api/v1/namespaces/${ns.name}`, { metadata: { labels } }, "application/merge-patch+json");
    else if (r.status >= 300) throw new Error(`POST namespace ${ns.name}: HTTP ${r.status}`);
  });
  let done = 0;
  await pool(input.pods, async (p) => {
    const w = p.workload;
    const labels = { ...p.labels };
    let owner: Record<string, unknown> | undefined;
    if (w && w.kind === "Deployment") owner = ownerRef("apps/v1", "ReplicaSet", `${w.name}-${labels["pod-template-hash"]}`);
    else if (w && w.kind !== "Pod") owner = ownerRef(w.kind === "Job" ? "batch/v1" : "apps/v1", w.kind, w.name);
    const ports = (p.containerPorts ?? []).map((c) => ({ containerPort: c.containerPort, ...(c.name !== undefined && { name: c.name }), ...(c.protocol !== undefined && { protocol: c.protocol }) }));
    await kube.must("POST", `/api/v1/namespaces/${p.namespace}/pods`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: p.name, namespace: p.namespace, labels, ...(owner && { ownerReferences: [owner] }) },
      spec: { containers: [{ name: "c", image: "registry.invalid/app:1", ports }], ...(p.hostNetwork && { hostNetwork: true }) },
    });
    if (p.ip !== undefined)
      await kube.must("PATCH", `/api/v1/namespaces/${p.namespace}/pods/${p.name}/status`, { status: { phase: "Running", podIP: p.ip, podIPs: [{ ip: p.ip }] } }, "application/merge-patch+json");
    if (++done % 2000 === 0) process.stderr.write(`  realkube: ${fmtInt(done)} pods created\n`);
  });
  await pool(input.networkPolicies, (np) =>
    kube.must("POST", `/apis/networking.k8s.io/v1/namespaces/${np.namespace}/networkpolicies`, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: np.name, namespace: np.namespace }, spec: np.spec }),
  );
  return input.networkPolicies.map((np) => ({ namespace: np.namespace, name: np.name }));
}

function ownerRef(apiVersion: string, kind: string, name: string): Record<string, unknown> {
  return { apiVersion, kind, name, uid: `00000000-0000-0000-0000-${String(Math.abs(hash(`${kind}/${name}`))).padStart(12, "0").slice(0, 12)}`, controller: true, blockOwnerDeletion: true };
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

async function pool<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** `kubereach sync --once` as a child process: wall time and peak RSS (VmHWM, sampled until it exits). */
async function syncOnce(kubeconfig: string, databaseUrl: string): Promise<{ ms: number; peakRssMiB: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, "sync", "--once", "--kubeconfig", kubeconfig, "--database-url", databaseUrl, "--cluster-id", "bench", "--log-level", "warn"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  let peakKiB = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {
      // exited
    }
  };
  const timer = setInterval(sample, 50);
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  clearInterval(timer);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`sync --once exited ${code}:\n${out}`);
  return { ms, peakRssMiB: peakKiB / 1024 };
}

/** Initial sync in this process, then CHANGES one-port policy changes, each timed to its committed generation. */
async function changeLatency(kube: RealKube, databaseUrl: string, policies: readonly { namespace: string; name: string }[]): Promise<{ initialMs: number; changes: number[] }> {
  let store: Store | undefined;
  let service: SyncService | undefined;
  try {
    store = await openStore({ databaseUrl });
    const generations: (GenerationEvent & { at: number })[] = [];
    const logger = pino({ level: "warn" });
    const source = new KubeClusterSource({ connection: { type: "kubeconfig", path: kube.kubeconfig("admin") }, logger: logger.child({ component: "source" }), resyncIntervalMs: 0 });
    service = new SyncService({ clusterId: "bench-live", source, store, logger, onGeneration: (e) => generations.push({ ...e, at: performance.now() }) });
    const t = performance.now();
    await service.start();
    const initialMs = performance.now() - t;
    await service.flush();
    const changes: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const p = policies[(i * 7919) % policies.length]!;
      const path = `/apis/networking.k8s.io/v1/namespaces/${p.namespace}/networkpolicies/${p.name}`;
      const np = await kube.must<{ spec: Record<string, unknown> }>("GET", path);
      const spec = withExtraPort(np.spec, 20_000 + i);
      const before = generations.length;
      await new Promise((r) => setTimeout(r, 500)); // a quiet period: the leading edge applies, as for a lone change
      const changedAt = performance.now();
      await kube.must("PATCH", path, { spec }, "application/merge-patch+json");
      const deadline = changedAt + 60_000;
      while (generations.length === before) {
        if (performance.now() > deadline) throw new Error("realkube bench: no generation within 60 s of a change");
        await new Promise((r) => setTimeout(r, 1));
      }
      changes.push(generations[before]!.at - changedAt);
      await service.flush();
    }
    return { initialMs, changes };
  } finally {
    await service?.stop();
    await store?.close();
  }
}

function withExtraPort(spec: Record<string, unknown>, port: number): Record<string, unknown> {
  const s = structuredClone(spec);
  const rules = (s["ingress"] as Record<string, unknown>[] | undefined) ?? (s["egress"] as Record<string, unknown>[] | undefined);
  if (rules && rules.length > 0) {
    const rule = rules[0]!;
    rule["ports"] = [...((rule["ports"] as unknown[] | undefined) ?? []), { protocol: "TCP", port }];
    return s;
  }
  return { ...s, ingress: [{ ports: [{ protocol: "TCP", port }] }], policyTypes: [...new Set([...((s["policyTypes"] as string[] | undefined) ?? []), "Ingress"])] };
}
