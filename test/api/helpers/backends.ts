/**
 * The databases an API suite runs on, for `describe.each`: embedded PGlite in memory, and the real
 * PostgreSQL server (a fresh database per service, created here and dropped at teardown).
 * PostgreSQL is required: when it cannot be reached, `database()` throws and the suite FAILS
 * (pgAdmin says how to start it). KUBEREACH_TEST_PG_URL overrides the admin URL.
 */
import { dropDatabase, pgAdmin, pgUrl, uniqueDbName } from "../../store/helpers/backends.js";

export type ApiBackendName = "pglite" | "postgres";

export interface ApiDatabase {
  /** The `database` section of a kubereach Config. */
  readonly config: { readonly url?: string; readonly dataDir: string };
  /** Drops what `database()` created (after the service closed its connections). */
  drop(): Promise<void>;
}

export interface ApiBackend {
  readonly name: ApiBackendName;
  /** A new, empty database for one service; `prefix` names it (PostgreSQL). */
  database(prefix: string): Promise<ApiDatabase>;
}

export const PGLITE: ApiBackend = {
  name: "pglite",
  async database() {
    return { config: { dataDir: ":memory:" }, drop: async () => undefined };
  },
};

export const POSTGRES: ApiBackend = {
  name: "postgres",
  async database(prefix) {
    const name = uniqueDbName(`api_${prefix}`);
    const admin = await pgAdmin();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
    return { config: { url: pgUrl(name), dataDir: ":memory:" }, drop: () => dropDatabase(name) };
  },
};

/** Every backend, in the order the suites run them. */
export const API_BACKENDS: readonly ApiBackend[] = [PGLITE, POSTGRES];
