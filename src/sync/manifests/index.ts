/**
 * The manifest reader's public API: YAML/JSON manifests (files, directories, Lists) -> the engine's
 * WorldInput, with diagnostics in the engine's Diagnostic shape and warnings for ignored kinds.
 */
export { readManifests, type ReadManifestsOptions, type ReadProgress } from "./readManifests.js";
export { toWorldInput, type MappingOptions } from "./toWorldInput.js";
export { parseManifestText, type ParsedText } from "./parseManifestText.js";
export { listManifestFiles } from "./listManifestFiles.js";
export { climbOwners } from "./ownership.js";
export { documentOrigin, itemOrigin, sortByOrigin } from "./origin.js";
export type { ManifestObject, ManifestStats, ManifestWarning, MappingResult, MappingStats, ReadResult } from "./types.js";
export { DEFAULT_MANIFEST_LIMITS, REQUEST_MANIFEST_LIMITS, formatBytes, type ManifestLimits } from "./limits.js";
