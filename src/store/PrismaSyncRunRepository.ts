/** Sync runs: one row per (re)list / reconcile pass of a source, with its outcome and counts. */
import { mapStoreErrors } from "./errors.js";
import { jsonInput, type Db } from "./prisma.js";
import type { ClusterId, SyncOutcome, SyncRunRecord, SyncRunRepository } from "../domain/repositories.js";
import type { JsonValue } from "../domain/objects.js";

export class PrismaSyncRunRepository implements SyncRunRepository {
  constructor(private readonly db: Db) {}

  start(cluster: ClusterId, source: string): Promise<bigint> {
    return mapStoreErrors(`syncRuns.start(${cluster})`, async () => {
      const row = await this.db.syncRun.create({ data: { clusterId: cluster, source, startedAt: new Date() }, select: { id: true } });
      return row.id;
    });
  }

  finish(id: bigint, outcome: SyncOutcome, counts: JsonValue, errors: JsonValue): Promise<void> {
    return mapStoreErrors(`syncRuns.finish(${id})`, async () => {
      await this.db.syncRun.update({
        where: { id },
        data: { outcome, counts: jsonInput(counts), errors: jsonInput(errors), finishedAt: new Date() },
      });
    });
  }

  latest(cluster: ClusterId): Promise<SyncRunRecord | undefined> {
    return mapStoreErrors(`syncRuns.latest(${cluster})`, async () => {
      const r = await this.db.syncRun.findFirst({ where: { clusterId: cluster }, orderBy: [{ startedAt: "desc" }, { id: "desc" }] });
      if (!r) return undefined;
      return {
        id: r.id,
        clusterId: r.clusterId,
        source: r.source,
        startedAt: r.startedAt,
        ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
        outcome: r.outcome as SyncRunRecord["outcome"],
        counts: r.counts as JsonValue,
        errors: r.errors as JsonValue,
      };
    });
  }
}
