#!/usr/bin/env bash
# Installs PostgreSQL's server binaries (initdb, pg_ctl, postgres) for the local cluster (`npm run cluster`), when
# missing: Debian's postgresql-$THREDS_PG_VERSION (default 15), binaries in /usr/lib/postgresql/<version>/bin.
# Starts no server: the cluster runs its own under .data/cluster/ with an unprivileged initdb/pg_ctl, so the package's
# default cluster (`main` on :5432) is neither created nor started here. THREDS_PG_BIN: use binaries from that folder
# instead (nothing is installed). Needs root or passwordless sudo to install. Idempotent: a fast no-op when present.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

version="${THREDS_PG_VERSION:-15}"
dir="${THREDS_PG_BIN:-/usr/lib/postgresql/$version/bin}"
have() { [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; }

if have; then
  echo "[install-postgres] PostgreSQL $("$dir/postgres" --version | awk '{print $3}') present in $dir"
  exit 0
fi
if [ -n "${THREDS_PG_BIN:-}" ]; then
  echo "[install-postgres] THREDS_PG_BIN=$THREDS_PG_BIN has no initdb, pg_ctl and postgres" >&2
  exit 1
fi
if ! apt_can_install; then
  echo "[install-postgres] PostgreSQL $version server binaries are missing ($dir) and this user cannot install packages." >&2
  echo "  Install them as root: apt-get install -y postgresql-$version  (or set THREDS_PG_BIN to a folder with initdb and pg_ctl," >&2
  echo "  or THREDS_SETUP_SKIP=postgres to set up without them: npm run cluster then fails)" >&2
  exit 1
fi

echo "[install-postgres] PostgreSQL $version missing: installing Debian package postgresql-$version (no server is started)…"
start=$SECONDS
# Debian's postinst creates a `main` cluster (createcluster.d) and starts it (policy-rc.d); both are turned off for
# this install only, and put back however it ends.
conf_d=/etc/postgresql-common/createcluster.d
no_cluster="$conf_d/zz-threds-no-main-cluster.conf"
policy=/usr/sbin/policy-rc.d
added_policy=""
cleanup() {
  apt_sudo rm -f "$no_cluster" || true
  [ -z "$added_policy" ] || apt_sudo rm -f "$policy" || true
}
trap cleanup EXIT
apt_sudo mkdir -p "$conf_d"
echo 'create_main_cluster = false' | apt_sudo tee "$no_cluster" >/dev/null
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, scripts/install-postgres.sh: do not start services while installing\nexit 101\n' |
    apt_sudo tee "$policy" >/dev/null
  apt_sudo chmod 755 "$policy"
  added_policy=1
fi
apt_install install-postgres "postgresql-$version"
have || { echo "[install-postgres] $dir/initdb or pg_ctl still missing after apt-get install postgresql-$version" >&2; exit 1; }
echo "[install-postgres] PostgreSQL $("$dir/postgres" --version | awk '{print $3}') installed in $dir in $((SECONDS - start)) s"
