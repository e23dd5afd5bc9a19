/**
 * Builders for store tests: cluster objects, the changes and revisions the sync service would
 * produce for them, and deterministic matrix snapshots.
 */
import type { JsonValue, NamespaceObject, ObservedVia, PodObject, PolicyObject } from "../../../src/domain/objects.js";
import { canonicalize } from "../../../src/domain/audit/hashChain.js";
import { classPairKey, storedClassKey, type ClassKey, type ClassPairKey } from "../../../src/domain/keys.js";
import type { ClassMember, MatrixClass, MatrixSnapshot, ObjectChange, RevisionInput, RevisionOperation } from "../../../src/domain/repositories.js";

export const T0 = new Date("2025-01-01T00:00:00.000Z");

export function at(minutes: number): Date {
  return new Date(T0.getTime() + minutes * 60_000);
}

export function ns(name: string, rv = "1", labels: Record<string, string> = {}): NamespaceObject {
  return { kind: "Namespace", meta: { uid: `ns-${name}`, name, namespace: "", resourceVersion: rv, labels: { "kubernetes.io/metadata.name": name, ...labels } } };
}

export interface PodOptions {
  readonly rv?: string;
  readonly labels?: Record<string, string>;
  readonly ip?: string;
  readonly workload?: { kind: string; name: string };
  readonly uid?: string;
  readonly hostNetwork?: boolean;
}

export function pod(namespace: string, name: string, o: PodOptions = {}): PodObject {
  const workload = o.workload ?? { kind: "Pod", name };
  return {
    kind: "Pod",
    meta: { uid: o.uid ?? `pod-${namespace}-${name}`, name, namespace, resourceVersion: o.rv ?? "1", labels: o.labels ?? { app: name } },
    ...(o.ip !== undefined ? { ip: o.ip } : {}),
    hostNetwork: o.hostNetwork ?? false,
    containerPorts: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
    workload: { namespace, ...workload },
  };
}

export function policy(namespace: string, name: string, rv = "1", spec?: JsonValue): PolicyObject {
  return {
    kind: "NetworkPolicy",
    meta: { uid: `np-${namespace}-${name}`, name, namespace, resourceVersion: rv, labels: {} },
    spec: spec ?? { podSelector: { matchLabels: { app: name } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 80 }] }] },
  };
}

export function revisionFor(
  o: NamespaceObject | PolicyObject,
  operation: RevisionOperation,
  options: { before?: JsonValue | null; observedAt?: Date; via?: ObservedVia; finalStateUnknown?: boolean } = {},
): RevisionInput {
  const state = (x: NamespaceObject | PolicyObject): JsonValue => (x.kind === "Namespace" ? { labels: x.meta.labels } : x.spec);
  const after = operation === "DELETE" ? null : state(o);
  const before = options.before ?? null;
  return {
    objectKind: o.kind,
    namespace: o.meta.namespace,
    name: o.meta.name,
    uid: o.meta.uid,
    resourceVersion: o.meta.resourceVersion,
    operation,
    before,
    after,
    diff: after === null ? [{ op: "remove", path: "" }] : [{ op: "replace", path: "", value: after }],
    observedAt: options.observedAt ?? T0,
    observedVia: options.via ?? "watch",
    finalStateUnknown: options.finalStateUnknown ?? false,
    sourceRef: null,
  };
}

/** An upsert, with a revision for namespaces and policies (pods are not part of the history). */
export function upsert(o: NamespaceObject | PodObject | PolicyObject, operation: RevisionOperation = "CREATE", observedAt?: Date): ObjectChange {
  if (o.kind === "Pod") return { op: "upsert", object: o };
  return { op: "upsert", object: o, revision: revisionFor(o, operation, observedAt ? { observedAt } : {}) };
}

export function remove(o: NamespaceObject | PodObject | PolicyObject, observedAt?: Date): ObjectChange {
  if (o.kind === "Pod") return { op: "delete", object: o };
  return { op: "delete", object: o, revision: revisionFor(o, "DELETE", observedAt ? { observedAt } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Matrix snapshots

/** A class key as a test names it (`pod|class-0`): store tests use readable keys, not hashes. */
export const classKey = storedClassKey;

/** The connection key of two classes named as in classKey. */
export function connectionKey(src: string, dst: string): ClassPairKey {
  return classPairKey(storedClassKey(src), storedClassKey(dst));
}

type MutableSnapshot = { classes: Map<ClassKey, MatrixClass>; connections: Map<ClassPairKey, string> };

export interface SnapshotShape {
  /** Pod classes; each holds `workloadsPerClass` Deployments in namespace `ns-<i % namespaces>`. */
  readonly classes: number;
  readonly workloadsPerClass?: number;
  readonly namespaces?: number;
  /** External (ipBlock) classes. */
  readonly externals?: number;
  /** Each pod class connects to this many following classes. */
  readonly fanOut?: number;
}

export function makeSnapshot(shape: SnapshotShape): MutableSnapshot {
  const per = shape.workloadsPerClass ?? 2;
  const namespaces = shape.namespaces ?? 3;
  const classes = new Map<ClassKey, MatrixClass>();
  for (let i = 0; i < shape.classes; i++) {
    const key = classKey(`pod|class-${i}`);
    const members: ClassMember[] = [];
    for (let w = 0; w < per; w++) {
      members.push({ type: "workload", namespace: `ns-${i % namespaces}`, kind: "Deployment", name: `app-${i}-${w}`, pods: 1 + ((i + w) % 3) });
    }
    classes.set(key, { key, kind: "pod", members });
  }
  for (let i = 0; i < (shape.externals ?? 1); i++) {
    const key = classKey(`external|block-${i}`);
    classes.set(key, { key, kind: "external", members: [{ type: "external", family: 4, start: `10.${i}.0.0`, end: `10.${i}.255.255` }] });
  }
  const connections = new Map<ClassPairKey, string>();
  const keys = [...classes.keys()];
  const fanOut = shape.fanOut ?? 3;
  keys.forEach((src, i) => {
    for (let k = 1; k <= fanOut; k++) connections.set(classPairKey(src, keys[(i + k) % keys.length]!), k % 2 ? "TCP 80" : "TCP 443,UDP 53");
  });
  return { classes, connections };
}

/** A deep copy (a snapshot object the store has never seen). */
export function cloneSnapshot(s: MatrixSnapshot): MutableSnapshot {
  return {
    classes: new Map([...s.classes].map(([k, c]) => [k, { ...c, members: c.members.map((m) => ({ ...m })) }])),
    connections: new Map(s.connections),
  };
}

/** A comparable form: sorted entries, members sorted. */
export function normalizeSnapshot(s: MatrixSnapshot): unknown {
  return {
    classes: [...s.classes.values()]
      .map((c) => ({ key: c.key, kind: c.kind, members: c.members.map((m) => canonicalize(m)).sort() }))
      .sort((a, b) => (a.key < b.key ? -1 : 1)),
    connections: [...s.connections].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}
