#!/usr/bin/env bash
# A streaming read replica of the local PostgreSQL server, for the read-replica tests and for
# trying SALESOPS_READ_DATABASE_URL on one machine: a second cluster on 127.0.0.1:5433 made
# with pg_basebackup from the primary at 127.0.0.1:5432. Idempotent: does nothing when the
# replica already answers, else makes it afresh. Needs root (it runs the cluster as the
# postgres user) and lets the primary accept replication connections from 127.0.0.1 (trust,
# like its other lines).
#
#   scripts/pg-replica.sh          start it (create it first if needed)
#   scripts/pg-replica.sh stop     stop it and remove its data directory
set -euo pipefail

PORT=${SALESOPS_REPLICA_PORT:-5433}
PRIMARY_PORT=5432
DATA=${SALESOPS_REPLICA_DIR:-/var/lib/postgresql/salesops-replica}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { runuser -u postgres -- "$@"; }

if [ "${1:-start}" = "stop" ]; then
  [ -d "$DATA" ] && as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
  exit 0
fi

if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "pg-replica: run as root (it starts a PostgreSQL cluster as the postgres user)" >&2
  exit 1
fi

# The primary must let a replication connection in from 127.0.0.1.
hba=$(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -Atc "SHOW hba_file")
if ! grep -Eq '^host\s+replication\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
  echo "host replication all 127.0.0.1/32 trust" >>"$hba"
  psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -qAtc "SELECT pg_reload_conf()" >/dev/null
fi

# A replica that is not running is made again from a fresh copy: one left from an earlier
# boot may need WAL the primary has recycled since, and would then never catch up.
if [ -d "$DATA" ]; then
  as_pg "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
fi
mkdir -p "$DATA"
chown postgres:postgres "$DATA"
chmod 700 "$DATA"
echo "pg-replica: copying the primary into $DATA (pg_basebackup)"
as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DATA" \
  --wal-method=stream --write-recovery-conf --checkpoint=fast
# The copy carries the primary's settings; give the replica its own port and no SSL files.
{
  echo "port = $PORT"
  echo "listen_addresses = '127.0.0.1'"
  echo "hot_standby = on"
  echo "ssl = off"
  echo "unix_socket_directories = '/tmp'"
} | as_pg tee -a "$DATA/postgresql.auto.conf" >/dev/null
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | as_pg tee "$DATA/pg_hba.conf" >/dev/null
as_pg touch "$DATA/pg_ident.conf"

# A Debian cluster keeps postgresql.conf in /etc, so the copy has none: the settings above
# (in postgresql.auto.conf) and the defaults are the replica's whole configuration.
[ -f "$DATA/postgresql.conf" ] || as_pg touch "$DATA/postgresql.conf"
as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/replica.log" -w start >/dev/null
for _ in $(seq 1 40); do pg_isready -q -h 127.0.0.1 -p "$PORT" && break; sleep 0.25; done
pg_isready -h 127.0.0.1 -p "$PORT"
