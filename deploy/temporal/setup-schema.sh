#!/bin/sh
# One-shot job (temporal-setup, admin-tools image): creates Temporal's two PostgreSQL databases and brings both
# schemas to the version this admin-tools release embeds. Idempotent: `create` ignores an existing database,
# `setup-schema -v 0.0` leaves a versioned schema alone and `update-schema` applies only the missing versions, so the
# same job upgrades the schema after the image tags are bumped. Connection from SQL_HOST/SQL_PORT/SQL_USER/SQL_PASSWORD.
set -eu
: "${SQL_HOST:?SQL_HOST is required}"
: "${SQL_USER:?SQL_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"

sql() { temporal-sql-tool --plugin postgres12 "$@"; }

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) schema=postgresql/v12/temporal ;;
    *) schema=postgresql/v12/visibility ;;
  esac
  echo "[temporal-setup] $db: create, setup-schema, update-schema ($schema)"
  sql --db "$db" create
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema --schema-name "$schema"
done
echo "[temporal-setup] schemas are current"
