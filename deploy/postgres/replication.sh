#!/bin/sh
# The primary's side of streaming replication (docker-compose.scale.yml): a replication role and
# its pg_hba.conf line. Run by the postgres image on the first start of an empty data directory;
# for an existing one, run it once by hand: docker compose exec postgres sh /docker-entrypoint-initdb.d/replication.sh
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') THEN
    CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}';
  END IF;
END \$\$;
SQL
grep -q "^host replication replicator" "$PGDATA/pg_hba.conf" \
  || echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
psql --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -c "SELECT pg_reload_conf()" >/dev/null
