/**
 * Text of one manifest file -> its documents. Pure. YAML is read the way kubectl reads it
 * (sigs.k8s.io/yaml over go-yaml v2, i.e. YAML 1.1): `yes`/`on` are booleans and `0755` is octal,
 * but timestamps and base-60 numbers stay strings, as go-yaml v2 leaves them when decoding into
 * untyped values. JSON is parsed by the same parser (JSON is YAML), so errors carry line and column
 * either way. Empty documents (`---` alone, comments only, `null`) are skipped, as kubectl does.
 */
import { parseAllDocuments, type Tags } from "yaml";
import type { Diagnostic } from "../../engine/index.js";
import { documentOrigin } from "./origin.js";
import type { ManifestObject } from "./types.js";

export interface ParsedText {
  readonly objects: readonly ManifestObject[];
  /** Documents in the file, empty ones included (they keep their index in origins). */
  readonly documents: number;
  readonly diagnostics: readonly Diagnostic[];
}

const dropTimestampsAndSexagesimal = (tags: Tags): Tags =>
  tags.filter((t) => !(typeof t === "object" && (t.tag === "tag:yaml.org,2002:timestamp" || t.format === "TIME")));

export function parseManifestText(text: string, file: string): ParsedText {
  const syntax = /\.json$/i.test(file) ? "JSON" : "YAML";
  const docs = parseAllDocuments(text, { version: "1.1", customTags: dropTimestampsAndSexagesimal, prettyErrors: true });
  const objects: ManifestObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const [i, doc] of docs.entries()) {
    const origin = documentOrigin(file, i);
    if (doc.errors.length > 0) {
      // One diagnostic per broken document: later errors usually follow from the first.
      const e = doc.errors[0]!;
      const at = e.linePos?.[0];
      diagnostics.push({
        severity: "error",
        code: "INVALID_OBJECT",
        object: syntax,
        field: at ? `line ${at.line}, column ${at.col}` : "(document)",
        message: `${firstSentence(e.message)} (the document is skipped)`,
        origin,
      });
      continue;
    }
    try {
      const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
      if (value !== null && value !== undefined) objects.push({ value, origin });
    } catch (e) {
      // toJS refuses alias bombs and bad merge keys.
      const message = e instanceof Error ? e.message : String(e);
      diagnostics.push({ severity: "error", code: "INVALID_OBJECT", object: syntax, field: "(document)", message: `${firstSentence(message)} (the document is skipped)`, origin });
    }
  }
  return { objects, documents: docs.length, diagnostics };
}

/** The yaml library appends " at line L, column C:" and a source excerpt; the position has its own field. */
function firstSentence(message: string): string {
  const cut = message.search(/ at line \d+, column \d+/);
  return (cut >= 0 ? message.slice(0, cut) : message.split("\n")[0]!).trim();
}
