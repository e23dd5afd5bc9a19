-- Content digest scheme 3 (src/domain/audit/matrixDigestTree.ts): the lines of scheme 2 in 65,536
-- buckets per section, in 4,096 groups of 16, the root over the groups' digests. At 150,000 pods a
-- change of ~11,000 connections touched nearly all of scheme 2's 4,096 buckets (~800,000 lines
-- rebuilt and hashed, the critical path of its commit); with finer buckets it rehashes about a
-- sixth of the lines, and the root's input stays 256 KB. Generations committed since use it;
-- `audit verify` recomputes each generation with the scheme its row records, so histories that
-- span the upgrade verify. Only the CHECK changes: no row is rewritten.

ALTER TABLE "matrix_generations" DROP CONSTRAINT matrix_generations_digest_scheme;
ALTER TABLE "matrix_generations" ADD CONSTRAINT matrix_generations_digest_scheme CHECK ("content_digest_scheme" IN (1, 2, 3));
