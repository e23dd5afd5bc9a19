/**
 * A fresh PostgreSQL database per test file (created on the admin connection, dropped at the end),
 * with a plain `pg` client for the checks: what the tests read must not go through the code under
 * test. PostgreSQL is required: when it is down, create() throws and the tests FAIL.
 */
import pg from "pg";
import { openStore } from "../../../src/store/index.js";
import type { Store } from "../../../src/domain/repositories.js";
import { dropDatabase, pgAdmin, pgUrl, uniqueDbName } from "../../store/helpers/backends.js";

export class TestDatabase {
  private client: pg.Client | undefined;
  private readonly stores: Store[] = [];
  private created = false;

  private constructor(readonly name: string) {}

  static async create(prefix: string): Promise<TestDatabase> {
    const db = new TestDatabase(uniqueDbName(prefix));
    const admin = await pgAdmin();
    try {
      await admin.query(`CREATE DATABASE "${db.name}"`);
      db.created = true;
    } finally {
      await admin.end();
    }
    return db;
  }

  get url(): string {
    return pgUrl(this.name);
  }

  async sql<R extends Record<string, unknown> = Record<string, unknown>>(query: string, params?: unknown[]): Promise<R[]> {
    if (!this.client) {
      const c = new pg.Client({ connectionString: this.url });
      c.on("error", () => undefined);
      await c.connect();
      this.client = c;
    }
    return (await this.client.query<R>(query, params)).rows;
  }

  /** The store, opened in the test process (for reading generations back through the repositories). */
  async store(): Promise<Store> {
    const s = await openStore({ databaseUrl: this.url });
    this.stores.push(s);
    return s;
  }

  async drop(): Promise<void> {
    for (const s of this.stores) await s.close().catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    if (this.created) await dropDatabase(this.name);
  }
}
