#!/bin/sh
# Postgres for Incident Lab: initialise and seed on first start, then exec the
# server as user postgres so it is the process that receives SIGTERM.
#
# Environment (all optional):
#   PGDATA              data directory (a named volume)   /var/lib/postgresql/data
#   LAB_SQL_DIR         where schema.sql and seed.sql are  directory of this script
#   LAB_DB_PASSWORD     password of role lab               lab
#   LAB_HOST_AUTH       pg_hba method for TCP clients      scram-sha-256
#                       (trust is acceptable on the internal lab network)
#
# Docker note: postgres treats SIGTERM as a "smart" shutdown that waits for
# clients to disconnect; connection pools never do. Run the container with
# stop_signal SIGINT (fast shutdown), as the official postgres image does.
set -eu

PGBIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:-/var/lib/postgresql/data}
LAB_SQL_DIR=${LAB_SQL_DIR:-$(cd "$(dirname "$0")" && pwd)}
LAB_DB_PASSWORD=${LAB_DB_PASSWORD:-lab}
LAB_HOST_AUTH=${LAB_HOST_AUTH:-scram-sha-256}
INIT_SOCKET_DIR=/tmp/lab-pg-init
# Written last: a data dir without it is a first start that failed half way.
DONE_MARKER="$PGDATA/.lab-initialized"

log() { printf '{"service":"postgres","event":"%s"}\n' "$1" >&2; }
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /var/run/postgresql
# A fresh named volume is mounted owned by root.
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"

if [ ! -f "$DONE_MARKER" ]; then
    if [ -n "$(ls -A "$PGDATA")" ]; then
        log "incomplete_init_found_reinitialising"
        find "$PGDATA" -mindepth 1 -delete
    fi
    log "initdb"
    as_postgres "$PGBIN/initdb" -D "$PGDATA" --username=postgres --encoding=UTF8 \
        --locale=C.UTF-8 --auth-local=trust --auth-host="$LAB_HOST_AUTH" >&2
    printf 'host all all 0.0.0.0/0 %s\nhost all all ::/0 %s\n' "$LAB_HOST_AUTH" "$LAB_HOST_AUTH" \
        >> "$PGDATA/pg_hba.conf"

    mkdir -p "$INIT_SOCKET_DIR" && chown postgres:postgres "$INIT_SOCKET_DIR"
    # Unix socket only: nothing can connect over TCP before seeding is done.
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories=$INIT_SOCKET_DIR" start >&2
    psql_init() { as_postgres "$PGBIN/psql" -v ON_ERROR_STOP=1 -q -h "$INIT_SOCKET_DIR" "$@" >&2; }
    log "create_role_and_database"
    psql_init -U postgres -d postgres -v pw="$LAB_DB_PASSWORD" <<'SQL'
CREATE ROLE lab LOGIN PASSWORD :'pw';
CREATE DATABASE shop OWNER lab;
SQL
    log "schema_and_seed"
    psql_init -U lab -d shop -f "$LAB_SQL_DIR/schema.sql" -f "$LAB_SQL_DIR/seed.sql"
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -w -m fast stop >&2
    touch "$DONE_MARKER" && chown postgres:postgres "$DONE_MARKER"
    log "initialised"
fi

log "starting"
exec setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$PGDATA" \
    -c listen_addresses="${LAB_LISTEN_ADDRESSES:-*}" \
    -c unix_socket_directories=/var/run/postgresql \
    -c max_connections=100 \
    -c jit=off \
    -c shared_buffers=64MB \
    -c effective_cache_size=256MB \
    -c work_mem=4MB \
    -c maintenance_work_mem=32MB \
    -c logging_collector=off \
    -c log_destination=stderr \
    -c log_min_duration_statement=500 \
    -c log_line_prefix='%m [%p] %q%u@%d '
