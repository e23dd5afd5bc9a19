/**
 * The ONE mapping from Kubernetes API objects to kubereach's ClusterObjects. Pure: no I/O, no clock.
 *
 * It accepts both shapes the informer hands out (T-K8): model class instances from a (re)list
 * (`V1NetworkPolicyIngressRule._from`, `Date` timestamps) and plain JSON from watch events (`from`,
 * string timestamps). Pods and namespaces are read through fields whose names are the same in both
 * shapes; a NetworkPolicy spec goes through the client's own ObjectSerializer (model -> JSON, and
 * JSON -> model -> JSON for watch objects), so a relisted policy equals its watched twin by
 * construction, in Kubernetes' JSON shape (`from`). Fields the client's model does not know are
 * dropped on both paths alike.
 *
 * Only what the analysis needs is kept (data minimisation: pod specs may carry secrets).
 */
// ObjectSerializer is not exported from the package index (STACK.md T-K8); 1.4.0 has no exports map,
// so the module is reachable by path. Pinned version (RELIABILITY R11): the tests guard this import.
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";
import type { ContainerPortInput, WorkloadRef } from "../../engine/index.js";
import { BadInputError } from "../../domain/errors.js";
import { Interner } from "../../domain/Interner.js";
import { climbOwners } from "../manifests/index.js";
import type { ClusterObject, JsonValue, NamespaceObject, ObjectKind, ObjectMeta, PodObject, PolicyObject, TieredPolicyKind } from "../../domain/objects.js";

/** An object from the API server that lacks what every object has (metadata.uid, name, resourceVersion). */
export class InvalidKubeObjectError extends BadInputError {}

export function toClusterObject(kind: ObjectKind, object: unknown): ClusterObject {
  switch (kind) {
    case "Namespace":
      return toNamespaceObject(object);
    case "Pod":
      return toPodObject(object);
    case "NetworkPolicy":
      return toNetworkPolicyObject(object);
    case "AdminNetworkPolicy":
    case "BaselineAdminNetworkPolicy":
    case "ClusterNetworkPolicy":
      return toTieredPolicyObject(kind, object);
    default:
      throw new InvalidKubeObjectError(`no mapping for kind ${String(kind satisfies never)}`);
  }
}

/** The label API servers since 1.21 set on every namespace; selectors rely on it (`namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}`). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export function toNamespaceObject(object: unknown): NamespaceObject {
  const meta = readMeta("Namespace", object, false);
  // Servers before 1.21 do not set it: derive it from the name, as newer servers do (the name is immutable).
  if (meta.labels[NAMESPACE_NAME_LABEL] === undefined) return { kind: "Namespace", meta: { ...meta, labels: { ...meta.labels, [NAMESPACE_NAME_LABEL]: meta.name } } };
  return { kind: "Namespace", meta };
}

export function toPodObject(object: unknown): PodObject {
  const meta = readMeta("Pod", object, true);
  const o = object as Record<string, unknown>;
  const spec = record(o["spec"]);
  const status = record(o["status"]);
  const phase = str(status["phase"]);
  // A finished pod's IP is released and may already belong to another pod: do not report it.
  const ip = phase === "Succeeded" || phase === "Failed" ? undefined : str(status["podIP"]) || undefined;
  return {
    kind: "Pod",
    meta,
    ...(ip !== undefined && { ip }),
    hostNetwork: spec["hostNetwork"] === true,
    containerPorts: readContainerPorts(spec["containers"]),
    workload: podWorkload(meta, object),
  };
}

export function toNetworkPolicyObject(object: unknown): PolicyObject {
  const meta = readMeta("NetworkPolicy", object, true);
  const spec = (object as Record<string, unknown>)["spec"];
  return { kind: "NetworkPolicy", meta, spec: toKubernetesJson(spec ?? {}, "V1NetworkPolicySpec") };
}

/**
 * A cluster-scoped tiered policy (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy).
 * CustomObjectsApi hands out plain JSON for lists and watches alike, so the spec is kept as served
 * (minus undefined fields); the engine validates it.
 */
export function toTieredPolicyObject(kind: TieredPolicyKind, object: unknown): PolicyObject {
  const meta = readMeta(kind, object, false);
  const spec = (object as Record<string, unknown>)["spec"];
  return { kind, meta, spec: stripUndefined(spec ?? {}) };
}

/**
 * A value of a client model type, in either shape, as Kubernetes serialises it: `from` rather than
 * `_from`, ISO strings rather than Dates, absent rather than undefined fields.
 */
export function toKubernetesJson(value: unknown, modelType: string): JsonValue {
  const model = isPlainJson(value) ? ObjectSerializer.deserialize(value, modelType, "") : value;
  return stripUndefined(ObjectSerializer.serialize(model, modelType, ""));
}

// ------------------------------------------------------------------------------------------------
// Workload

