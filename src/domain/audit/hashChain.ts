/**
 * The hash chain of the policy history, as pure functions: RFC 8785 canonical JSON, the revision
 * hash, and chain verification. No database, no Prisma: `kubereach audit verify` runs it over the
 * store, and an auditor can run it over an exported file with nothing else.
 *
 * Definition (docs/design/sync-and-store.md):
 * - `canonical` = RFC 8785 (JCS) serialisation of the revision's fields (see `canonicalRevision`).
 *   It is stored verbatim next to the row, because jsonb normalises what it stores.
 * - `hash` = lowercase hex SHA-256 of the UTF-8 bytes of `prevHash` (64 hex characters) followed
 *   by the UTF-8 bytes of `canonical`.
 * - Per cluster, `seq` runs 1, 2, 3... without gaps; the first `prevHash` is GENESIS_HASH and each
 *   later one is the `hash` of the revision before it.
 * The chain proves that rows were not edited, removed from the middle or reordered. It cannot
 * prove that the newest rows were not cut off: that needs a head published elsewhere (a signed
 * checkpoint, RELIABILITY.md 2.3).
 */
import { createHash } from "node:crypto";
import type { JsonValue } from "../objects.js";

export const GENESIS_HASH = "0".repeat(64);

/** Version of the field set below; part of `canonical`, so a future change cannot be confused with it. */
export const CANONICAL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// RFC 8785 JSON Canonicalization Scheme

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * RFC 8785 canonical JSON of `value`: object members sorted by their UTF-16 code units, no
 * whitespace, numbers and strings serialised as ECMAScript's JSON.stringify does (which is what the
 * RFC prescribes). Properties whose value is `undefined` are skipped, as JSON.stringify (and so
 * the jsonb copy) does. Throws TypeError on what I-JSON cannot carry: non-finite numbers, lone
 * surrogates, and non-JSON values (bigint, Date, functions, class instances).
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join("");
}

function write(v: unknown, out: string[]): void {
  if (v === null) {
    out.push("null");
    return;
  }
  switch (typeof v) {
    case "boolean":
      out.push(v ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(v)) throw new TypeError(`canonicalize: ${v} is not a JSON number`);
      out.push(JSON.stringify(v)); // ECMAScript Number-to-String, as RFC 8785 section 3.2.2.3 requires; -0 -> "0"
      return;
    case "string":
      out.push(jsonString(v));
      return;
    case "object":
      break;
    default:
      throw new TypeError(`canonicalize: a ${typeof v} is not JSON`);
  }
  if (Array.isArray(v)) {
    out.push("[");
    v.forEach((item, i) => {
      if (i > 0) out.push(",");
      write(item === undefined ? null : item, out);
    });
    out.push("]");
    return;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`canonicalize: a ${(v as object).constructor?.name ?? "class instance"} is not JSON (convert it first)`);
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort(); // default sort compares UTF-16 code units: exactly RFC 8785 section 3.2.3
  out.push("{");
  keys.forEach((k, i) => {
    if (i > 0) out.push(",");
    out.push(jsonString(k), ":");
    write(obj[k], out);
  });
  out.push("}");
}

/** A string as RFC 8785 writes it (canonicalize of a string; exported for callers that build a line of strings directly). */
export function jsonString(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new TypeError("canonicalize: a string contains a lone surrogate (not I-JSON)");
  return JSON.stringify(s); // escapes exactly ", \, and U+0000..U+001F (\b \t \n \f \r or \u00xx): RFC 8785 3.2.2.2
}

// ---------------------------------------------------------------------------------------------
// Revisions

/** The fields a revision's hash covers. Exported files carry seq as a decimal string and observedAt as ISO 8601. */
export interface ChainFields {
  readonly clusterId: string;
  readonly seq: bigint | number | string;
  readonly objectKind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly operation: string;
  readonly before: JsonValue | null;
  readonly after: JsonValue | null;
  readonly diff: JsonValue;
  readonly observedAt: Date | string;
  readonly observedVia: string;
  readonly finalStateUnknown: boolean;
  readonly sourceRef: string | null;
}

/** A stored (or exported) revision as the chain sees it. */
export interface ChainRecord extends ChainFields {
  readonly prevHash: string;
  readonly hash: string;
  readonly canonical: string;
}

