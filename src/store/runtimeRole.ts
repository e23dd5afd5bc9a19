/**
 * The runtime role's privileges, when kubereach runs with two PostgreSQL roles: an owner that
 * migrates (database.migrationUrl) and a runtime role that serves and syncs (database.url).
 *
 * The owner owns every table, so only it can ALTER a table, disable the append-only triggers or
 * rewrite history. The runtime role gets exactly what the code needs, and on the history no more
 * than INSERT and SELECT:
 * - history (policy_revisions, reachability_impacts, matrix_generations with the generation
 *   chain): SELECT, INSERT;
 * - the versioned matrix and object versions: SELECT, INSERT, and UPDATE of `valid_to` only (a
 *   row is closed when a later generation drops it); object_versions also DELETE of the rows a
 *   re-applied generation replaces, and of those a dead writer stamped past the open generation
 *   (inserted again at it: objectVersions.ts settleOpenGeneration). A changed `valid_to` changes a generation's content, which
 *   the generation chain's content digest catches (`kubereach audit verify`);
 * - current state and bookkeeping (clusters, namespaces, pods, workloads, network_policies,
 *   sync_runs, sync_leases): SELECT, INSERT, UPDATE, DELETE;
 * - kubereach_migrations: SELECT. Sequences: USAGE, SELECT.
 * Applied by the owner after every migration run, so new tables never leak wider rights.
 */
import type { SqlSession } from "./migrate.js";

const FULL = ["clusters", "namespaces", "pods", "workloads", "network_policies", "sync_runs", "sync_leases"];
const APPEND_ONLY = ["policy_revisions", "reachability_impacts", "matrix_generations"];
const VERSIONED = ["matrix_classes", "matrix_class_members", "matrix_connections"];

/** A role name as a quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The statements that give `role` the runtime privileges (and nothing else) on kubereach's tables. */
export function runtimeGrants(role: string): string {
  const r = quoteIdent(role);
  return [
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${r}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${r}`,
    `REVOKE CREATE ON SCHEMA public FROM ${r}`,
    `GRANT USAGE ON SCHEMA public TO ${r}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ${FULL.join(", ")} TO ${r}`,
    `GRANT SELECT, INSERT ON ${APPEND_ONLY.join(", ")} TO ${r}`,
    `GRANT SELECT, INSERT, UPDATE (valid_to) ON ${VERSIONED.join(", ")} TO ${r}`,
    `GRANT SELECT, INSERT, UPDATE (valid_to), DELETE ON object_versions TO ${r}`,
    `GRANT SELECT ON kubereach_migrations TO ${r}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`,
  ].join(";\n");
}

/** Applies runtimeGrants as the owner (in one transaction). */
export async function grantRuntimeRole(owner: SqlSession, role: string): Promise<void> {
  await owner.exec(`BEGIN;\n${runtimeGrants(role)};\nCOMMIT`);
}
