/**
 * Manifests on disk -> WorldInput. The file-system edge of the manifest reader: lists and reads
 * the files, then hands the parsed documents to the pure parseManifestText and toWorldInput.
 * A path that cannot be read at all is a typed error (NotFoundError, BadInputError); problems inside
 * files (syntax, an unreadable file in a directory, a mistyped field) are diagnostics, so a caller
 * can choose to skip what is broken and use the rest.
 */
import { open, stat } from "node:fs/promises";
import { sep } from "node:path";
import { BadInputError, NotFoundError } from "../../domain/errors.js";
import type { Diagnostic } from "../../engine/index.js";
import { DEFAULT_MANIFEST_LIMITS, formatBytes, type ManifestLimits } from "./limits.js";
import { listManifestFiles } from "./listManifestFiles.js";
import { sortByOrigin } from "./origin.js";
import { parseManifestText } from "./parseManifestText.js";
import { toWorldInput, type MappingOptions } from "./toWorldInput.js";
import type { ManifestObject, ManifestWarning, ReadResult } from "./types.js";
import { appendAll } from "../../engine/util/appendAll.js";

export interface ReadProgress {
  readonly filesRead: number;
  readonly filesTotal: number;
  /** Documents read so far (a List counts as one until it is expanded). */
  readonly documents: number;
}

export interface ReadManifestsOptions extends MappingOptions {
  /** Called after each file; callers decide whether and how often to show it. */
  readonly onProgress?: (progress: ReadProgress) => void;
  /** Bounds on each file (docs/input-limits.md). */
  readonly limits?: ManifestLimits;
}

export async function readManifests(path: string, options: ReadManifestsOptions = {}): Promise<ReadResult> {
  const info = await stat(path).catch((e: unknown) => {
    throw fsError(path, e);
  });
  const files = info.isDirectory()
    ? await listManifestFiles(path).catch((e: unknown) => {
        throw fsError(path, e);
      })
    : [path];

  const limits = options.limits ?? DEFAULT_MANIFEST_LIMITS;
  const shownFiles = files.map((f) => f.split(sep).join("/"));
  const objects: ManifestObject[] = [];
  const diagnostics: Diagnostic[] = [];
  let documents = 0;
  for (const [i, file] of files.entries()) {
    const shown = shownFiles[i]!;
    try {
      const text = await readBounded(file, limits);
      if (text === undefined) {
        // Refused before reading: a file this large is not a manifest anyone wrote by hand.
        diagnostics.push({ severity: "error", code: "INVALID_OBJECT", object: "file", field: "(file)", message: `the file is larger than ${formatBytes(limits.maxBytes)}; it is not read`, origin: shown });
        options.onProgress?.({ filesRead: i + 1, filesTotal: files.length, documents });
        continue;
      }
      const parsed = parseManifestText(text.startsWith("\uFEFF") ? text.slice(1) : text, shown, limits);
      appendAll(objects, parsed.objects);
      appendAll(diagnostics, parsed.diagnostics);
      documents += parsed.documents;
    } catch (e) {
      if (!info.isDirectory()) throw fsError(path, e);
      diagnostics.push({ severity: "error", code: "INVALID_OBJECT", object: "file", field: "(file)", message: `cannot read the file: ${errorText(e)}`, origin: shown });
    }
    options.onProgress?.({ filesRead: i + 1, filesTotal: files.length, documents });
  }

  const mapped = toWorldInput(objects, options);
  const warnings: ManifestWarning[] = [...mapped.warnings];
  if (info.isDirectory() && files.length === 0)
    warnings.unshift({ code: "NO_MANIFESTS", path, message: `no .yaml, .yml or .json files under ${path}` });
  return {
    world: mapped.world,
    files: shownFiles,
    diagnostics: sortByOrigin([...diagnostics, ...mapped.diagnostics], shownFiles),
    warnings,
    stats: { files: files.length, documents, ...mapped.stats },
  };
}

/** The file's text, or undefined when it is larger than the limit (its size is checked before it is read). */
async function readBounded(file: string, limits: ManifestLimits): Promise<string | undefined> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size > limits.maxBytes) return undefined;
    // Read at most one byte past the limit: the file may have grown since it was measured.
    const buffer = Buffer.alloc(Math.min(size, limits.maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limits.maxBytes) return undefined;
    return buffer.subarray(0, length).toString("utf8");
  } finally {
    await handle.close();
  }
}

function fsError(path: string, e: unknown): Error {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "ENOENT" || code === "ENOTDIR") return new NotFoundError(`${path}: no such file or directory`, { cause: e });
  return new BadInputError(`${path}: cannot read: ${errorText(e)}`, { cause: e });
}

function errorText(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown } | null;
  if (err && typeof err.code === "string" && typeof err.message === "string") return err.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "");
  return e instanceof Error ? e.message : String(e);
}
