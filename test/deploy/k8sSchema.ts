/**
 * A structural validator for Kubernetes objects, driven by the API schema that ships with
 * @kubernetes/client-node (the version kubereach itself runs, 1.4.0: generated from the Kubernetes
 * v1.34.0 OpenAPI spec). Every generated model class carries `attributeTypeMap` (each field's JSON
 * name and type) and its .d.ts marks the required fields (no `?`). Walking those from the kind's
 * root model rejects what the API server would: unknown fields (kubectl's strict field
 * validation), wrong types (string vs number vs object vs list, int32 range, int-or-string,
 * base64 bytes, RFC 3339 times) and missing required fields, each reported with its path.
 *
 * Why this source: no package on the npm registry ships the raw Kubernetes JSON schemas for
 * Node 20 (kubernetes-models needs Node >= 22 and its validators do not reject unknown fields),
 * and this one adds no dependency, matches the API version kubereach is built against, and
 * cannot drift from it. What it does not know: enums, and cross-field rules (the tests check
 * those they care about).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import ts from "typescript";

interface Attribute {
  readonly name: string;
  readonly baseName: string;
  readonly type: string;
  readonly format: string;
}

interface ModelClass {
  readonly attributeTypeMap: readonly Attribute[];
}

/** The kinds kubereach deploys, by `apiVersion` and `kind`, with their root model. */
export const KINDS: Readonly<Record<string, string>> = {
  "v1/Namespace": "V1Namespace",
  "v1/ServiceAccount": "V1ServiceAccount",
  "v1/Service": "V1Service",
  "v1/Secret": "V1Secret",
  "v1/ConfigMap": "V1ConfigMap",
  "apps/v1/Deployment": "V1Deployment",
  "policy/v1/PodDisruptionBudget": "V1PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy": "V1NetworkPolicy",
  "rbac.authorization.k8s.io/v1/ClusterRole": "V1ClusterRole",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "V1ClusterRoleBinding",
  "rbac.authorization.k8s.io/v1/Role": "V1Role",
  "rbac.authorization.k8s.io/v1/RoleBinding": "V1RoleBinding",
  "coordination.k8s.io/v1/Lease": "V1Lease",
};

const MODELS = new Map<string, ModelClass>();
for (const [name, value] of Object.entries(k8s)) {
  const attributes = (value as { attributeTypeMap?: unknown } | undefined)?.attributeTypeMap;
  if (typeof value === "function" && Array.isArray(attributes)) MODELS.set(name, value as unknown as ModelClass);
}

const require = createRequire(import.meta.url);
const MODELS_DIR = join(dirname(require.resolve("@kubernetes/client-node")), "gen", "models");

/** The package's version and the Kubernetes API version its models were generated from. */
export function schemaSource(): { readonly clientVersion: string; readonly apiVersion: string; readonly models: number } {
  const pkg = JSON.parse(readFileSync(join(MODELS_DIR, "..", "..", "..", "package.json"), "utf8")) as { version: string };
  const header = readFileSync(join(MODELS_DIR, "V1Deployment.d.ts"), "utf8");
  return { clientVersion: pkg.version, apiVersion: /OpenAPI spec version: (\S+)/.exec(header)?.[1] ?? "unknown", models: MODELS.size };
}

const requiredCache = new Map<string, ReadonlySet<string>>();

