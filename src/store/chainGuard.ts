/**
 * Before appending to a cluster's revision chain, the store checks the head it appends to, so a
 * forged or edited row is reported instead of being built upon (and served as history):
 * - the head row (and every row after the last head this process appended or was told of, or the
 *   row before the head when there is none) must carry the canonical text its fields produce, hash
 *   to its stored hash and link to the row before it;
 * - the last head this process knows (its own last append, or an external anchor: see
 *   src/store/audit/anchor.ts) must still be in the chain with the same hash: history below it
 *   was not rewritten, and the chain was not cut back below it.
 * A failed check throws ChainIntegrityError and nothing is appended; sync reports the error and
 * retries, and keeps refusing until an operator restores the history (`kubereach audit verify`
 * names the row).
 */
import { canonicalRevision, chainHash, GENESIS_HASH } from "../domain/audit/hashChain.js";
import { ChainIntegrityError } from "./errors.js";
import type { Tx } from "./prisma.js";
import { toStoredRevision } from "./PrismaRevisionRepository.js";
import type { ChainHead, ChainHeadGuard, ClusterId } from "../domain/repositories.js";

/** Rows checked at most between a known head and the current one (a replica may have appended many). */
const MAX_CHECKED_ROWS = 50_000;

export class ChainGuard implements ChainHeadGuard {
  private readonly known = new Map<ClusterId, ChainHead>();

  /** A head this process trusts (its own append, or an anchored one). Only moves forward. */
  trust(cluster: ClusterId, head: ChainHead): void {
    const k = this.known.get(cluster);
    if (!k || head.seq >= k.seq) this.known.set(cluster, head);
  }

  knownHead(cluster: ClusterId): ChainHead | undefined {
    return this.known.get(cluster);
  }

  /** Checks the stored chain from the known head (or the row before `head`) up to `head`. */
  async check(tx: Tx, cluster: ClusterId, head: ChainHead): Promise<void> {
    const known = this.known.get(cluster);
    const refuse = (why: string) =>
      new ChainIntegrityError(`cluster ${cluster}: the stored revision history does not continue the chain kubereach appended: ${why}. Nothing was appended; run kubereach audit verify.`);
    if (known && head.seq < known.seq) throw refuse(`the head is seq ${head.seq}, below seq ${known.seq} which this service appended or anchored (rows were removed)`);
    if (head.seq === 0n) return;
    const from = known && known.seq > 0n ? known.seq : head.seq > 1n ? head.seq - 1n : 1n;
    if (head.seq - from > BigInt(MAX_CHECKED_ROWS)) throw refuse(`more than ${MAX_CHECKED_ROWS} rows were appended since seq ${from} by another writer`);
    const rows = (await tx.policyRevision.findMany({ where: { clusterId: cluster, seq: { gte: from, lte: head.seq } }, orderBy: { seq: "asc" } })).map(toStoredRevision);
    let prevHash: string | undefined;
    let expected = from;
    for (const r of rows) {
      if (r.seq !== expected) throw refuse(`seq ${expected} is missing`);
      if (r.seq === 1n && r.prevHash !== GENESIS_HASH) throw refuse("seq 1 does not start from the genesis hash");
      if (prevHash !== undefined && r.prevHash !== prevHash) throw refuse(`seq ${r.seq} does not link to seq ${r.seq - 1n}`);
      if (known && r.seq === known.seq && r.hash !== known.hash) throw refuse(`seq ${r.seq} is not the row this service appended or anchored (hash ${r.hash.slice(0, 12)}…, expected ${known.hash.slice(0, 12)}…)`);
      let canonical: string;
      try {
        canonical = canonicalRevision(r);
      } catch {
        throw refuse(`seq ${r.seq} has fields that cannot be canonicalised`);
      }
      if (canonical !== r.canonical) throw refuse(`seq ${r.seq}'s fields do not produce its canonical text (a field was changed)`);
      if (chainHash(r.prevHash, r.canonical) !== r.hash) throw refuse(`seq ${r.seq}'s hash does not match its canonical text`);
      prevHash = r.hash;
      expected++;
    }
    if (expected !== head.seq + 1n) throw refuse(`seq ${expected} is missing`);
  }
}
