/**
 * A small, changing cluster on the fake API server, driven by a seeded PRNG, that remembers every
 * version of every object it ever wrote (uid -> resourceVersion -> content). The checks compare
 * the database against this ground truth: every stored revision must be a real version of a real
 * object, and the final state must be the fake's.
 *
 * Shape: namespaces alpha, beta, gamma (labels team, tier = gold|silver); in each, Deployments web,
 * api and db with one pod that is never touched (so `alpha/db` always exists for readers), and
 * `worker` pods that come and go. Random operations: create / update (spec) / relabel (metadata
 * only: no revision) / delete / delete-and-recreate (same name, new uid) policies, create / delete /
 * relabel worker pods, and flip a namespace's tier (which policies select with namespaceSelector,
 * so the flip is recorded as a namespace revision).
 */
import { deploymentPod, namespace, networkPolicy, pod, type FakeKubeApi, type KubeObject } from "../../helpers/fakeKubeApi.js";
import { toNetworkPolicyObject } from "../../../src/sync/kube/toClusterObject.js";
import type { JsonValue } from "../../../src/domain/objects.js";
import { Rng } from "../../../bench/prng.js";

/** The benchmark's seeded PRNG (mulberry32): the same seed gives the same run. */
export { Rng };

export type Kind = "Namespace" | "Pod" | "NetworkPolicy";

export interface Version {
  /** Normalised policy spec (as kubereach stores it), or namespace labels; null for pods. */
  readonly content: JsonValue | null;
  readonly deleted: boolean;
}

export interface ObjectHistory {
  readonly kind: Kind;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** resourceVersion -> what the object was at it (the DELETED event's rv carries the last content). */
  readonly versions: Map<string, Version>;
  /** Wall time of creation and deletion on the fake. */
  readonly createdAt: number;
  deletedAt: number | undefined;
}

export const NAMESPACES = ["alpha", "beta", "gamma"] as const;
const APPS = ["web", "api", "db"] as const;
const PORTS = [80, 443, 5432, 8080, 9090] as const;

export class ClusterDriver {
  readonly history = new Map<string, ObjectHistory>();
  readonly rng: Rng;
  /** Operations performed, for failure messages. */
  readonly journal: string[] = [];
  private policySeq = 0;
  private podSeq = 0;
  private markerSeq = 0;

  constructor(
    readonly api: FakeKubeApi,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  /** The initial cluster: namespaces, the stable pods, a few workers and policies. */
  seed(): void {
    for (const [i, ns] of NAMESPACES.entries()) this.write(namespace(ns, { team: `team-${i}`, tier: i === 0 ? "gold" : "silver" }));
    for (const ns of NAMESPACES)
      for (const app of APPS) {
        const owner = deploymentPod(app, "7c9d8b6f5");
        this.write(pod({ namespace: ns, name: `${app}-7c9d8b6f5-x${ns.slice(0, 2)}`, labels: { app, ...owner.labels }, ownerReferences: owner.ownerReferences, ip: this.nextIp(), ports: [{ containerPort: 8080, name: "http" }] }));
      }
    for (let i = 0; i < 3; i++) this.createWorker();
    for (let i = 0; i < 6; i++) this.createPolicy();
  }

  // --- random operations ------------------------------------------------------------------

  /** One random change; returns a description. */
  randomOp(): string {
    const policies = this.live("NetworkPolicy").filter((h) => !h.name.startsWith("marker-"));
    const workers = this.live("Pod").filter((h) => h.name.startsWith("worker-"));
    const r = this.rng.next();
    let what: string;
    if (r < 0.18 || policies.length < 3) what = this.createPolicy();
    else if (r < 0.4) what = this.updatePolicy(this.rng.pick(policies));
    else if (r < 0.47) what = this.relabelPolicy(this.rng.pick(policies));
    else if (r < 0.57) what = this.deletePolicy(this.rng.pick(policies));
    else if (r < 0.65) what = this.recreatePolicy(this.rng.pick(policies));
    else if (r < 0.74 || workers.length < 2) what = this.createWorker();
    else if (r < 0.82) what = this.deletePod(this.rng.pick(workers));
    else if (r < 0.9) what = this.relabelPod(this.rng.pick(workers));
    else what = this.flipTier(this.rng.pick(NAMESPACES));
    this.journal.push(what);
    return what;
  }

  createPolicy(ns: string = this.rng.pick(NAMESPACES), name = `np-${++this.policySeq}`): string {
    const o = this.write(networkPolicy({ namespace: ns, name, spec: this.randomSpec() }));
    return `create policy ${ns}/${name} rv ${o.metadata.resourceVersion}`;
  }

  updatePolicy(h: ObjectHistory): string {
    const current = this.api.get("NetworkPolicy", h.name, h.namespace)!;
    let spec = this.randomSpec();
    while (JSON.stringify(spec) === JSON.stringify(current["spec"])) spec = this.randomSpec();
    const o = this.write({ ...current, spec });
    return `update policy ${h.namespace}/${h.name} rv ${o.metadata.resourceVersion}`;
  }

  /** A metadata-only change: a new resourceVersion but the same spec (no revision is due). */
  relabelPolicy(h: ObjectHistory): string {
    const current = this.api.get("NetworkPolicy", h.name, h.namespace)!;
    const o = this.write({ ...current, metadata: { ...current.metadata, labels: { touched: String(this.rng.int(0, 1e6)) } } });
    return `relabel policy ${h.namespace}/${h.name} rv ${o.metadata.resourceVersion}`;
  }

  deletePolicy(h: ObjectHistory): string {
    const o = this.remove(h);
    return `delete policy ${h.namespace}/${h.name} rv ${o.metadata.resourceVersion}`;
  }

  recreatePolicy(h: ObjectHistory): string {
    this.remove(h);
    const o = this.write(networkPolicy({ namespace: h.namespace, name: h.name, spec: this.randomSpec() }));
    return `recreate policy ${h.namespace}/${h.name} (new uid) rv ${o.metadata.resourceVersion}`;
  }

  createWorker(): string {
    const ns = this.rng.pick(NAMESPACES);
    const owner = deploymentPod("worker", "5f6d7c8b9");
    const name = `worker-5f6d7c8b9-${++this.podSeq}`;
    this.write(pod({ namespace: ns, name, labels: { app: "worker", role: this.rng.pick(["a", "b"]), ...owner.labels }, ownerReferences: owner.ownerReferences, ip: this.nextIp() }));
    return `create pod ${ns}/${name}`;
  }

  deletePod(h: ObjectHistory): string {
    this.remove(h);
    return `delete pod ${h.namespace}/${h.name}`;
  }

  relabelPod(h: ObjectHistory): string {
    const current = this.api.get("Pod", h.name, h.namespace)!;
    const labels = { ...(current.metadata.labels ?? {}), role: current.metadata.labels?.["role"] === "a" ? "b" : "a" };
    this.write({ ...current, metadata: { ...current.metadata, labels } });
    return `relabel pod ${h.namespace}/${h.name}`;
  }

  flipTier(ns: string): string {
    const current = this.api.get("Namespace", ns)!;
    const tier = current.metadata.labels?.["tier"] === "gold" ? "silver" : "gold";
    this.write({ ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, tier } } });
    return `namespace ${ns} tier=${tier}`;
  }

