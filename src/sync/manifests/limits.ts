/**
 * Bounds on manifest input, checked before the work they protect (docs/input-limits.md). A manifest
 * tree or a what-if request is hostile input as far as the reader knows: YAML aliases can make a
 * small text stand for a huge value, and a value can refer to itself. Every bound here is far above
 * what a real manifest needs (the API server refuses requests over 3 MiB, etcd objects over 1.5 MiB).
 */
export interface ManifestLimits {
  /** Characters of one file or request body. */
  readonly maxBytes: number;
  /** Nodes (mappings, sequences, scalars) of one file, each alias counted as the nodes it stands for. */
  readonly maxNodes: number;
  /** Characters of all scalars of one file, each alias counted as the text it stands for. */
  readonly maxExpandedBytes: number;
  /** Nesting depth of a document, aliases expanded. */
  readonly maxDepth: number;
  /** Alias nodes of one document (the yaml library's own guard, `maxAliasCount`). */
  readonly maxAliasCount: number;
}

/** A manifest file on disk (serve --manifests, analyze and the other commands). */
export const DEFAULT_MANIFEST_LIMITS: ManifestLimits = {
  maxBytes: 8 * 1024 * 1024,
  // A plain file has about one node per 5 characters (20,000 pods in 3.4 MB: 620,000 nodes).
  maxNodes: 4_000_000,
  maxExpandedBytes: 32 * 1024 * 1024,
  maxDepth: 100,
  maxAliasCount: 1000,
};

/** The manifests of one API request (simulate): the body limit is 1 MB, so aliases are what could make it big. */
export const REQUEST_MANIFEST_LIMITS: ManifestLimits = {
  maxBytes: 1024 * 1024,
  maxNodes: 500_000,
  maxExpandedBytes: 4 * 1024 * 1024,
  maxDepth: 100,
  maxAliasCount: 1000,
};

/** Bytes as people read them: `8 MiB`, `300 KiB`, `512 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n.toLocaleString("en-US")} bytes`;
}
