-- The content digest's scheme (src/domain/audit): 1 = one SHA-256 over every line of the matrix
-- (matrixDigest; every generation committed before this migration), 2 = the same lines hashed in
-- 4,096 buckets per section and then the buckets' digests (MatrixDigestTree), which a commit
-- updates in the time of what it changed: at 150,000 pods scheme 1 rehashed ~80 MB per commit.
-- `audit verify` recomputes each generation's digest with its scheme. The column is not part of
-- the generation hash (the hash's fields are unchanged, so anchored and chained hashes stay
-- valid); a changed scheme makes the recomputed digest differ, and verify reports the generation.
-- A column with a constant default: existing rows are not rewritten (the append-only trigger does
-- not fire).

-- AlterTable
ALTER TABLE "matrix_generations" ADD COLUMN     "content_digest_scheme" SMALLINT NOT NULL DEFAULT 1;

ALTER TABLE "matrix_generations" ADD CONSTRAINT matrix_generations_digest_scheme CHECK ("content_digest_scheme" IN (1, 2));
