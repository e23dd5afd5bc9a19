/**
 * Changes the API pushes to subscribers: new matrix generations and newly recorded revisions.
 * Fed in-process by the sync service, or by a poller on API-only replicas.
 */
import { EventEmitter, on } from "node:events";
import type { StoredRevision } from "../domain/repositories.js";

export interface GenerationCommitted {
  readonly cluster: string;
  readonly generation: number;
}

export interface RevisionsRecorded {
  readonly cluster: string;
  readonly revisions: readonly StoredRevision[];
}

interface EventMap {
  generation: [GenerationCommitted];
  revisions: [RevisionsRecorded];
}

export class ApiEvents {
  private readonly emitter = new EventEmitter<EventMap>();

  constructor() {
    // Every subscription listens; a busy dashboard fleet is not a leak.
    this.emitter.setMaxListeners(0);
  }

  generationCommitted(e: GenerationCommitted): void {
    this.emitter.emit("generation", e);
  }

  revisionsRecorded(e: RevisionsRecorded): void {
    this.emitter.emit("revisions", e);
  }

  /** An async iterator of events, ended when `signal` aborts (the subscription closes). */
  async *listen<K extends keyof EventMap>(event: K, signal: AbortSignal): AsyncGenerator<EventMap[K][0]> {
    try {
      for await (const [e] of on(this.emitter as unknown as EventEmitter, event, { signal })) yield e as EventMap[K][0];
    } catch (err) {
      if ((err as Error).name !== "AbortError") throw err;
    }
  }
}
