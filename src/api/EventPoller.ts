/**
 * Feeds ApiEvents from the database, so every replica (the syncing leader and API-only standbys
 * alike) pushes the same subscription events: new generations and newly recorded revisions are
 * noticed within one interval. History before start is not replayed.
 */
import type { Logger } from "pino";
import type { Store } from "../domain/repositories.js";
import type { ApiEvents } from "./events.js";

export interface EventPollerOptions {
  readonly store: Store;
  readonly events: ApiEvents;
  readonly logger: Logger;
  readonly intervalMs?: number;
  /** The generation readers of the latest one get (QueryService.visibleGeneration): announced no earlier. */
  readonly visibleGeneration?: (cluster: string, latest: number) => number;
}

export class EventPoller {
  private readonly seen = new Map<string, { generation: number; seq: bigint }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: EventPollerOptions) {}

  /** Whether a generation of the cluster has been seen (standby readiness). */
  hasGeneration(cluster: string): boolean {
    return (this.seen.get(cluster)?.generation ?? 0) > 0;
  }

  async start(): Promise<void> {
    await this.poll(true);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.poll(false).finally(() => this.schedule());
    }, this.options.intervalMs ?? 1000);
  }

  private async poll(initial: boolean): Promise<void> {
    const { store, events, logger } = this.options;
    try {
      for (const { id: cluster } of await store.clusters.listClusters()) {
        const last = this.seen.get(cluster);
        const latest = (await store.matrix.latestGeneration(cluster)) ?? 0;
        // Announced once readers are answered from it (a generation this process is still indexing is not yet).
        const generation = latest > 0 && this.options.visibleGeneration ? this.options.visibleGeneration(cluster, latest) : latest;
        let seq = last?.seq ?? (await store.revisions.head(cluster)).seq;
        if (!initial && last) {
          for (;;) {
            const revisions = await store.revisions.list(cluster, { afterSeq: seq, limit: 500 });
            if (revisions.length === 0) break;
            seq = revisions[revisions.length - 1]!.seq;
            events.revisionsRecorded({ cluster, revisions });
            if (revisions.length < 500) break;
          }
          if (generation > last.generation) events.generationCommitted({ cluster, generation });
        } else if (!initial && !last) {
          // A cluster that appeared since the last poll: announce its first generation.
          if (generation > 0) events.generationCommitted({ cluster, generation });
        }
        this.seen.set(cluster, { generation, seq });
      }
    } catch (err) {
      logger.warn({ err }, "could not poll the database for changes; subscriptions will catch up");
    }
  }
}
