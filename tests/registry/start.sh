#!/usr/bin/env bash
# Starts a throwaway docker-registry on 127.0.0.1 for the tests.
#   tests/registry/start.sh [STATE_DIR]          CORS registry, no auth
#   tests/registry/start.sh --auth [STATE_DIR]   htpasswd registry behind Caddy
# Plain: writes STATE_DIR/config.yml (from cors.yml; a free port, storage in
# STATE_DIR/data), starts `docker-registry serve` in the background (pid in
# STATE_DIR/registry.pid, log in STATE_DIR/registry.log), waits until GET /v2/
# answers 200, then prints the registry URL (also in STATE_DIR/url).
# --auth: the registry (auth.yml) asks for HTTP Basic; the fixed test login is
# written to STATE_DIR/user and STATE_DIR/password (no trailing newline) and
# hashed into STATE_DIR/htpasswd (bcrypt). Caddy (Caddyfile; pid in
# STATE_DIR/caddy.pid, log in STATE_DIR/caddy.log) listens on another free
# port, answers CORS preflights and proxies the rest; its URL is printed and
# written to STATE_DIR/url, the registry's own to STATE_DIR/registry_url.
# STATE_DIR defaults to a new temporary folder. CORS_ORIGIN sets
# Access-Control-Allow-Origin (default *). Stop it with stop.sh STATE_DIR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
auth=""
if [ "${1:-}" = --auth ]; then
  auth=1
  shift
fi
state="${1:-$(mktemp -d "${TMPDIR:-/tmp}/ollama-pack-registry.XXXXXX")}"
bin="${DOCKER_REGISTRY:-/usr/bin/docker-registry}"
[ -x "$bin" ] || { echo "start.sh: $bin not found (apt-get install docker-registry)" >&2; exit 3; }
mkdir -p "$state/data"
state="$(cd "$state" && pwd)"
origin="${CORS_ORIGIN:-*}"
USER_NAME=ollama-pack
PASSWORD=ollama-pack-test-password

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for PID URL CODE: polls GET URL until it answers CODE (10 s), while PID lives.
wait_for() {
  local pid="$1" url="$2" want="$3" code
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --noproxy '*' "$url" || true)"
    [ "$code" = "$want" ] && return 0
    sleep 0.1
  done
  return 1
}

# launch NAME TEMPLATE OUT CODE CMD...: fills TEMPLATE (@PORT@ and the
# SEDS array) into OUT, runs CMD in the background on a free port until
# GET /v2/ answers CODE; retries on another port. Sets $port.
launch() {
  local name="$1" template="$2" out="$3" want="$4" pid attempt
  shift 4
  for attempt in 1 2 3; do
    port="$(free_port)"
    sed -e "s|@PORT@|$port|" "${SEDS[@]}" "$template" >"$out"
    # setsid: the server outlives this script and ignores the caller's Ctrl-C.
    setsid "$@" >"$state/$name.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$state/$name.pid"
    if wait_for "$pid" "http://127.0.0.1:$port/v2/" "$want"; then
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "start.sh: $name, attempt $attempt on port $port failed:" >&2
    tail -n 5 "$state/$name.log" >&2 || true
  done
  "$here/stop.sh" "$state" --keep  # what did start stops again
  exit 1
}

# A bcrypt hash at the lowest cost (4): the registry checks it on every
# request, and Caddy's hash-password (cost 14) would cost ~1 s of CPU each.
htpasswd_line() {
  if command -v htpasswd >/dev/null; then
    htpasswd -nbB -C 4 "$USER_NAME" "$PASSWORD"
  else
    echo "start.sh: htpasswd not found (apt-get install apache2-utils); using caddy's slow hash" >&2
    printf '%s:%s\n' "$USER_NAME" "$(caddy hash-password --plaintext "$PASSWORD")"
  fi
}

if [ -z "$auth" ]; then
  SEDS=(-e "s|@DATA@|$state/data|" -e "s|@ORIGIN@|$origin|")
  launch registry "$here/cors.yml" "$state/config.yml" 200 "$bin" serve "$state/config.yml"
  echo "http://127.0.0.1:$port" | tee "$state/url"
  exit 0
fi

command -v caddy >/dev/null || { echo "start.sh: caddy not found (apt-get install caddy)" >&2; exit 3; }
printf '%s' "$USER_NAME" >"$state/user"
printf '%s' "$PASSWORD" >"$state/password"
htpasswd_line >"$state/htpasswd"
SEDS=(-e "s|@DATA@|$state/data|" -e "s|@HTPASSWD@|$state/htpasswd|")
launch registry "$here/auth.yml" "$state/config.yml" 401 "$bin" serve "$state/config.yml"
registry_port="$port"
echo "http://127.0.0.1:$registry_port" >"$state/registry_url"
mkdir -p "$state/caddy-data"
SEDS=(-e "s|@UPSTREAM@|127.0.0.1:$registry_port|" -e "s|@ORIGIN@|$origin|" -e "s|@STATE@|$state|")
launch caddy "$here/Caddyfile" "$state/Caddyfile" 401 \
  env HOME="$state" XDG_DATA_HOME="$state/caddy-data" XDG_CONFIG_HOME="$state/caddy-data" \
  caddy run --config "$state/Caddyfile" --adapter caddyfile
echo "http://127.0.0.1:$port" | tee "$state/url"
