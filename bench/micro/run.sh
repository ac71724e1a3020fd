#!/usr/bin/env bash
# Builds sb-micro (Release) and runs it: a console table on stdout (also saved to
# bench/results/micro.txt) and the JSON report in bench/results/micro.json.
# Extra arguments go to sb-micro, e.g.:
#   bench/micro/run.sh --benchmark_filter='BM_Sio.*' --benchmark_repetitions=5
# Environment: BUILD_DIR (default build), JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSB_TESTS=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target sb-micro

mkdir -p bench/results
"$build/sb-micro" \
  --benchmark_out=bench/results/micro.json --benchmark_out_format=json \
  --benchmark_format=console --benchmark_counters_tabular=true "$@" |
  tee bench/results/micro.txt
