-- CreateTable
CREATE TABLE "object_versions" (
    "cluster_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "resource_version" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "valid_from" INTEGER NOT NULL,
    "valid_to" INTEGER,

    CONSTRAINT "object_versions_pkey" PRIMARY KEY ("cluster_id","kind","uid","valid_from")
);

-- CreateIndex
CREATE INDEX "object_versions_cluster_id_valid_from_idx" ON "object_versions"("cluster_id", "valid_from");

-- AddForeignKey
ALTER TABLE "object_versions" ADD CONSTRAINT "object_versions_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- ---------------------------------------------------------------------------------------------
-- Hand-written: what Prisma's schema language cannot express.
-- At most one open version per object; a version is never empty.
CREATE UNIQUE INDEX "object_versions_open_key" ON "object_versions"("cluster_id", "kind", "uid") WHERE "valid_to" IS NULL;
ALTER TABLE "object_versions" ADD CONSTRAINT "object_versions_range_check" CHECK ("valid_to" IS NULL OR "valid_to" > "valid_from");
-- Objects stored before this migration: versions from the next generation on (earlier generations
-- have no recorded world; their matrices stay readable, their explanations are unavailable).
INSERT INTO "object_versions" ("cluster_id", "kind", "uid", "namespace", "name", "resource_version", "data", "valid_from")
SELECT n.cluster_id, 'Namespace', n.uid, '', n.name, n.resource_version,
       jsonb_build_object('kind', 'Namespace', 'meta', jsonb_build_object('uid', n.uid, 'name', n.name, 'namespace', '', 'resourceVersion', n.resource_version, 'labels', n.labels)),
       COALESCE((SELECT max(g.generation) FROM matrix_generations g WHERE g.cluster_id = n.cluster_id), 0) + 1
FROM namespaces n;
INSERT INTO "object_versions" ("cluster_id", "kind", "uid", "namespace", "name", "resource_version", "data", "valid_from")
SELECT p.cluster_id, 'Pod', p.uid, p.namespace, p.name, p.resource_version,
       jsonb_strip_nulls(jsonb_build_object('kind', 'Pod', 'meta', jsonb_build_object('uid', p.uid, 'name', p.name, 'namespace', p.namespace, 'resourceVersion', p.resource_version, 'labels', p.labels),
         'ip', p.ip, 'hostNetwork', p.host_network, 'containerPorts', p.container_ports,
         'workload', jsonb_build_object('namespace', p.namespace, 'kind', p.workload_kind, 'name', p.workload_name))),
       COALESCE((SELECT max(g.generation) FROM matrix_generations g WHERE g.cluster_id = p.cluster_id), 0) + 1
FROM pods p;
INSERT INTO "object_versions" ("cluster_id", "kind", "uid", "namespace", "name", "resource_version", "data", "valid_from")
SELECT np.cluster_id, np.kind, np.uid, np.namespace, np.name, np.resource_version,
       jsonb_build_object('kind', np.kind, 'meta', jsonb_build_object('uid', np.uid, 'name', np.name, 'namespace', np.namespace, 'resourceVersion', np.resource_version, 'labels', np.labels), 'spec', np.spec),
       COALESCE((SELECT max(g.generation) FROM matrix_generations g WHERE g.cluster_id = np.cluster_id), 0) + 1
FROM network_policies np;
