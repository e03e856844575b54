# Sourced by the set-up scripts that install Debian packages (install-browser.sh, install-postgres.sh).
# apt_install <tag> <package…>: installs with apt-get as root (or passwordless sudo), printing apt's progress lines.
# Refreshes the package lists first when they are missing or do not know a package, and once more when the install
# fails (stale lists name files the mirror no longer has). Waits for another apt run's lock instead of failing.

apt_sudo() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 77
  fi
}

apt_can_install() { [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; }

apt_knows() { # <package…>: every package has an install candidate in the current lists
  local p
  for p in "$@"; do
    # Not `| grep -q`: grep's early exit would SIGPIPE apt-cache and fail the pipeline under pipefail.
    [[ "$(apt-cache policy "$p" 2>/dev/null)" == *"Candidate: "[!\(]* ]] || return 1
  done
}

apt_install() {
  local tag="$1"; shift
  command -v apt-get >/dev/null 2>&1 || { echo "[$tag] apt-get not found: install $* with your system's package manager" >&2; return 1; }
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
  if ! apt_knows "$@"; then
    echo "[$tag] refreshing package lists (apt-get update)…"
    apt_sudo apt-get -q -o DPkg::Lock::Timeout=600 update
  fi
  echo "[$tag] apt-get install $*"
  if ! apt_sudo apt-get install "${opts[@]}" "$@"; then
    echo "[$tag] install failed; refreshing package lists and retrying once…"
    apt_sudo apt-get -q -o DPkg::Lock::Timeout=600 update
    apt_sudo apt-get install "${opts[@]}" "$@"
  fi
}
