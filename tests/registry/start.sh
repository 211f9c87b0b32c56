#!/usr/bin/env bash
# Starts a throwaway docker-registry on 127.0.0.1 for the tests.
#   tests/registry/start.sh [STATE_DIR]
# Writes STATE_DIR/config.yml (from cors.yml; a free port, storage in
# STATE_DIR/data), starts `docker-registry serve` in the background (pid in
# STATE_DIR/registry.pid, log in STATE_DIR/registry.log), waits until
# GET /v2/ answers 200, then prints the registry URL (also in STATE_DIR/url).
# STATE_DIR defaults to a new temporary folder. CORS_ORIGIN sets
# Access-Control-Allow-Origin (default *). Stop it with stop.sh STATE_DIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state="${1:-$(mktemp -d "${TMPDIR:-/tmp}/ollama-pack-registry.XXXXXX")}"
bin="${DOCKER_REGISTRY:-/usr/bin/docker-registry}"
[ -x "$bin" ] || { echo "start.sh: $bin not found (apt-get install docker-registry)" >&2; exit 3; }
mkdir -p "$state/data"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

for attempt in 1 2 3; do
  port="$(free_port)"
  sed -e "s|@PORT@|$port|" -e "s|@DATA@|$state/data|" -e "s|@ORIGIN@|${CORS_ORIGIN:-*}|" \
    "$here/cors.yml" >"$state/config.yml"
  # setsid: the registry outlives this script and ignores the caller's Ctrl-C.
  setsid "$bin" serve "$state/config.yml" >"$state/registry.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$state/registry.pid"
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --noproxy '*' "$url/v2/" || true)"
    if [ "$code" = 200 ]; then
      echo "$url" >"$state/url"
      echo "$url"
      exit 0
    fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "start.sh: attempt $attempt on port $port failed:" >&2
  tail -n 5 "$state/registry.log" >&2 || true
done
exit 1
