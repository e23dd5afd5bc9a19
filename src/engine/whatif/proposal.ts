/**
 * Proposals: what a set of manifests means as a change to a state, in each what-if mode, and the
 * entry point that picks the incremental or the full computation. Pure: the manifests arrive
 * parsed (documents as plain values) and mapped (WorldInput) by the caller.
 *
 * Modes (the proposal's objects are matched to the state by kind, namespace and name):
 * - `apply`: every object is upserted, as `kubectl apply -f` would; objects annotated
 *   `kubereach.io/delete: "true"` are deleted instead. Everything else stays.
 * - `replace-namespace`: as `apply`, and in every namespace the proposal mentions (the
 *   namespace of any of its objects, deletions included, and the name of a Namespace object),
 *   the NetworkPolicies the proposal does not give are deleted: the proposal is the complete set of
 *   policies of those namespaces.
 * - `replace-all`: as `apply`, and every NetworkPolicy the proposal does not give is deleted.
 * In every mode a workload (Deployment, StatefulSet, ...) replaces all pods of that workload by its
 * pod template, a Pod replaces the pod of that name, and a Namespace its labels; deleting a
 * Namespace deletes its pods and policies. Cluster-scoped tiered policies (AdminNetworkPolicy, ...)
 * are upserted and deleted by kind and name in every mode, and `replace-all` deletes those not given.
 */
import { compileWorld, NAMESPACE_NAME_LABEL } from "../compile/compileWorld.js";
import { TIERED_POLICY_KINDS, type CompiledWorld } from "../compile/model.js";
import type { Diagnostic } from "../diagnostics.js";
import { podKey, policyKey, workloadKey, type PolicyKey } from "../model/ids.js";
import type { Labels, NamespaceInput, NetworkPolicyInput, PodInput, TieredPolicyInput, WorldInput } from "../model/input.js";
import { formatIp } from "../net/ip.js";
import type { WhatIfBase } from "./base.js";
import { compareWorlds } from "./full.js";
import { simulatePolicyEdit } from "./incremental.js";
import { missingDeletions } from "./missing.js";
import { mentionedFamilies } from "./splice.js";
import type { WhatIfResult } from "./types.js";
import { appendAll } from "../util/appendAll.js";

import { WHATIF_MODES, type WhatIfMode } from "./modes.js";
export { WHATIF_MODES, type WhatIfMode };

/** `metadata.annotations["kubereach.io/delete"] = "true"` marks an object of a proposal for deletion. */
export const DELETE_ANNOTATION = "kubereach.io/delete";

export interface ObjectRef {
  readonly kind: string;
  /** "" for a Namespace. */
  readonly namespace: string;
  readonly name: string;
}

export interface RawManifest {
  readonly value: unknown;
  readonly origin: string;
}

export interface Proposal {
  /** The objects to upsert, as the manifest reader maps them. */
  readonly input: WorldInput;
  /** The objects to delete (annotated with DELETE_ANNOTATION). */
  readonly deletions: readonly ObjectRef[];
}

const isTieredKind = (kind: string) => (TIERED_POLICY_KINDS as readonly string[]).includes(kind);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Takes the objects marked for deletion out of parsed manifests (top-level documents and List
 * items, at any depth). A deleted List item is replaced by an empty List, so the other items keep
 * their positions (and origins). Deletions need kind and name; objects other than Namespaces get
 * `defaultNamespace` when they give none.
 */
