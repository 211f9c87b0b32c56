#!/usr/bin/env bash
# Stops a registry started by start.sh and deletes its state folder.
#   tests/registry/stop.sh STATE_DIR [--keep]
# SIGTERM, then SIGKILL after 5 s. --keep leaves STATE_DIR (data, log) in place.
set -uo pipefail
state="${1:?usage: stop.sh STATE_DIR [--keep]}"
if [ -f "$state/registry.pid" ]; then
  pid="$(cat "$state/registry.pid")"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  rm -f "$state/registry.pid"
fi
if [ "${2:-}" != "--keep" ]; then
  rm -rf "$state"
fi
