/**
 * Kubernetes manifests for API tests: small builders (namespaces, workloads, pods, policies), a
 * temporary manifest tree the service syncs from, and the conversion of an engine WorldInput (the
 * random worlds of property tests) into manifests that read back as the same world.
 */
import { mkdtempSync, mkdirSync, rmSync, unlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import type { ContainerPortInput, WorldInput } from "../../../src/engine/index.js";

export type Manifest = Record<string, unknown>;
type Labels = Record<string, string>;

export function namespace(name: string, labels: Labels = {}): Manifest {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

export interface WorkloadOptions {
  readonly kind?: "Deployment" | "StatefulSet" | "DaemonSet";
  readonly labels: Labels;
  readonly ports?: readonly ContainerPortInput[];
}

/** A workload with a pod template (one pod stands for all replicas, as the manifest reader does). */
export function workload(ns: string, name: string, options: WorkloadOptions): Manifest {
  return {
    apiVersion: "apps/v1",
    kind: options.kind ?? "Deployment",
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: options.labels },
      template: { metadata: { labels: options.labels }, spec: { containers: [{ name: "c", image: "img", ports: options.ports ?? [] }] } },
    },
  };
}

export interface PodOptions {
  readonly labels?: Labels;
  readonly ip?: string;
  readonly hostNetwork?: boolean;
  readonly ports?: readonly ContainerPortInput[];
}

/** A bare pod (its own workload, kind Pod), optionally with an IP in status.podIP. */
export function pod(ns: string, name: string, options: PodOptions = {}): Manifest {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: options.labels ?? {} },
    spec: { ...(options.hostNetwork ? { hostNetwork: true } : {}), containers: [{ name: "c", image: "img", ports: options.ports ?? [] }] },
    ...(options.ip !== undefined ? { status: { podIP: options.ip } } : {}),
  };
}

export function networkPolicy(ns: string, name: string, spec: unknown): Manifest {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: ns }, spec };
}

/** A temporary manifest tree: files of YAML documents, rewritten as a test scripts changes. */
export class ManifestDir {
  readonly path = mkdtempSync(join(tmpdir(), "kubereach-api-"));

  /** Writes (or replaces) one file with these documents. */
  write(file: string, ...docs: readonly Manifest[]): this {
    const full = join(this.path, file);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, docs.map((d) => stringify(d)).join("---\n"));
    return this;
  }

  remove(file: string): this {
    const full = join(this.path, file);
    if (existsSync(full)) unlinkSync(full);
    return this;
  }

  /** Replaces the whole tree with these files. */
  replaceAll(files: Readonly<Record<string, readonly Manifest[]>>): this {
    rmSync(this.path, { recursive: true, force: true });
    mkdirSync(this.path, { recursive: true });
    for (const [file, docs] of Object.entries(files)) this.write(file, ...docs);
    return this;
  }

  dispose(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/**
 * An engine WorldInput as manifests that the manifest reader turns back into the same world:
 * declared namespaces with their labels, every pod as a bare Pod (labels, status.podIP,
 * hostNetwork, container ports), every policy as a NetworkPolicy with its spec as given.
 */
export function worldToManifests(world: WorldInput): Manifest[] {
  const out: Manifest[] = [];
  for (const ns of world.namespaces) out.push(namespace(ns.name, { ...(ns.labels ?? {}) }));
  for (const p of world.pods)
    out.push(pod(p.namespace, p.name, { labels: { ...(p.labels ?? {}) }, ip: p.ip, hostNetwork: p.hostNetwork, ports: p.containerPorts ?? [] }));
  for (const np of world.networkPolicies) out.push(networkPolicy(np.namespace, np.name, np.spec ?? {}));
  return out;
}
