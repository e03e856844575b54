#!/usr/bin/env bash
# Installs Debian's Chromium for the console's end-to-end tests (test/e2e), when it is missing.
# Browser downloads by test tools (npx playwright install) do not work on our machines; Debian's package does.
# Needs root (CI runs as root) or passwordless sudo. Idempotent: does nothing when the browser is there.
set -euo pipefail

BROWSER="${THREDS_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$BROWSER" ]; then
  echo "[install-browser] $BROWSER present: $("$BROWSER" --version 2>/dev/null || echo 'version unknown')"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "[install-browser] $BROWSER is missing and this user cannot install packages." >&2
    echo "  Install it as root: apt-get install -y chromium  (or set THREDS_CHROMIUM to a Chromium binary)" >&2
    exit 1
  fi
fi

echo "[install-browser] installing Debian package chromium (apt-get)…"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
"$BROWSER" --version
