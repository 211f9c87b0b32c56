# shellcheck shell=bash
# Shared by scripts/*: paths, the wasm size budget, and idempotent installers.
# Every ensure_* is quiet when the thing is already there, and installs it
# from the package registries (crates.io, npm, PyPI, Debian apt) when not.
# Source it; do not run it.
# shellcheck disable=SC2034  # the variables are used by the scripts that source this

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

# The one place the wasm size budget lives (README states it): bytes of the
# app's .wasm after wasm-opt, gzipped with `gzip -9`.
WASM_GZIP_BUDGET_BYTES=400000
# ... and of the engine module (dist/engine/: archive check and import,
# pull and push), loaded the first time the user needs one of them.
ENGINE_WASM_GZIP_BUDGET_BYTES=400000

WASM_TARGET=wasm32-unknown-unknown
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
APP_WASM="$ROOT/dist/ollama_pack_bg.wasm"
ENGINE_WASM="$ROOT/dist/engine/ollama_pack_bg.wasm"
VENV="$ROOT/.venv"
FIXTURE_REQUIREMENTS="$ROOT/tests/fixtures/requirements.txt"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif have sudo; then sudo "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

# ensure_apt PKG... : installs the Debian packages that are not installed yet.
_APT_UPDATED=""
ensure_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep "install ok installed" >/dev/null \
      || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "apt: installing ${missing[*]}"
  if [ -z "$_APT_UPDATED" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    _APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The CLI's Windows build check (scripts/test): the rustup target and
# MinGW's C compiler (ring builds C).
WINDOWS_TARGET=x86_64-pc-windows-gnu
ensure_windows_target() {
  rustup target list --installed | grep -x "$WINDOWS_TARGET" >/dev/null || {
    log "rustup: adding target $WINDOWS_TARGET"
    rustup target add "$WINDOWS_TARGET"
  }
  ensure_apt gcc-mingw-w64-x86-64
}

ensure_wasm_target() {
  have rustup || die "rustup not found: install Rust with rustup first"
  rustup target list --installed | grep -x "$WASM_TARGET" >/dev/null && return 0
  log "rustup: adding target $WASM_TARGET"
  rustup target add "$WASM_TARGET"
}

# The wasm-bindgen crate version that Cargo.lock resolved (the CLI must match).
wasm_bindgen_lock_version() {
  awk '$1 == "name" && $3 == "\"wasm-bindgen\"" { found = 1; next }
       found && $1 == "version" { gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
  local want have_version=""
  [ -f "$ROOT/Cargo.lock" ] || (cd "$ROOT" && cargo generate-lockfile -q)
  want="$(wasm_bindgen_lock_version)"
  [ -n "$want" ] || die "no wasm-bindgen package in Cargo.lock"
  if have wasm-bindgen && have wasm-bindgen-test-runner; then
    have_version="$(wasm-bindgen --version | awk '{print $2}')"
  fi
  [ "$have_version" = "$want" ] && return 0
  log "cargo: installing wasm-bindgen-cli $want (found: ${have_version:-none}; takes ~3 min)"
  # No --locked: one of its locked dependency versions is not on the registry.
  cargo install -q --force wasm-bindgen-cli --version "$want"
}

ensure_node() {
  have node && have npm && return 0
  ensure_apt nodejs npm
}

# node_modules from the committed package-lock.json (playwright-core, binaryen).
ensure_node_deps() {
  local stamp="$ROOT/node_modules/.ollama-pack-lock"
  ensure_node
  if [ -f "$stamp" ] && cmp -s "$stamp" "$ROOT/package-lock.json" \
     && [ -x "$ROOT/node_modules/.bin/wasm-opt" ] && [ -d "$ROOT/node_modules/playwright-core" ]; then
    return 0
  fi
  log "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$ROOT/package-lock.json" "$stamp"
}

ensure_chromium() {
  ensure_apt chromium chromium-driver
}

# The real-window end-to-end tests (tests/e2e/desktop.mjs): a virtual
# display, xdotool to answer dialogs and prompts, imagemagick's `import` to
# see the screen, inotifywait to record what lands on disk in which order.
ensure_desktop() {
  ensure_apt xvfb xdotool imagemagick inotify-tools
}

ensure_registry_tools() {
  ensure_apt docker-registry caddy apache2-utils  # htpasswd: bcrypt for the auth registry
}

# .venv with tests/fixtures/requirements.txt (gguf from PyPI, pinned there).
ensure_venv() {
  local stamp="$VENV/.ollama-pack-requirements"
  if [ ! -f "$FIXTURE_REQUIREMENTS" ]; then
    mkdir -p "$(dirname "$FIXTURE_REQUIREMENTS")"
    printf 'gguf==0.19.0\n' >"$FIXTURE_REQUIREMENTS"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    log "python: creating $VENV"
    python3 -m venv "$VENV" 2>/dev/null || { ensure_apt python3-venv; python3 -m venv "$VENV"; }
  fi
  cmp -s "$stamp" "$FIXTURE_REQUIREMENTS" && return 0
  log "pip install -r ${FIXTURE_REQUIREMENTS#"$ROOT"/}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$FIXTURE_REQUIREMENTS"
  cp "$FIXTURE_REQUIREMENTS" "$stamp"
}

# gzip -9 size of a file, in bytes.
gzip_size() { gzip -9 -c "$1" | wc -c | tr -d ' '; }

# wasm_budget NAME FILE BUDGET: prints a gzipped wasm size against its
# budget; fails when over.
wasm_budget() {
  local name="$1" file="$2" budget="$3" raw gz
  [ -f "$file" ] || die "no $file: run scripts/build"
  raw="$(wc -c <"$file" | tr -d ' ')"
  gz="$(gzip_size "$file")"
  printf '%s wasm size: %s bytes raw, %s bytes gzipped (budget %s bytes gzipped, %s%% used)\n' \
    "$name" "$raw" "$gz" "$budget" "$((gz * 100 / budget))"
  if [ "$gz" -gt "$budget" ]; then
    printf 'error: the %s wasm is over budget by %s bytes gzipped\n' "$name" "$((gz - budget))" >&2
    return 1
  fi
}

# The app's wasm and the engine module's, each against its budget.
check_wasm_budget() {
  wasm_budget app "$APP_WASM" "$WASM_GZIP_BUDGET_BYTES"
  wasm_budget engine "$ENGINE_WASM" "$ENGINE_WASM_GZIP_BUDGET_BYTES"
}

# cargo-fuzz (scripts/fuzz), pinned; runs on the stable toolchain with
# `--sanitizer none` (see fuzz/README.md). libfuzzer-sys compiles
# libFuzzer's C++ sources, hence a C++ compiler.
CARGO_FUZZ_VERSION=0.13.2
ensure_cargo_fuzz() {
  have c++ || ensure_apt g++
  [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" = "$CARGO_FUZZ_VERSION" ] && return 0
  log "cargo: installing cargo-fuzz $CARGO_FUZZ_VERSION (takes ~2 min)"
  cargo install -q --locked --force cargo-fuzz --version "$CARGO_FUZZ_VERSION"
}
