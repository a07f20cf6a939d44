#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A throw-away PostgreSQL 15 cluster for the tests that need one (tests/pgrouting_check.sh,
# tests/osm2pgrouting_check.sh, tests/postgis_check.sh).
# Usage: sh tests/pg_cluster.sh start|stop DIR [PORT]
#   start  makes DIR (mode 755; owned by postgres when run as root, the server then runs as
#          postgres), initdb DIR/data (trust, superuser postgres), and starts the server with
#          no TCP listener: its Unix socket is DIR/.s.PGSQL.PORT (PORT 5432 by default), so
#          clients use `-h DIR -p PORT -U postgres` and two clusters never clash. Log: DIR/pg.log.
#          A failed start stops what started, prints the log's end and exits 1.
#   stop   stops the server (immediate) and removes DIR with everything in it.
# PGBIN (default /usr/lib/postgresql/15/bin) names the server binaries; PG_SERVER_OPTS adds
# server settings ("-c work_mem=1GB ...", for the benchmarks).
set -u
cmd=${1:-}; DIR=${2:-}; PORT=${3:-5432}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "usage: sh tests/pg_cluster.sh start|stop DIR [PORT]" >&2; exit 2; }
AS_PG=""
[ "$(id -u)" -eq 0 ] && AS_PG="runuser -u postgres --"

case $cmd in
  start)
    [ -x "$PGBIN/initdb" ] || { echo "pg_cluster: no $PGBIN/initdb (apt-get install postgresql-15)" >&2; exit 1; }
    mkdir -p "$DIR" && chmod 755 "$DIR" || exit 1
    [ -z "$AS_PG" ] || chown postgres "$DIR" || exit 1
    if ! $AS_PG "$PGBIN/initdb" -D "$DIR/data" -A trust -U postgres >"$DIR/initdb.log" 2>&1; then
      echo "pg_cluster: initdb failed:" >&2; tail -n 5 "$DIR/initdb.log" >&2; exit 1
    fi
    if ! $AS_PG "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/pg.log" -w \
         -o "-k $DIR -c listen_addresses='' -p $PORT -c fsync=off ${PG_SERVER_OPTS:-}" start >/dev/null; then
      echo "pg_cluster: the server did not start:" >&2; tail -n 5 "$DIR/pg.log" >&2
      $AS_PG "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1
      exit 1
    fi
    ;;
  stop)
    [ ! -d "$DIR/data" ] || $AS_PG "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$DIR"
    ;;
  *) echo "usage: sh tests/pg_cluster.sh start|stop DIR [PORT]" >&2; exit 2 ;;
esac
exit 0
