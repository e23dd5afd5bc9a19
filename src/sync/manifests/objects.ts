/**
 * One Kubernetes object (already parsed) -> the typed record the mapping needs. Pure. Checks the
 * *shape* of the fields it reads (a map where a map belongs, a number where a number belongs) and
 * reports mistakes as diagnostics naming the object, the field path and the origin; checking the
 * *values* (label syntax, port ranges, CIDRs, the whole NetworkPolicy spec) is the engine's job in
 * compileWorld, so it is not repeated here.
 */
import type { ContainerPortInput, Diagnostic, DiagnosticCode, Labels } from "../../engine/index.js";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const isAbsent = (v: unknown): v is null | undefined => v === undefined || v === null;

/** The controller named in `metadata.ownerReferences` (the entry with `controller: true`). */
export interface OwnerLink {
  readonly kind: string;
  readonly name: string;
}

export interface PodShape {
  readonly labels: Labels;
  readonly hostNetwork: boolean;
  readonly containerPorts: readonly ContainerPortInput[];
}

interface Meta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly owner: OwnerLink | undefined;
}

/** Collects the diagnostics of one object; `failed` tells the caller to leave the object out. */
export class ObjectReader {
  failed = false;

  constructor(
    public object: string,
    readonly origin: string,
    private readonly out: Diagnostic[],
  ) {}

  error(code: DiagnosticCode, field: string, message: string): void {
    this.out.push({ severity: "error", code, object: this.object, field, message, origin: this.origin });
    this.failed = true;
  }

  /** A map, an absent value (undefined), or a reported error (undefined and `failed`). */
  map(value: unknown, field: string): Record<string, unknown> | undefined {
    if (isAbsent(value)) return undefined;
    if (isRecord(value)) return value;
    this.error("INVALID_OBJECT", field, `${field} must be a map, not ${describe(value)}`);
    return undefined;
  }

  list(value: unknown, field: string): readonly unknown[] {
    if (isAbsent(value)) return [];
    if (Array.isArray(value)) return value;
    this.error("INVALID_OBJECT", field, `${field} must be a list, not ${describe(value)}`);
    return [];
  }

  string(value: unknown, field: string, code: DiagnosticCode = "INVALID_OBJECT"): string | undefined {
    if (isAbsent(value)) return undefined;
    if (typeof value === "string") return value;
    this.error(code, field, `${field} must be a string, not ${describe(value)}`);
    return undefined;
  }

  boolean(value: unknown, field: string): boolean | undefined {
    if (isAbsent(value)) return undefined;
    if (typeof value === "boolean") return value;
    this.error("INVALID_OBJECT", field, `${field} must be true or false, not ${describe(value)}`);
    return undefined;
  }
}

export function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isRecord(value)) return "a map";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

export interface Header {
  readonly apiVersion: string;
  readonly kind: string;
  readonly value: Record<string, unknown>;
}

/** Every object needs `apiVersion` and `kind` (strings); anything else is not a Kubernetes object. */
export function readHeader(value: unknown, origin: string, out: Diagnostic[]): Header | undefined {
  const r = new ObjectReader("object", origin, out);
  if (!isRecord(value)) {
    r.error("INVALID_OBJECT", "(document)", `a manifest must be a map with apiVersion, kind and metadata, not ${describe(value)}`);
    return undefined;
  }
  const kind = value["kind"];
  if (typeof kind === "string" && kind !== "") r.object = kind;
  else r.error("INVALID_OBJECT", "kind", isAbsent(kind) ? "kind is required" : `kind must be a non-empty string, not ${describe(kind)}`);
  const apiVersion = value["apiVersion"];
  if (typeof apiVersion !== "string" || apiVersion === "")
    r.error("INVALID_OBJECT", "apiVersion", isAbsent(apiVersion) ? "apiVersion is required" : `apiVersion must be a non-empty string, not ${describe(apiVersion)}`);
  return r.failed ? undefined : { apiVersion: apiVersion as string, kind: kind as string, value };
}

/**
 * `metadata`: name (required), namespace (namespaced kinds; `defaultNamespace` when missing or
 * empty, as kubectl does), labels, and the controller owner. Renames the reader's object to
 * `Kind ns/name` once the name is known, so later diagnostics say which object they are about.
 */
