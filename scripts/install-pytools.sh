#!/usr/bin/env bash
# Installs the Python tools the suites use, pinned, into a virtualenv under .tools/venv (git-ignored), from PyPI:
#   schemathesis     — property-based checks of every route in the gateway's OpenAPI document (fuzz suite)
#   check-jsonschema — validates docker-compose.yml against the compose-spec schema (deployment test)
# Skips what is already installed at the pinned version. Safe to run again.
set -euo pipefail

SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
CHECK_JSONSCHEMA_VERSION="${CHECK_JSONSCHEMA_VERSION:-0.39.0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/venv"
say() { printf '\033[1m[pytools]\033[0m %s\n' "$*"; }

command -v python3 >/dev/null 2>&1 || { echo "[pytools] python3 is needed (>= 3.9) for the fuzz and deployment suites" >&2; exit 1; }
stamp="$venv/.versions"
want="schemathesis==$SCHEMATHESIS_VERSION check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
if [ -x "$venv/bin/schemathesis" ] && [ -x "$venv/bin/check-jsonschema" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  say "schemathesis $SCHEMATHESIS_VERSION, check-jsonschema $CHECK_JSONSCHEMA_VERSION already installed"
  exit 0
fi
say "installing $want into .tools/venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check $want
echo "$want" >"$stamp"
say "done"
