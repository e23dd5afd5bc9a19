#!/bin/sh
# Run once by the postgres image on an empty data directory (docker-compose.yml): creates the
# runtime role kubereach serves with. kubereach itself, connecting as the owner through
# DATABASE_MIGRATION_URL, migrates and then grants this role its privileges (INSERT and SELECT on
# the history; src/store/runtimeRole.ts). The role has no other rights and owns nothing.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v runtime_password="${KUBEREACH_RUNTIME_PASSWORD:?KUBEREACH_RUNTIME_PASSWORD must be set}" <<'SQL'
CREATE ROLE kubereach_runtime LOGIN PASSWORD :'runtime_password';
SQL