export function readMeta(h: Header, r: ObjectReader, options: { namespaced: boolean; defaultNamespace: string }): Meta | undefined {
  const meta = r.map(h.value["metadata"], "metadata");
  if (!meta) {
    if (!r.failed) r.error("INVALID_OBJECT", "metadata.name", "metadata.name is required");
    return undefined;
  }
  const name = r.string(meta["name"], "metadata.name");
  if (name === undefined || name === "") {
    if (!r.failed) r.error("INVALID_OBJECT", "metadata.name", "metadata.name is required");
    return undefined;
  }
  const ns = options.namespaced ? r.string(meta["namespace"], "metadata.namespace") : undefined;
  const namespace = ns === undefined || ns === "" ? options.defaultNamespace : ns;
  r.object = options.namespaced ? `${h.kind} ${namespace}/${name}` : `${h.kind} ${name}`;
  const labels = readLabels(meta["labels"], "metadata.labels", r);
  const owner = readControllerOwner(meta["ownerReferences"], r);
  return r.failed ? undefined : { name, namespace, labels, owner };
}

/** Label values must be strings: `version: 2` or `enabled: yes` unquoted are numbers and booleans. */
export function readLabels(raw: unknown, field: string, r: ObjectReader): Labels {
  const m = r.map(raw, field);
  if (!m) return {};
  for (const [k, v] of Object.entries(m))
    if (typeof v !== "string") r.error("INVALID_OBJECT", `${field}.${k}`, `label values must be strings, not ${describe(v)} (quote numbers and booleans in YAML)`);
  return m as Labels;
}

function readControllerOwner(raw: unknown, r: ObjectReader): OwnerLink | undefined {
  let owner: OwnerLink | undefined;
  for (const [i, ref] of r.list(raw, "metadata.ownerReferences").entries()) {
    const field = `metadata.ownerReferences[${i}]`;
    const m = r.map(ref, field);
    if (!m) {
      if (!r.failed) r.error("INVALID_OBJECT", field, "an owner reference must be a map with kind and name");
      continue;
    }
    const kind = r.string(m["kind"], `${field}.kind`);
    const name = r.string(m["name"], `${field}.name`);
    const controller = r.boolean(m["controller"], `${field}.controller`);
    if (controller !== true) continue;
    if (!kind || !name) r.error("INVALID_OBJECT", field, "a controller owner reference needs kind and name");
    else owner ??= { kind, name };
  }
  return owner;
}

/** A pod spec: `hostNetwork` and the ports of `spec.containers` (init containers do not count). */
export function readPodSpec(raw: unknown, field: string, r: ObjectReader): Omit<PodShape, "labels"> {
  const spec = r.map(raw, field);
  if (!spec) return { hostNetwork: false, containerPorts: [] };
  const hostNetwork = r.boolean(spec["hostNetwork"], `${field}.hostNetwork`) ?? false;
  const containerPorts: ContainerPortInput[] = [];
  for (const [c, container] of r.list(spec["containers"], `${field}.containers`).entries()) {
    const cf = `${field}.containers[${c}]`;
    const cm = r.map(container, cf);
    if (!cm) continue;
    for (const [p, port] of r.list(cm["ports"], `${cf}.ports`).entries()) {
      const pf = `${cf}.ports[${p}]`;
      const pm = r.map(port, pf);
      if (!pm) continue;
      const containerPort = pm["containerPort"];
      if (typeof containerPort !== "number" || !Number.isInteger(containerPort)) {
        r.error("INVALID_PORT", `${pf}.containerPort`, isAbsent(containerPort) ? "containerPort is required" : `containerPort must be an integer, not ${describe(containerPort)}`);
        continue;
      }
      const name = r.string(pm["name"], `${pf}.name`, "INVALID_PORT");
      const protocol = r.string(pm["protocol"], `${pf}.protocol`, "INVALID_PROTOCOL");
      containerPorts.push({ containerPort, ...(name !== undefined && { name }), ...(protocol !== undefined && { protocol }) });
    }
  }
  return { hostNetwork, containerPorts };
}

/** The pod template at `path` of a workload (e.g. `spec.jobTemplate.spec.template` of a CronJob). */
export function readTemplate(value: Record<string, unknown>, path: readonly string[], r: ObjectReader): PodShape | undefined {
  let node: unknown = value;
  const walked: string[] = [];
  for (const step of path) {
    walked.push(step);
    const m = r.map(node, walked.slice(0, -1).join(".") || "(object)");
    node = m?.[step];
    if (r.failed) return undefined;
  }
  const field = path.join(".");
  const template = r.map(node, field);
  if (!template) {
    if (!r.failed) r.error("INVALID_OBJECT", field, `${field} is required: it describes the pods the workload creates`);
    return undefined;
  }
  const meta = r.map(template["metadata"], `${field}.metadata`);
  const labels = readLabels(meta?.["labels"], `${field}.metadata.labels`, r);
  const spec = readPodSpec(template["spec"], `${field}.spec`, r);
  return r.failed ? undefined : { labels, ...spec };
}