/** Required fields (their JSON names) of a model: the properties its .d.ts declares without `?`. */
export function requiredFields(model: string): ReadonlySet<string> {
  const cached = requiredCache.get(model);
  if (cached) return cached;
  const file = join(MODELS_DIR, `${model}.d.ts`);
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const byName = new Map((MODELS.get(model)?.attributeTypeMap ?? []).map((a) => [a.name, a.baseName]));
  const required = new Set<string>();
  source.forEachChild((node) => {
    if (!ts.isClassDeclaration(node) || node.name?.text !== model) return;
    for (const member of node.members) {
      if (!ts.isPropertyDeclaration(member) || member.questionToken) continue;
      if (member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) continue;
      const name = ts.isStringLiteral(member.name) || ts.isIdentifier(member.name) ? member.name.text : undefined;
      if (name !== undefined && byName.has(name)) required.add(byName.get(name)!);
    }
  });
  requiredCache.set(model, required);
  return required;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function checkValue(value: unknown, type: string, format: string, path: string, errors: string[]): void {
  if (value === null || value === undefined) {
    errors.push(`${path}: null is not a ${type} (leave the field out instead)`);
    return;
  }
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) errors.push(`${path}: expected a list of ${list[1]}, got ${describe(value)}`);
    else value.forEach((item, i) => checkValue(item, list[1]!, format, `${path}[${i}]`, errors));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (!isPlainObject(value)) errors.push(`${path}: expected a map of ${map[1]}, got ${describe(value)}`);
    else for (const [k, v] of Object.entries(value)) checkValue(v, map[1]!, format, `${path}.${k}`, errors);
    return;
  }
  switch (type) {
    case "string":
      if (typeof value !== "string") errors.push(`${path}: expected a string, got ${describe(value)}`);
      else if (format === "byte" && !BASE64.test(value)) errors.push(`${path}: expected base64 data`);
      return;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) errors.push(`${path}: expected a number, got ${describe(value)}`);
      else if ((format === "int32" || format === "int64") && !Number.isInteger(value)) errors.push(`${path}: expected an integer, got ${value}`);
      else if (format === "int32" && (value < -(2 ** 31) || value >= 2 ** 31)) errors.push(`${path}: ${value} is out of the int32 range`);
      return;
    case "boolean":
      if (typeof value !== "boolean") errors.push(`${path}: expected a boolean, got ${describe(value)}`);
      return;
    case "Date":
      if (typeof value !== "string" || !RFC3339.test(value)) errors.push(`${path}: expected an RFC 3339 time, got ${describe(value)}`);
      return;
    case "IntOrString":
      if (typeof value === "string" ? value === "" : !Number.isInteger(value)) errors.push(`${path}: expected an integer or a non-empty string, got ${describe(value)}`);
      return;
    case "any":
      return;
    case "object":
      if (!isPlainObject(value)) errors.push(`${path}: expected an object, got ${describe(value)}`);
      return;
  }
  if (MODELS.has(type)) {
    checkModel(value, type, path, errors);
    return;
  }
  errors.push(`${path}: the schema has no type ${type} (validator gap)`);
}

function checkModel(value: unknown, model: string, path: string, errors: string[]): void {
  if (!isPlainObject(value)) {
    errors.push(`${path}: expected an object (${model}), got ${describe(value)}`);
    return;
  }
  const attributes = new Map(MODELS.get(model)!.attributeTypeMap.map((a) => [a.baseName, a]));
  for (const [key, v] of Object.entries(value)) {
    const attribute = attributes.get(key);
    const at = path ? `${path}.${key}` : key;
    if (!attribute) errors.push(`${at}: unknown field (${model} has ${[...attributes.keys()].join(", ")})`);
    else checkValue(v, attribute.type, attribute.format, at, errors);
  }
  for (const field of requiredFields(model)) if (!(field in value)) errors.push(`${path ? `${path}.` : ""}${field}: required field missing (${model})`);
}

/** Problems of one object against the Kubernetes schema, each as `path: message`; [] when valid. */
export function validateObject(object: unknown): string[] {
  if (!isPlainObject(object)) return [`(root): expected an object, got ${describe(object)}`];
  const key = `${String(object["apiVersion"])}/${String(object["kind"])}`;
  const model = KINDS[key];
  if (!model) return [`(root): no schema for apiVersion/kind ${key} (known: ${Object.keys(KINDS).join(", ")})`];
  if (!MODELS.has(model)) return [`(root): @kubernetes/client-node has no model ${model}`];
  const errors: string[] = [];
  checkModel(object, model, "", errors);
  return errors;
}
