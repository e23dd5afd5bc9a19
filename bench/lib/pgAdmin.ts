/** The PostgreSQL server the store, sync and API sections create their throwaway databases on. */
import pg from "pg";

/** KUBEREACH_BENCH_PG_URL overrides it. */
export const ADMIN_URL = process.env["KUBEREACH_BENCH_PG_URL"] ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** Runs one statement (CREATE/DROP DATABASE) on its own connection. */
export async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
