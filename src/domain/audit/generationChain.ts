/**
 * The generation chain: binds each matrix generation's content into the audit trail. Pure.
 *
 * - `contentDigest` = hex SHA-256 over the generation's classes, members and connections, each as
 *   one RFC 8785 JSON line, in a fixed order: scheme 1 hashes every line at once (matrixDigest),
 *   schemes 2 and 3 hash them in buckets and then the buckets' digests (matrixDigestTree.ts: a
 *   commit updates it in the time of what it changed; scheme 3's buckets are finer, in groups).
 *   A row records its scheme. Recomputed from the rows
 *   valid at the generation, it changes when any row of it is updated, deleted, inserted or re-dated.
 * - Each generation row stores `prevHash` (the previous generation's `hash`, GENESIS_HASH for the
 *   first chained one), the revision chain head at commit (`revisionSeq`, `revisionHash`), and
 *   `hash` = SHA-256(prevHash || canonical({v, cluster, generation, createdAt, contentDigest,
 *   revisionSeq, revisionHash})). So a changed matrix row, a changed generation row, a removed generation, or a
 *   rewritten revision chain under it (its head no longer matches) all break `audit verify`.
 * Generations committed before this chain existed have no hash: they are reported as unchained.
 */
import { createHash } from "node:crypto";
import type { MatrixSnapshot } from "../repositories.js";
import { canonicalize, GENESIS_HASH } from "./hashChain.js";
import { MatrixDigestState } from "./matrixDigestState.js";
import { DIGEST_TREE_SCHEME, MatrixDigestTree, type DigestTreeScheme } from "./matrixDigestTree.js";

export const GENERATION_CHAIN_VERSION = 1;

export interface GenerationLink {
  readonly cluster: string;
  readonly generation: number;
  /** When the generation was computed (ISO 8601, ms): what time-travel queries (`at`) select by. */
  readonly createdAt: string;
  readonly contentDigest: string;
  readonly revisionSeq: bigint;
  readonly revisionHash: string;
}

export interface ChainedGeneration extends GenerationLink {
  readonly prevHash: string;
  readonly hash: string;
}

/** The content digest of one generation's matrix, scheme 1 (independent of map order). */
export function matrixDigest(snapshot: MatrixSnapshot): string {
  return MatrixDigestState.of(snapshot).digest();
}

/** The content digest schemes a generation row can record (`content_digest_scheme`). */
export type DigestScheme = 1 | DigestTreeScheme;

/** The scheme new generations are committed with. */
export const CURRENT_DIGEST_SCHEME: DigestTreeScheme = DIGEST_TREE_SCHEME;

/** The content digest of one generation's matrix under `scheme`. */
export function matrixDigestOf(snapshot: MatrixSnapshot, scheme: DigestScheme): string {
  return scheme === 1 ? matrixDigest(snapshot) : MatrixDigestTree.of(snapshot, scheme).digest();
}

/** A stored scheme number, or an error naming it (a row written by a newer kubereach, or changed). */
export function digestSchemeOf(stored: number | null | undefined): DigestScheme | undefined {
  if (stored === null || stored === undefined || stored === 1) return 1;
  return stored === 2 || stored === 3 ? stored : undefined;
}

export function hashGeneration(prevHash: string, link: GenerationLink): string {
  const canonical = canonicalize({
    v: GENERATION_CHAIN_VERSION,
    cluster: link.cluster,
    generation: link.generation,
    createdAt: link.createdAt,
    contentDigest: link.contentDigest,
    revisionSeq: link.revisionSeq.toString(),
    revisionHash: link.revisionHash,
  });
  return createHash("sha256").update(prevHash, "utf8").update(canonical, "utf8").digest("hex");
}

export type GenerationChainResult =
  | { readonly ok: true; readonly verified: number; readonly unchained: number; readonly head?: { readonly generation: number; readonly hash: string } }
  | { readonly ok: false; readonly verified: number; readonly generation: number; readonly reason: string };

/** A stored generation row as verification reads it (hash fields null before the chain existed). */
export interface StoredGenerationLink {
  readonly generation: number;
  readonly createdAt: string;
  readonly contentDigest: string | null;
  readonly revisionSeq: bigint | null;
  readonly revisionHash: string | null;
  readonly prevHash: string | null;
  readonly hash: string | null;
  /** How contentDigest was computed (absent: scheme 1, as before schemes were recorded). */
  readonly digestScheme?: number;
}

/**
 * Verifies the generation chain of one cluster. `rows` in generation order; `digestAt(g)`
 * recomputes a generation's content digest from its stored rows under the row's scheme; `revisionHashAt(seq)` is the
 * stored revision hash at that seq (GENESIS_HASH for 0), or undefined when there is none.
 */
export async function verifyGenerationChain(
  cluster: string,
  rows: AsyncIterable<StoredGenerationLink> | Iterable<StoredGenerationLink>,
  digestAt: (generation: number, scheme: DigestScheme) => Promise<string>,
  revisionHashAt: (seq: bigint) => Promise<string | undefined>,
): Promise<GenerationChainResult> {
  let verified = 0;
  let unchained = 0;
  let prev: { generation: number; hash: string } | undefined;
  for await (const r of rows) {
    if (r.hash === null) {
      if (prev) return { ok: false, verified, generation: r.generation, reason: "an unchained generation after chained ones (its hash was removed)" };
      unchained++;
      continue;
    }
    if (prev && r.generation !== prev.generation + 1) return { ok: false, verified, generation: prev.generation + 1, reason: `generation ${prev.generation + 1} is missing` };
    const expectedPrev = prev?.hash ?? GENESIS_HASH;
    if (r.prevHash !== expectedPrev) return { ok: false, verified, generation: r.generation, reason: "it does not link to the generation before it" };
    if (r.contentDigest === null || r.revisionSeq === null || r.revisionHash === null) return { ok: false, verified, generation: r.generation, reason: "its chain fields are incomplete" };
    const link: GenerationLink = { cluster, generation: r.generation, createdAt: r.createdAt, contentDigest: r.contentDigest, revisionSeq: r.revisionSeq, revisionHash: r.revisionHash };
    if (hashGeneration(r.prevHash, link) !== r.hash) return { ok: false, verified, generation: r.generation, reason: "its hash does not match its fields (the generation row was changed)" };
    const scheme = digestSchemeOf(r.digestScheme);
    if (scheme === undefined) return { ok: false, verified, generation: r.generation, reason: `its content digest scheme ${r.digestScheme} is not one this version knows` };
    const digest = await digestAt(r.generation, scheme);
    if (digest !== r.contentDigest) return { ok: false, verified, generation: r.generation, reason: "its matrix (classes, members or connections) differs from what was committed" };
    const revisionHash = await revisionHashAt(r.revisionSeq);
    if (revisionHash !== r.revisionHash)
      return { ok: false, verified, generation: r.generation, reason: `the revision chain at seq ${r.revisionSeq} is not the one this generation was committed on` };
    prev = { generation: r.generation, hash: r.hash };
    verified++;
  }
  return { ok: true, verified, unchained, ...(prev ? { head: prev } : {}) };
}