export function splitDeletions(objects: readonly RawManifest[], defaultNamespace = "default"): { keep: RawManifest[]; deletions: ObjectRef[] } {
  const deletions: ObjectRef[] = [];
  const marked = (v: Record<string, unknown>) => {
    const meta = v["metadata"];
    const ann = isRecord(meta) ? meta["annotations"] : undefined;
    return isRecord(ann) && ann[DELETE_ANNOTATION] === "true";
  };
  const refOf = (v: Record<string, unknown>, kind: string): ObjectRef | undefined => {
    const meta = isRecord(v["metadata"]) ? v["metadata"] : {};
    const name = meta["name"];
    if (typeof name !== "string" || name === "") return undefined;
    const ns = meta["namespace"];
    const clusterScoped = kind === "Namespace" || isTieredKind(kind);
    return { kind, namespace: clusterScoped ? "" : typeof ns === "string" && ns !== "" ? ns : defaultNamespace, name };
  };
  const DELETED = Symbol("deleted");
  const walk = (v: unknown, itemKind: string | undefined): unknown => {
    if (!isRecord(v)) return v;
    const kind = typeof v["kind"] === "string" ? v["kind"] : itemKind;
    if (kind !== undefined && kind.endsWith("List") && Array.isArray(v["items"])) {
      const inner = kind === "List" ? undefined : kind.slice(0, -"List".length);
      const before = v["items"] as unknown[];
      const items = before.map((item) => {
        const w = walk(item, inner);
        return w === DELETED ? { apiVersion: "v1", kind: "List", items: [] } : w;
      });
      return items.every((x, i) => x === before[i]) ? v : { ...v, items };
    }
    if (kind === undefined || !marked(v)) return v;
    const ref = refOf(v, kind);
    if (!ref) return v; // the reader reports the missing name
    deletions.push(ref);
    return DELETED;
  };
  const keep: RawManifest[] = [];
  for (const o of objects) {
    const w = walk(o.value, undefined);
    if (w === DELETED) continue;
    keep.push(w === o.value ? o : { value: w, origin: o.origin });
  }
  return { keep, deletions };
}

export interface PlannedChange {
  readonly mode: WhatIfMode;
  readonly policyUpserts: readonly NetworkPolicyInput[];
  readonly policyDeletes: readonly PolicyKey[];
  /** True when only NetworkPolicies change (the incremental what-if applies); false when namespaces, pods or tiered policies do. */
  readonly incremental: boolean;
  /** Every namespace the proposal touches (its objects', its deletions', and those whose policies it deletes). */
  readonly namespaces: readonly string[];
}

const npKey = (namespace: string, name: string) => policyKey({ kind: "NetworkPolicy", namespace, name });