const POD_TEMPLATE_HASH = "pod-template-hash";

/**
 * Smallest and largest job-name suffix accepted as a CronJob schedule time: the CronJob controller
 * names its Jobs `<cronjob>-<scheduled time in minutes since the epoch>`. 21,038,400 is 2010-01-01;
 * it also rules out date-like suffixes (`backup-20240101` is 20,240,101). 99,999,999 is year 2160.
 */
const CRONJOB_MINUTES_MIN = 21_038_400;
const CRONJOB_MINUTES_MAX = 99_999_999;

/**
 * The workload a live pod is reported as. Only pods are watched, so owners are known by their
 * references alone:
 * - the controller owner reference (`controller: true`), climbed with the manifest reader's
 *   `climbOwners` (shared rules): a ReplicaSet `D-H` of a pod labelled `pod-template-hash=H` is
 *   Deployment `D`; a Node (static pods) or no controller leaves the pod itself;
 * - a Job named `<cronjob>-<minutes>` (8 digits, a schedule time between 2010 and 2160) is reported
 *   as CronJob `<cronjob>`: that is the CronJob controller's naming. A hand-made Job with such a
 *   name would be misreported; every other Job stays a Job.
 */
export function podWorkload(meta: Pick<ObjectMeta, "namespace" | "name" | "labels">, pod: unknown): WorkloadRef {
  const self: WorkloadRef = { namespace: meta.namespace, kind: "Pod", name: meta.name };
  const owner = controllerOwner(record(record(pod)["metadata"])["ownerReferences"]);
  const climbed = climbOwners(self, owner, new Map(), meta.labels[POD_TEMPLATE_HASH]);
  if (climbed.kind === "Job") {
    const m = /^(.+)-(\d{8})$/.exec(climbed.name);
    const minutes = m ? Number(m[2]) : NaN;
    if (m && minutes >= CRONJOB_MINUTES_MIN && minutes <= CRONJOB_MINUTES_MAX) return { namespace: climbed.namespace, kind: "CronJob", name: m[1]! };
  }
  return climbed;
}

function controllerOwner(refs: unknown): { kind: string; name: string } | undefined {
  if (!Array.isArray(refs)) return undefined;
  for (const ref of refs) {
    const r = record(ref);
    const kind = str(r["kind"]);
    const name = str(r["name"]);
    if (r["controller"] === true && kind && name) return { kind, name };
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// Fields

function readMeta(kind: ObjectKind, object: unknown, namespaced: boolean): ObjectMeta {
  const metadata = record(record(object)["metadata"]);
  const name = str(metadata["name"]);
  const uid = str(metadata["uid"]);
  const resourceVersion = str(metadata["resourceVersion"]);
  const namespace = namespaced ? str(metadata["namespace"]) : "";
  if (!name || !uid || !resourceVersion || (namespaced && !namespace))
    throw new InvalidKubeObjectError(`${kind} ${namespace ? `${namespace}/` : ""}${name || "<unnamed>"} lacks metadata.${!name ? "name" : !uid ? "uid" : !resourceVersion ? "resourceVersion" : "namespace"}`);
  return { uid, name, namespace, resourceVersion, labels: readLabels(metadata["labels"]) };
}

/**
 * Labels and container ports repeat across a workload's pods: one frozen copy per distinct value is
 * kept (Interner.ts). Bounded, so a cluster of all-different pods does not grow it past that.
 */
const SHARED_VALUES_MAX = 50_000;
const sharedLabels = new Interner<Readonly<Record<string, string>>>(SHARED_VALUES_MAX);
const sharedPorts = new Interner<readonly ContainerPortInput[]>(SHARED_VALUES_MAX);

function readLabels(raw: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(raw))) if (typeof v === "string") out[k] = v;
  return sharedLabels.intern(JSON.stringify(out), () => out);
}

/** Ports of `spec.containers` (init containers do not count), as the engine takes them. */
function readContainerPorts(containers: unknown): readonly ContainerPortInput[] {
  const out: ContainerPortInput[] = [];
  if (!Array.isArray(containers)) return sharedPorts.intern("[]", () => out);
  for (const c of containers) {
    const ports = record(c)["ports"];
    if (!Array.isArray(ports)) continue;
    for (const p of ports) {
      const port = record(p);
      const containerPort = port["containerPort"];
      if (typeof containerPort !== "number") continue;
      const name = str(port["name"]);
      const protocol = str(port["protocol"]);
      out.push(Object.freeze({ ...(name && { name }), containerPort, ...(protocol && { protocol }) }));
    }
  }
  return sharedPorts.intern(JSON.stringify(out), () => out);
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** Plain JSON (from a watch event or a parsed file), as opposed to a client model instance. */
function isPlainJson(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return true;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function stripUndefined(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(stripUndefined);
  if (typeof v === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = stripUndefined(x);
    return out;
  }
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return null;
}
