#!/bin/sh
# A streaming replica of the `postgres` service (docker-compose.scale.yml): on first start, copy the
# primary with pg_basebackup (-R: it starts as a standby following the primary), then run PostgreSQL.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h postgres -U replicator -d postgres -q; do sleep 1; done
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h postgres -U replicator -D "$PGDATA" -R -X stream -c fast
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on
