#!/usr/bin/env bash
# Installs every system package shimmy needs to build, test and run, from
# Debian's archive. Idempotent: when everything is present it does nothing;
# otherwise it runs `apt-get update` once and installs what is missing.
# This list is the single place where dependencies are named.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config
  # libraries
  nlohmann-json3-dev   # JSON (CLI --json output, fixtures, later the HTTP APIs)
  libcli11-dev         # command line
  libspdlog-dev libfmt-dev
  libpcre2-dev         # pre-tokenizer regexes (Unicode properties, JIT)
  libutf8proc-dev      # Unicode normalisation and categories
  libhwy-dev           # Google Highway: SIMD kernels with run-time dispatch
  libboost1.81-dev     # Boost.Beast/Asio: the HTTP server (header-only use)
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-jinja2       # reference for the jinja differential tests (skipped without it)
  prometheus           # promtool, for `promtool check metrics` in the tests (Debian has no
                       # promtool-only package; on systemd hosts this also starts a
                       # Prometheus on :9090: `systemctl disable --now prometheus`)
)

# Node.js and npm (JavaScript client tests), from Debian only when no npm is
# on the PATH: a machine with nodesource's node already has its own npm, and
# Debian's npm package would conflict with it.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
