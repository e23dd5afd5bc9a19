/**
 * Appending to the hash-chained history, inside a caller's transaction (applyChanges).
 *
 * Per cluster the chain must never fork and seq must stay gapless, so appends are serialised with
 * a transaction-scoped advisory lock (released at commit or rollback, safe with pooled connections).
 * Under the lock the head is read, revisions already stored (same uid, resourceVersion, operation:
 * a relist replaying a watched change) are dropped BEFORE seqs are assigned, and the rest get
 * head+1, head+2... The INSERT keeps `ON CONFLICT DO NOTHING` as the design requires; if it ever
 * skips a row anyway (a writer that bypassed the lock), the transaction is aborted rather than
 * leaving a gap in the chain.
 */
import { GENESIS_HASH, hashRevision } from "../domain/audit/hashChain.js";
import type { ChainGuard } from "./chainGuard.js";
import { ChainIntegrityError } from "./errors.js";
import { LOCK_NS, jsonTexts, type Tx } from "./prisma.js";
import { chunks } from "./bulkRows.js";
import { appendAll } from "../engine/util/appendAll.js";
import type { ChainHead, ClusterId, RevisionInput, StoredRevision } from "../domain/repositories.js";

export async function readChainHead(db: Pick<Tx, "$queryRaw">, cluster: ClusterId): Promise<ChainHead> {
  const rows = await db.$queryRaw<{ seq: bigint; hash: string }[]>`
    SELECT seq, hash FROM policy_revisions WHERE cluster_id = ${cluster} ORDER BY seq DESC LIMIT 1`;
  return rows[0] ?? { seq: 0n, hash: GENESIS_HASH };
}

const identity = (r: Pick<RevisionInput, "uid" | "resourceVersion" | "operation">) => JSON.stringify([r.uid, r.resourceVersion, r.operation]);

export async function appendRevisions(tx: Tx, cluster: ClusterId, inputs: readonly RevisionInput[], guard?: ChainGuard): Promise<StoredRevision[]> {
  if (inputs.length === 0) return [];
  // The first observation of a (uid, resourceVersion, operation) in a batch is the one recorded.
  const byIdentity = new Map<string, RevisionInput>();
  for (const r of inputs) if (!byIdentity.has(identity(r))) byIdentity.set(identity(r), r);
  const candidates = [...byIdentity.values()];

  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_NS.revisions}::int4, hashtext(${cluster}))`;

  // In chunks (bulkRows.ts): a relist of 15,000 policies is one batch.
  const stored: { uid: string; resource_version: string; operation: string }[] = [];
  for (const part of chunks(candidates)) {
    appendAll(stored, await tx.$queryRaw<{ uid: string; resource_version: string; operation: string }[]>`
      SELECT r.uid, r.resource_version, r.operation
      FROM policy_revisions r
      JOIN unnest(${part.map((r) => r.uid)}::text[], ${part.map((r) => r.resourceVersion)}::text[], ${part.map((r) => r.operation)}::text[])
        AS t(uid, rv, op) ON r.uid = t.uid AND r.resource_version = t.rv AND r.operation = t.op
      WHERE r.cluster_id = ${cluster}`);
  }
  const already = new Set(stored.map((s) => identity({ uid: s.uid, resourceVersion: s.resource_version, operation: s.operation as RevisionInput["operation"] })));
  const fresh = candidates.filter((r) => !already.has(identity(r)));
  if (fresh.length === 0) return [];

  const head = await readChainHead(tx, cluster);
  // The head appended to must be one kubereach wrote: a forged or edited row is refused, not extended.
  await guard?.check(tx, cluster, head);
  let prevHash = head.hash;
  const rows = fresh.map((r, i) => {
    const seq = head.seq + BigInt(i + 1);
    const linkedTo = prevHash;
    const { canonical, hash } = hashRevision(linkedTo, { ...r, clusterId: cluster, seq });
    prevHash = hash;
    return { ...r, clusterId: cluster, seq, canonical, prevHash: linkedTo, hash };
  });

  const inserted: { id: bigint; seq: bigint }[] = [];
  // Text arrays, not JSON: `canonical` must reach the table byte for byte as it was hashed.
  for (const part of chunks(rows)) {
    appendAll(inserted, await tx.$queryRaw<{ id: bigint; seq: bigint }[]>`
      INSERT INTO policy_revisions (cluster_id, seq, object_kind, namespace, name, uid, resource_version, operation,
        before, after, diff, observed_at, observed_via, final_state_unknown, source_ref, canonical, prev_hash, hash)
      SELECT ${cluster}, t.seq, t.object_kind, t.namespace, t.name, t.uid, t.resource_version, t.operation,
        t.before::jsonb, t.after::jsonb, t.diff::jsonb, t.observed_at, t.observed_via, t.final_state_unknown, t.source_ref,
        t.canonical, t.prev_hash, t.hash
      FROM unnest(
        ${part.map((r) => r.seq.toString())}::int8[], ${part.map((r) => r.objectKind)}::text[], ${part.map((r) => r.namespace)}::text[],
        ${part.map((r) => r.name)}::text[], ${part.map((r) => r.uid)}::text[], ${part.map((r) => r.resourceVersion)}::text[],
        ${part.map((r) => r.operation)}::text[], ${jsonTexts(part.map((r) => r.before))}::text[], ${jsonTexts(part.map((r) => r.after))}::text[],
        ${part.map((r) => JSON.stringify(r.diff))}::text[], ${part.map((r) => r.observedAt.toISOString())}::timestamptz[],
        ${part.map((r) => r.observedVia)}::text[], ${part.map((r) => r.finalStateUnknown)}::bool[], ${part.map((r) => r.sourceRef)}::text[],
        ${part.map((r) => r.canonical)}::text[], ${part.map((r) => r.prevHash)}::text[], ${part.map((r) => r.hash)}::text[]
      ) AS t(seq, object_kind, namespace, name, uid, resource_version, operation, before, after, diff, observed_at, observed_via,
             final_state_unknown, source_ref, canonical, prev_hash, hash)
      ON CONFLICT (cluster_id, uid, resource_version, operation) DO NOTHING
      RETURNING id, seq`);
  }
  if (inserted.length !== rows.length) {
    throw new ChainIntegrityError(
      `cluster ${cluster}: ${rows.length - inserted.length} of ${rows.length} revisions conflicted with rows written without the chain lock; ` +
        `nothing was appended (the chain would have had a gap)`,
    );
  }
  const idBySeq = new Map(inserted.map((r) => [r.seq, r.id]));
  return rows.map((r) => ({ ...r, id: idBySeq.get(r.seq)! }));
}