  /**
   * A policy whose effect a reader of `whoCanReach(alpha/db)` sees: pods of namespace alpha may
   * reach alpha/db on TCP port 30000+n. Markers are never touched by random operations.
   */
  createMarker(): { name: string; port: number; uid: string; resourceVersion: string } {
    const n = ++this.markerSeq;
    const port = 30_000 + n;
    const o = this.write(
      networkPolicy({ namespace: "alpha", name: `marker-${n}`, spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: "TCP", port }] }] } }),
    );
    this.journal.push(`marker ${o.metadata.name} rv ${o.metadata.resourceVersion}`);
    return { name: o.metadata.name, port, uid: o.metadata.uid!, resourceVersion: o.metadata.resourceVersion! };
  }

  // --- state --------------------------------------------------------------------------------

  live(kind: Kind): ObjectHistory[] {
    return [...this.history.values()].filter((h) => h.kind === kind && h.deletedAt === undefined);
  }

  /** uid -> resourceVersion of what the fake holds now, per kind. */
  current(kind: Kind): Map<string, string> {
    return new Map(this.api.list(kind).map((o) => [o.metadata.uid!, o.metadata.resourceVersion!]));
  }

  // --- internals ----------------------------------------------------------------------------

  private write(object: KubeObject): KubeObject {
    const stored = this.api.upsert(object);
    const uid = stored.metadata.uid!;
    let h = this.history.get(uid);
    if (!h) {
      h = { kind: stored.kind as Kind, uid, namespace: stored.metadata.namespace ?? "", name: stored.metadata.name, versions: new Map(), createdAt: Date.now(), deletedAt: undefined };
      this.history.set(uid, h);
    }
    h.versions.set(stored.metadata.resourceVersion!, { content: contentOf(stored), deleted: false });
    return stored;
  }

  private remove(h: ObjectHistory): KubeObject {
    const last = this.api.delete({ kind: h.kind, metadata: { name: h.name, ...(h.namespace ? { namespace: h.namespace } : {}) } });
    h.versions.set(last.metadata.resourceVersion!, { content: contentOf(last), deleted: true });
    h.deletedAt = Date.now();
    return last;
  }

  private ipSeq = 10;
  private nextIp(): string {
    const n = ++this.ipSeq;
    return `10.0.${n >> 8}.${n & 255}`;
  }

  private randomSpec(): Record<string, unknown> {
    const rng = this.rng;
    const peer = () =>
      rng.pick([
        () => ({ podSelector: { matchLabels: { app: rng.pick(APPS) } } }),
        () => ({ namespaceSelector: { matchLabels: { tier: rng.pick(["gold", "silver"]) } } }),
        () => ({ namespaceSelector: { matchLabels: { tier: "gold" } }, podSelector: { matchLabels: { app: rng.pick([...APPS, "worker"]) } } }),
        () => ({ podSelector: { matchLabels: { app: "worker", role: rng.pick(["a", "b"]) } } }),
        () => ({ ipBlock: { cidr: rng.pick(["192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8"]) } }),
      ])();
    const egress = rng.chance(0.3);
    return {
      podSelector: { matchLabels: { app: rng.pick([...APPS, "worker"]) } },
      policyTypes: egress ? ["Ingress", "Egress"] : ["Ingress"],
      ingress: [{ from: [peer()], ports: [{ protocol: "TCP", port: rng.pick(PORTS) }, { protocol: "TCP", port: rng.int(1000, 1999) }] }],
      ...(egress && { egress: [{ to: [peer()], ports: [{ protocol: "UDP", port: 53 }] }] }),
    };
  }
}

/** What a revision of this object must record: the policy spec as kubereach normalises it, or the namespace's labels. */
function contentOf(o: KubeObject): JsonValue | null {
  if (o.kind === "NetworkPolicy") return toNetworkPolicyObject(o).spec;
  if (o.kind === "Namespace") return (o.metadata.labels ?? {}) as JsonValue;
  return null;
}
