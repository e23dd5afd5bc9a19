-- The generation chain (src/domain/audit/generationChain.ts): each matrix generation carries the
-- digest of its content, the revision chain head it was committed on, and a hash linking it to
-- the generation before it. Rows committed before this migration keep NULLs (reported as
-- unchained by `kubereach audit verify`).

-- AlterTable
ALTER TABLE "matrix_generations" ADD COLUMN     "content_digest" TEXT,
ADD COLUMN     "hash" TEXT,
ADD COLUMN     "prev_hash" TEXT,
ADD COLUMN     "revision_hash" TEXT,
ADD COLUMN     "revision_seq" BIGINT;

-- Hand-written: the chain fields are all set or all NULL, hashes are lowercase hex SHA-256.
ALTER TABLE "matrix_generations" ADD CONSTRAINT matrix_generations_chain_shape CHECK (
  (hash IS NULL AND prev_hash IS NULL AND content_digest IS NULL AND revision_hash IS NULL AND revision_seq IS NULL)
  OR (hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$' AND content_digest ~ '^[0-9a-f]{64}$'
      AND revision_hash ~ '^[0-9a-f]{64}$' AND revision_seq >= 0)
);

-- Hand-written: generations are history too; UPDATE and DELETE are refused like the revisions'.
CREATE TRIGGER matrix_generations_append_only
  BEFORE UPDATE OR DELETE ON "matrix_generations" FOR EACH ROW EXECUTE FUNCTION kubereach_refuse_modification();
ALTER TABLE "matrix_generations" ENABLE ALWAYS TRIGGER matrix_generations_append_only;