/** The canonical text of a revision: what is stored in `canonical` and hashed. */
export function canonicalRevision(f: ChainFields): string {
  return canonicalize({
    v: CANONICAL_VERSION,
    clusterId: f.clusterId,
    seq: BigInt(f.seq).toString(),
    objectKind: f.objectKind,
    namespace: f.namespace,
    name: f.name,
    uid: f.uid,
    resourceVersion: f.resourceVersion,
    operation: f.operation,
    before: f.before,
    after: f.after,
    diff: f.diff,
    observedAt: isoMillis(f.observedAt),
    observedVia: f.observedVia,
    finalStateUnknown: f.finalStateUnknown,
    sourceRef: f.sourceRef,
  });
}

export function chainHash(prevHash: string, canonical: string): string {
  return createHash("sha256").update(prevHash, "utf8").update(canonical, "utf8").digest("hex");
}

/** Canonicalises `fields` and chains them onto `prevHash`. */
export function hashRevision(prevHash: string, fields: ChainFields): { readonly canonical: string; readonly hash: string } {
  const canonical = canonicalRevision(fields);
  return { canonical, hash: chainHash(prevHash, canonical) };
}

function isoMillis(t: Date | string): string {
  const d = typeof t === "string" ? new Date(t) : t;
  if (Number.isNaN(d.getTime())) throw new TypeError(`observedAt ${String(t)} is not a valid time`);
  return d.toISOString();
}

// ---------------------------------------------------------------------------------------------
// Verification

export type ChainBreakReason = "seq-gap" | "prev-link-broken" | "canonical-mismatch" | "hash-mismatch";

export interface ChainBreak {
  /** The first revision that does not verify. */
  readonly seq: bigint;
  readonly reason: ChainBreakReason;
  readonly message: string;
}

export type ChainVerification =
  | { readonly ok: true; readonly count: number; readonly head: { readonly seq: bigint; readonly hash: string } }
  | { readonly ok: false; readonly count: number; readonly broken: ChainBreak };

/**
 * Checks revisions one at a time, in seq order, from seq 1. Each must continue the sequence, link
 * to the previous hash, carry the canonical text its own fields produce, and hash to its `hash`.
 */
export class ChainVerifier {
  private expectedSeq = 1n;
  private prevHash = GENESIS_HASH;
  private verified = 0;
  private broken: ChainBreak | undefined;

  /** Returns the break if `r` is the first bad record; after a break, further records are ignored. */
  push(r: ChainRecord): ChainBreak | undefined {
    if (this.broken) return undefined;
    const seq = BigInt(r.seq);
    const fail = (reason: ChainBreakReason, message: string): ChainBreak => (this.broken = { seq, reason, message });
    if (seq !== this.expectedSeq) {
      return fail("seq-gap", `expected seq ${this.expectedSeq}, found ${seq}`);
    }
    if (r.prevHash !== this.prevHash) {
      return fail("prev-link-broken", `prevHash ${r.prevHash} is not the hash of seq ${seq - 1n} (${this.prevHash})`);
    }
    let canonical: string;
    try {
      canonical = canonicalRevision(r);
    } catch (e) {
      return fail("canonical-mismatch", `fields cannot be canonicalised: ${(e as Error).message}`);
    }
    if (canonical !== r.canonical) {
      return fail("canonical-mismatch", "the stored fields do not produce the stored canonical text (a field was changed)");
    }
    if (chainHash(r.prevHash, r.canonical) !== r.hash) {
      return fail("hash-mismatch", "sha256(prevHash || canonical) does not equal the stored hash");
    }
    this.expectedSeq = seq + 1n;
    this.prevHash = r.hash;
    this.verified++;
    return undefined;
  }

  result(): ChainVerification {
    if (this.broken) return { ok: false, count: this.verified, broken: this.broken };
    return { ok: true, count: this.verified, head: { seq: this.expectedSeq - 1n, hash: this.prevHash } };
  }
}

/**
 * Verifies a whole chain (one cluster's revisions in seq order) and reports the first broken
 * revision. Stops reading at the first break.
 */
export function verifyChain(records: Iterable<ChainRecord>): ChainVerification;
export function verifyChain(records: AsyncIterable<ChainRecord>): Promise<ChainVerification>;
export function verifyChain(records: Iterable<ChainRecord> | AsyncIterable<ChainRecord>): ChainVerification | Promise<ChainVerification> {
  const v = new ChainVerifier();
  if (Symbol.asyncIterator in records) {
    return (async () => {
      for await (const r of records) if (v.push(r)) break;
      return v.result();
    })();
  }
  for (const r of records) if (v.push(r)) break;
  return v.result();
}
