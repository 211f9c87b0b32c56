#!/usr/bin/env bash
# Stops what start.sh started (the registry, and Caddy in --auth mode) and
# deletes its state folder.
#   tests/registry/stop.sh STATE_DIR [--keep]
# SIGTERM, then SIGKILL after 5 s. --keep leaves STATE_DIR (data, logs) in place.
set -uo pipefail
state="${1:?usage: stop.sh STATE_DIR [--keep]}"
for name in caddy registry; do
  [ -f "$state/$name.pid" ] || continue
  pid="$(cat "$state/$name.pid")"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  rm -f "$state/$name.pid"
done
if [ "${2:-}" != "--keep" ]; then
  rm -rf "$state"
fi
