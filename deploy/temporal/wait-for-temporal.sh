#!/bin/sh
# One-shot job (temporal-ready, admin-tools image): the server's health check only sees its port open; this waits
# until the frontend itself reports SERVING, so `threds setup` (namespace, retention, search attributes, indexes,
# the admin participant) starts against a server that answers.
set -eu
: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
attempts="${TEMPORAL_READY_ATTEMPTS:-90}"

i=1
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  if [ "$i" -ge "$attempts" ]; then
    echo "[temporal-ready] $TEMPORAL_ADDRESS not serving after $attempts attempts" >&2
    temporal operator cluster health --address "$TEMPORAL_ADDRESS" || true
    exit 1
  fi
  i=$((i + 1))
  sleep 2
done
echo "[temporal-ready] $TEMPORAL_ADDRESS is serving"
