/**
 * The store's public API: open a database, use its repositories. Everything outside src/store
 * imports from here (or from ./types.js), never from Prisma or the drivers.
 */
export { openStore, DEFAULT_DATA_DIR, IN_MEMORY, type OpenStoreOptions } from "./openStore.js";
export { DataDirInUseError, LOCK_FILE } from "./dataDirLock.js";
export type * from "../domain/repositories.js";
export { SYNC_OUTCOMES } from "../domain/repositories.js";
export {
  AppendOnlyViolationError,
  ChainIntegrityError,
  DatabaseError,
  DatabaseUnavailableError,
  MigrationMismatchError,
} from "./errors.js";
export {
  canonicalize,
  canonicalRevision,
  hashRevision,
  verifyChain,
  ChainVerifier,
  GENESIS_HASH,
  type ChainBreak,
  type ChainBreakReason,
  type ChainRecord,
  type ChainVerification,
} from "../domain/audit/hashChain.js";
export { computeMatrixDelta, type MatrixDelta, type MatrixDeltaCounts } from "./matrixDelta.js";
