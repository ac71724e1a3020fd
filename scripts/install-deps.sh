#!/usr/bin/env bash
# Installs the Debian packages and npm modules that the build, the tests and
# `make run` need. Idempotent: does nothing when everything is present.
#   --test   also the npm modules of the end-to-end tests
#   --bench  also what bench/ needs: gnuplot-nox, curl, the reference server's npm modules
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake pkg-config clang-format
  libboost1.81-dev libssl-dev libhiredis-dev libnats-dev librdkafka-dev
  libjwt-dev libmsgpuck-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libcli11-dev libsqlite3-dev libgtest-dev libbenchmark-dev
  redis-server nats-server nodejs npm)
# The benchmarks only (bench/run-all.sh draws its charts with gnuplot).
[[ "${1:-}" == "--bench" ]] && PKGS+=(gnuplot-nox curl)
# The tests drive the dashboard in Debian's Chromium; the sanitizer build uses
# clang, whose ASan/UBSan and libFuzzer runtimes come in libclang-rt-14-dev.
[[ "${1:-}" == "--test" ]] && PKGS+=(chromium clang libclang-rt-14-dev openssl)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere than Debian; accept any working install.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm modules for the end-to-end tests (only when asked: `install-deps.sh --test`).
if [[ "${1:-}" == "--test" ]]; then
  if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package.json -nt tests/e2e/node_modules ]; then
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
fi

# npm modules of the benchmark reference server (`--bench`; `--test` too:
# tests/e2e/cluster_node_peer.test.mjs runs its socket.io + Redis adapter).
if [[ "${1:-}" == "--bench" || "${1:-}" == "--test" ]]; then
  if [ ! -d bench/reference/node_modules ] ||
     [ bench/reference/package-lock.json -nt bench/reference/node_modules ]; then
    (cd bench/reference && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
fi
