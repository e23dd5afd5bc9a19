/**
 * Shapes shared by the manifest reader's modules. A ManifestObject is one parsed YAML/JSON document
 * (or List item) with the `origin` that names where it came from: `path/to/file.yaml#<document>`
 * (0-based document index in the file), plus `.items[<i>]` for each level of List it sat in.
 */
import type { Diagnostic, WorldInput } from "../../engine/index.js";

export interface ManifestObject {
  /** The parsed document, not validated yet. */
  readonly value: unknown;
  readonly origin: string;
}

/** Input that is accepted but not used: one per kind, so a large dump does not drown the output. */
export type ManifestWarning =
  | {
      readonly code: "IGNORED_KIND";
      readonly kind: string;
      readonly apiVersion: string;
      readonly count: number;
      readonly firstOrigin: string;
      readonly message: string;
    }
  | { readonly code: "NO_MANIFESTS"; readonly path: string; readonly message: string };

export interface MappingStats {
  /** Objects after expanding Lists (the List wrappers themselves are not counted). */
  readonly objects: number;
  readonly namespaces: number;
  /** Pods read as such. */
  readonly pods: number;
  /** Pods that stand for a workload's pod template (no IP). */
  readonly templatePods: number;
  readonly workloads: number;
  readonly networkPolicies: number;
  /** Cluster-scoped tiered policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy); absent when none. */
  readonly tieredPolicies?: number;
  readonly ignored: number;
  /** Objects left out because of an error diagnostic. */
  readonly invalid: number;
}

export interface ManifestStats extends MappingStats {
  readonly files: number;
  readonly documents: number;
}

export interface MappingResult {
  readonly world: WorldInput;
  readonly diagnostics: readonly Diagnostic[];
  readonly warnings: readonly ManifestWarning[];
  readonly stats: MappingStats;
}

export interface ReadResult {
  readonly world: WorldInput;
  /** The files read, in reading order, as they appear in origins. */
  readonly files: readonly string[];
  /** Reader diagnostics (syntax, missing or mistyped fields): the engine's Diagnostic shape. */
  readonly diagnostics: readonly Diagnostic[];
  readonly warnings: readonly ManifestWarning[];
  readonly stats: ManifestStats;
}
