/**
 * Parsed manifests -> the engine's WorldInput. Pure: no file system, so it is tested with plain
 * objects. Lists are expanded item by item; each object is classified by kind (kinds.ts), its
 * fields are read with shape checks (objects.ts), and pods are attributed to workloads
 * (ownership.ts). Objects with errors are left out and reported; unknown kinds are counted and
 * reported once per kind. Values are not validated here: compileWorld does that, naming `origin`.
 */
import { workloadKey, type Diagnostic, type NamespaceInput, type NetworkPolicyInput, type TieredPolicyInput, type WorkloadKey } from "../../engine/index.js";
import { apiGroup, classifyKind, READ_KINDS_TEXT, TIERED_KINDS_TEXT, TIERED_POLICY_GROUP, type KnownKind } from "./kinds.js";
import { isRecord, ObjectReader, readHeader, readMeta, readPodSpec, readTemplate, type Header } from "./objects.js";
import { itemOrigin } from "./origin.js";
import { buildPodInputs, type PodRecord, type WorkloadRecord } from "./ownership.js";
import type { ManifestObject, ManifestWarning, MappingResult } from "./types.js";

export interface MappingOptions {
  /** Namespace of namespaced objects without `metadata.namespace` (kubectl's default: "default"). */
  readonly defaultNamespace?: string;
}

interface Collected {
  readonly namespaces: NamespaceInput[];
  readonly pods: PodRecord[];
  readonly workloads: WorkloadRecord[];
  readonly networkPolicies: NetworkPolicyInput[];
  readonly tieredPolicies: TieredPolicyInput[];
}

export function toWorldInput(objects: readonly ManifestObject[], options: MappingOptions = {}): MappingResult {
  const defaultNamespace = options.defaultNamespace ?? "default";
  const diagnostics: Diagnostic[] = [];
  const collected: Collected = { namespaces: [], pods: [], workloads: [], networkPolicies: [], tieredPolicies: [] };
  const ignored = new Map<string, { kind: string; apiVersion: string; count: number; firstOrigin: string }>();
  const workloadOrigins = new Map<WorkloadKey, string>();
  const counter = { total: 0, invalid: 0 };

  for (const o of expandLists(objects, diagnostics, counter)) {
    counter.total++;
    const header = readHeader(o.value, o.origin, diagnostics);
    if (!header) {
      counter.invalid++;
      continue;
    }
    const known = classifyKind(header.apiVersion, header.kind);
    if (!known) {
      const key = `${apiGroup(header.apiVersion)}/${header.kind}`;
      const entry = ignored.get(key) ?? { kind: header.kind, apiVersion: header.apiVersion, count: 0, firstOrigin: o.origin };
      entry.count++;
      ignored.set(key, entry);
      continue;
    }
    const r = new ObjectReader(header.kind, o.origin, diagnostics);
    collect(header, known, r, { defaultNamespace, collected, workloadOrigins });
    if (r.failed) counter.invalid++;
  }

  const { pods, templatePods } = buildPodInputs(collected.pods, collected.workloads);
  const warnings: ManifestWarning[] = [...ignored.values()].map((e) => ({
    code: "IGNORED_KIND",
    ...e,
    message: `ignored ${e.count} ${e.kind} object${e.count === 1 ? "" : "s"} (${e.apiVersion}), first in ${e.firstOrigin}: kubereach reads ${apiGroup(e.apiVersion) === TIERED_POLICY_GROUP ? TIERED_KINDS_TEXT : READ_KINDS_TEXT}`,
  }));
  return {
    world: {
      namespaces: collected.namespaces,
      pods,
      networkPolicies: collected.networkPolicies,
      ...(collected.tieredPolicies.length > 0 ? { tieredPolicies: collected.tieredPolicies } : {}),
    },
    diagnostics,
    warnings,
    stats: {
      objects: counter.total,
      namespaces: collected.namespaces.length,
      pods: collected.pods.length,
      templatePods,
      workloads: collected.workloads.length,
      networkPolicies: collected.networkPolicies.length,
      ...(collected.tieredPolicies.length > 0 ? { tieredPolicies: collected.tieredPolicies.length } : {}),
      ignored: warnings.reduce((n, w) => n + (w.code === "IGNORED_KIND" ? w.count : 0), 0),
      invalid: counter.invalid,
    },
  };
}

