-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "clusters" (
    "id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "clusters_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "namespaces" (
    "cluster_id" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "resource_version" TEXT NOT NULL,

    CONSTRAINT "namespaces_pkey" PRIMARY KEY ("cluster_id","uid")
);

-- CreateTable
CREATE TABLE "pods" (
    "cluster_id" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "ip" TEXT,
    "host_network" BOOLEAN NOT NULL DEFAULT false,
    "container_ports" JSONB NOT NULL DEFAULT '[]',
    "workload_kind" TEXT NOT NULL,
    "workload_name" TEXT NOT NULL,
    "resource_version" TEXT NOT NULL,

    CONSTRAINT "pods_pkey" PRIMARY KEY ("cluster_id","uid")
);

-- CreateTable
CREATE TABLE "workloads" (
    "cluster_id" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "pod_count" INTEGER NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "workloads_pkey" PRIMARY KEY ("cluster_id","namespace","kind","name")
);

-- CreateTable
CREATE TABLE "network_policies" (
    "cluster_id" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "resource_version" TEXT NOT NULL,
    "spec" JSONB NOT NULL,

    CONSTRAINT "network_policies_pkey" PRIMARY KEY ("cluster_id","uid")
);

-- CreateTable
CREATE TABLE "policy_revisions" (
    "id" BIGSERIAL NOT NULL,
    "cluster_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "object_kind" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "resource_version" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "diff" JSONB NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,
    "observed_via" TEXT NOT NULL,
    "final_state_unknown" BOOLEAN NOT NULL,
    "source_ref" TEXT,
    "canonical" TEXT NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "policy_revisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reachability_impacts" (
    "id" BIGSERIAL NOT NULL,
    "cluster_id" TEXT NOT NULL,
    "revision_ids" BIGINT[],
    "generation" INTEGER NOT NULL,
    "gained" JSONB NOT NULL,
    "lost" JSONB NOT NULL,
    "exact" BOOLEAN NOT NULL,
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reachability_impacts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_runs" (
    "id" BIGSERIAL NOT NULL,
    "cluster_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "outcome" TEXT NOT NULL DEFAULT 'running',
    "counts" JSONB NOT NULL DEFAULT '{}',
    "errors" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "sync_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "matrix_generations" (
    "cluster_id" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "committed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stats" JSONB NOT NULL,
    "source_versions" JSONB NOT NULL,
    "class_count" INTEGER NOT NULL,
    "connection_count" INTEGER NOT NULL,
    "delta" JSONB NOT NULL,

    CONSTRAINT "matrix_generations_pkey" PRIMARY KEY ("cluster_id","generation")
);

-- CreateTable
CREATE TABLE "matrix_classes" (
    "cluster_id" TEXT NOT NULL,
    "class_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "valid_from" INTEGER NOT NULL,
    "valid_to" INTEGER,

    CONSTRAINT "matrix_classes_pkey" PRIMARY KEY ("cluster_id","class_key","valid_from")
);

-- CreateTable
CREATE TABLE "matrix_class_members" (
    "cluster_id" TEXT NOT NULL,
    "class_key" TEXT NOT NULL,
    "member_key" TEXT NOT NULL,
    "member_type" TEXT NOT NULL,
    "namespace" TEXT,
    "workload_kind" TEXT,
    "workload_name" TEXT,
    "pods" INTEGER,
    "ip_family" INTEGER,
    "ip_start" TEXT,
    "ip_end" TEXT,
    "valid_from" INTEGER NOT NULL,
    "valid_to" INTEGER,

    CONSTRAINT "matrix_class_members_pkey" PRIMARY KEY ("cluster_id","class_key","member_key","valid_from")
);

-- CreateTable
CREATE TABLE "matrix_connections" (
    "cluster_id" TEXT NOT NULL,
    "src_class" TEXT NOT NULL,
    "dst_class" TEXT NOT NULL,
    "conn" TEXT NOT NULL,
    "valid_from" INTEGER NOT NULL,
    "valid_to" INTEGER,

    CONSTRAINT "matrix_connections_pkey" PRIMARY KEY ("cluster_id","src_class","dst_class","valid_from")
);

-- CreateIndex
CREATE INDEX "namespaces_cluster_id_name_idx" ON "namespaces"("cluster_id", "name");

-- CreateIndex
CREATE INDEX "pods_cluster_id_namespace_workload_kind_workload_name_idx" ON "pods"("cluster_id", "namespace", "workload_kind", "workload_name");

-- CreateIndex
CREATE INDEX "pods_cluster_id_namespace_name_idx" ON "pods"("cluster_id", "namespace", "name");

-- CreateIndex
CREATE INDEX "workloads_cluster_id_namespace_name_idx" ON "workloads"("cluster_id", "namespace", "name");

-- CreateIndex
CREATE INDEX "network_policies_cluster_id_kind_namespace_name_idx" ON "network_policies"("cluster_id", "kind", "namespace", "name");

-- CreateIndex
CREATE INDEX "policy_revisions_cluster_id_namespace_name_observed_at_idx" ON "policy_revisions"("cluster_id", "namespace", "name", "observed_at");

-- CreateIndex
CREATE INDEX "policy_revisions_cluster_id_observed_at_idx" ON "policy_revisions"("cluster_id", "observed_at");

-- CreateIndex
CREATE UNIQUE INDEX "policy_revisions_cluster_id_seq_key" ON "policy_revisions"("cluster_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "policy_revisions_cluster_id_uid_resource_version_operation_key" ON "policy_revisions"("cluster_id", "uid", "resource_version", "operation");

-- CreateIndex
CREATE INDEX "reachability_impacts_revision_ids_idx" ON "reachability_impacts" USING GIN ("revision_ids");

-- CreateIndex
CREATE INDEX "reachability_impacts_cluster_id_generation_idx" ON "reachability_impacts"("cluster_id", "generation");

-- CreateIndex
CREATE INDEX "sync_runs_cluster_id_started_at_idx" ON "sync_runs"("cluster_id", "started_at");

-- CreateIndex
CREATE INDEX "matrix_generations_cluster_id_created_at_idx" ON "matrix_generations"("cluster_id", "created_at");

-- CreateIndex
CREATE INDEX "matrix_class_members_cluster_id_namespace_workload_name_val_idx" ON "matrix_class_members"("cluster_id", "namespace", "workload_name", "valid_from");

-- CreateIndex
CREATE INDEX "matrix_connections_cluster_id_dst_class_valid_from_idx" ON "matrix_connections"("cluster_id", "dst_class", "valid_from");

-- CreateIndex
CREATE INDEX "matrix_connections_cluster_id_src_class_valid_from_idx" ON "matrix_connections"("cluster_id", "src_class", "valid_from");

-- AddForeignKey
ALTER TABLE "namespaces" ADD CONSTRAINT "namespaces_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pods" ADD CONSTRAINT "pods_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workloads" ADD CONSTRAINT "workloads_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "network_policies" ADD CONSTRAINT "network_policies_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_revisions" ADD CONSTRAINT "policy_revisions_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "reachability_impacts" ADD CONSTRAINT "reachability_impacts_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "matrix_generations" ADD CONSTRAINT "matrix_generations_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "matrix_classes" ADD CONSTRAINT "matrix_classes_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "matrix_class_members" ADD CONSTRAINT "matrix_class_members_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "matrix_connections" ADD CONSTRAINT "matrix_connections_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- =============================================================================================
-- HAND-WRITTEN PART. Everything above was generated offline with
--   npx prisma migrate diff --from-empty --to-schema-datamodel prisma/schema.prisma --script
-- Everything below is what Prisma's schema language cannot express. Keep it when regenerating.
-- Applied by src/store/migrate.ts, in the same transaction as the generated part; never edit an
-- applied migration (the migrator refuses to start when a checksum changed): add a new one.
--
-- 1. Append-only history. policy_revisions and reachability_impacts are never updated or deleted.
--    A BEFORE UPDATE OR DELETE row trigger and a BEFORE TRUNCATE statement trigger raise SQLSTATE
--    KR001 (mapped to AppendOnlyViolationError in src/store/errors.ts). They are ENABLE ALWAYS, so
--    `SET session_replication_role = replica` does not switch them off. The table owner or a
--    superuser can still DISABLE them: the hash chain (src/domain/audit/hashChain.ts) makes that
--    kind of tampering evident. Production should run kubereach as a role that does not own these
--    tables, with TRUNCATE revoked (shared/RELIABILITY.md 2.3).
-- 2. Partial unique indexes on the matrix tables: at most one open row (valid_to IS NULL) per
--    identity. They enforce the versioning invariant and serve the "close changed rows" UPDATEs of
--    a commit. Reads at a generation use the (cluster_id, ..., valid_from) indexes of the schema;
--    every extra index on these tables costs each committed row, so there are no others.
-- 3. CHECK constraints on closed sets and on the shape of the chain columns.
-- =============================================================================================

CREATE FUNCTION kubereach_refuse_modification() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on %.% is not allowed: the table is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'KR001', HINT = 'History rows are immutable; record a new row instead.';
END;
$$;

CREATE TRIGGER policy_revisions_append_only
  BEFORE UPDATE OR DELETE ON "policy_revisions" FOR EACH ROW EXECUTE FUNCTION kubereach_refuse_modification();
CREATE TRIGGER policy_revisions_no_truncate
  BEFORE TRUNCATE ON "policy_revisions" FOR EACH STATEMENT EXECUTE FUNCTION kubereach_refuse_modification();
ALTER TABLE "policy_revisions" ENABLE ALWAYS TRIGGER policy_revisions_append_only;
ALTER TABLE "policy_revisions" ENABLE ALWAYS TRIGGER policy_revisions_no_truncate;

CREATE TRIGGER reachability_impacts_append_only
  BEFORE UPDATE OR DELETE ON "reachability_impacts" FOR EACH ROW EXECUTE FUNCTION kubereach_refuse_modification();
CREATE TRIGGER reachability_impacts_no_truncate
  BEFORE TRUNCATE ON "reachability_impacts" FOR EACH STATEMENT EXECUTE FUNCTION kubereach_refuse_modification();
ALTER TABLE "reachability_impacts" ENABLE ALWAYS TRIGGER reachability_impacts_append_only;
ALTER TABLE "reachability_impacts" ENABLE ALWAYS TRIGGER reachability_impacts_no_truncate;

CREATE UNIQUE INDEX "matrix_classes_open_key"
  ON "matrix_classes" ("cluster_id", "class_key") WHERE "valid_to" IS NULL;
CREATE UNIQUE INDEX "matrix_class_members_open_key"
  ON "matrix_class_members" ("cluster_id", "class_key", "member_key") WHERE "valid_to" IS NULL;
CREATE UNIQUE INDEX "matrix_connections_open_key"
  ON "matrix_connections" ("cluster_id", "src_class", "dst_class") WHERE "valid_to" IS NULL;

ALTER TABLE "policy_revisions"
  ADD CONSTRAINT "policy_revisions_operation_check" CHECK ("operation" IN ('CREATE', 'UPDATE', 'DELETE')),
  ADD CONSTRAINT "policy_revisions_observed_via_check" CHECK ("observed_via" IN ('list', 'watch', 'relist', 'manifest')),
  ADD CONSTRAINT "policy_revisions_seq_check" CHECK ("seq" > 0),
  ADD CONSTRAINT "policy_revisions_hash_check" CHECK ("hash" ~ '^[0-9a-f]{64}$' AND "prev_hash" ~ '^[0-9a-f]{64}$');
ALTER TABLE "sync_runs"
  ADD CONSTRAINT "sync_runs_outcome_check" CHECK ("outcome" IN ('running', 'succeeded', 'partial', 'failed'));
ALTER TABLE "matrix_generations"
  ADD CONSTRAINT "matrix_generations_generation_check" CHECK ("generation" > 0);
ALTER TABLE "matrix_classes"
  ADD CONSTRAINT "matrix_classes_kind_check" CHECK ("kind" IN ('pod', 'external')),
  ADD CONSTRAINT "matrix_classes_range_check" CHECK ("valid_to" IS NULL OR "valid_to" > "valid_from");
ALTER TABLE "matrix_class_members"
  ADD CONSTRAINT "matrix_class_members_type_check" CHECK (
    ("member_type" = 'workload' AND "namespace" IS NOT NULL AND "workload_kind" IS NOT NULL AND "workload_name" IS NOT NULL AND "pods" IS NOT NULL)
    OR ("member_type" = 'external' AND "ip_family" IN (4, 6) AND "ip_start" IS NOT NULL AND "ip_end" IS NOT NULL)),
  ADD CONSTRAINT "matrix_class_members_range_check" CHECK ("valid_to" IS NULL OR "valid_to" > "valid_from");
ALTER TABLE "matrix_connections"
  ADD CONSTRAINT "matrix_connections_range_check" CHECK ("valid_to" IS NULL OR "valid_to" > "valid_from");
