/**
 * Writes the external anchors (src/store/audit/anchor.ts) as the service appends: the revision
 * head after every append, both heads after every generation commit, in order, one at a time. At
 * start, the latest anchored head is handed to the store's chain guard, so history rewritten or
 * cut back below it is refused even after a restart. A failed write is logged (error) and does not
 * stop the sync: the next anchor covers what this one would have.
 */
import type { Logger } from "pino";
import { AnchorLog, readPrivateKey } from "../store/audit/anchor.js";
import type { Store, StoredRevision } from "../domain/repositories.js";
import type { Config } from "./config.js";

export class ChainAnchoring {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: AnchorLog,
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  /** The anchoring the configuration asks for (audit.anchorFile + audit.anchorKeyFile), or undefined. */
  static fromConfig(config: Config, store: Store, logger: Logger): ChainAnchoring | undefined {
    const { anchorFile, anchorKeyFile } = config.audit;
    if (!anchorFile || !anchorKeyFile) return undefined;
    return new ChainAnchoring(new AnchorLog(anchorFile, readPrivateKey(anchorKeyFile)), store, logger.child({ component: "anchor" }));
  }

  /** Tells the chain guard the latest anchored head of `cluster`. */
  trustLatest(cluster: string): void {
    const a = this.log.latest(cluster);
    if (!a) return;
    this.store.objects.chainGuard?.trust(cluster, { seq: a.seq, hash: a.hash });
    this.logger.info({ cluster, seq: a.seq.toString(), generation: a.generation, file: this.log.file }, "latest anchored chain head loaded: appends continue only from it");
  }

  revisions(revisions: readonly StoredRevision[]): void {
    const last = revisions[revisions.length - 1];
    if (!last) return;
    this.enqueue(async () => this.log.append({ cluster: last.clusterId, seq: last.seq, hash: last.hash }));
  }

  generation(cluster: string, generation: number): void {
    this.enqueue(async () => {
      const head = await this.store.revisions.head(cluster);
      const hash = await this.store.matrix.generationHash(cluster, generation);
      this.log.append({ cluster, seq: head.seq, hash: head.hash, ...(hash ? { generation, generationHash: hash } : {}) });
    });
  }

  /** Resolves when every anchor asked for so far is written (or failed and logged). */
  flush(): Promise<void> {
    return this.queue;
  }

  private enqueue(write: () => Promise<void>): void {
    this.queue = this.queue.then(write).catch((err: unknown) => this.logger.error({ err, file: this.log.file }, "could not write the chain anchor; the next one will cover this head"));
  }
}
