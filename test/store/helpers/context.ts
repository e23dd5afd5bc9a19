/** What a shared suite gets: the backend, the store opened on it, and fresh cluster ids. */
import type { Store } from "../../../src/domain/repositories.js";
import type { Backend } from "./backends.js";

export class SuiteContext {
  private opened: Store | undefined;
  private n = 0;

  constructor(readonly backend: Backend) {}

  async start(): Promise<void> {
    await this.backend.setup();
    this.opened = await this.backend.open();
  }

  get store(): Store {
    if (!this.opened) throw new Error("SuiteContext.start() has not run");
    return this.opened;
  }

  /** A fresh, registered cluster: tables are keyed by cluster, so tests never see each other's rows. */
  async newCluster(): Promise<string> {
    const id = `c${++this.n}-${this.backend.name}`;
    await this.store.clusters.ensureCluster(id, "test");
    return id;
  }
}
