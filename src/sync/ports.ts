/**
 * What the sync service needs from persistence: the store's repositories for objects and history,
 * matrix generations, impacts and sync runs (src/store implements them on PostgreSQL and PGlite).
 * Only types are imported, so sync never depends on Prisma.
 */
import type { Store } from "../domain/repositories.js";

export type SyncStore = Pick<Store, "clusters" | "objects" | "matrix" | "impacts" | "syncRuns">;
