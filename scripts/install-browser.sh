#!/usr/bin/env bash
# Installs Debian's Chromium for the console's end-to-end tests (test/e2e), when it is missing. Run by the set-up step
# (scripts/ensure-setup.mjs) before any test starts; the e2e suite only looks for the binary.
# Browser downloads by test tools (npx playwright install) do not work on our machines; Debian's package does.
# Needs root (CI runs as root) or passwordless sudo. Idempotent: a fast no-op when the browser is there.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

BROWSER="${THREDS_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$BROWSER" ]; then
  echo "[install-browser] $BROWSER present"
  exit 0
fi
if [ -n "${THREDS_CHROMIUM:-}" ]; then
  echo "[install-browser] THREDS_CHROMIUM=$THREDS_CHROMIUM is not an executable file" >&2
  exit 1
fi
if ! apt_can_install; then
  echo "[install-browser] $BROWSER is missing and this user cannot install packages." >&2
  echo "  Install it as root: apt-get install -y chromium  (or set THREDS_CHROMIUM to a Chromium binary," >&2
  echo "  or THREDS_SETUP_SKIP=browser to set up without it: the e2e suite then fails)" >&2
  exit 1
fi

echo "[install-browser] Chromium missing: installing Debian package chromium (about 100 MB)…"
start=$SECONDS
apt_install install-browser chromium fonts-dejavu-core
[ -x "$BROWSER" ] || { echo "[install-browser] $BROWSER still missing after apt-get install chromium" >&2; exit 1; }
echo "[install-browser] $("$BROWSER" --version 2>/dev/null || echo chromium) installed in $((SECONDS - start)) s"
