/**
 * Which workload each pod is reported as, and which pod templates stand for pods. Pure.
 *
 * Climbing: a pod with a controller owner (`ownerReferences[].controller: true`) is reported as that
 * owner. From there the walk continues while the owner is itself an object of the input with a
 * controller owner (ReplicaSet -> Deployment, Job -> CronJob, ReplicaSet -> Argo Rollout...). When
 * the owner is a ReplicaSet that is *not* in the input, the standard Deployment naming decides: a pod
 * labelled `pod-template-hash=H` whose ReplicaSet is named `D-H` belongs to Deployment `D`. Static
 * pods are "owned" by their Node: they are reported as themselves.
 *
 * Templates (one pod per workload object, named after the object, no IP): every workload object is
 * reported as the workload it climbs to (R). Real pods win: if any pod of the input is reported as R,
 * no template of R is used (those pods are R's pods, with their IPs). Otherwise R's own template is
 * used when R is in the input (a Deployment rather than its ReplicaSets: the desired state), and
 * else the template of every object that climbs to R (ReplicaSets of a Deployment missing from the
 * input). Template pod names that collide with another pod of the namespace get `-<kind>` appended.
 */
import { workloadKey, type PodInput, type WorkloadKey, type WorkloadRef } from "../../engine/index.js";
import { isWorkloadOwnerKind } from "./kinds.js";
import type { OwnerLink, PodShape } from "./objects.js";

const POD_TEMPLATE_HASH = "pod-template-hash";

export interface PodRecord extends PodShape {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string | undefined;
  readonly owner: OwnerLink | undefined;
  readonly origin: string;
}

export interface WorkloadRecord {
  readonly ref: WorkloadRef;
  readonly owner: OwnerLink | undefined;
  readonly template: PodShape;
  /** `spec.template` or `spec.jobTemplate.spec.template`. */
  readonly templateField: string;
  readonly origin: string;
}

type OwnerIndex = ReadonlyMap<WorkloadKey, WorkloadRecord>;

/** Follows controller owners through the objects of the input; stops at the first one not in it. */
export function climbOwners(start: WorkloadRef, owner: OwnerLink | undefined, index: OwnerIndex, podTemplateHash?: string): WorkloadRef {
  let current = start;
  let next = owner;
  let firstStep = true;
  const seen = new Set<WorkloadKey>([workloadKey(start)]);
  while (next && isWorkloadOwnerKind(next.kind)) {
    const ref: WorkloadRef = { namespace: start.namespace, kind: next.kind, name: next.name };
    const key = workloadKey(ref);
    if (seen.has(key)) break; // an ownership cycle: stop where it closes
    seen.add(key);
    current = ref;
    const record = index.get(key);
    if (!record) {
      // Not in the input: the pod's own ReplicaSet follows the Deployment naming `<deployment>-<pod-template-hash>`.
      const suffix = `-${podTemplateHash}`;
      if (firstStep && podTemplateHash && ref.kind === "ReplicaSet" && ref.name.endsWith(suffix) && ref.name.length > suffix.length)
        current = { namespace: ref.namespace, kind: "Deployment", name: ref.name.slice(0, -suffix.length) };
      break;
    }
    next = record.owner;
    firstStep = false;
  }
  return current;
}

export interface PodInputs {
  readonly pods: readonly PodInput[];
  readonly templatePods: number;
}

export function buildPodInputs(pods: readonly PodRecord[], workloads: readonly WorkloadRecord[]): PodInputs {
  const index = new Map<WorkloadKey, WorkloadRecord>(workloads.map((w) => [workloadKey(w.ref), w]));
  const out: PodInput[] = [];
  const taken = new Set<string>();
  const withRealPods = new Set<WorkloadKey>();

  for (const p of pods) {
    const self: WorkloadRef = { namespace: p.namespace, kind: "Pod", name: p.name };
    const workload = climbOwners(self, p.owner, index, p.labels[POD_TEMPLATE_HASH]);
    withRealPods.add(workloadKey(workload));
    taken.add(`${p.namespace}/${p.name}`);
    out.push({
      namespace: p.namespace,
      name: p.name,
      labels: p.labels,
      ...(p.ip !== undefined && { ip: p.ip }),
      hostNetwork: p.hostNetwork,
      containerPorts: p.containerPorts,
      workload,
      origin: p.origin,
    });
  }

  // Group workload objects by the workload they are reported as, in input order.
  const groups = new Map<WorkloadKey, { reported: WorkloadRef; members: WorkloadRecord[] }>();
  for (const w of workloads) {
    const reported = climbOwners(w.ref, w.owner, index);
    const key = workloadKey(reported);
    const g = groups.get(key) ?? { reported, members: [] };
    g.members.push(w);
    groups.set(key, g);
  }

  let templatePods = 0;
  for (const [key, { reported, members }] of groups) {
    if (withRealPods.has(key)) continue;
    const own = members.find((m) => workloadKey(m.ref) === key);
    for (const m of own ? [own] : members) {
      const name = freeName(m.ref, taken);
      taken.add(`${m.ref.namespace}/${name}`);
      templatePods++;
      out.push({
        namespace: m.ref.namespace,
        name,
        labels: m.template.labels,
        hostNetwork: m.template.hostNetwork,
        containerPorts: m.template.containerPorts,
        workload: reported,
        // The engine reports template problems as the pod's fields: point at the template.
        origin: `${m.origin} (${m.templateField})`,
      });
    }
  }
  return { pods: out, templatePods };
}

function freeName(ref: WorkloadRef, taken: ReadonlySet<string>): string {
  const base = ref.name;
  if (!taken.has(`${ref.namespace}/${base}`)) return base;
  const kinded = `${base}-${ref.kind.toLowerCase()}`;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? kinded : `${kinded}-${n}`;
    if (!taken.has(`${ref.namespace}/${candidate}`)) return candidate;
  }
}