export function planProposal(base: CompiledWorld, proposal: Proposal, mode: WhatIfMode): PlannedChange {
  const { input, deletions } = proposal;
  const mentioned = new Set<string>();
  for (const ns of input.namespaces) mentioned.add(ns.name);
  for (const p of input.pods) mentioned.add(p.namespace);
  for (const p of input.networkPolicies) mentioned.add(p.namespace);
  for (const d of deletions) if (d.namespace !== "" || d.kind === "Namespace") mentioned.add(d.kind === "Namespace" ? d.name : d.namespace);

  const given = new Set(input.networkPolicies.map((p) => npKey(p.namespace, p.name)));
  const deletes = new Set<PolicyKey>();
  for (const d of deletions) if (d.kind === "NetworkPolicy") deletes.add(npKey(d.namespace, d.name));
  const deletedNamespaces = new Set(deletions.filter((d) => d.kind === "Namespace").map((d) => d.name));
  for (const p of base.networkPolicies) {
    const dropped =
      deletedNamespaces.has(p.namespace) || (mode === "replace-all" && !given.has(p.key)) || (mode === "replace-namespace" && mentioned.has(p.namespace) && !given.has(p.key));
    if (dropped) deletes.add(p.key);
  }
  const touched = new Set(mentioned);
  for (const p of base.networkPolicies) if (deletes.has(p.key)) touched.add(p.namespace);

  const namespaceChanges = input.namespaces.some((ns) => {
    const cur = base.namespaceByName.get(ns.name);
    return !cur || !sameLabels(cur.labels, { ...(ns.labels ?? {}), [NAMESPACE_NAME_LABEL]: ns.name });
  });
  const tiered = (input.tieredPolicies?.length ?? 0) > 0 || (mode === "replace-all" && base.tieredPolicies.length > 0);
  const incremental = !namespaceChanges && !tiered && input.pods.length === 0 && deletions.every((d) => d.kind === "NetworkPolicy");
  return { mode, policyUpserts: input.networkPolicies, policyDeletes: [...deletes], incremental, namespaces: [...touched].sort() };
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The state after the proposal, as engine input (for the full recomputation). */
export function applyProposal(base: WorldInput, proposal: Proposal, plan: PlannedChange): WorldInput {
  const { input, deletions } = proposal;
  const deletedNamespaces = new Set(deletions.filter((d) => d.kind === "Namespace").map((d) => d.name));
  const deletedPods = new Set(deletions.filter((d) => d.kind === "Pod").map((d) => podKey(d)));
  const deletedWorkloads = new Set(deletions.filter((d) => d.kind !== "Pod" && d.kind !== "Namespace" && d.kind !== "NetworkPolicy").map((d) => workloadKey(d)));
  // Workloads of the proposal replace all their pods; its Pods replace pods of the same name.
  const replacedWorkloads = new Set(input.pods.map((p) => workloadKey(p.workload ?? { namespace: p.namespace, kind: "Pod", name: p.name })));
  const replacedPods = new Set(input.pods.map((p) => podKey(p)));

  const givenNamespaces = new Map(input.namespaces.map((n) => [n.name, n]));
  const namespaces: NamespaceInput[] = base.namespaces.filter((n) => !deletedNamespaces.has(n.name) && !givenNamespaces.has(n.name));
  appendAll(namespaces, input.namespaces.filter((n) => !deletedNamespaces.has(n.name)));

  const pods: PodInput[] = base.pods.filter((p) => {
    if (deletedNamespaces.has(p.namespace) || deletedPods.has(podKey(p)) || replacedPods.has(podKey(p))) return false;
    const w = workloadKey(p.workload ?? { namespace: p.namespace, kind: "Pod", name: p.name });
    return !deletedWorkloads.has(w) && !replacedWorkloads.has(w);
  });
  appendAll(pods, input.pods.filter((p) => !deletedNamespaces.has(p.namespace)));

  const dropped = new Set<PolicyKey>(plan.policyDeletes);
  const upserts = new Map(input.networkPolicies.map((p) => [npKey(p.namespace, p.name), p]));
  const networkPolicies: NetworkPolicyInput[] = [];
  for (const p of base.networkPolicies) {
    const k = npKey(p.namespace, p.name);
    if (dropped.has(k) || deletedNamespaces.has(p.namespace)) continue;
    const u = upserts.get(k);
    networkPolicies.push(u ?? p);
    upserts.delete(k);
  }
  for (const p of upserts.values()) if (!deletedNamespaces.has(p.namespace)) networkPolicies.push(p);

  const tieredId = (kind: string, name: string) => `${kind}/${name}`;
  const deletedTiered = new Set(deletions.filter((d) => isTieredKind(d.kind)).map((d) => tieredId(d.kind, d.name)));
  const givenTiered = new Map((input.tieredPolicies ?? []).map((p) => [tieredId(p.kind, p.name), p]));
  const tieredPolicies: TieredPolicyInput[] = [];
  for (const p of base.tieredPolicies ?? []) {
    const k = tieredId(p.kind, p.name);
    if (deletedTiered.has(k) || (plan.mode === "replace-all" && !givenTiered.has(k))) continue;
    tieredPolicies.push(givenTiered.get(k) ?? p);
    givenTiered.delete(k);
  }
  for (const [k, p] of givenTiered) if (!deletedTiered.has(k)) tieredPolicies.push(p);
  return { namespaces, pods, networkPolicies, ...(tieredPolicies.length > 0 ? { tieredPolicies } : {}) };
}

export interface WhatIfOptions {
  /** The base state as input; needed only when the proposal changes pods or namespaces. */
  readonly baseInput?: () => WorldInput;
}

/**
 * The impact of a proposal on a base: incremental when only NetworkPolicies change, otherwise the
 * full recomputation (which needs `baseInput`). Diagnostics are those of the proposal's own
 * objects (objects with errors are left out of the change), then a NOT_IN_BASE warning for each
 * deletion that matches nothing in the base.
 */
export function whatIf(base: WhatIfBase, proposal: Proposal, mode: WhatIfMode, options: WhatIfOptions = {}): { plan: PlannedChange; result: WhatIfResult } {
  const plan = planProposal(base.world, proposal, mode);
  const own = compileWorld(proposal.input);
  const diagnostics: Diagnostic[] = [...own.diagnostics, ...missingDeletions(base.world, proposal.deletions)];
  if (plan.incremental) {
    const result = simulatePolicyEdit(base, { upserts: own.world.networkPolicies, deletes: plan.policyDeletes, mentionedFamilies: mentionedFamilies(own.world) }, diagnostics);
    return { plan, result };
  }
  if (!options.baseInput) throw new Error("whatIf: the proposal changes pods, namespaces or tiered policies, and no base input was given for the full recomputation");
  // Invalid objects are left out of the head as they are of the proposal's own compile.
  const head = compileWorld(applyProposal(options.baseInput(), { ...proposal, input: validOnly(proposal.input, own.world) }, plan)).world;
  return { plan, result: compareWorlds(base, head, { diagnostics }) };
}

/** The proposal's objects that compiled (by key), so an invalid one does not end up in the head. */
function validOnly(input: WorldInput, compiled: CompiledWorld): WorldInput {
  const pods = new Set(compiled.pods.map((p) => p.key));
  const policies = new Set(compiled.networkPolicies.map((p) => p.key));
  const namespaces = new Set(compiled.namespaces.filter((n) => n.defined).map((n) => n.name));
  const tiered = new Set(compiled.tieredPolicies.map((p) => p.key));
  return {
    namespaces: input.namespaces.filter((n) => namespaces.has(n.name)),
    pods: input.pods.filter((p) => pods.has(podKey(p))),
    networkPolicies: input.networkPolicies.filter((p) => policies.has(npKey(p.namespace, p.name))),
    ...(input.tieredPolicies ? { tieredPolicies: input.tieredPolicies.filter((p) => tiered.has(policyKey({ kind: p.kind, namespace: "", name: p.name }))) } : {}),
  };
}

/** True when two worlds have the same namespaces and pods (so only their policies can differ). */
export function samePodsAndNamespaces(a: CompiledWorld, b: CompiledWorld): boolean {
  if (a.pods.length !== b.pods.length) return false;
  // Namespaces without pods cannot change a connection: compare those of the pods.
  const nsText = (w: CompiledWorld) =>
    [...new Set(w.pods.map((p) => p.namespace))]
      .map((n) => `${n.name}=${labelText(n.labels)}`)
      .sort()
      .join("\n");
  const podText = (w: CompiledWorld) =>
    w.pods
      .map(
        (p) =>
          `${p.key}|${labelText(p.labels)}|${p.ip ? formatIp(p.ip) : ""}|${p.hostNetwork}|${[...p.namedPorts].map(([n, x]) => `${n}:${x.protocol}:${x.port}`).sort().join(",")}|${workloadKey(p.workload)}`,
      )
      .sort()
      .join("\n");
  return podText(a) === podText(b) && nsText(a) === nsText(b);
}

function labelText(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}=${l[k]}`)
    .join(",");
}

/**
 * The impact of replacing the base by another complete state (two manifest trees): incremental
 * when only their policies differ, else the full recomputation.
 */
export function diffStates(base: WhatIfBase, head: CompiledWorld, diagnostics: readonly Diagnostic[] = []): WhatIfResult {
  if (!samePodsAndNamespaces(base.world, head)) return compareWorlds(base, head, { diagnostics });
  const headKeys = new Set(head.networkPolicies.map((p) => p.key));
  const deletes = base.world.networkPolicies.filter((p) => !headKeys.has(p.key)).map((p) => p.key);
  return simulatePolicyEdit(base, { upserts: head.networkPolicies, deletes, mentionedFamilies: mentionedFamilies(head) }, diagnostics);
}
