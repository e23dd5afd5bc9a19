/**
 * The Kubernetes manifests of deploy/, read document by document. Each file is parsed as YAML 1.2
 * (what the tests and kubereach's reader use) and as YAML 1.1 (what kubectl's go-yaml uses): a
 * value that differs between the two (`yes`, `0440`, `on`...) is an error, since the cluster would
 * not get what the tests checked.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { REPO } from "../packaging/dockerfile.js";

export const DEPLOY = join(REPO, "deploy");

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

export interface LoadedDocument {
  readonly file: string;
  readonly index: number;
  readonly object: K8sObject;
}

function parseFile(text: string, version: "1.1" | "1.2", file: string): unknown[] {
  return parseAllDocuments(text, { version, prettyErrors: true, uniqueKeys: true }).map((doc, i) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${file}#${i} (YAML ${version}): ${problems.map((p) => p.message).join("; ")}`);
    return doc.toJS() as unknown;
  });
}

export function yamlFiles(): string[] {
  return readdirSync(DEPLOY)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

/** Every document of every YAML file in deploy/ (the kustomization included), in file order. */
export function loadDeploy(): LoadedDocument[] {
  const out: LoadedDocument[] = [];
  for (const file of yamlFiles()) {
    const text = readFileSync(join(DEPLOY, file), "utf8");
    const docs12 = parseFile(text, "1.2", file);
    const docs11 = parseFile(text, "1.1", file);
    docs12.forEach((doc, index) => {
      if (!isDeepStrictEqual(doc, docs11[index])) throw new Error(`${file}#${index} reads differently as YAML 1.1 (kubectl) and 1.2: quote the ambiguous values`);
      if (doc !== null) out.push({ file, index, object: doc as K8sObject });
    });
  }
  return out;
}
