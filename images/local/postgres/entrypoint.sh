#!/bin/sh
# Initialises PGDATA on first start (superuser POSTGRES_USER with POSTGRES_PASSWORD, database POSTGRES_DB,
# password logins from the network), then runs the server in the foreground. Other commands run as given.
set -eu
if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi
shift || true
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGDATA:?PGDATA must name the data directory}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  superuser_password=${POSTGRES_PASSWORD-}
  if [ -z "$superuser_password" ]; then
    echo "postgres: POSTGRES_PASSWORD is empty; set it (the nessie-postgres Secret) before the first start" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pwfile=$(mktemp)
  printf '%s\n' "$superuser_password" > "$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    # A private, socket-only server for the one statement that needs a running server.
    postgres --single -D "$PGDATA" -c listen_addresses='' postgres >/dev/null <<SQL
CREATE DATABASE "$POSTGRES_DB" OWNER "$POSTGRES_USER";
SQL
  fi
  echo "postgres: initialised $PGDATA (database $POSTGRES_DB, user $POSTGRES_USER)"
fi
exec postgres -D "$PGDATA" "$@"
