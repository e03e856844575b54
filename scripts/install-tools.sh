#!/usr/bin/env bash
# Installs the servers Threds runs on, pinned, into .tools/bin (git-ignored), from the Go module proxy.
#   temporal            — Temporal CLI dev server (SQLite persistence, Web UI): `npm start`, `npm test`
#   ferretdb            — MongoDB wire-protocol server (SQLite backend for the dev stack, PostgreSQL for the cluster)
#   temporal-server     — the real Temporal server (`npm run cluster`, `npm run test:cluster`), same version as the
#   temporal-sql-tool     CLI's embedded one, and its schema tool; the schema files go to .tools/share/temporal/schema
#   temporal-ui-server  — the Temporal Web UI served on its own, pointed at temporal-server
# Skips what is already installed at the pinned version. Safe to run again.
set -euo pipefail

TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"   # v1.6.0+ carry a go.mod `replace`, which `go install` refuses
FERRETDB_VERSION="${FERRETDB_VERSION:-v1.24.2}"
# The server and UI that temporal CLI v1.5.1 embeds (`temporal --version`: Server 1.29.1, UI 2.42.1). `go list -m
# -versions` does not list ui-server v2.42.1, but the proxy serves it (the CLI's go.mod requires it).
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
TEMPORAL_UI_SERVER_VERSION="${TEMPORAL_UI_SERVER_VERSION:-v2.42.1}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

say() { printf '\033[1m[tools]\033[0m %s\n' "$*"; }
die() {
  printf '\033[31m[tools] %s\033[0m\n' "$*" >&2
  printf '[tools] Alternative: point TEMPORAL_ADDRESS and MONGO_URL at servers you already run; then no tool is needed.\n' >&2
  exit 1
}

command -v go >/dev/null 2>&1 || die "No Go toolchain on PATH (needed to build the Temporal CLI and FerretDB from the Go module proxy). Install Go >= 1.23."

# Long builds: print a heartbeat so CI logs and terminals show progress.
with_progress() {
  local label="$1"; shift
  local log; log="$(mktemp)"
  local start=$SECONDS
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    kill -0 "$pid" 2>/dev/null && say "$label: still building ($((SECONDS - start)) s; last: $(tail -n 1 "$log" | cut -c1-100))"
  done
  if ! wait "$pid"; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  say "$label: done in $((SECONDS - start)) s"
}

installed_version() { [ -f "$bin/$1.version" ] && cat "$bin/$1.version" || true; }

# --- Temporal CLI -----------------------------------------------------------------------------------------
if [ -x "$bin/temporal" ] && [ "$(installed_version temporal)" = "$TEMPORAL_CLI_VERSION" ]; then
  say "temporal $TEMPORAL_CLI_VERSION already installed"
else
  say "building temporal CLI $TEMPORAL_CLI_VERSION (first time takes several minutes)"
  with_progress temporal env GOBIN="$bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" ||
    die "could not build github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION (try TEMPORAL_CLI_VERSION=v1.5.0)"
  echo "$TEMPORAL_CLI_VERSION" >"$bin/temporal.version"
fi

# --- FerretDB ---------------------------------------------------------------------------------------------
# `go install .../cmd/ferretdb@v` builds, but the binary panics at start: FerretDB embeds a generated
# build/version/version.txt that the module zip does not carry. So: download the module, write that file into a
# private copy, and build the command from there (same sources, same go.sum).
if [ -x "$bin/ferretdb" ] && [ "$(installed_version ferretdb)" = "$FERRETDB_VERSION" ]; then
  say "ferretdb $FERRETDB_VERSION already installed"
else
  say "building FerretDB $FERRETDB_VERSION"
  moddir="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$moddir" ] && [ -d "$moddir" ] || die "could not download github.com/FerretDB/FerretDB@$FERRETDB_VERSION from the Go module proxy"
  src="$(mktemp -d)"
  cp -r "$moddir/." "$src"
  chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && with_progress ferretdb go build -o "$bin/ferretdb" ./cmd/ferretdb) || die "could not build FerretDB $FERRETDB_VERSION"
  rm -rf "$src"
  echo "$FERRETDB_VERSION" >"$bin/ferretdb.version"
fi

# --- Temporal server, schema tool and UI server (the local cluster) -----------------------------------------
# Both commands are `main` packages named `server`, so each is installed into a private GOBIN and renamed.
go_install_as() { # <name> <package@version>
  local gobin; gobin="$(mktemp -d)"
  with_progress "$1" env GOBIN="$gobin" go install "$2" || { rm -rf "$gobin"; return 1; }
  mv "$gobin/$(basename "${2%@*}")" "$bin/$1"
  rm -rf "$gobin"
}
share="$root/.tools/share/temporal"
if [ -x "$bin/temporal-server" ] && [ -x "$bin/temporal-sql-tool" ] && [ -d "$share/schema/postgresql/v12" ] &&
  [ "$(installed_version temporal-server)" = "$TEMPORAL_SERVER_VERSION" ]; then
  say "temporal-server $TEMPORAL_SERVER_VERSION already installed"
else
  say "building temporal-server and temporal-sql-tool $TEMPORAL_SERVER_VERSION (first time takes a few minutes)"
  go_install_as temporal-server "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" ||
    die "could not build go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION"
  go_install_as temporal-sql-tool "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" ||
    die "could not build go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"
  moddir="$(go mod download -json "go.temporal.io/server@$TEMPORAL_SERVER_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$moddir" ] && [ -d "$moddir/schema/postgresql/v12" ] || die "no schema/postgresql/v12 in go.temporal.io/server@$TEMPORAL_SERVER_VERSION"
  rm -rf "$share/schema"
  mkdir -p "$share/schema/postgresql"
  cp -r "$moddir/schema/postgresql/v12" "$share/schema/postgresql/"
  chmod -R u+w "$share/schema"
  echo "$TEMPORAL_SERVER_VERSION" >"$bin/temporal-server.version"
fi
if [ -x "$bin/temporal-ui-server" ] && [ "$(installed_version temporal-ui-server)" = "$TEMPORAL_UI_SERVER_VERSION" ]; then
  say "temporal-ui-server $TEMPORAL_UI_SERVER_VERSION already installed"
else
  say "building temporal-ui-server $TEMPORAL_UI_SERVER_VERSION"
  go_install_as temporal-ui-server "github.com/temporalio/ui-server/v2/cmd/server@$TEMPORAL_UI_SERVER_VERSION" ||
    die "could not build github.com/temporalio/ui-server/v2/cmd/server@$TEMPORAL_UI_SERVER_VERSION"
  echo "$TEMPORAL_UI_SERVER_VERSION" >"$bin/temporal-ui-server.version"
fi

"$bin/temporal" --version
"$bin/temporal-server" --version
"$bin/ferretdb" --version | sed -n 1p # not head: it would SIGPIPE ferretdb under pipefail
