/**
 * Manifests on disk -> WorldInput. The file-system edge of the manifest reader: lists and reads
 * the files, then hands the parsed documents to the pure parseManifestText and toWorldInput.
 * A path that cannot be read at all is a typed error (NotFoundError, BadInputError); problems inside
 * files (syntax, an unreadable file in a directory, a mistyped field) are diagnostics, so a caller
 * can choose to skip what is broken and use the rest.
 */
import { readFile, stat } from "node:fs/promises";
import { sep } from "node:path";
import { BadInputError, NotFoundError } from "../../app/errors.js";
import type { Diagnostic } from "../../engine/index.js";
import { listManifestFiles } from "./listManifestFiles.js";
import { sortByOrigin } from "./origin.js";
import { parseManifestText } from "./parseManifestText.js";
import { toWorldInput, type MappingOptions } from "./toWorldInput.js";
import type { ManifestObject, ManifestWarning, ReadResult } from "./types.js";

export interface ReadProgress {
  readonly filesRead: number;
  readonly filesTotal: number;
  /** Documents read so far (a List counts as one until it is expanded). */
  readonly documents: number;
}

export interface ReadManifestsOptions extends MappingOptions {
  /** Called after each file; callers decide whether and how often to show it. */
  readonly onProgress?: (progress: ReadProgress) => void;
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

  const shownFiles = files.map((f) => f.split(sep).join("/"));
  const objects: ManifestObject[] = [];
  const diagnostics: Diagnostic[] = [];
  let documents = 0;
  for (const [i, file] of files.entries()) {
    const shown = shownFiles[i]!;
    try {
      const text = await readFile(file, "utf8");
      const parsed = parseManifestText(text.startsWith("\uFEFF") ? text.slice(1) : text, shown);
      objects.push(...parsed.objects);
      diagnostics.push(...parsed.diagnostics);
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