interface CollectContext {
  readonly defaultNamespace: string;
  readonly collected: Collected;
  readonly workloadOrigins: Map<WorkloadKey, string>;
}

function collect(h: Header, known: KnownKind, r: ObjectReader, ctx: CollectContext): void {
  const { collected } = ctx;
  const meta = readMeta(h, r, { namespaced: known.role !== "namespace" && known.role !== "tieredPolicy", defaultNamespace: ctx.defaultNamespace });
  if (!meta) return;
  switch (known.role) {
    case "namespace":
      collected.namespaces.push({ name: meta.name, labels: meta.labels, origin: r.origin });
      return;
    case "networkPolicy":
      // The spec is validated by the engine (compileNetworkPolicy), field by field.
      collected.networkPolicies.push({ namespace: meta.namespace, name: meta.name, spec: h.value["spec"], origin: r.origin });
      return;
    case "tieredPolicy":
      // Cluster-scoped; the engine (compileTieredPolicy) validates the apiVersion and the spec.
      collected.tieredPolicies.push({ kind: h.kind, apiVersion: h.apiVersion, name: meta.name, spec: h.value["spec"], origin: r.origin });
      return;
    case "pod": {
      const spec = readPodSpec(h.value["spec"], "spec", r);
      const status = r.map(h.value["status"], "status");
      const ip = r.string(status?.["podIP"], "status.podIP", "INVALID_IP");
      if (r.failed) return;
      collected.pods.push({ namespace: meta.namespace, name: meta.name, labels: meta.labels, ...spec, ip: ip || undefined, owner: meta.owner, origin: r.origin });
      return;
    }
    case "workload": {
      const path = known.templatePath ?? ["spec", "template"];
      const template = readTemplate(h.value, path, r);
      if (!template) return;
      const ref = { namespace: meta.namespace, kind: h.kind, name: meta.name };
      const key = workloadKey(ref);
      const first = ctx.workloadOrigins.get(key);
      if (first !== undefined) {
        r.error("DUPLICATE_OBJECT", "metadata.name", `${h.kind} ${ref.namespace}/${ref.name} is defined more than once (first in ${first}); the first definition is used`);
        return;
      }
      ctx.workloadOrigins.set(key, r.origin);
      collected.workloads.push({ ref, owner: meta.owner, template, templateField: path.join("."), origin: r.origin });
      return;
    }
  }
}

/**
 * `kind: List` and typed lists (`PodList`, `DeploymentList`...) become their items, recursively.
 * Items of a typed list may omit kind and apiVersion (the API server's list responses do): they
 * get the list's item kind and apiVersion.
 */
function* expandLists(objects: readonly ManifestObject[], diagnostics: Diagnostic[], counter: { invalid: number }): Generator<ManifestObject> {
  for (const o of objects) {
    const v = o.value;
    const kind = isRecord(v) ? v["kind"] : undefined;
    if (!isRecord(v) || typeof kind !== "string" || !kind.endsWith("List") || !("items" in v)) {
      yield o;
      continue;
    }
    const r = new ObjectReader(kind, o.origin, diagnostics);
    const items = r.list(v["items"], "items");
    if (r.failed) counter.invalid++;
    const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
    const expanded = items.map((item, i): ManifestObject => {
      const origin = itemOrigin(o.origin, i);
      if (itemKind === undefined || !isRecord(item) || item["kind"] !== undefined) return { value: item, origin };
      return { value: { apiVersion: v["apiVersion"], ...item, kind: itemKind }, origin };
    });
    yield* expandLists(expanded, diagnostics, counter);
  }
}
