/**
 * Text of one manifest file -> its documents. Pure. YAML is read the way kubectl reads it
 * (sigs.k8s.io/yaml over go-yaml v2, i.e. YAML 1.1): `yes`/`on` are booleans and `0755` is octal,
 * but timestamps and base-60 numbers stay strings, as go-yaml v2 leaves them when decoding into
 * untyped values. JSON is parsed by the same parser (JSON is YAML), so errors carry line and column
 * either way. Empty documents (`---` alone, comments only, `null`) are skipped, as kubectl does.
 * The bounds of limits.ts are checked before the work they protect: the length of the text before
 * parsing, and each document's expanded size, depth, cycles and duplicate keys on its syntax tree
 * before any value is built (checkYamlBounds.ts). Never throws: every problem is a diagnostic.
 */
import { LineCounter, parseAllDocuments, type Document, type Tags } from "yaml";
import type { Diagnostic } from "../../engine/index.js";
import { checkYamlBounds, type YamlBudget } from "./checkYamlBounds.js";
import { DEFAULT_MANIFEST_LIMITS, formatBytes, type ManifestLimits } from "./limits.js";
import { documentOrigin } from "./origin.js";
import type { ManifestObject } from "./types.js";

export interface ParsedText {
  readonly objects: readonly ManifestObject[];
  /** Documents in the file, empty ones included (they keep their index in origins). */
  readonly documents: number;
  readonly diagnostics: readonly Diagnostic[];
  /** The text went past a bound of limits.ts (size, nodes or text after aliases, depth): a request should be refused as too large. */
  readonly overLimit?: boolean;
}

const dropTimestampsAndSexagesimal = (tags: Tags): Tags =>
  tags.filter((t) => !(typeof t === "object" && (t.tag === "tag:yaml.org,2002:timestamp" || t.format === "TIME")));

export function parseManifestText(text: string, file: string, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS): ParsedText {
  const syntax = /\.json$/i.test(file) ? "JSON" : "YAML";
  if (text.length > limits.maxBytes) {
    const message = `the text is larger than ${formatBytes(limits.maxBytes)} (${text.length.toLocaleString("en-US")} characters); nothing in it is read`;
    return { objects: [], documents: 0, diagnostics: [{ severity: "error", code: "INVALID_OBJECT", object: syntax, field: "(file)", message, origin: file }], overLimit: true };
  }
  const lineCounter = new LineCounter();
  // uniqueKeys: false: the library's duplicate-key check is quadratic per mapping; checkYamlBounds has a linear one.
  const docs = parseDocuments(text, lineCounter);
  if (!Array.isArray(docs)) return { objects: [], documents: 0, diagnostics: [{ severity: "error", code: "INVALID_OBJECT", object: syntax, field: "(file)", message: docs.message, origin: file }] };
  const objects: ManifestObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const budget: YamlBudget = { nodes: 0, bytes: 0 };
  let overLimit = false;
  for (const [i, doc] of docs.entries()) {
    const origin = documentOrigin(file, i);
    if (doc.errors.length > 0) {
      // One diagnostic per broken document: later errors usually follow from the first.
      const e = doc.errors[0]!;
      const at = e.linePos?.[0];
      // The library's composer recurses: a document nested far past maxDepth overflows it, and it reports that as an error.
      const tooDeep = /call stack/i.test(e.message);
      overLimit ||= tooDeep;
      diagnostics.push({
        severity: "error",
        code: "INVALID_OBJECT",
        object: syntax,
        field: at ? `line ${at.line}, column ${at.col}` : "(document)",
        message: `${tooDeep ? `the document nests too deeply to parse (limit ${limits.maxDepth} levels)` : firstSentence(e.message)} (the document is skipped)`,
        origin,
      });
      continue;
    }
    const violation = checkYamlBounds(doc, limits, budget);
    if (violation) {
      overLimit ||= violation.kind === "size" || violation.kind === "depth";
      const at = lineCounter.linePos(violation.offset);
      diagnostics.push({ severity: "error", code: "INVALID_OBJECT", object: syntax, field: `line ${at.line}, column ${at.col}`, message: `${violation.message} (the document is skipped)`, origin });
      // Past a file-wide bound the rest of the file is not read either: it would only add to it.
      if (budget.nodes > limits.maxNodes || budget.bytes > limits.maxExpandedBytes) break;
      continue;
    }
    try {
      const value = doc.toJS({ maxAliasCount: limits.maxAliasCount }) as unknown;
      if (value !== null && value !== undefined) objects.push({ value, origin });
    } catch (e) {
      // toJS refuses alias bombs and bad merge keys.
      const message = e instanceof Error ? e.message : String(e);
      diagnostics.push({ severity: "error", code: "INVALID_OBJECT", object: syntax, field: "(document)", message: `${firstSentence(message)} (the document is skipped)`, origin });
    }
  }
  return { objects, documents: docs.length, diagnostics, ...(overLimit && { overLimit }) };
}

function parseDocuments(text: string, lineCounter: LineCounter): Document.Parsed[] | Error {
  try {
    const docs = parseAllDocuments(text, { version: "1.1", customTags: dropTimestampsAndSexagesimal, prettyErrors: true, uniqueKeys: false, lineCounter });
    return Array.isArray(docs) ? docs : [];
  } catch (e) {
    // The parser is not expected to throw; if it does (e.g. out of stack), the file is refused, not the process.
    return new Error(`cannot parse the text: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The yaml library appends " at line L, column C:" and a source excerpt; the position has its own field. */
function firstSentence(message: string): string {
  const cut = message.search(/ at line \d+, column \d+/);
  return (cut >= 0 ? message.slice(0, cut) : message.split("\n")[0]!).trim();
}
